"""a receipt movement made by an acting officer records the absent officer it was made on behalf of

Revision ID: 0010_movement_on_behalf_of
Revises: 0009_admin_edits
Create Date: 2026-12-06 23:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_movement_on_behalf_of'
down_revision = '0009_admin_edits'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("receipt_movements", sa.Column("on_behalf_of", sa.String(64)))


def downgrade():
    op.drop_column("receipt_movements", "on_behalf_of")
