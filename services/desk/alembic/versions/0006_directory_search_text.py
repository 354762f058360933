"""the directory copy searchable with Hindi spelling variants folded (the Send dialog)

Revision ID: 0006_desk_search_text
Revises: 0005
Create Date: 2026-12-06 18:45:00
"""
import sqlalchemy as sa
from alembic import op

from desk.domain import office_search_text, user_search_text

revision = '0006_desk_search_text'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("search_text", sa.Text, nullable=False, server_default=""))
    op.add_column("offices", sa.Column("search_text", sa.Text, nullable=False, server_default=""))
    connection = op.get_bind()
    users = sa.table("users", *(sa.column(c) for c in ("id", "name_en", "name_hi", "designation_en", "designation_hi", "search_text")))
    offices = sa.table("offices", *(sa.column(c) for c in ("code", "name_en", "name_hi", "district_name_en", "district_name_hi", "search_text")))
    for user in connection.execute(sa.select(users)).mappings().all():
        connection.execute(users.update().where(users.c.id == user["id"]).values(search_text=user_search_text(user)))
    for office in connection.execute(sa.select(offices)).mappings().all():
        connection.execute(offices.update().where(offices.c.code == office["code"]).values(search_text=office_search_text(office)))


def downgrade():
    op.drop_column("offices", "search_text")
    op.drop_column("users", "search_text")
