"""PostgreSQL: each document carries its grants as an array with a GIN index, so that a search
intersects the word index and the grants index (a bitmap AND) instead of visiting every match

Revision ID: search_0002
Revises: search_0001
"""
from alembic import op

revision = "search_0002"
down_revision = "search_0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite (make run's few documents) keeps reading the grants table
    op.execute("ALTER TABLE documents ADD COLUMN granted text[] NOT NULL DEFAULT '{}'")
    op.execute("""UPDATE documents d SET granted = ARRAY(SELECT g."grant" FROM grants g WHERE g.document_id = d.id ORDER BY 1)""")
    op.execute("CREATE INDEX ix_documents_granted ON documents USING gin (granted)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_documents_granted")
    op.execute("ALTER TABLE documents DROP COLUMN granted")
