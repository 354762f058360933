"""a draft's issue number is reserved at approval, so the letter signed before issue carries it

Revision ID: 0011_reserved_issue_number
Revises: files_directory_versioned
Create Date: 2026-12-06 22:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_reserved_issue_number'
down_revision = 'files_directory_versioned'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("drafts") as batch_op:  # SQLite adds a constraint by copying the table
        batch_op.add_column(sa.Column("reserved_issue_number", sa.String(80)))
        batch_op.create_unique_constraint("uq_drafts_reserved_issue_number", ["reserved_issue_number"])


def downgrade():
    with op.batch_alter_table("drafts") as batch_op:
        batch_op.drop_constraint("uq_drafts_reserved_issue_number", type_="unique")
        batch_op.drop_column("reserved_issue_number")
