"""the answers kept under requests' idempotency keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 17:00:00
"""
from eoffice_common.migrations import idempotency_keys_created, idempotency_keys_dropped

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    idempotency_keys_created()


def downgrade():
    idempotency_keys_dropped()
