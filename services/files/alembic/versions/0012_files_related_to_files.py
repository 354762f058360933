"""files related to files: a part merged into its main file, reference links, files attached into files

Revision ID: 0012_files_related
Revises: 0011_reserved_issue_number
Create Date: 2026-12-06 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_files_related'
down_revision = '0011_reserved_issue_number'
branch_labels = None
depends_on = None

SERIAL_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.add_column("files", sa.Column("merged_at", sa.DateTime(timezone=True)))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place (Alembic would copy the whole table to add the constraint).
        op.execute("ALTER TABLE files ADD COLUMN attached_to_file_id VARCHAR(36) CONSTRAINT fk_files_attached_to REFERENCES files (id)")
    else:
        op.add_column("files", sa.Column("attached_to_file_id", sa.String(36), sa.ForeignKey("files.id", name="fk_files_attached_to")))
    op.create_index("ix_files_attached_to", "files", ["attached_to_file_id"])
    op.add_column("notes", sa.Column("merged_from_file_id", sa.String(36)))
    op.add_column("correspondence", sa.Column("merged_from_file_id", sa.String(36)))
    op.create_table(
        "file_links",
        sa.Column("id", SERIAL_ID, primary_key=True, autoincrement=True),
        sa.Column("file_id", sa.String(36), sa.ForeignKey("files.id"), nullable=False),
        sa.Column("linked_file_id", sa.String(36), sa.ForeignKey("files.id"), nullable=False),
        sa.Column("linked_by", sa.String(64), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("file_id", "linked_file_id", name="uq_file_link"),
    )
    op.create_index("ix_file_links_linked", "file_links", ["linked_file_id"])


def downgrade():
    op.drop_index("ix_file_links_linked", table_name="file_links")
    op.drop_table("file_links")
    op.drop_column("correspondence", "merged_from_file_id")
    op.drop_column("notes", "merged_from_file_id")
    op.drop_index("ix_files_attached_to", table_name="files")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("files") as batch:
            batch.drop_column("attached_to_file_id")
    else:
        op.drop_constraint("fk_files_attached_to", "files", type_="foreignkey")
        op.drop_column("files", "attached_to_file_id")
    op.drop_column("files", "merged_at")
