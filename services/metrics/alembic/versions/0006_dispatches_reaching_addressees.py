"""the dispatches of issued letters, and whether they reached their addressees (issue 20)

Revision ID: 0006
Revises: metrics_directory_versioned
Create Date: 2026-12-06 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = 'metrics_directory_versioned'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("facts") as table:
        table.add_column(sa.Column("dispatch_id", sa.String(length=64), nullable=True))
        table.add_column(sa.Column("dispatches", sa.JSON(none_as_null=True), nullable=True))
    op.create_table(
        "dispatches",
        sa.Column("dispatch_id", sa.String(length=64), nullable=False),
        sa.Column("office", sa.String(length=32), nullable=True),
        sa.Column("file_id", sa.String(length=64), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=True),
        sa.Column("for_information", sa.Boolean(), nullable=True),
        sa.Column("addressee_office", sa.String(length=32), nullable=True),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("dispatch_id"),
    )
    op.create_index("ix_dispatches_issued", "dispatches", ["office", "issued_at"], unique=False)
    op.create_index("ix_dispatches_reached", "dispatches", ["reached_at"], unique=False)
    # Letters issued before this migration were stored without their addressees: their dispatches are
    # known from the events issued from now on (draft_issued carries them since issue 20).


def downgrade():
    op.drop_index("ix_dispatches_reached", table_name="dispatches")
    op.drop_index("ix_dispatches_issued", table_name="dispatches")
    op.drop_table("dispatches")
    with op.batch_alter_table("facts") as table:
        table.drop_column("dispatches")
        table.drop_column("dispatch_id")
