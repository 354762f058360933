"""Alembic environment of the notify service (see eoffice_common.migrations.run_env)."""
import notify
from eoffice_common.migrations import run_env
from notify.models import Base

run_env(Base.metadata, notify.__file__)
