"""an approved draft keeps the issue number reserved at its approval, to print on the letter

Revision ID: 0006_letter_issue_number
Revises: signing_directory_versioned
Create Date: 2026-12-06 22:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_letter_issue_number'
down_revision = 'signing_directory_versioned'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("documents", sa.Column("issue_number", sa.String(80)))


def downgrade():
    op.drop_column("documents", "issue_number")
