"""a movement made by an acting officer records the absent officer it was made on behalf of

Revision ID: 0013_movement_on_behalf_of
Revises: 0012_files_related
Create Date: 2026-12-06 23:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_movement_on_behalf_of'
down_revision = '0012_files_related'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("movements", sa.Column("on_behalf_of", sa.String(64)))


def downgrade():
    op.drop_column("movements", "on_behalf_of")
