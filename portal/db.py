"""Engine and session factory; no Flask here."""
from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            # the driver's own transaction handling would commit before DDL;
            # SQLAlchemy's BEGIN below makes CREATE TABLE part of a publication
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:
            connection.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine, store=None) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``store`` (the artefact store, see
    portal.storage) travels in each session's ``info`` for the publisher."""
    return sessionmaker(bind=engine, expire_on_commit=False, info={"artefact_store": store})
