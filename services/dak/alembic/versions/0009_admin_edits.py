"""offices, sections and users remember when an admin edited them: the import leaves those alone

Revision ID: 0009_admin_edits
Revises: 0008_user_clearance
Create Date: 2026-12-06 22:35:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_admin_edits'
down_revision = '0008_user_clearance'
branch_labels = None
depends_on = None

TABLES = ("offices", "sections", "users")


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column("edited_at", sa.DateTime(timezone=True)))


def downgrade():
    for table in TABLES:
        op.drop_column(table, "edited_at")
