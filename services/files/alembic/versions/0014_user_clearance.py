"""the directory copy keeps each user's clearance, so that a file goes only to whoever is cleared for it

Existing rows are 'normal' until dak announces the user again: run `files sync-directory` after upgrading.

Revision ID: 0014_user_clearance
Revises: 0013_movement_on_behalf_of
Create Date: 2026-12-07 01:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_user_clearance'
down_revision = '0013_movement_on_behalf_of'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("clearance", sa.String(12), nullable=False, server_default="normal"))


def downgrade():
    op.drop_column("users", "clearance")
