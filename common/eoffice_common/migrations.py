"""Run a service's Alembic migrations against a database URL."""
import os

from alembic import command
from alembic.config import Config


def upgrade(service_dir, url, revision="head"):
    command.upgrade(_config(service_dir, url), revision)


def downgrade(service_dir, url, revision):
    command.downgrade(_config(service_dir, url), revision)


def _config(service_dir, url):
    config = Config(os.path.join(service_dir, "alembic.ini"))
    config.set_main_option("script_location", os.path.join(service_dir, "alembic"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def run_env(metadata, package_file):
    """The body of every service's alembic/env.py: migrate `metadata` and the plumbing tables, on
    the URL Alembic was given, else the DB_URL of the service's config.yml."""
    from alembic import context
    from sqlalchemy import create_engine

    from .config import load_config, service_config_path
    from .tables import PLUMBING
    from .types import UtcDateTime

    target_metadata = [metadata, PLUMBING]
    url = context.config.get_main_option("sqlalchemy.url") or load_config(service_config_path(package_file))["DB_URL"]

    def render_item(type_, obj, autogen_context):
        # Shared column types are written into migrations as the database type they store, so a
        # migration never imports application code.
        if type_ == "type" and isinstance(obj, UtcDateTime):
            return "sa.DateTime(timezone=True)"
        return False

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_item=render_item)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, render_item=render_item)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


# Schema changes of the plumbing tables, shared by every service's migration of the same change.
# Once released, a function here is never edited: a later change gets a function of its own.

def outbox_rows_deleted_when_published():
    """Revision 0002: published events leave the outbox instead of being marked."""
    from alembic import op

    op.execute("DELETE FROM outbox WHERE published_at IS NOT NULL")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_unpublished")
        batch_op.drop_column("published_at")


def outbox_rows_marked_when_published():
    """Revision 0002 undone: the outbox marks published events again (those deleted stay gone)."""
    import sqlalchemy as sa
    from alembic import op

    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbox_unpublished", ["seq"], postgresql_where=sa.text("published_at IS NULL"),
                              sqlite_where=sa.text("published_at IS NULL"))


def idempotency_keys_created():
    """The answers kept under requests' idempotency keys (tables.idempotency_keys)."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def idempotency_keys_dropped():
    from alembic import op

    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")


def directory_copy_versioned(*tables):
    """Each row of a service's copy of the directory keeps when dak recorded it (issue 17:
    eoffice_common.directory applies only a newer record). Rows copied before are older than any."""
    import sqlalchemy as sa
    from alembic import op

    for table in tables:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))


def directory_copy_unversioned(*tables):
    from alembic import op

    for table in tables:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("recorded_at")
