"""the address book of outside correspondents, and offices' acknowledgement setting

Revision ID: 0007_address_book
Revises: 0006_acting_charges
Create Date: 2026-12-06 19:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_address_book'
down_revision = '0006_acting_charges'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "correspondents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("office_code", sa.String(32), nullable=False),
        sa.Column("key", sa.String(600), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("designation", sa.String(200)),
        sa.Column("organisation", sa.String(300)),
        sa.Column("address", sa.Text),
        sa.Column("state", sa.String(100)),
        sa.Column("pincode", sa.String(6)),
        sa.Column("email", sa.String(254)),
        sa.Column("mobile", sa.String(20)),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("letters", sa.Integer, nullable=False),
        sa.Column("last_letter_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("office_code", "key", name="uq_correspondent"),
    )
    op.create_table(
        "acknowledgement_settings",
        sa.Column("office_code", sa.String(32), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
    )


def downgrade():
    op.drop_table("acknowledgement_settings")
    op.drop_table("correspondents")
