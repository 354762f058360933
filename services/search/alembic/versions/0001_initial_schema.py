"""items, links, handovers, documents with their grants and text index; the plumbing tables

Revision ID: search_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from eoffice_common.migrations import idempotency_keys_created, idempotency_keys_dropped

revision = "search_0001"
down_revision = None
branch_labels = None
depends_on = None

_serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "items",
        sa.Column("kind", sa.String(8), nullable=False), sa.Column("id", sa.String(64), nullable=False),
        sa.Column("office", sa.String(32)), sa.Column("district", sa.String(32)), sa.Column("classification", sa.String(16)),
        sa.Column("number", sa.String(128)), sa.Column("subject", sa.Text()), sa.Column("dated", sa.Date()),
        sa.Column("readers", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id"),
    )
    op.create_table(
        "links",
        sa.Column("receipt_id", sa.String(64), nullable=False), sa.Column("file_id", sa.String(64), nullable=False),
        sa.Column("linked_by", sa.String(64), nullable=False), sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("receipt_id", "file_id"),
    )
    op.create_index("ix_links_file", "links", ["file_id"])
    op.create_table(
        "handovers",
        sa.Column("file_id", sa.String(64), nullable=False), sa.Column("user", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("file_id", "user", "at"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_kind", sa.String(8), nullable=False), sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False), sa.Column("source", sa.String(128), nullable=False),
        sa.Column("title", sa.Text()), sa.Column("number", sa.String(128)), sa.Column("office", sa.String(32)),
        sa.Column("classification", sa.String(16)), sa.Column("dated", sa.Date()),
        sa.Column("key", sa.String(255)), sa.Column("content_type", sa.String(64)),
        sa.Column("status", sa.String(8), nullable=False), sa.Column("reason", sa.Text()), sa.Column("pages", sa.Integer()),
        sa.Column("page_starts", sa.JSON()), sa.Column("body", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False), sa.Column("indexed_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_kind", "item_id", "source", name="uq_documents_source"),
    )
    op.create_index("ix_documents_pending", "documents", ["status", "id"])
    op.create_index("ix_documents_item", "documents", ["item_kind", "item_id"])
    op.create_table(
        "grants",
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("grant", sa.String(200), nullable=False),
        sa.Column("opens_kind", sa.String(8), nullable=False), sa.Column("opens_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "grant"),
    )
    op.create_index("ix_grants_grant", "grants", ["grant", "document_id"])
    if op.get_bind().dialect.name == "postgresql":
        # The words (folded by the service, text.py) with their positions; the trigram index serves
        # the number filter, a substring of a receipt or file number.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.add_column("documents", sa.Column("tokens", sa.dialects.postgresql.TSVECTOR()))
        op.execute("CREATE INDEX ix_documents_tokens ON documents USING gin (tokens)")
        op.execute("CREATE INDEX ix_documents_number_trgm ON documents USING gin (lower(number) gin_trgm_ops)")
    else:
        # FTS5's ascii tokenizer keeps every non-ASCII character inside a word: the service has split
        # and folded the words already.
        op.execute("CREATE VIRTUAL TABLE document_words USING fts5(words, tokenize = 'ascii')")
    op.create_table(
        "dead_letters",
        sa.Column("id", _serial, autoincrement=True, nullable=False),
        sa.Column("consumer", sa.String(120), nullable=False), sa.Column("event_id", sa.String(64)),
        sa.Column("event_type", sa.String(80)), sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False), sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retried_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", _serial, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False), sa.Column("event_type", sa.String(80), nullable=False),
        sa.Column("aggregate_type", sa.String(40), nullable=False), sa.Column("aggregate_id", sa.String(64), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False), sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"), sa.UniqueConstraint("event_id"),
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(120), nullable=False), sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    idempotency_keys_created()


def downgrade():
    idempotency_keys_dropped()
    for table in ("processed_events", "outbox", "dead_letters", "grants"):
        op.drop_table(table)
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE document_words")
    for table in ("documents", "handovers", "links", "items"):
        op.drop_table(table)
