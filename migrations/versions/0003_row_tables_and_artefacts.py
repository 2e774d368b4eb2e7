"""Each resource's rows in a table of its own; download files in the artefact store

Moves every published version into the new layout with nothing lost: each
resource's rows from ``datastore_rows`` into a typed, indexed table of its own
(see portal.rowstore), and its published bytes from ``resources.content``,
with the JSON, Welsh-heading CSV and zip built from them, into the artefact
store (see portal.storage), recorded in ``artefacts``. Then the old table and
column go.

The store is the one the portal is configured with (``ARTEFACT_STORE``), or
the one ``portal.migrate.upgrade`` is given.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:00:00
"""
from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BATCH = 5_000
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _store():
    store = context.config.attributes.get("artefact_store")
    if store is None:
        from portal.config import load_settings
        from portal.storage import make_store
        store = make_store(load_settings())
    return store


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("resources", sa.Column("table_name", sa.String(length=64), nullable=True))
    op.create_index("uq_resources_table_name", "resources", ["table_name"], unique=True)
    if bind.dialect.name == "postgresql":
        op.alter_column("resources", "byte_size", type_=sa.BigInteger(), existing_nullable=False)
    op.create_table(
        "artefacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=210), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("mediatype", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("byte_size", BIG, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("gzip_size", BIG, nullable=True),
        sa.Column("gzip_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"],
                                name=op.f("fk_artefacts_resource_id_resources")),
        sa.ForeignKeyConstraint(["version_id"], ["dataset_versions.id"],
                                name=op.f("fk_artefacts_version_id_dataset_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artefacts")),
        sa.UniqueConstraint("version_id", "name", name="uq_artefacts_name"),
    )
    op.create_index(op.f("ix_artefacts_resource_id"), "artefacts", ["resource_id"])
    op.create_index(op.f("ix_artefacts_sha256"), "artefacts", ["sha256"])
    op.create_index(op.f("ix_artefacts_version_id"), "artefacts", ["version_id"])
    _move_rows_and_bytes(bind)
    op.drop_table("datastore_rows")
    if bind.dialect.name == "sqlite":
        op.execute("ALTER TABLE resources DROP COLUMN content")
    else:
        op.drop_column("resources", "content")


def _move_rows_and_bytes(bind) -> None:
    from portal import rowstore
    from portal.model import DatasetVersion
    from portal.publish import artefacts

    resources = sa.table("resources", sa.column("id"), sa.column("version_id"), sa.column("schema", JSON_DOCUMENT),
                         sa.column("content", sa.LargeBinary), sa.column("table_name"))
    rows = sa.table("datastore_rows", sa.column("resource_id"), sa.column("row_number"),
                    sa.column("data", JSON_DOCUMENT))
    listed = bind.execute(sa.select(resources.c.id, resources.c.version_id, resources.c.schema)
                          .order_by(resources.c.id)).all()
    if not listed:
        return
    store = _store()
    for resource_id, version_id, schema in listed:
        table = rowstore.RowTable(rowstore.new_table_name(version_id), schema, bind.dialect.name)
        rowstore.create(bind, table)
        # a batch at a time, read before it is written: on PostgreSQL the
        # rows go in by COPY, which holds the connection while it runs
        after = 0
        while True:
            batch = bind.execute(sa.select(rows.c.row_number, rows.c.data)
                                 .where(rows.c.resource_id == resource_id, rows.c.row_number > after)
                                 .order_by(rows.c.row_number).limit(BATCH)).all()
            if not batch:
                break
            rowstore.insert(bind, table, (data if isinstance(data, dict) else json.loads(data)
                                          for _, data in batch), start=after + 1)
            after = batch[-1][0]
        rowstore.build_indexes(bind, table, after)
        bind.execute(resources.update().where(resources.c.id == resource_id).values(table_name=table.name))

    def csv_source(resource, folder: Path) -> Path:
        path = folder / f"{resource.name}.source.csv"
        path.write_bytes(bind.execute(sa.select(resources.c.content)
                                      .where(resources.c.id == resource.id)).scalar_one())
        return path

    session = Session(bind=bind, info={"artefact_store": store})
    try:
        for version in session.scalars(sa.select(DatasetVersion).order_by(DatasetVersion.id)):
            session.add_all(artefacts.build(session, version, store, csv_source))
            session.flush()
    finally:
        session.close()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("ALTER TABLE resources ADD COLUMN content BLOB")
    else:
        op.add_column("resources", sa.Column("content", sa.LargeBinary(), nullable=True))
    op.create_table(
        "datastore_rows",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
                  nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("data", JSON_DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"],
                                name=op.f("fk_datastore_rows_resource_id_resources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datastore_rows")),
        sa.UniqueConstraint("resource_id", "row_number", name="uq_datastore_rows_row"),
    )
    _restore_rows_and_bytes(bind)
    op.drop_index(op.f("ix_artefacts_version_id"), table_name="artefacts")
    op.drop_index(op.f("ix_artefacts_sha256"), table_name="artefacts")
    op.drop_index(op.f("ix_artefacts_resource_id"), table_name="artefacts")
    op.drop_table("artefacts")
    op.drop_index("uq_resources_table_name", table_name="resources")
    if bind.dialect.name == "sqlite":
        op.execute("ALTER TABLE resources DROP COLUMN table_name")
    else:
        op.drop_column("resources", "table_name")
        op.alter_column("resources", "byte_size", type_=sa.Integer(), existing_nullable=False)


def _restore_rows_and_bytes(bind) -> None:
    from portal import rowstore

    resources = sa.table("resources", sa.column("id"), sa.column("schema", JSON_DOCUMENT),
                         sa.column("content", sa.LargeBinary), sa.column("table_name"),
                         sa.column("sha256"))
    rows = sa.table("datastore_rows", sa.column("resource_id"), sa.column("row_number"),
                    sa.column("data", JSON_DOCUMENT))
    listed = bind.execute(sa.select(resources.c.id, resources.c.schema, resources.c.table_name,
                                    resources.c.sha256)).all()
    if not listed:
        return
    store = _store()
    session = Session(bind=bind)
    for resource_id, schema, table_name, sha256 in listed:
        table = rowstore.RowTable(table_name, schema, bind.dialect.name)
        batch = []
        for number, row in enumerate(rowstore.read(session, table), start=1):
            batch.append({"resource_id": resource_id, "row_number": number, "data": row})
            if len(batch) >= 2_000:
                bind.execute(rows.insert(), batch)
                batch = []
        if batch:
            bind.execute(rows.insert(), batch)
        with store.open(sha256) as handle:
            bind.execute(resources.update().where(resources.c.id == resource_id).values(content=handle.read()))
        rowstore.drop(bind, table_name)
    session.close()
