"""Alembic creates and upgrades the schema, and it matches the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal.db import make_engine
from portal.migrate import downgrade, is_current, upgrade
from portal.model import Base

TABLES = {"datasets", "dataset_versions", "resources", "resource_fields", "artefacts", "catalog_documents",
          "search_documents", "dataset_facets", "withdrawals", "publication_events", "publication_runs",
          "users", "api_tokens", "login_failures", "jobs", "alembic_version"}
# Full-text search structures made by the migrations for one database only.
DIALECT_ONLY = ("search_fts", "ix_search_documents_tsv")


def tables(engine) -> set[str]:
    return {name for name in inspect(engine).get_table_names() if not name.startswith(DIALECT_ONLY)}


def test_upgrade_downgrade_upgrade(backend, new_database):
    engine = make_engine(new_database(backend))
    upgrade(engine)
    assert tables(engine) == TABLES
    assert is_current(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}  # FTS tables gone too
    assert not is_current(engine)
    upgrade(engine)
    assert is_current(engine)
    engine.dispose()


def test_migrations_match_the_models(backend, new_database):
    engine = make_engine(new_database(backend))
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_name": lambda name, kind, parent: not (name or "").startswith(DIALECT_ONLY)})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_init_db_command(backend, new_database, tmp_path):
    from tests.conftest import make_app
    app = make_app(new_database(backend), tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "init-db"])
    assert result.exit_code == 0, result.output
    assert "is up to date" in result.output
    # running it again changes nothing and still succeeds
    assert runner.invoke(args=["portal", "init-db"]).exit_code == 0


def test_commands_refuse_an_unmigrated_database(backend, new_database, tmp_path):
    from tests.conftest import make_app
    app = make_app(new_database(backend), tmp_path)
    result = app.test_cli_runner().invoke(args=["portal", "load", "datasets"])
    assert result.exit_code == 1
    assert "run `flask --app portal portal init-db`" in result.output
