"""Serialised pages of the DCAT catalogue, kept for every worker

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_documents",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_catalog_documents")),
    )
    op.create_index(op.f("ix_catalog_documents_state"), "catalog_documents", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_catalog_documents_state"), table_name="catalog_documents")
    op.drop_table("catalog_documents")
