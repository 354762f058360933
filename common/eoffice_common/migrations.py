"""Run a service's Alembic migrations against a database URL."""
import os

from alembic import command
from alembic.config import Config


def upgrade(service_dir, url, revision="head"):
    config = Config(os.path.join(service_dir, "alembic.ini"))
    config.set_main_option("script_location", os.path.join(service_dir, "alembic"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)


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
