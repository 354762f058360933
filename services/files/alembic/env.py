"""Alembic environment of the files service (see eoffice_common.migrations.run_env)."""
import files
from files.models import Base
from eoffice_common.migrations import run_env

run_env(Base.metadata, files.__file__)
