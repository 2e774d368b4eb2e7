"""Settings from the environment, with safe defaults."""
from __future__ import annotations

import pytest

from portal import create_app
from portal.config import ConfigurationError, load_settings


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "PORT", "HOST", "PORTAL_ENV"):
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


def test_production_requires_a_secret_key(clean_env, tmp_path):
    clean_env.setenv("PORTAL_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be set"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()
    clean_env.setenv("SECRET_KEY", "from-the-environment")
    assert load_settings({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"] == "from-the-environment"


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
