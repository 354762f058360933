"""letters travel: each addressee's dispatch, and the signed PDF of a draft

Revision ID: 0008_dispatches
Revises: 0007_fold_hindi
Create Date: 2026-12-06 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_dispatches'
down_revision = '0007_fold_hindi'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("drafts", sa.Column("signed_pdf_key", sa.String(200)))
    op.add_column("drafts", sa.Column("signed_pdf_sha256", sa.String(64)))
    op.create_table(
        "dispatches",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("draft_id", sa.String(36), sa.ForeignKey("drafts.id"), nullable=False, index=True),
        sa.Column("file_id", sa.String(36), sa.ForeignKey("files.id"), nullable=False),
        sa.Column("office_code", sa.String(32), nullable=False),
        sa.Column("issue_number", sa.String(80), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("copy", sa.Boolean, nullable=False),
        sa.Column("addressee_user", sa.String(64)),
        sa.Column("addressee_office", sa.String(32)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("address", sa.Text),
        sa.Column("postal_mode", sa.String(24)),
        sa.Column("article_number", sa.String(40)),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("receipt_id", sa.String(36)),
        sa.Column("receipt_number", sa.String(80)),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True)),
        sa.Column("opened_at", sa.DateTime(timezone=True)),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("failure", sa.Text),
    )
    op.create_index("ix_dispatches_register", "dispatches", ["office_code", "issued_at"])


def downgrade():
    op.drop_index("ix_dispatches_register", "dispatches")
    op.drop_table("dispatches")
    op.drop_column("drafts", "signed_pdf_sha256")
    op.drop_column("drafts", "signed_pdf_key")
