"""letters travel: a receipt made for a letter issued inside the deployment

Revision ID: 0005_letters
Revises: 0004_search_form
Create Date: 2026-12-06 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_letters'
down_revision = '0004_search_form'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("receipts", sa.Column("issue_number", sa.String(80)))
    op.add_column("receipts", sa.Column("source_file_id", sa.String(36)))
    op.add_column("receipts", sa.Column("source_dispatch_id", sa.String(36)))
    op.add_column("receipts", sa.Column("for_information", sa.Boolean))
    op.add_column("receipts", sa.Column("opened_at", sa.DateTime(timezone=True)))
    op.create_index("uq_receipts_source_dispatch", "receipts", ["source_dispatch_id"], unique=True)


def downgrade():
    op.drop_index("uq_receipts_source_dispatch", "receipts")
    for column in ("opened_at", "for_information", "source_dispatch_id", "source_file_id", "issue_number"):
        op.drop_column("receipts", column)
