"""PORTAL_ENV=production through the real entry points: ``flask --app portal``
and gunicorn with gunicorn.conf.py, each in a process of its own. Unsafe
settings are refused in one line, never a traceback; a production server
sends safe cookies, refuses unknown hosts, and no ``Server`` header."""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from portal.config import PROJECT_ROOT
from tests.conftest import free_port, migrated
from tests.helpers import served

BIN = Path(sys.executable).parent
BASE = "https://data.example.wales"
KEY = "0123456789abcdef" * 4


def environment(tmp_path: Path, **settings: str | None) -> dict[str, str]:
    """A clean environment (nothing of the test runner's portal settings), with
    a production portal's settings changed by ``settings`` (None removes one)."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("PORTAL_", "FLASK_", "DATABASE_URL", "SECRET_KEY", "INSTANCE_PATH", "PORT"))}
    env.update(PORTAL_ENV="production", SECRET_KEY=KEY, PORTAL_BASE_URL=BASE, INSTANCE_PATH=str(tmp_path),
               DATABASE_URL="postgresql://portal@db.invalid/portal", XDG_RUNTIME_DIR=str(tmp_path))
    for name, value in settings.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


UNSAFE = [
    ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
    ({"SECRET_KEY": "x"}, "at least 32 characters"),
    ({"FLASK_DEBUG": "1"}, "FLASK_DEBUG must be off"),
    ({"DATABASE_URL": None}, "must name a PostgreSQL database"),
    ({"PORTAL_BASE_URL": None}, "PORTAL_BASE_URL must be set"),
    ({"PORTAL_BASE_URL": "data.example.wales"}, "PORTAL_BASE_URL must be http(s)://host"),
]


def one_line_refusal(result: subprocess.CompletedProcess, reason: str) -> None:
    output = (result.stdout + result.stderr).strip()
    assert result.returncode != 0
    assert "Traceback" not in output and len(output.splitlines()) == 1, output
    assert reason in output


@pytest.mark.parametrize("settings, reason", UNSAFE)
def test_the_cli_refuses_unsafe_production_settings_in_one_line(tmp_path, settings, reason):
    result = subprocess.run([BIN / "flask", "--app", "portal", "portal", "init-db"], cwd=PROJECT_ROOT,
                            env=environment(tmp_path, **settings), capture_output=True, text=True, timeout=60)
    one_line_refusal(result, reason)
    assert not (tmp_path / "secret_key").exists() and not (tmp_path / "portal.sqlite3").exists()


def test_the_cli_debug_option_is_refused_in_production(tmp_path):
    result = subprocess.run([BIN / "flask", "--app", "portal", "--debug", "portal", "init-db"], cwd=PROJECT_ROOT,
                            env=environment(tmp_path), capture_output=True, text=True, timeout=60)
    one_line_refusal(result, "FLASK_DEBUG must be off")


@pytest.mark.parametrize("settings, reason", UNSAFE)
def test_gunicorn_refuses_unsafe_production_settings_in_one_line(tmp_path, settings, reason):
    env = environment(tmp_path, PORT=str(free_port()), **settings)
    result = subprocess.run([BIN / "gunicorn", "-c", "gunicorn.conf.py", "portal:create_app()"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    one_line_refusal(result, reason)


def test_the_cli_runs_with_safe_production_settings(backend, new_database, tmp_path):
    url = new_database(backend)
    settings = {"DATABASE_URL": url, "PORTAL_ALLOW_SQLITE": "1" if backend == "sqlite" else None}
    result = subprocess.run([BIN / "flask", "--app", "portal", "portal", "init-db"], cwd=PROJECT_ROOT,
                            env=environment(tmp_path, **settings), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "is up to date" in result.stdout and not (tmp_path / "secret_key").exists()


def get(url: str, host: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def production_server(backend, new_database, tmp_path):
    """gunicorn as `make run` starts it, with safe production settings, on a free port."""
    port = free_port()
    url = migrated(new_database(backend))
    env = environment(tmp_path, DATABASE_URL=url, PORT=str(port), WORKERS="1", THREADS="2",
                      PORTAL_ALLOW_SQLITE="1" if backend == "sqlite" else None)
    root = f"http://127.0.0.1:{port}"
    with served([BIN / "gunicorn", "-c", "gunicorn.conf.py", "portal:create_app()"], tmp_path / "gunicorn.log",
                lambda: get(f"{root}/health", "data.example.wales"), what="gunicorn",
                cwd=PROJECT_ROOT, env=env):
        yield root


def test_a_production_server(production_server):
    status, headers, body = get(f"{production_server}/health", "data.example.wales")
    assert status == 200 and b'"ok"' in body
    assert "Server" not in headers, headers["Server"]

    status, headers, body = get(f"{production_server}/cy/", "data.example.wales")
    assert status == 200 and "Server" not in headers
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("lang=cy;") and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert b'<link rel="canonical" href="https://data.example.wales/cy/">' in body

    status, headers, body = get(f"{production_server}/api/v1/", "evil.example")
    assert status == 400 and b"evil.example" not in body and "Server" not in headers
