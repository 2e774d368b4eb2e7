"""Full-text words kept as a tsvector on PostgreSQL

Each row table's ``_full_text`` held the row's words as text, turned into a
``tsvector`` by an expression index and again for every row a search tested;
it now holds the ``tsvector`` itself, its GIN index on the column (as CKAN's
datastore does). The words are the same (see portal.rowstore.lexemes), so
every search finds what it found before. Nothing changes on SQLite, whose
words are in FTS5 tables.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 20:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FULL_TEXT = "_full_text"
# the words as lexemes, as portal.rowstore.lexemes keeps them: each once (as
# a tsvector holds them), none of more than 250 characters
AS_VECTOR = f"CAST(regexp_replace(\"{FULL_TEXT}\", '\\S{{251}}\\S*', '', 'g') AS tsvector)"


def _tables(bind) -> list[str]:
    resources = sa.table("resources", sa.column("table_name"))
    return list(bind.execute(sa.select(resources.c.table_name).where(resources.c.table_name.is_not(None))
                             .order_by(resources.c.table_name)).scalars())


def _convert(to_vector: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table_name in _tables(bind):
        columns = {c["name"]: c["type"] for c in sa.inspect(bind).get_columns(table_name)}
        if FULL_TEXT not in columns or (type(columns[FULL_TEXT]).__name__ == "TSVECTOR") == to_vector:
            continue
        indexed = bind.exec_driver_sql("SELECT 1 FROM pg_indexes WHERE indexname = %s",
                                       (f"{table_name}_fts",)).first() is not None
        bind.exec_driver_sql(f'DROP INDEX IF EXISTS "{table_name}_fts"')
        if to_vector:
            bind.exec_driver_sql(f'ALTER TABLE "{table_name}" ALTER COLUMN "{FULL_TEXT}" TYPE tsvector '
                                 f"USING {AS_VECTOR}")
            index = f'USING gin ("{FULL_TEXT}")'
        else:
            bind.exec_driver_sql(f'ALTER TABLE "{table_name}" ALTER COLUMN "{FULL_TEXT}" TYPE text '
                                 f"USING array_to_string(tsvector_to_array(\"{FULL_TEXT}\"), ' ')")
            index = f"USING gin (to_tsvector('simple', \"{FULL_TEXT}\"))"
        if indexed:
            bind.exec_driver_sql(f'CREATE INDEX "{table_name}_fts" ON "{table_name}" {index}')
            bind.exec_driver_sql(f'ANALYZE "{table_name}"')


def upgrade() -> None:
    _convert(to_vector=True)


def downgrade() -> None:
    _convert(to_vector=False)
