"""Engine and session factory; no Flask here.

A database that fails must cost a request a few seconds, never a thread for
good: every engine made here can be given a connect timeout (also the wait
for a pooled connection and for a pooled connection to answer a ping) and a
statement timeout (PostgreSQL cancels longer statements itself; a server that
stops answering altogether, frozen or behind a dead network path, is given
up after both together). Whether an error means the database is unavailable,
rather than a fault in a query, is :func:`unavailable`.
"""
from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import psycopg
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InvalidatePoolError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from portal import attribution

# How long SQLite waits for a lock held by another connection (a load), when
# no statement timeout says otherwise.
SQLITE_BUSY_TIMEOUT = 30.0
# SQLite errors that mean the file cannot be used now, not a faulty query.
SQLITE_UNAVAILABLE = ("SQLITE_CANTOPEN", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR")


def make_engine(url: str, *, connect_timeout: float | None = None, statement_timeout: float | None = None,
                create: bool = True) -> Engine:
    """An engine on ``url``. ``connect_timeout``: seconds to connect, to wait
    for a free pooled connection, and for a pooled connection to answer a
    ping; ``statement_timeout``: seconds a statement may run; ``create``:
    whether a missing SQLite file is created (else it is an error, until the
    file is back)."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout=statement_timeout or SQLITE_BUSY_TIMEOUT, create=create)
    return _postgresql_engine(url, connect_timeout, statement_timeout)


def unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database cannot serve now (unreachable,
    silent, too slow, locked, its file gone), not that a query is wrong."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error.orig, sqlite3.Error):
        return getattr(error.orig, "sqlite_errorname", "").startswith(SQLITE_UNAVAILABLE)
    # connection failures, cancelled statements, a server shutting down or out of resources
    return isinstance(error.orig, psycopg.OperationalError)


def _sqlite_engine(url: str, busy_timeout: float, create: bool) -> Engine:
    engine = create_engine(url, connect_args={"timeout": busy_timeout})
    path = engine.url.database
    if not create and path and path != ":memory:" and not path.startswith("file:"):
        _open_existing_only(engine, os.path.abspath(path))

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


def _open_existing_only(engine: Engine, path: str) -> None:
    """Connections open the file at ``path`` only if it exists (SQLite would
    create an empty one), and a pooled connection whose file was moved away
    or replaced since it was opened is dropped, so the portal answers from
    the real file, or not at all, and recovers by itself when it is back."""

    @event.listens_for(engine, "do_connect")
    def _read_write(_dialect, _record, cargs: list[Any], cparams: dict[str, Any]) -> None:
        cargs[0] = f"file:{quote(path)}?mode=rw"
        cparams["uri"] = True

    @event.listens_for(engine, "connect")
    def _remember_file(_dbapi_connection, record) -> None:
        record.info["file"] = _file_identity(path)

    @event.listens_for(engine, "checkout")
    def _same_file(_dbapi_connection, record, _proxy) -> None:
        if record.info.get("file") != _file_identity(path):
            raise DisconnectionError(f"{path} was moved or replaced")


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _postgresql_engine(url: str, connect_timeout: float | None, statement_timeout: float | None) -> Engine:
    connect_args: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if connect_timeout:
        # whole seconds, at least 2, as libpq counts them
        connect_args["connect_timeout"] = max(2, math.ceil(connect_timeout))
        options["pool_timeout"] = connect_timeout
    if statement_timeout:
        given = make_url(url).query.get("options")
        connect_args["options"] = " ".join(
            filter(None, [given if isinstance(given, str) else None,
                          f"-c statement_timeout={math.ceil(statement_timeout * 1000)}"]))
    answer_timeout = (statement_timeout + (connect_timeout or 0)) if statement_timeout else None
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=not connect_timeout, **options)

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect, _record, cargs: list[Any], cparams: dict[str, Any]) -> psycopg.Connection:
        connection = _Connection.connect(*cargs, **cparams)
        connection.answer_timeout = answer_timeout
        return connection

    if connect_timeout:
        @event.listens_for(engine, "checkout")
        def _ping(dbapi_connection, _record, _proxy) -> None:
            """SQLAlchemy's pre-ping, but waiting at most ``connect_timeout``
            for the answer: a server that does not answer is given up for every
            pooled connection at once."""
            try:
                with dbapi_connection.answering_within(connect_timeout):
                    engine.dialect.do_ping(dbapi_connection)
            except psycopg.Error as error:
                raise InvalidatePoolError(f"the database did not answer a ping: {error}") from error

    return engine


class _Connection(psycopg.Connection):
    """psycopg's connection, giving up on a server that stops answering for
    ``answer_timeout`` seconds. The server's statement_timeout cannot help
    then (it never sees the statement, or its answer never arrives), and
    psycopg would wait for ever. The connection is closed, as its protocol
    state is unknown; SQLAlchemy then drops it from the pool."""

    answer_timeout: float | None = None

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):
        limit = timeout if timeout is not None else self.answer_timeout
        try:
            return super().wait(gen, interval, limit)
        except psycopg.errors._WaitTimeout:  # psycopg's own error for its timeout
            self.pgconn.finish()
            raise psycopg.OperationalError(f"the database server did not answer within {limit:g} s") from None

    @contextmanager
    def answering_within(self, seconds: float) -> Iterator[None]:
        """A shorter answer timeout for what runs in the ``with`` block."""
        saved, self.answer_timeout = self.answer_timeout, seconds
        try:
            yield
        finally:
            self.answer_timeout = saved


# The session's info key for the portal's publisher (an attribution.Agent),
# whom the downloads built in the session name (the spreadsheets' cover).
PUBLISHER = "publisher"
# The session's info key for the most rows a resource may have for its
# spreadsheets to be built at publication (see portal.publish.artefacts).
SPREADSHEET_ROWS = "spreadsheet_rows"


def make_sessionmaker(engine: Engine, store=None) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``store`` (the artefact store, see
    portal.storage) travels in each session's ``info`` for the publisher."""
    return sessionmaker(bind=engine, expire_on_commit=False, info={"artefact_store": store})


def session_publisher(session: Session) -> attribution.Agent:
    """The portal's publisher the session was opened for (see
    portal.extensions.session); else the default one."""
    return session.info.get(PUBLISHER) or attribution.DEFAULT_PUBLISHER
