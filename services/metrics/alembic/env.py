"""Alembic environment of the metrics service (see eoffice_common.migrations.run_env)."""
import metrics
from eoffice_common.migrations import run_env
from metrics.models import Base

run_env(Base.metadata, metrics.__file__)
