"""Alembic environment of the files service (see eoffice_common.migrations.run_env)."""
import files
from eoffice_common.migrations import run_env
from files.models import Base

run_env(Base.metadata, files.__file__)
