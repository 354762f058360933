"""a note's first paragraph number, so its PDF numbers the paragraphs as the file does

Revision ID: 0005_first_paragraph
Revises: 0004
Create Date: 2026-12-06 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_first_paragraph'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("documents", sa.Column("first_paragraph", sa.Integer))


def downgrade():
    op.drop_column("documents", "first_paragraph")
