"""Prometheus metrics every service exports on its own port, and the instrumentation that feeds them."""
import time
from datetime import datetime, timezone
from weakref import WeakKeyDictionary

import structlog
from nameko.extensions import DependencyProvider, SharedExtension
from prometheus_client import REGISTRY, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily

from .logging import configure_logging, get_logger
from .runtime import StartupObjectsFrozen

log = get_logger(__name__)

ENTRYPOINT_CALLS = Counter(
    "eoffice_entrypoint_calls_total", "Entrypoint calls by outcome.", ["service", "entrypoint", "outcome"]
)
ENTRYPOINT_LATENCY = Histogram(
    "eoffice_entrypoint_duration_seconds",
    "Time spent in an entrypoint.",
    ["service", "entrypoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ENTRYPOINT_ERRORS = Counter(
    "eoffice_entrypoint_errors_total", "Entrypoint failures by error type.", ["service", "entrypoint", "error_type"]
)
HTTP_REJECTED = Counter(
    "eoffice_http_rejected_total", "HTTP requests refused before reaching an entrypoint (e.g. no valid token).",
    ["service", "reason"],
)
IDEMPOTENT_REPLAYS = Counter(
    "eoffice_idempotent_replays_total", "Requests answered with the answer kept under their Idempotency-Key, not carried out again.",
    ["service", "entrypoint"],
)
OUTBOX_PUBLISHED = Counter("eoffice_outbox_published_total", "Events the relay published, confirmed.", ["service"])
OUTBOX_PUBLISH_FAILURES = Counter(
    "eoffice_outbox_publish_failures_total", "Relay passes that failed (broker or database down).", ["service"]
)
OUTBOX_RETURNED = Counter(
    "eoffice_outbox_returned_total", "Events the broker returned as unroutable (no queue bound); kept in the outbox.", ["service"]
)
EVENTS_CONSUMED = Counter(
    "eoffice_events_consumed_total", "Consumed events by outcome.", ["service", "event_type", "outcome"]
)


class OutboxCollector:
    """Outbox backlog, age of its oldest event and dead letters of every service database in this
    process, read at scrape time."""

    def __init__(self):
        self.engines = {}

    def collect(self):
        from sqlalchemy import func, select

        from .tables import dead_letters, outbox

        backlog = GaugeMetricFamily("eoffice_outbox_backlog_events", "Events written but not yet published.", labels=["service"])
        age = GaugeMetricFamily("eoffice_outbox_oldest_age_seconds", "Age of the oldest unpublished event.", labels=["service"])
        dead = GaugeMetricFamily("eoffice_dead_letters", "Dead-lettered events not yet retried.", labels=["service"])
        for service_name, engine in list(self.engines.items()):
            try:
                with engine.connect() as conn:
                    count, oldest = conn.execute(
                        select(func.count(), func.min(outbox.c.created_at))
                    ).one()
                    dead_count = conn.execute(
                        select(func.count()).select_from(dead_letters).where(dead_letters.c.retried_at.is_(None))
                    ).scalar()
            except Exception as exc:  # a scrape must not fail because a database is briefly away
                log.warning("outbox_metrics_unavailable", error=str(exc))
                continue
            if oldest is not None and oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=timezone.utc)
            backlog.add_metric([service_name], count)
            age.add_metric([service_name], (datetime.now(timezone.utc) - oldest).total_seconds() if oldest else 0)
            dead.add_metric([service_name], dead_count)
        return [backlog, age, dead]


OUTBOX_COLLECTOR = OutboxCollector()
REGISTRY.register(OUTBOX_COLLECTOR)


class MetricsServer(SharedExtension):
    """Serves /metrics on METRICS_PORT (0 or absent: not served, as in tests running many containers)."""

    def setup(self):
        self.port = int(self.container.config.get("METRICS_PORT") or 0)
        self.server = None

    def start(self):
        if self.port and self.server is None:
            self.server, _thread = start_http_server(self.port)
            log.info("metrics_listening", port=self.port)

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    kill = stop


class Instrumentation(DependencyProvider):
    """Counts and times every entrypoint, binds log context (service, correlation id, caller)."""

    server = MetricsServer()
    frozen = StartupObjectsFrozen()

    def setup(self):
        configure_logging(self.container.service_name, self.container.config.get("LOG_LEVEL", "INFO"))
        self._started = WeakKeyDictionary()
        self._series = {}

    def _series_of(self, name):
        """The entrypoint's latency and outcome series (prometheus' labels() takes a lock and checks its
        arguments on every call)."""
        series = self._series.get(name)
        if series is None:
            service = self.container.service_name
            series = self._series[name] = (
                ENTRYPOINT_LATENCY.labels(service, name),
                ENTRYPOINT_CALLS.labels(service, name, "ok"),
                ENTRYPOINT_CALLS.labels(service, name, "error"),
            )
        return series

    def get_dependency(self, worker_ctx):
        return structlog.get_logger(self.container.service_name)

    def worker_setup(self, worker_ctx):
        principal = worker_ctx.data.get("principal") or {}
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            correlation_id=worker_ctx.data.get("correlation_id") or worker_ctx.call_id,
            entrypoint=worker_ctx.entrypoint.method_name,
            user=principal.get("user_id"),
        )
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        name = worker_ctx.entrypoint.method_name
        elapsed = time.perf_counter() - self._started.pop(worker_ctx, time.perf_counter())
        latency, ok, failed = self._series_of(name)
        latency.observe(elapsed)
        if exc_info is None:
            ok.inc()
        else:
            failed.inc()
            ENTRYPOINT_ERRORS.labels(self.container.service_name, name, exc_info[0].__name__).inc()
        structlog.contextvars.clear_contextvars()
