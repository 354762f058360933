"""a physical file's arrival at its recipient's desk

Revision ID: 0010_file_received
Revises: 0009_acting_charges
Create Date: 2026-12-06 19:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_file_received'
down_revision = '0009_acting_charges'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("movements", sa.Column("received_at", sa.DateTime(timezone=True)))


def downgrade():
    op.drop_column("movements", "received_at")
