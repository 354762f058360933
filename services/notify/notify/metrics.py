"""notify's Prometheus metrics: sent and failed by channel, delivery latency, backlog."""
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

from eoffice_common.logging import get_logger

from . import repository

log = get_logger(__name__)

SENT = Counter("eoffice_notify_sent_total", "Notifications delivered, by channel (inapp, email, sms).", ["channel"])
FAILED = Counter(
    "eoffice_notify_failed_total",
    "Failed attempts to deliver, by channel and failure (transient: retried; permanent, unknown: dead-lettered).",
    ["channel", "failure"],
)
DEAD_LETTERED = Counter("eoffice_notify_dead_lettered_total", "Emails and SMS given up on, by channel.", ["channel"])
LATENCY = Histogram(
    "eoffice_notify_delivery_latency_seconds",
    "From the event (or the moment a held message fell due) to delivered, by channel.",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
REMINDERS_FIRED = Counter("eoffice_notify_reminders_fired_total", "Reminders fired, by kind.", ["kind"])
STREAMS_OPEN = Gauge("eoffice_notify_streams_open", "Open notification streams (server-sent events).")


class BacklogCollector:
    """Messages not sent yet by channel and state, and reminders past their time, read at scrape."""

    def __init__(self):
        self.sources = {}  # one (engine, clock) per running Courier

    def collect(self):
        backlog = GaugeMetricFamily(
            "eoffice_notify_backlog", "Emails and SMS not sent yet, by channel and state (due, held, digest, sending, dead).",
            labels=["channel", "state"],
        )
        reminders = GaugeMetricFamily("eoffice_notify_reminders_due", "Reminders whose time has come but that have not fired.")
        for engine, clock in list(self.sources.values()):
            try:
                with engine.connect() as conn:
                    now = clock()
                    counts = repository.backlog(conn, now)
                    due = repository.reminders_due(conn, now)
            except Exception as exc:  # a scrape must not fail because the database is briefly away
                log.warning("backlog_metrics_unavailable", error=str(exc))
                continue
            for (channel, state), count in sorted(counts.items()):
                backlog.add_metric([channel, state], count)
            reminders.add_metric([], due)
        return [backlog, reminders]


BACKLOG = BacklogCollector()
REGISTRY.register(BACKLOG)
