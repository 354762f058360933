"""leave and acting charge: dak's charges copied, and the officer a movement was for

Revision ID: 0009_acting_charges
Revises: 0008_dispatches
Create Date: 2026-12-06 19:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_acting_charges'
down_revision = '0008_dispatches'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "acting_charges",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("absent_user", sa.String(64), nullable=False, index=True),
        sa.Column("acting_user", sa.String(64), nullable=False),
        sa.Column("from_date", sa.Date, nullable=False),
        sa.Column("to_date", sa.Date, nullable=False),
        sa.Column("ended", sa.Boolean, nullable=False),
    )
    op.add_column("movements", sa.Column("for_user", sa.String(64)))


def downgrade():
    op.drop_column("movements", "for_user")
    op.drop_table("acting_charges")
