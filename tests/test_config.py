"""Settings from the environment, with safe defaults."""
from __future__ import annotations

import pytest

from portal import create_app
from portal.config import ConfigurationError, load_settings


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "PORT", "HOST", "PORTAL_ENV", "FLASK_DEBUG", "PORTAL_BASE_URL",
                 "PORTAL_TRUSTED_HOSTS", "PORTAL_ALLOW_SQLITE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults(clean_env, tmp_path):
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    assert settings["HOST"] == "127.0.0.1" and settings["PORT"] == 5000
    assert settings["LANGUAGES"] == ("en", "cy")


def test_development_secret_key_is_generated_once_and_kept(clean_env, tmp_path):
    first = load_settings({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    second = load_settings({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    assert len(first) == 64 and first == second
    assert (tmp_path / "secret_key").read_text() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_development_secret_key_is_never_empty(clean_env, tmp_path):
    (tmp_path / "secret_key").write_text("\n")
    key = load_settings({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    assert len(key) == 64 and (tmp_path / "secret_key").read_text() == key
    assert load_settings({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"] == key


GOOD_KEY = "k" * 32


@pytest.fixture
def production(clean_env):
    """The environment of a production portal that starts."""
    for name, value in {"PORTAL_ENV": "production", "SECRET_KEY": GOOD_KEY,
                        "PORTAL_BASE_URL": "https://data.example.wales",
                        "DATABASE_URL": "postgresql://portal@db.example/portal"}.items():
        clean_env.setenv(name, value)
    return clean_env


def test_production_starts_with_safe_cookies(production, tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == GOOD_KEY and not (tmp_path / "secret_key").exists()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not app.debug


@pytest.mark.parametrize("name, value, reason", [
    ("SECRET_KEY", None, "SECRET_KEY must be set"),
    ("SECRET_KEY", "x", "at least 32 characters"),
    ("SECRET_KEY", "k" * 31, "at least 32 characters"),
    ("FLASK_DEBUG", "1", "FLASK_DEBUG must be off"),
    ("FLASK_DEBUG", "true", "FLASK_DEBUG must be off"),
    ("DATABASE_URL", None, "must name a PostgreSQL database"),
    ("DATABASE_URL", "sqlite:////srv/portal.sqlite3", "must name a PostgreSQL database"),
    ("PORTAL_BASE_URL", None, "PORTAL_BASE_URL must be set"),
])
def test_production_refuses_unsafe_settings(production, tmp_path, name, value, reason):
    if value is None:
        production.delenv(name)
    else:
        production.setenv(name, value)
    with pytest.raises(ConfigurationError, match=reason):
        create_app({"INSTANCE_PATH": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()


def test_production_on_sqlite_when_allowed(production, tmp_path):
    production.delenv("DATABASE_URL")
    production.setenv("PORTAL_ALLOW_SQLITE", "1")
    assert load_settings({"INSTANCE_PATH": str(tmp_path)})["DATABASE_URL"].startswith("sqlite:")
    production.setenv("PORTAL_ALLOW_SQLITE", "0")
    with pytest.raises(ConfigurationError, match="PORTAL_ALLOW_SQLITE=1"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})


def test_every_production_problem_in_one_line(production, tmp_path):
    for name in ("SECRET_KEY", "PORTAL_BASE_URL", "DATABASE_URL"):
        production.delenv(name)
    production.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigurationError) as refused:
        load_settings({"INSTANCE_PATH": str(tmp_path)})
    message = str(refused.value)
    assert "\n" not in message and message.count(";") == 3


def test_an_unknown_environment_is_refused(clean_env, tmp_path):
    clean_env.setenv("PORTAL_ENV", "prod")
    with pytest.raises(ConfigurationError, match="PORTAL_ENV must be development or production"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})


def test_environment_overrides(clean_env, tmp_path):
    clean_env.setenv("DATABASE_URL", "postgresql://portal@db.example/portal")
    clean_env.setenv("PORT", "8080")
    clean_env.setenv("HOST", "0.0.0.0")
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert settings["DATABASE_URL"] == "postgresql+psycopg://portal@db.example/portal"
    assert settings["PORT"] == 8080 and settings["HOST"] == "0.0.0.0"


@pytest.mark.parametrize("port", ["http", "0", "70000", "-1"])
def test_bad_port_is_a_clear_error(clean_env, tmp_path, port):
    clean_env.setenv("PORT", port)
    with pytest.raises(ConfigurationError, match="PORT must be"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})


def test_database_timeouts(clean_env, tmp_path):
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert (settings["DATABASE_CONNECT_TIMEOUT"], settings["DATABASE_STATEMENT_TIMEOUT"]) == (3.0, 10.0)
    clean_env.setenv("DATABASE_CONNECT_TIMEOUT", "5")
    clean_env.setenv("DATABASE_STATEMENT_TIMEOUT", "2.5")
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert (settings["DATABASE_CONNECT_TIMEOUT"], settings["DATABASE_STATEMENT_TIMEOUT"]) == (5.0, 2.5)


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf", "nan"])
def test_bad_database_timeout_is_a_clear_error(clean_env, tmp_path, value):
    clean_env.setenv("DATABASE_STATEMENT_TIMEOUT", value)
    with pytest.raises(ConfigurationError, match="DATABASE_STATEMENT_TIMEOUT must be a number of seconds"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})


def test_package_limits_come_from_the_environment(clean_env, tmp_path):
    clean_env.setenv("PACKAGE_MAX_LINE_BYTES", "4096")
    assert load_settings({"INSTANCE_PATH": str(tmp_path)})["PACKAGE_MAX_LINE_BYTES"] == 4096
    clean_env.setenv("PACKAGE_MAX_FIELDS", "1598")
    with pytest.raises(ConfigurationError, match="PACKAGE_MAX_FIELDS must be at most 1597"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})
    clean_env.setenv("PACKAGE_MAX_FIELDS", "many")
    with pytest.raises(ConfigurationError, match="PACKAGE_MAX_FIELDS must be a whole number"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})
