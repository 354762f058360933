"""Drop raise_conflict(): a move is refused by an ordinary conditional UPDATE now, its COMMIT sent on its own

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 16:00:00
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION raise_conflict(text)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION raise_conflict(reason text) RETURNS integer LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '%', reason USING ERRCODE = 'EO409';
            END
            $$""")
