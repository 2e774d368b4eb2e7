"""A database that fails: unreachable, frozen, too slow, or its SQLite file
moved away. Every surface answers 503 with Retry-After within the database
timeouts, never a 500 or a request that hangs, and recovers by itself.

On PostgreSQL the portal talks to the server through a TCP proxy that the
tests freeze (not a byte goes through, connections stay open) and stop
(connections closed, new ones refused); SQLite's file is really moved away.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url
from werkzeug.serving import make_server

from portal.config import DATASETS_PATH
from portal.publish.service import load_path
from tests.conftest import make_app, migrated
from tests.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parent.parent
CONNECT = 2  # seconds (psycopg waits at least 2 to connect)
STATEMENT = 2
# A frozen server costs a request a ping, then a connection attempt; the rest
# is slack for a busy machine.
FROZEN_BOUND = 2 * CONNECT + 3
SLOW_BOUND = STATEMENT + 3
PROBLEM = "application/problem+json"
SURFACES = ["/health", "/en/datasets/", "/cy/datasets/", "/api/v1/datasets", "/api/3/action/package_list",
            "/api/v1/datasets/councils/resources/councils/rows?limit=5"]
WELSH_503 = "Nid yw hyn ar gael ar hyn o bryd"


def get(base: str, path: str) -> tuple[int, dict, bytes, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(base + path, timeout=60) as response:
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    return status, headers, body, time.monotonic() - started


def assert_unavailable(status: int, headers, body: bytes, path: str) -> None:
    assert status == 503, (path, status, body[:300])
    assert headers["Retry-After"] == "30", path
    if path == "/health":
        assert b'"status":"unavailable"' in body
    elif path.startswith("/api/3/"):
        assert headers["Content-Type"].startswith("application/json")
        assert b'"success":false' in body and b'"__type":"Service Unavailable"' in body
    elif path.startswith("/api/v1/"):
        assert headers["Content-Type"] == PROBLEM and b'"status":503' in body
    else:
        assert headers["Content-Type"].startswith("text/html")
        if path.startswith("/cy/"):
            assert WELSH_503 in body.decode()


def assert_all_unavailable(base: str, within: float) -> None:
    """Every surface at once, as visitors would come."""
    with ThreadPoolExecutor(len(SURFACES)) as pool:
        answers = list(pool.map(lambda path: get(base, path), SURFACES))
    for path, (status, headers, body, elapsed) in zip(SURFACES, answers):
        assert_unavailable(status, headers, body, path)
        assert elapsed < within, (path, elapsed)


def assert_all_available(base: str) -> None:
    for path in SURFACES:
        status, _headers, body, elapsed = get(base, path)
        assert status == 200, (path, status, body[:300])
        assert elapsed < 5, (path, elapsed)


@contextmanager
def served(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def publish_councils(app) -> None:
    with app.app_context():
        from portal.extensions import session
        assert [result.status for result in load_path(session(), DATASETS_PATH / "councils")] == ["published"]
        session().commit()


# -- PostgreSQL through a proxy -------------------------------------------------------------

class Proxied:
    def __init__(self, url: str, proxy: TcpProxy, base: str):
        self.url, self.proxy, self.base = url, proxy, base

    @contextmanager
    def tables_locked(self) -> Iterator[None]:
        """Every table of the portal locked by another session (straight to
        the server): the portal's statements wait, as on a server too slow."""
        url = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url) as connection:
            tables = [row[0] for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
            connection.execute("LOCK TABLE " + ", ".join(f'"{name}"' for name in tables)
                               + " IN ACCESS EXCLUSIVE MODE")
            yield
            connection.rollback()


@pytest.fixture
def proxied(postgres_server, new_database, tmp_path) -> Iterator[Proxied]:
    if postgres_server is None:
        pytest.skip("TEST_DATABASE_URL does not name a PostgreSQL server")
    url = migrated(new_database("postgresql"))
    direct = make_url(url)
    proxy = TcpProxy((direct.host or "127.0.0.1", direct.port or 5432))
    through_proxy = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = make_app(through_proxy, tmp_path / "instance", DATABASE_CONNECT_TIMEOUT=CONNECT,
                   DATABASE_STATEMENT_TIMEOUT=STATEMENT)
    publish_councils(app)
    try:
        with served(app) as base:
            assert_all_available(base)  # the pool now holds open connections through the proxy
            yield Proxied(url, proxy, base)
    finally:
        proxy.close()


def test_a_frozen_database_answers_503_within_the_timeouts_and_recovers(proxied):
    proxied.proxy.freeze()
    assert_all_unavailable(proxied.base, within=FROZEN_BOUND)
    proxied.proxy.resume()
    assert_all_available(proxied.base)


def test_an_unreachable_database_answers_503_at_once_and_recovers(proxied):
    proxied.proxy.stop()
    assert_all_unavailable(proxied.base, within=2)
    proxied.proxy.resume()
    assert_all_available(proxied.base)


def test_a_statement_too_slow_is_cut_at_the_statement_timeout(proxied):
    with proxied.tables_locked():
        assert_all_unavailable(proxied.base, within=SLOW_BOUND)
    assert_all_available(proxied.base)


def test_a_database_frozen_while_it_runs_a_statement_is_given_up(proxied):
    """The server's statement timeout cannot end this one: the statement is
    waiting on a lock when the server freezes, and its cancellation never
    comes back. The portal gives up after both timeouts together."""
    answers: list[tuple[int, dict, bytes, float]] = []
    with proxied.tables_locked():
        request = threading.Thread(target=lambda: answers.append(get(proxied.base, "/api/v1/datasets")))
        request.start()
        time.sleep(0.5)
        proxied.proxy.freeze()
        request.join(timeout=60)
    status, headers, body, elapsed = answers[0]
    assert_unavailable(status, headers, body, "/api/v1/datasets")
    assert elapsed < STATEMENT + CONNECT + 3, elapsed
    proxied.proxy.resume()
    assert_all_available(proxied.base)


# -- SQLite: the file moved away and back ---------------------------------------------------

@pytest.fixture
def sqlite_site(tmp_path) -> tuple[Path, dict]:
    database = tmp_path / "portal.sqlite3"
    url = migrated(f"sqlite:///{database}")
    settings = {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")}
    publish_councils(make_app(url, tmp_path / "instance"))
    return database, settings


def test_a_sqlite_database_moved_away_is_not_recreated_and_comes_back(sqlite_site, tmp_path):
    database, settings = sqlite_site
    app = make_app(settings["DATABASE_URL"], Path(settings["INSTANCE_PATH"]))
    client = app.test_client()
    assert client.get("/health").json["datasets"] == 1  # a pooled connection is open on the file

    database.rename(tmp_path / "elsewhere.sqlite3")
    for path in SURFACES:
        response = client.get(path)
        assert_unavailable(response.status_code, response.headers, response.data, path)
    assert not database.exists()

    (tmp_path / "elsewhere.sqlite3").rename(database)
    for path in SURFACES:
        assert client.get(path).status_code == 200, path
    assert client.get("/health").json["datasets"] == 1


def flask(*args: str, settings: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "portal", *args], cwd=ROOT,
                          env={**os.environ, **settings, "SECRET_KEY": "test"}, capture_output=True, text=True,
                          timeout=300)


def test_the_command_line_does_not_create_a_sqlite_database_moved_away(sqlite_site, tmp_path):
    database, settings = sqlite_site
    database.rename(tmp_path / "elsewhere.sqlite3")
    package = str(DATASETS_PATH / "councils")
    for command in (["load", package], ["validate", package]):
        result = flask(*command, settings=settings)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"the database file {database} does not exist" in result.stderr
        assert "Traceback" not in result.stderr
        assert not database.exists()

    (tmp_path / "elsewhere.sqlite3").rename(database)
    result = flask("load", package, settings=settings)
    assert result.returncode == 0, result.stderr
    assert "councils: unchanged (version 1 has the same content)" in result.stdout

    new = tmp_path / "new.sqlite3"  # init-db alone creates a database
    assert flask("init-db", settings={**settings, "DATABASE_URL": f"sqlite:///{new}"}).returncode == 0
    assert new.exists()



def test_loads_from_the_command_line_have_no_statement_timeout(postgres_server, new_database, tmp_path):
    """The statement timeout is the web application's: a publication's long
    statements (COPY, index builds) are never cut."""
    if postgres_server is None:
        pytest.skip("TEST_DATABASE_URL does not name a PostgreSQL server")
    settings = {"DATABASE_URL": migrated(new_database("postgresql")), "INSTANCE_PATH": str(tmp_path / "instance"),
                "DATABASE_STATEMENT_TIMEOUT": "0.001"}
    result = flask("load", str(DATASETS_PATH / "councils"), settings=settings)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "councils: published version 1" in result.stdout
