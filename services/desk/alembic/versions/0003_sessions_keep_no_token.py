"""sessions keep no bearer token: a token is minted for each call from the session's user

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 16:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # The tokens kept so far stay valid for hours wherever they were copied: end those sessions.
    op.execute("DELETE FROM sessions")
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('bearer_token')


def downgrade():
    op.execute("DELETE FROM sessions")
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bearer_token', sa.Text(), nullable=False))
