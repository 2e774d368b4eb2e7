"""Settings read from the environment, with safe defaults.

Nothing here imports Flask: the CLI, gunicorn's configuration, the migrations
and the tests read the same settings through :func:`load_settings`. With
``PORTAL_ENV=production`` it refuses settings unsafe to serve the public with.
"""
from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import click

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = PROJECT_ROOT / "instance"
DATASETS_PATH = PROJECT_ROOT / "datasets"
TRANSLATIONS_PATH = PROJECT_ROOT / "translations"
TEMPLATES_PATH = PROJECT_ROOT / "templates"
MIGRATIONS_PATH = PROJECT_ROOT / "migrations"

LANGUAGES = ("en", "cy")
DEFAULT_LANGUAGE = "en"

DEVELOPMENT, PRODUCTION = "development", "production"
MIN_SECRET_KEY_LENGTH = 32

# What a data package may cost to check: each is refused, naming the limit,
# before frictionless reads the data. PostgreSQL tables hold at most 1,600
# columns, and the row store adds three of its own.
PACKAGE_LIMITS = {
    "PACKAGE_MAX_FILE_BYTES": 8 * 1024 ** 3,
    "PACKAGE_MAX_LINE_BYTES": 1024 ** 2,
    "PACKAGE_MAX_FIELDS": 1000,
    "PACKAGE_MAX_DESCRIPTOR_BYTES": 10 * 1024 ** 2,
    "PACKAGE_MAX_DESCRIPTOR_DEPTH": 64,
}
MAX_TABLE_FIELDS = 1600 - 3


class ConfigurationError(click.ClickException):
    """The environment does not describe a portal that can start. A
    ClickException, so that ``flask --app portal ...`` prints it as one line."""


def default_database_url(instance_path: Path = INSTANCE_PATH) -> str:
    return f"sqlite:///{instance_path / 'portal.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` / ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _development_secret_key(instance_path: Path) -> str:
    """Generated once and kept beside the database, so that signed values
    (API cursors) survive restarts and every worker shares the same key; an
    empty file is filled again, never read as an empty key."""
    path = instance_path / "secret_key"
    if path.is_file() and (key := path.read_text().strip()):
        return key
    instance_path.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # another process may be writing it now
        key = handle.read().strip()
        if not key:
            key = secrets.token_hex(32)
            handle.seek(0)
            handle.truncate()
            handle.write(key)
    return key


def _flag(value: object) -> bool:
    """An on/off setting, read as Flask reads FLASK_DEBUG."""
    return bool(value) and str(value).lower() not in ("0", "false", "no")


def _production_problems(settings: dict) -> list[str]:
    """What makes ``settings`` unsafe to serve the public with."""
    problems = []
    if len(settings.get("SECRET_KEY") or "") < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_KEY_LENGTH} "
                        "characters (such as the output of: openssl rand -hex 32)")
    if _flag(os.environ.get("FLASK_DEBUG")) or settings.get("DEBUG"):
        problems.append("FLASK_DEBUG must be off")
    if settings["DATABASE_URL"].startswith("sqlite") and not _flag(settings["PORTAL_ALLOW_SQLITE"]):
        problems.append("DATABASE_URL must name a PostgreSQL database (or set PORTAL_ALLOW_SQLITE=1)")
    if not settings["PORTAL_BASE_URL"]:
        problems.append("PORTAL_BASE_URL must be set to the address the portal is served at")
    return problems


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


def _base_url(value: str) -> tuple[str, str]:
    """PORTAL_BASE_URL as (scheme, host[:port])."""
    parts = urlsplit(value.strip())
    try:
        valid = (parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
                 and not (parts.username or parts.password or parts.query or parts.fragment)
                 and parts.path in ("", "/"))
    except ValueError:  # a port that is no number, or out of range
        valid = False
    if not valid:
        raise ConfigurationError(f"PORTAL_BASE_URL must be http(s)://host or http(s)://host:port, "
                                 f"with no path, not {value!r}.")
    return parts.scheme, parts.netloc.lower()


def _host_names(value: str | Iterable[str]) -> list[str]:
    """PORTAL_TRUSTED_HOSTS: host names separated by commas (``.example.org``
    for every host under example.org)."""
    names = [name.strip().lower() for name in (value.split(",") if isinstance(value, str) else value)]
    names = [name for name in names if name]
    for name in names:
        if "/" in name or ":" in name or " " in name:
            raise ConfigurationError(f"PORTAL_TRUSTED_HOSTS must be host names separated by commas, "
                                     f"not {value!r}.")
    return names


def _hosts(base_url: str | None, trusted: str | Iterable[str]) -> dict:
    """Flask's URL settings: every absolute URL is built from PORTAL_BASE_URL
    when it is set, and requests naming any Host but its host and
    PORTAL_TRUSTED_HOSTS are refused (Flask's TRUSTED_HOSTS)."""
    hosts = _host_names(trusted) if trusted else []
    settings: dict = {"PORTAL_BASE_URL": None, "PORTAL_TRUSTED_HOSTS": hosts}
    if base_url:
        scheme, netloc = _base_url(base_url)
        settings.update(PORTAL_BASE_URL=f"{scheme}://{netloc}", SERVER_NAME=netloc, PREFERRED_URL_SCHEME=scheme)
        hosts = [urlsplit(f"//{netloc}").hostname, *hosts]
    settings["TRUSTED_HOSTS"] = hosts or None
    return settings


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ConfigurationError(f"{name} must be a number of seconds above 0, not {value!r}.")
    return seconds


def _package_limits() -> dict[str, int]:
    limits = {name: _positive(name, default) for name, default in PACKAGE_LIMITS.items()}
    if limits["PACKAGE_MAX_FIELDS"] > MAX_TABLE_FIELDS:
        raise ConfigurationError(f"PACKAGE_MAX_FIELDS must be at most {MAX_TABLE_FIELDS} (the columns a "
                                 f"PostgreSQL table holds, less the row store's own three), not "
                                 f"{limits['PACKAGE_MAX_FIELDS']}.")
    return limits


def load_settings(overrides: dict | None = None) -> dict:
    """Return the portal's settings: environment first, then ``overrides``."""
    overrides = dict(overrides or {})
    instance_path = Path(overrides.get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH") or INSTANCE_PATH)
    env = overrides.get("PORTAL_ENV") or os.environ.get("PORTAL_ENV") or DEVELOPMENT
    settings = {
        "PORTAL_ENV": env,
        "INSTANCE_PATH": str(instance_path),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or default_database_url(instance_path),
        # Seconds to connect to the database (and to wait for a pooled
        # connection); seconds a statement of a web request may run. The
        # command line's loads and migrations have no statement timeout.
        "DATABASE_CONNECT_TIMEOUT": _seconds("DATABASE_CONNECT_TIMEOUT", 3.0),
        "DATABASE_STATEMENT_TIMEOUT": _seconds("DATABASE_STATEMENT_TIMEOUT", 10.0),
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
        **_package_limits(),
        # Who publishes and runs the portal (named in the footer, on About, on every
        # dataset page, as the site's contact, in citations and feeds, as the CKAN
        # organization and DCAT publisher, on spreadsheet covers). Out of the box:
        # the portal itself. The Wales Audit Office is credited as author of what
        # comes from its report, never as publisher of this site nor for the
        # demonstration data.
        "PUBLISHER_EN": os.environ.get("PUBLISHER_EN") or "Wales local government data portal",
        "PUBLISHER_CY": os.environ.get("PUBLISHER_CY") or "Porth data llywodraeth leol Cymru",
        "PUBLISHER_URL": os.environ.get("PUBLISHER_URL") or None,
        "PUBLISHER_EMAIL": os.environ.get("PUBLISHER_EMAIL") or None,
        # https://data.example.wales: what every absolute URL is built from, whatever
        # Host a request names; more host names the portal answers to, beside its own
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL") or None,
        "PORTAL_TRUSTED_HOSTS": os.environ.get("PORTAL_TRUSTED_HOSTS") or "",
        # Uploads waiting for the worker (a folder every web worker and the
        # worker process share); the largest upload a request may carry (413
        # beyond it), and the most members and bytes a zip may unpack to
        "UPLOADS_PATH": os.environ.get("UPLOADS_PATH") or str(instance_path / "uploads"),
        "MAX_CONTENT_LENGTH": _positive("PORTAL_MAX_UPLOAD_BYTES", 2 * 1024 ** 3),
        "UPLOAD_MAX_MEMBERS": _positive("UPLOAD_MAX_MEMBERS", 1000),
        # Spreadsheets and CSVs for Excel of a resource with more rows than
        # this are built after publication, by the worker, not during it.
        "SPREADSHEETS_AT_PUBLICATION_MAX_ROWS": _positive("SPREADSHEETS_AT_PUBLICATION_MAX_ROWS", 100_000),
        # Session cookies (signed-in staff only): never readable by scripts,
        # not sent on cross-site sub-requests; Secure in production
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "portal_session",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        # production: SQLite is refused unless this is set (a single small host)
        "PORTAL_ALLOW_SQLITE": os.environ.get("PORTAL_ALLOW_SQLITE") or "",
    }
    if os.environ.get("SECRET_KEY"):
        settings["SECRET_KEY"] = os.environ["SECRET_KEY"]
    settings.update(overrides)
    settings["DATABASE_URL"] = normalise_database_url(settings["DATABASE_URL"])
    settings.update(_hosts(settings["PORTAL_BASE_URL"], settings["PORTAL_TRUSTED_HOSTS"]))
    if env not in (DEVELOPMENT, PRODUCTION):
        raise ConfigurationError(f"PORTAL_ENV must be {DEVELOPMENT} or {PRODUCTION}, not {env!r}.")
    if env == PRODUCTION:
        problems = _production_problems(settings)
        if problems:
            raise ConfigurationError(f"PORTAL_ENV=production refuses to start: {'; '.join(problems)}.")
        settings.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    elif not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _development_secret_key(instance_path)
    return settings
