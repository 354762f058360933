"""a receipt in a file keeps who may read it: its office, those dak cleared, the movement it entered after

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 16:00:00
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.add_column('correspondence', sa.Column('receipt_office', sa.String(length=32), nullable=True))
    op.add_column('correspondence', sa.Column('cleared', sa.JSON(), nullable=True))
    op.add_column('correspondence', sa.Column('linked_after_movement', _serial, nullable=True))
    # Receipts already in files: cleared are the officer who put each in, and those who received the
    # file after it; the rest of the receipt's chain is dak's and not known here.
    connection = op.get_bind()
    items = connection.execute(sa.text(
        "SELECT c.id, c.added_by, f.office_code, "
        "(SELECT max(m.id) FROM movements m WHERE m.file_id = c.file_id AND m.sent_at <= c.added_at) "
        "FROM correspondence c JOIN files f ON f.id = c.file_id WHERE c.kind = 'receipt'"
    )).all()
    for item_id, added_by, office, movement_id in items:
        connection.execute(
            sa.text("UPDATE correspondence SET receipt_office = :office, cleared = :cleared, linked_after_movement = :movement WHERE id = :id"),
            {"office": office, "cleared": json.dumps([added_by]), "movement": movement_id, "id": item_id},
        )


def downgrade():
    with op.batch_alter_table('correspondence') as batch:
        batch.drop_column('linked_after_movement')
        batch.drop_column('cleared')
        batch.drop_column('receipt_office')
