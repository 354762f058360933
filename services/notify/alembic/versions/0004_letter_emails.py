"""letters travel: issued letters sent by email with their signed PDF

Revision ID: 0004_letter_emails
Revises: 0003
Create Date: 2026-12-06 19:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_letter_emails'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "letter_emails",
        sa.Column("dispatch_id", sa.String(36), primary_key=True),
        sa.Column("source_event_id", sa.String(64), nullable=False),
        sa.Column("file_id", sa.String(36), nullable=False),
        sa.Column("issue_number", sa.String(80), nullable=False),
        sa.Column("office", sa.String(32), nullable=False),
        sa.Column("district", sa.String(16)),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("pdf_key", sa.String(200), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failure", sa.Text),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_letter_emails_due", "letter_emails", ["status", "due_at"])


def downgrade():
    op.drop_table("letter_emails")
