"""a user's clearance: the highest classification they may read

Revision ID: 0008_user_clearance
Revises: 0007_address_book
Create Date: 2026-12-06 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_user_clearance'
down_revision = '0007_address_book'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("clearance", sa.String(12), nullable=False, server_default="normal"))


def downgrade():
    op.drop_column("users", "clearance")
