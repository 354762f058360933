"""senders of diarised letters told their receipt numbers

Revision ID: 0006_sender_acknowledgements
Revises: 0005_acting_charges
Create Date: 2026-12-06 19:35:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_sender_acknowledgements'
down_revision = '0005_acting_charges'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sender_acknowledgements",
        sa.Column("receipt_id", sa.String(36), primary_key=True),
        sa.Column("channel", sa.String(8), primary_key=True),
        sa.Column("receipt_number", sa.String(80), nullable=False),
        sa.Column("office", sa.String(32), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failure", sa.Text),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )


def downgrade():
    op.drop_table("sender_acknowledgements")
