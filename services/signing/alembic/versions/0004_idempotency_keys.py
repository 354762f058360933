"""the answers kept under requests' idempotency keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 17:00:00
"""
from eoffice_common.migrations import idempotency_keys_created, idempotency_keys_dropped

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    idempotency_keys_created()


def downgrade():
    idempotency_keys_dropped()
