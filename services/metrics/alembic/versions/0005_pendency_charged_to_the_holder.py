"""pendency charged to the holding office: who held each item from when, pending items by holder;
the file register in order of opening

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "holdings",
        sa.Column("item_type", sa.String(length=8), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("held_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("item_type", "item_id", "held_from"),
    )
    with op.batch_alter_table("items") as table:
        table.create_index("ix_items_pending_holder", ["holder"], unique=False,
                           postgresql_where=sa.text("closed_at IS NULL"), sqlite_where=sa.text("closed_at IS NULL"))
        table.create_index("ix_items_opened", ["item_type", "created_at", "item_id"], unique=False)
    # The holdings of the facts stored so far come from `metrics recompute --all` (README, Operations);
    # until then the scores already stored stay as they were.


def downgrade():
    with op.batch_alter_table("items") as table:
        table.drop_index("ix_items_opened")
        table.drop_index("ix_items_pending_holder")
    op.drop_table("holdings")
