"""Readiness: whether this process can do its work now, checked on every /health/ready."""
from nameko.extensions import DependencyProvider
from sqlalchemy import text

from .db import Database
from .logging import get_logger

log = get_logger(__name__)


class Readiness(DependencyProvider):
    """Injects a function returning what readiness checked: {"database": "ok", "broker": "ok"},
    "unavailable" in place of "ok" for what is not. The broker is ready when every extension of
    the container that uses it (the event consumers, the outbox relay) says it is connected."""

    def get_dependency(self, worker_ctx):
        return self.checks

    def checks(self):
        return {"database": self._database(), "broker": self._broker()}

    def _database(self):
        databases = [d for d in self.container.dependencies if isinstance(d, Database)]
        try:
            for database in databases:
                with database.shared.engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
        except Exception as exc:  # whatever the driver raises, the answer is the same
            log.warning("database_not_ready", error=f"{type(exc).__name__}: {exc}")
            return "unavailable"
        return "ok"

    def _broker(self):
        users = [extension for extension in self.container.extensions if hasattr(extension, "broker_ready")]
        return "ok" if all(extension.broker_ready() for extension in users) else "unavailable"


def is_ready(checks):
    return all(outcome == "ok" for outcome in checks.values())


