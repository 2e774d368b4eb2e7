"""Catalogue search: documents, facets and a full-text index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Kept in step with search_documents by triggers (SQLite), or an expression
# index (PostgreSQL). Both index the same normalised text the same way:
# split on anything that is not a letter or digit, no stemming.
SQLITE_FTS = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        title, body, content='search_documents', content_rowid='id', tokenize='unicode61')""",
    """CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END""",
    """CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END""",
    """CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END""",
]
POSTGRES_INDEX = ("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin "
                  "((setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')))")


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"],
                                name=op.f("fk_search_documents_dataset_id_datasets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("dataset_id", "language", name="uq_search_documents_language"),
    )
    op.create_index(op.f("ix_search_documents_dataset_id"), "search_documents", ["dataset_id"])
    op.create_table(
        "dataset_facets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=30), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"],
                                name=op.f("fk_dataset_facets_dataset_id_datasets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_facets")),
        sa.UniqueConstraint("dataset_id", "facet", "value", name="uq_dataset_facets_value"),
    )
    op.create_index(op.f("ix_dataset_facets_dataset_id"), "dataset_facets", ["dataset_id"])
    op.create_index(op.f("ix_dataset_facets_facet"), "dataset_facets", ["facet"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(POSTGRES_INDEX)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_index(op.f("ix_dataset_facets_facet"), table_name="dataset_facets")
    op.drop_index(op.f("ix_dataset_facets_dataset_id"), table_name="dataset_facets")
    op.drop_table("dataset_facets")
    op.drop_index(op.f("ix_search_documents_dataset_id"), table_name="search_documents")
    op.drop_table("search_documents")
