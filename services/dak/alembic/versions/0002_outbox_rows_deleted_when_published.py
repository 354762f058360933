"""published events leave the outbox instead of being marked

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:40:00
"""
from eoffice_common.migrations import outbox_rows_deleted_when_published, outbox_rows_marked_when_published

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    outbox_rows_deleted_when_published()


def downgrade():
    outbox_rows_marked_when_published()
