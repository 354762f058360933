"""sign-in attempts, counted per account and per client address to throttle password guessing

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 16:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_attempts_key', ['scope', 'key', 'attempted_at'], unique=False)
        batch_op.create_index('ix_sign_in_attempts_at', ['attempted_at'], unique=False)


def downgrade():
    op.drop_table('sign_in_attempts')
