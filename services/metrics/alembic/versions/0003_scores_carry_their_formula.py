"""scores carry their formula; activity; the last send of an item; register entries of files and receipts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # Scores computed before are dropped: the scorer scores every week without scores again.
    op.execute("DELETE FROM unit_scores")
    op.execute("DELETE FROM scored_weeks")
    with op.batch_alter_table("scored_weeks") as table:
        table.add_column(sa.Column("formula_version", sa.Integer(), nullable=False))
        table.add_column(sa.Column("settings", sa.JSON(), nullable=False))
    with op.batch_alter_table("unit_scores") as table:
        table.add_column(sa.Column("active", sa.Boolean(), nullable=False))
    for name in ("facts", "items"):
        with op.batch_alter_table(name) as table:
            table.add_column(sa.Column("number", sa.String(length=150), nullable=True))
            table.add_column(sa.Column("subject", sa.Text(), nullable=True))
            table.add_column(sa.Column("category", sa.String(length=120), nullable=True))
            table.add_column(sa.Column("classification", sa.String(length=16), nullable=True))
            table.add_column(sa.Column("vip", sa.Boolean(), nullable=True))
    with op.batch_alter_table("facts") as table:
        table.create_index("ix_facts_unreceived", ["to_user"], unique=False,
                           postgresql_where=sa.text("to_office IS NULL"), sqlite_where=sa.text("to_office IS NULL"))
    with op.batch_alter_table("items") as table:
        table.add_column(sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("last_sent_by", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("items") as table:
        table.drop_column("last_sent_by")
        table.drop_column("last_sent_at")
    with op.batch_alter_table("facts") as table:
        table.drop_index("ix_facts_unreceived")
    for name in ("items", "facts"):
        with op.batch_alter_table(name) as table:
            for column in ("vip", "classification", "category", "subject", "number"):
                table.drop_column(column)
    with op.batch_alter_table("unit_scores") as table:
        table.drop_column("active")
    with op.batch_alter_table("scored_weeks") as table:
        table.drop_column("settings")
        table.drop_column("formula_version")
