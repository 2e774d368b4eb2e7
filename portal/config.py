"""Settings read from the environment, with safe defaults.

Nothing here imports Flask: the CLI, the migrations and the tests read the
same settings through :func:`load_settings`.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = PROJECT_ROOT / "instance"
DATASETS_PATH = PROJECT_ROOT / "datasets"
TRANSLATIONS_PATH = PROJECT_ROOT / "translations"
TEMPLATES_PATH = PROJECT_ROOT / "templates"
MIGRATIONS_PATH = PROJECT_ROOT / "migrations"

LANGUAGES = ("en", "cy")
DEFAULT_LANGUAGE = "en"

PRODUCTION = "production"


class ConfigurationError(RuntimeError):
    """The environment does not describe a portal that can start."""


def default_database_url(instance_path: Path = INSTANCE_PATH) -> str:
    return f"sqlite:///{instance_path / 'portal.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` / ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key(env: str, instance_path: Path) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env == PRODUCTION:
        raise ConfigurationError(
            "SECRET_KEY must be set when PORTAL_ENV=production."
        )
    # Development: generate once and keep it beside the database, so that
    # sessions survive restarts and every worker shares the same key.
    path = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _port(value: str | None) -> int:
    if value is None or value == "":
        return 5000
    try:
        port = int(value)
    except ValueError:
        raise ConfigurationError(f"PORT must be a whole number, not {value!r}.") from None
    if not 0 < port < 65536:
        raise ConfigurationError(f"PORT must be between 1 and 65535, not {port}.")
    return port


def _positive(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(f"{name} must be a whole number of 1 or more, not {value!r}.")
    return int(value)


def load_settings(overrides: dict | None = None) -> dict:
    """Return the portal's settings: environment first, then ``overrides``."""
    overrides = dict(overrides or {})
    instance_path = Path(overrides.get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH") or INSTANCE_PATH)
    env = overrides.get("PORTAL_ENV", os.environ.get("PORTAL_ENV", "development"))
    settings = {
        "PORTAL_ENV": env,
        "INSTANCE_PATH": str(instance_path),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or default_database_url(instance_path),
        "HOST": os.environ.get("HOST") or "127.0.0.1",
        "PORT": _port(os.environ.get("PORT")),
        "DATASETS_PATH": str(DATASETS_PATH),
        "LANGUAGES": LANGUAGES,
        "BABEL_DEFAULT_LOCALE": DEFAULT_LANGUAGE,
        "BABEL_TRANSLATION_DIRECTORIES": str(TRANSLATIONS_PATH),
        # Where download files are kept: a folder (default <instance>/artefacts)
        # or s3://bucket/prefix, with the endpoint of S3-compatible storage.
        "ARTEFACT_STORE": os.environ.get("ARTEFACT_STORE") or str(instance_path / "artefacts"),
        "ARTEFACT_S3_ENDPOINT_URL": os.environ.get("ARTEFACT_S3_ENDPOINT_URL") or None,
        "ARTEFACT_S3_REGION": os.environ.get("ARTEFACT_S3_REGION") or None,
        # stream: the portal streams objects to clients; redirect: to a presigned URL
        "ARTEFACT_S3_SERVE": os.environ.get("ARTEFACT_S3_SERVE") or "stream",
        # Datasets per page of /catalog.ttl|jsonld|rdf (one document up to this many;
        # 100, as ckanext-dcat pages its catalogue, keeps the first build of a page short)
        "CATALOG_PAGE_SIZE": _positive("CATALOG_PAGE_SIZE", 100),
        "PUBLISHER_EN": "Wales Audit Office",
        "PUBLISHER_CY": "Swyddfa Archwilio Cymru",
    }
    settings.update(overrides)
    settings["DATABASE_URL"] = normalise_database_url(settings["DATABASE_URL"])
    if "SECRET_KEY" not in settings:
        settings["SECRET_KEY"] = _secret_key(env, instance_path)
    return settings
