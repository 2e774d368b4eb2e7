"""Alembic creates and upgrades the schema, and it matches the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from portal.db import make_engine
from portal.migrate import downgrade, is_current, upgrade
from portal.model import Base

TABLES = {"datasets", "dataset_versions", "resources", "resource_fields", "artefacts", "catalog_documents",
          "search_documents", "dataset_facets", "withdrawals", "publication_events", "publication_runs",
          "users", "api_tokens", "login_failures", "jobs", "alembic_version"}
# Full-text search structures made by the migrations for one database only.
DIALECT_ONLY = ("search_fts", "ix_search_documents_tsv", "search_vector")


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


def test_0007_gives_every_row_table_its_lines_of_csv_as_publication_wrote_them(loaded):
    """A database published before each row kept its line of CSV (0006):
    the migration writes every line exactly as publication writes it, so a
    filtered export of whole rows, made from the lines, answers as before."""
    from portal import datastore, rowstore
    from portal.ingest.service import ingest_responses
    from portal.model import Resource
    from tests.conftest import DATASETS_PATH

    db = loaded
    demo = DATASETS_PATH / "demonstration-responses"
    assert ingest_responses(db, demo / "responses.csv", demo / "invitations.csv", demonstration=True).ok
    resources = db.scalars(select(Resource).order_by(Resource.id)).all()
    assert resources and all(r.table_name for r in resources)

    def exports() -> dict[str, str]:
        return {r.table_name: "".join(datastore.csv_export(db, r, datastore.RowQuery())) for r in resources}

    def reference() -> dict[str, str]:  # the same rows, formatted one by one from their typed columns
        return {r.table_name: "".join(datastore.csv_stream(datastore.iterate(db, r, datastore.RowQuery()),
                                                           datastore.Table(r).names)) for r in resources}

    before = exports()
    assert before == reference()
    assert any("[c]" in text for text in before.values())  # markers are in the lines too
    engine = db.get_bind()
    db.commit()
    db.close()
    downgrade(engine, "0006")  # the layout before: no lines
    with engine.connect() as connection:
        assert not any(rowstore.LINE in {c["name"] for c in inspect(connection).get_columns(r.table_name)}
                       for r in resources)
    assert not is_current(engine)
    upgrade(engine)
    assert is_current(engine)
    with engine.connect() as connection:
        empty = [r.table_name for r in resources if connection.exec_driver_sql(
            f'SELECT count(*) FROM "{r.table_name}" WHERE "{rowstore.LINE}" IS NULL').scalar()]
    assert empty == []
    assert exports() == before


def test_0008_keeps_every_search_finding_what_it_found(loaded):
    """On PostgreSQL the row tables' words become a stored tsvector (text
    again on downgrade): made from the text, they find every row that the
    words stored at publication find."""
    from portal import datastore
    from portal.model import Resource

    db = loaded
    engine = db.get_bind()
    resources = db.scalars(select(Resource).order_by(Resource.id)).all()
    words = ["cyngor", "council", "gwyr", "data", "a", "neath port", "caerdydd", "ll", "swyddog", "zzz"]

    def found() -> dict:
        return {(r.table_name, q): datastore.run(db, r, datastore.RowQuery(q=q, limit=1000), "s").rows
                for r in resources for q in words}

    def full_text_type() -> set[str]:
        return {str(c["type"]) for r in resources for c in inspect(engine).get_columns(r.table_name)
                if c["name"] == "_full_text"}

    before = found()
    assert sum(len(rows) for rows in before.values()) > 100
    db.commit()
    db.close()
    downgrade(engine, "0007")
    if engine.dialect.name == "postgresql":
        assert full_text_type() == {"TEXT"}  # as revision 0007 left them
    upgrade(engine)
    if engine.dialect.name == "postgresql":
        assert full_text_type() == {"TSVECTOR"}
    assert found() == before


def test_0010_keeps_every_catalogue_search_finding_what_it_found(loaded):
    """On PostgreSQL each search document's words become a stored column
    with the index on it (the expression index again on downgrade): after
    the way down and up again, every search finds and ranks the same
    datasets, with the same facet counts."""
    from portal import search

    db = loaded
    engine = db.get_bind()
    queries = [search.SearchQuery(q=q, sort=sort, per_page=50)
               for q in ("cyngor", "council", "data", "ymatebion", "swyddog", "zzz", "")
               for sort in ("relevance", "title")]

    def found() -> list:
        results = [search.search(db, query) for query in queries]
        return [(r.total, [v.dataset.name for v in r.versions], r.facets) for r in results]

    def stored_vector() -> bool:
        return "search_vector" in {c["name"] for c in inspect(engine).get_columns("search_documents")}

    before = found()
    assert sum(total for total, _, _ in before) > 10
    db.commit()
    db.close()
    downgrade(engine, "0009")  # (the code of this revision searches the stored column)
    assert not stored_vector()
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            index = connection.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_search_documents_tsv' "
                "AND schemaname = current_schema()").scalar()
        assert "to_tsvector" in index  # the expression index of revision 0002 again
    upgrade(engine)
    assert stored_vector() == (engine.dialect.name == "postgresql")
    assert found() == before
