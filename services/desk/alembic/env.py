"""Alembic environment of the desk service (see eoffice_common.migrations.run_env)."""
import desk
from desk.models import Base
from eoffice_common.migrations import run_env

run_env(Base.metadata, desk.__file__)
