"""subjects searched with Hindi spelling variants folded (हैंडपम्प finds हैंडपंप)

Revision ID: 0007_fold_hindi
Revises: 0006
Create Date: 2026-12-06 18:45:00
"""
import sqlalchemy as sa
from alembic import op

from eoffice_common.search import search_form

revision = '0007_fold_hindi'
down_revision = '0006'
branch_labels = None
depends_on = None

files = sa.table("files", sa.column("id", sa.String), sa.column("subject", sa.Text), sa.column("subject_search", sa.Text))


def upgrade():
    connection = op.get_bind()
    for file_id, subject in connection.execute(sa.select(files.c.id, files.c.subject)).all():
        connection.execute(files.update().where(files.c.id == file_id).values(subject_search=search_form(subject)))


def downgrade():
    """The folded form still finds every subject the old one did, so it stays."""
