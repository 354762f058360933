"""raise_conflict(): a statement refuses a stale write by raising, so that it can carry its COMMIT

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:20:00
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION raise_conflict(reason text) RETURNS integer LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '%', reason USING ERRCODE = 'EO409';
            END
            $$""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION raise_conflict(text)")
