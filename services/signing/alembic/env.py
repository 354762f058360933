"""Alembic environment of the signing service (see eoffice_common.migrations.run_env)."""
import signing
from signing.models import Base
from eoffice_common.migrations import run_env

run_env(Base.metadata, signing.__file__)
