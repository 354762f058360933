"""Alembic environment of the dak service (see eoffice_common.migrations.run_env)."""
import dak
from dak.models import Base
from eoffice_common.migrations import run_env

run_env(Base.metadata, dak.__file__)
