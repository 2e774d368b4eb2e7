"""The database session per application context, and Babel. Never imports the app."""
from __future__ import annotations

from flask import Flask, current_app, g
from flask_babel import Babel
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from portal.db import make_engine, make_sessionmaker
from portal.storage import ArtefactStore, make_store

babel = Babel()
EXTENSION = "portal.db"


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    store = make_store(app.config)
    app.extensions[EXTENSION] = (engine, make_sessionmaker(engine, store), store)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    return current_app.extensions[EXTENSION][0]


def store() -> ArtefactStore:
    return current_app.extensions[EXTENSION][2]


def session() -> Session:
    """The session of the current application context, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions[EXTENSION][1]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
