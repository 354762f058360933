"""Run a service's Alembic migrations against a database URL."""
import os

from alembic import command
from alembic.config import Config


def upgrade(service_dir, url, revision="head"):
    config = Config(os.path.join(service_dir, "alembic.ini"))
    config.set_main_option("script_location", os.path.join(service_dir, "alembic"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)
