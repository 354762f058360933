"""documents by kind and date: a search filtered by type and dates narrows in this index and the grants'
together instead of reading every document the caller may see

Revision ID: search_0004
Revises: search_0003
"""
from alembic import op

revision = "search_0004"
down_revision = "search_0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_documents_kind_dated", "documents", ["kind", "dated"])


def downgrade():
    op.drop_index("ix_documents_kind_dated", "documents")
