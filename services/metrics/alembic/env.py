from alembic import context
from sqlalchemy import create_engine

from metrics.models import Base
from eoffice_common.config import load_config, service_config_path
from eoffice_common.tables import PLUMBING

import metrics

target_metadata = [Base.metadata, PLUMBING]


def database_url():
    return context.config.get_main_option("sqlalchemy.url") or load_config(service_config_path(metrics.__file__))["DB_URL"]


def run_migrations_offline():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = create_engine(database_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
