"""Migration 0003 moves published versions from the 0002 layout (rows as JSON
documents in one table, bytes in ``resources.content``) into tables of their
own and the artefact store, with nothing lost: every download URL answers
byte for byte as it did before.

``tests/data/layout-0002`` holds a database published by the portal in the
0002 layout (every package in datasets/, the demonstration responses, and a
second version of councils) and the sha256 of what 129 URLs answered then, on
SQLite and on PostgreSQL.
"""
from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import MetaData, inspect, select, text

from portal.db import make_engine
from portal.migrate import upgrade
from portal.model import Artefact, Resource
from portal.publish import artefacts as built
from portal.storage import LocalStore
from tests.conftest import make_app

DATA = Path(__file__).parent / "data" / "layout-0002"
TABLES = ["datasets", "dataset_versions", "resources", "resource_fields", "datastore_rows"]


def decoded(value):
    if isinstance(value, dict) and set(value) == {"base64"}:
        return base64.b64decode(value["base64"])
    if isinstance(value, dict) and set(value) == {"datetime"}:
        return dt.datetime.fromisoformat(value["datetime"])
    return value


@pytest.fixture
def old_database(backend, new_database):
    """A database at revision 0002 holding the recorded publications."""
    url = new_database(backend)
    engine = make_engine(url)
    upgrade(engine, "0002")
    recorded = json.loads(gzip.decompress((DATA / "tables.json.gz").read_bytes()))
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.begin() as connection:
        for name in TABLES:
            rows = [{key: decoded(value) for key, value in row.items()} for row in recorded[name]]
            connection.execute(metadata.tables[name].insert(), rows)
            if engine.dialect.name == "postgresql":
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                        f"(SELECT max(id) FROM {name}))"))
    yield url, engine
    engine.dispose()


def test_every_url_answers_byte_for_byte_as_before(old_database, tmp_path):
    url, engine = old_database
    store = LocalStore(tmp_path / "instance" / "artefacts")
    upgrade(engine, store=store)

    names = set(inspect(engine).get_table_names())
    assert "datastore_rows" not in names
    assert "content" not in {column["name"] for column in inspect(engine).get_columns("resources")}

    app = make_app(url, tmp_path / "instance")
    client = app.test_client()
    # JSONB keeps an object's keys in its own order, so what a URL answered
    # depended on the database: recorded on each
    expected = json.loads((DATA / f"responses-{engine.dialect.name}.json").read_text())
    assert len(expected) == 129
    differing = [address for address, digest in expected.items()
                 if hashlib.sha256(client.get(address).get_data()).hexdigest() != digest]
    assert differing == []

    with app.app_context():
        from portal.extensions import session
        resources = session().scalars(select(Resource)).all()
        # every resource has its own table, with every row
        for resource in resources:
            count = session().execute(text(f'SELECT count(*) FROM "{resource.table_name}"')).scalar_one()
            assert count == resource.row_count
        # and every version its files: csv, json, Welsh csv, spreadsheets and
        # CSVs for Excel per resource, and a zip
        artefacts = session().scalars(select(Artefact)).all()
        per_resource = 3 + len(built.VARIANTS)
        assert len(artefacts) == per_resource * len(resources) + len({r.version_id for r in resources})
        assert all(store.exists(a.sha256) and store.size(a.sha256) == a.byte_size for a in artefacts)


def test_the_migration_refuses_nothing_and_repeats_nothing(old_database, tmp_path):
    """Upgrading twice is a no-op the second time; a later publication works."""
    url, engine = old_database
    upgrade(engine, store=LocalStore(tmp_path / "instance" / "artefacts"))
    upgrade(engine, store=LocalStore(tmp_path / "instance" / "artefacts"))
    app = make_app(url, tmp_path / "instance")
    from portal.config import DATASETS_PATH
    from portal.publish.service import load_path
    with app.app_context():
        from portal.extensions import session
        results = load_path(session(), DATASETS_PATH / "councils")
        assert [r.status for r in results] == ["published"]  # the original name comes back: version 3
        assert results[0].version == 3
    client = app.test_client()
    assert b"Isle of Anglesey" in client.get("/datasets/councils/councils.csv").data
    assert b"Isle of Anglesey" not in client.get("/datasets/councils/versions/2/councils.csv").data
