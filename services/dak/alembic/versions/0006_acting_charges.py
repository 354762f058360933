"""leave and acting charge

Revision ID: 0006_acting_charges
Revises: 0005_letters
Create Date: 2026-12-06 19:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_acting_charges'
down_revision = '0005_letters'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "acting_charges",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("absent_user", sa.String(64), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("acting_user", sa.String(64), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("office_code", sa.String(32), nullable=False),
        sa.Column("from_date", sa.Date, nullable=False),
        sa.Column("to_date", sa.Date, nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("ended_by", sa.String(64)),
    )
    op.add_column("receipt_movements", sa.Column("for_user", sa.String(64)))


def downgrade():
    op.drop_column("receipt_movements", "for_user")
    op.drop_table("acting_charges")
