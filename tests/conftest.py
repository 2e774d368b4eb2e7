"""Fixtures: the real application on a real database, SQLite always and
PostgreSQL too when TEST_DATABASE_URL names a server.

On PostgreSQL the suite creates one fresh database per run and, inside it, one
schema per database it needs, so tests never see each other's data.
"""
from __future__ import annotations

import os
import socket
import sys
import threading
import uuid
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest
from sqlalchemy import create_engine, make_url, text
from werkzeug.serving import make_server

from portal import create_app
from portal.config import DATASETS_PATH, normalise_database_url
from portal.db import make_engine
from portal.migrate import upgrade
from portal.ingest.service import ingest_responses
from portal.publish.service import load_path
from tests.helpers import served

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


class PostgresServer:
    """A database of its own on the server named by TEST_DATABASE_URL."""

    def __init__(self, url: str):
        admin_url = make_url(normalise_database_url(url))
        self.name = f"portal_test_{uuid.uuid4().hex[:12]}"
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = admin_url.set(database=self.name)
        self.engine = create_engine(self.url, isolation_level="AUTOCOMMIT")

    def new_schema(self) -> str:
        schema = f"s_{uuid.uuid4().hex[:12]}"
        with self.engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        options = quote(f"-csearch_path={schema}")
        return f"{self.url.render_as_string(hide_password=False)}?options={options}"

    def drop(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server():
    if not TEST_DATABASE_URL:
        yield None
        return
    server = PostgresServer(TEST_DATABASE_URL)
    yield server
    server.drop()


@pytest.fixture(scope="session")
def new_database(tmp_path_factory, postgres_server):
    """Make a fresh, empty database URL for a backend."""
    def make(backend: str) -> str:
        if backend == "sqlite":
            folder = tmp_path_factory.mktemp("db")
            return f"sqlite:///{folder / 'portal.sqlite3'}"
        return postgres_server.new_schema()
    return make


def make_app(url: str, instance: Path, **settings):
    return create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance),
                       "SECRET_KEY": "test", "TESTING": True, **settings})


def migrated(url: str) -> str:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def published_app(backend, new_database, tmp_path_factory):
    """The portal as `make run` sets it up: every package in datasets/ published,
    and the demonstration responses ingested; for read-only tests."""
    app = make_app(migrated(new_database(backend)), tmp_path_factory.mktemp("instance"))
    with app.app_context():
        from portal.extensions import session
        results = load_path(session(), DATASETS_PATH)
        assert all(result.status == "published" for result in results), [
            result.report.render() for result in results if not result.ok]
        demo = DATASETS_PATH / "demonstration-responses"
        ingested = ingest_responses(session(), demo / "responses.csv", demo / "invitations.csv",
                                    demonstration=True)
        assert ingested.ok, ingested.report.render()
    return app


@pytest.fixture
def app(backend, new_database, tmp_path):
    """The portal on a fresh, migrated, empty database; for tests that write."""
    return make_app(migrated(new_database(backend)), tmp_path / "instance")


@pytest.fixture
def client(published_app):
    return published_app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    with app.app_context():
        from portal.extensions import session
        yield session()


@pytest.fixture
def loaded(app, db):
    """A fresh database with every package in datasets/ published once."""
    results = load_path(db, DATASETS_PATH)
    assert all(result.status == "published" for result in results)
    return db


@pytest.fixture(scope="session")
def live_server(published_app):
    """The published portal over real HTTP, for clients nobody here wrote."""
    server = make_server("127.0.0.1", 0, published_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


# -- a real S3 API: moto's standalone server, in a process of its own ----------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dummy_session() -> boto3.session.Session:
    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                 region_name="us-east-1")


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with served([sys.executable, "-m", "moto.server", "-p", str(port), "-H", "127.0.0.1"],
                tmp_path_factory.mktemp("moto") / "server.log", f"{endpoint}/moto-api/",
                what="moto server", start_timeout=30, stop_timeout=10):
        yield endpoint


# -- a real browser: Debian's Chromium, one for the whole session ----------------------
# (Playwright's sync API allows one running instance at a time, so every browser test
# shares this one.)

@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    from browser import launch
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium):
    """A page in a fresh browser context; the contexts are closed after the test."""
    contexts = []

    def make(**options):
        context = chromium.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
