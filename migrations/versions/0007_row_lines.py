"""Each row's line of CSV kept beside its typed columns

Adds ``_line`` to every resource's row table and fills it with the row as a
line of CSV, exactly as the portal writes its rows in every CSV (see
portal.rowstore): a filtered export of whole rows is then the stored lines,
joined, and answers byte for byte as before. Tables made since (and by
revision 0003, which builds them with today's row store) have it already.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 19:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 5_000
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _tables(bind):
    resources = sa.table("resources", sa.column("schema", JSON_DOCUMENT), sa.column("table_name"))
    return bind.execute(sa.select(resources.c.table_name, resources.c.schema)
                        .where(resources.c.table_name.is_not(None)).order_by(resources.c.table_name)).all()


def upgrade() -> None:
    from portal import rowstore

    bind = op.get_bind()
    for table_name, schema in _tables(bind):
        columns = {column["name"] for column in sa.inspect(bind).get_columns(table_name)}
        if rowstore.LINE not in columns:
            bind.exec_driver_sql(f'ALTER TABLE "{table_name}" ADD COLUMN "{rowstore.LINE}" TEXT')
        table = rowstore.RowTable(table_name, schema, bind.dialect.name)
        lines = rowstore.LineWriter([f.name for f in table.fields])
        row, line = table.table.c[rowstore.ROW], table.table.c[rowstore.LINE]
        update = (table.table.update().where(row == sa.bindparam("number"))
                  .values({rowstore.LINE: sa.bindparam("line")}))
        after = 0
        while True:  # a batch at a time, read before it is written
            batch = bind.execute(sa.select(*table.select_columns())
                                 .where(row > after, line.is_(None)).order_by(row).limit(BATCH)).all()
            if not batch:
                break
            bind.execute(update, [{"number": record._mapping[rowstore.ROW],
                                   "line": lines.line(table.from_columns(record))} for record in batch])
            after = batch[-1]._mapping[rowstore.ROW]


def downgrade() -> None:
    from portal import rowstore

    bind = op.get_bind()
    for table_name, _ in _tables(bind):
        bind.exec_driver_sql(f'ALTER TABLE "{table_name}" DROP COLUMN "{rowstore.LINE}"')
