"""The audit log: the address of each event, an index on who acted, and
triggers that refuse UPDATE and DELETE on it

``publication_events`` becomes the audit log of every action (sign-ins,
uploads, publications, tokens, accounts...). Rows recorded before keep their
values, with no address. The database itself refuses to change or delete a
row: SQLite with ``BEFORE UPDATE`` and ``BEFORE DELETE`` triggers that abort,
PostgreSQL with a row trigger on UPDATE and DELETE and a statement trigger on
TRUNCATE. A later migration that rebuilds this table on SQLite (a batch
operation copies the rows into a new table) must create the triggers again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 20:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "publication_events"
MESSAGE = "the audit log is append-only: its rows cannot be changed or deleted"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("address", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_publication_events_actor"), TABLE, ["actor"])
    if op.get_bind().dialect.name == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {TABLE}_no_{operation.lower()} BEFORE {operation} ON {TABLE} "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
    else:
        op.execute(f"""CREATE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END
$$""")
        op.execute(f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
                   f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()")
        op.execute(f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{operation}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS {TABLE}_append_only()")
    op.drop_index(op.f("ix_publication_events_actor"), table_name=TABLE)
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("address")
