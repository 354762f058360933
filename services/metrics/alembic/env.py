"""Alembic environment of the metrics service (see eoffice_common.migrations.run_env)."""
import metrics
from metrics.models import Base
from eoffice_common.migrations import run_env

run_env(Base.metadata, metrics.__file__)
