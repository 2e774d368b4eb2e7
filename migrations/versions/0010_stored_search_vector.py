"""The catalogue's search words stored on PostgreSQL

Each search document's weighted words (title A, body B) become a stored
generated column, ``search_vector``, and the GIN index is built on it rather
than on the expression. Ranking a match then reads the stored words instead
of computing them again from the text, for every matching document, in every
query of a search page (its total, each facet's counts and the listing).
SQLite is unchanged: its FTS5 table holds the words already.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 23:45:00
"""
from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

VECTOR = "(setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B'))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE search_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS {VECTOR} STORED")
    op.execute("DROP INDEX ix_search_documents_tsv")
    op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (search_vector)")
    op.execute("ANALYZE search_documents")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_search_documents_tsv")
    op.execute("ALTER TABLE search_documents DROP COLUMN search_vector")
    op.execute(f"CREATE INDEX ix_search_documents_tsv ON search_documents USING gin ({VECTOR})")
