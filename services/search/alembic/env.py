"""Alembic environment of the search service (see eoffice_common.migrations.run_env)."""
import search
from eoffice_common.migrations import run_env
from search.models import Base

run_env(Base.metadata, search.__file__)
