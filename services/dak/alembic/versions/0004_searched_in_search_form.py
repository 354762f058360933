"""receipts' subjects and senders, and the directory's users, searchable with Hindi spelling variants folded

Revision ID: 0004_search_form
Revises: 0003
Create Date: 2026-12-06 18:50:00
"""
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

from dak.domain import receipt_search_texts, user_search_text

revision = '0004_search_form'
down_revision = '0003'
branch_labels = None
depends_on = None

RECEIPT_COLUMNS = ("id", "subject", "sender_name", "sender_designation", "sender_organisation", "subject_search", "sender_search")
USER_COLUMNS = ("id", "name_en", "name_hi", "designation_en", "designation_hi", "search_text")


def upgrade():
    op.add_column("receipts", sa.Column("subject_search", sa.Text, nullable=False, server_default=""))
    op.add_column("receipts", sa.Column("sender_search", sa.Text, nullable=False, server_default=""))
    op.add_column("users", sa.Column("search_text", sa.Text, nullable=False, server_default=""))
    connection = op.get_bind()
    receipts = sa.table("receipts", *(sa.column(c) for c in RECEIPT_COLUMNS))
    for row in connection.execute(sa.select(receipts)).mappings().all():
        subject, sender = receipt_search_texts(SimpleNamespace(**row))
        connection.execute(receipts.update().where(receipts.c.id == row["id"]).values(subject_search=subject, sender_search=sender))
    users = sa.table("users", *(sa.column(c) for c in USER_COLUMNS))
    for row in connection.execute(sa.select(users)).mappings().all():
        connection.execute(users.update().where(users.c.id == row["id"]).values(search_text=user_search_text(row)))


def downgrade():
    op.drop_column("users", "search_text")
    op.drop_column("receipts", "sender_search")
    op.drop_column("receipts", "subject_search")
