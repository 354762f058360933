"""certificates bound to the directory identity: users' email, one active registration per key label

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 16:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(
            'uq_certificates_active_key_label', ['key_label'], unique=True,
            postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"),
        )


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_active_key_label')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')
