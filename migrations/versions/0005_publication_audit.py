"""Withdrawals, the audit trail of publishing, and publication runs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 16:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.Column("reason_cy", sa.Text(), nullable=False),
        sa.Column("replaced_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], name=op.f("fk_withdrawals_dataset_id_datasets")),
        sa.ForeignKeyConstraint(["version_id"], ["dataset_versions.id"],
                                name=op.f("fk_withdrawals_version_id_dataset_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawals")),
    )
    op.create_index(op.f("ix_withdrawals_dataset_id"), "withdrawals", ["dataset_id"])
    op.create_index(op.f("ix_withdrawals_version_id"), "withdrawals", ["version_id"])
    op.create_table(
        "publication_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("dataset", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("reason_en", sa.Text(), nullable=True),
        sa.Column("reason_cy", sa.Text(), nullable=True),
        sa.Column("detail", JSON_DOCUMENT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_events")),
    )
    op.create_index(op.f("ix_publication_events_at"), "publication_events", ["at"])
    op.create_index(op.f("ix_publication_events_action"), "publication_events", ["action"])
    op.create_index(op.f("ix_publication_events_dataset"), "publication_events", ["dataset"])
    op.create_table(
        "publication_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("datasets", sa.Text(), nullable=False),
        sa.Column("work", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_runs")),
    )
    op.create_index(op.f("ix_publication_runs_status"), "publication_runs", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_publication_runs_status"), table_name="publication_runs")
    op.drop_table("publication_runs")
    for column in ("dataset", "action", "at"):
        op.drop_index(op.f(f"ix_publication_events_{column}"), table_name="publication_events")
    op.drop_table("publication_events")
    op.drop_index(op.f("ix_withdrawals_version_id"), table_name="withdrawals")
    op.drop_index(op.f("ix_withdrawals_dataset_id"), table_name="withdrawals")
    op.drop_table("withdrawals")
