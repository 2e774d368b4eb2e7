"""The database session per application context, and Babel. Never imports the app."""
from __future__ import annotations

from flask import Flask, current_app, g
from flask_babel import Babel
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from portal import attribution
from portal.db import PUBLISHER, SPREADSHEET_ROWS, make_engine, make_sessionmaker
from portal.storage import ArtefactStore, make_store

babel = Babel()
EXTENSION = "portal.db"


def init_app(app: Flask) -> None:
    """The web application's engine: statements of a request are cut at the
    statement timeout, and a missing SQLite file is an error, not created."""
    use_engine(app, make_engine(app.config["DATABASE_URL"], connect_timeout=app.config["DATABASE_CONNECT_TIMEOUT"],
                                statement_timeout=app.config["DATABASE_STATEMENT_TIMEOUT"], create=False),
               make_store(app.config))
    app.teardown_appcontext(_close_session)


def use_engine(app: Flask, engine: Engine, store: ArtefactStore | None = None) -> None:
    """Open ``app``'s sessions on ``engine`` from now on (the command line
    uses one of its own)."""
    previous = app.extensions.get(EXTENSION)
    if previous is not None:
        previous[0].dispose()  # its idle connections; any in use stay usable
        store = previous[2] if store is None else store
    app.extensions[EXTENSION] = (engine, make_sessionmaker(engine, store), store)


def engine() -> Engine:
    return current_app.extensions[EXTENSION][0]


def store() -> ArtefactStore:
    return current_app.extensions[EXTENSION][2]


def session() -> Session:
    """The session of the current application context, opened on first use,
    with the portal's publisher and how large a resource's spreadsheets are
    built at publication (from the settings) in its ``info``."""
    if "db_session" not in g:
        g.db_session = current_app.extensions[EXTENSION][1](
            info={PUBLISHER: attribution.publisher(current_app.config),
                  SPREADSHEET_ROWS: current_app.config["SPREADSHEETS_AT_PUBLICATION_MAX_ROWS"]})
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
