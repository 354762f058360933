"""Alembic environment of the signing service (see eoffice_common.migrations.run_env)."""
import signing
from eoffice_common.migrations import run_env
from signing.models import Base

run_env(Base.metadata, signing.__file__)
