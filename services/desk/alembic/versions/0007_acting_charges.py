"""dak's acting charges, for the Send dialog to mark an officer away and who acts for them

Revision ID: 0007_desk_acting_charges
Revises: 0006_desk_search_text
Create Date: 2026-12-06 23:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_desk_acting_charges'
down_revision = '0006_desk_search_text'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "acting_charges",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("absent_user", sa.String(64), nullable=False),
        sa.Column("acting_user", sa.String(64), nullable=False),
        sa.Column("from_date", sa.Date, nullable=False),
        sa.Column("to_date", sa.Date, nullable=False),
        sa.Column("ended", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_acting_charges_absent_user", "acting_charges", ["absent_user"])


def downgrade():
    op.drop_index("ix_acting_charges_absent_user", table_name="acting_charges")
    op.drop_table("acting_charges")
