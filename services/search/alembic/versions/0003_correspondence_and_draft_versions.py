"""links remember the correspondence item a receipt became in the file (a result opens it there);
documents remember which draft version their text is (drafts are indexed from their first version)

Revision ID: search_0003
Revises: search_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "search_0003"
down_revision = "search_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("links", sa.Column("correspondence_id", sa.String(64)))
    op.add_column("documents", sa.Column("revision", sa.Integer()))


def downgrade():
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("links") as batch:
        batch.drop_column("correspondence_id")
