"""A consumer while its database is away: deliveries, log lines and CPU seconds over 30 s.

    .venv/bin/python bench/consumer_outage.py [seconds]

20 events are published to a consumer whose PostgreSQL connections go through a TCP proxy that
refuses them (eoffice_common.testing.TcpProxy); then the database comes back and the time until
all 20 are applied is measured. Uses the local RabbitMQ (with its management API) and PostgreSQL,
in a vhost and a database of its own. Not part of `make bench`: it measures a fault, not a rate.
"""
import eventlet

eventlet.monkey_patch()

import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import requests  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402

from eoffice_common.db import Database  # noqa: E402
from eoffice_common.metrics import Instrumentation  # noqa: E402
from eoffice_common.outbox import ConfirmingPublisher  # noqa: E402
from eoffice_common.runtime import WorkerContainer  # noqa: E402
from eoffice_common.tables import PLUMBING, processed_events  # noqa: E402
from eoffice_common.testing import TcpProxy, create_database  # noqa: E402

try:
    from eoffice_common.consumer import consume_events

    def consumes(service, event_type):
        return consume_events({service: (event_type,)})
except ImportError:  # the code before the event pipeline (nameko's event_handler), for the baseline

    from nameko.events import event_handler

    def consumes(service, event_type):
        return event_handler(service, event_type, requeue_on_error=True)

EVENTS = 20
MANAGEMENT = "http://guest:guest@127.0.0.1:15672/api"
deliveries = []


class ReaderService:
    name = "outage_reader"
    db = Database()
    log = Instrumentation()

    @consumes("outage_writer", "note_written")
    def on_note_written(self, payload):
        deliveries.append(time.monotonic())
        self.db.apply_once(payload, lambda uow, envelope: None)


class LineCounter(logging.Handler):
    """Counts the lines and bytes the service's log handler writes."""

    def __init__(self, formatter):
        super().__init__()
        self.lines = self.bytes = 0
        self.json = formatter

    def emit(self, record):
        self.lines += 1
        self.bytes += len(self.json.format(record)) + 1


def envelope(n):
    return {"id": str(uuid.uuid4()), "type": "note_written", "schema_version": 1, "occurred_at": "2026-12-06T10:00:00+05:30",
            "actor": "bench", "office": "BENCH", "district": None, "correlation_id": None, "aggregate_type": "note",
            "aggregate_id": f"n-{n}", "data": {"note_id": f"n-{n}"}}


def applied(url):
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(processed_events)).scalar()
    engine.dispose()
    return count


def main(seconds):
    vhost = f"outage-{uuid.uuid4().hex[:8]}"
    requests.put(f"{MANAGEMENT}/vhosts/{vhost}").raise_for_status()
    requests.put(f"{MANAGEMENT}/permissions/{vhost}/guest", json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    amqp_uri = f"pyamqp://guest:guest@127.0.0.1:5672/{vhost}"
    url = create_database("eoffice_bench_outage")
    engine = create_engine(url)
    PLUMBING.create_all(engine)
    engine.dispose()
    database = urlparse(url)
    proxy = TcpProxy(database.hostname, database.port or 5432)
    proxied = database._replace(netloc=f"{database.netloc.rsplit('@', 1)[0]}@127.0.0.1:{proxy.port}").geturl()
    container = WorkerContainer(ReaderService, {"AMQP_URI": amqp_uri, "DB_URL": proxied, "METRICS_PORT": 0})
    container.start()
    try:
        eventlet.sleep(1)
        proxy.refuse()
        root = logging.getLogger()
        counter = LineCounter(root.handlers[0].formatter)
        root.addHandler(counter)
        publisher = ConfirmingPublisher(amqp_uri, "outage_writer")
        publisher.publish([envelope(n) for n in range(EVENTS)])
        publisher.close()
        cpu, started = time.process_time(), time.monotonic()
        eventlet.sleep(seconds)
        cpu, lines, size, delivered = time.process_time() - cpu, counter.lines, counter.bytes, len(deliveries)
        elapsed = time.monotonic() - started
        proxy.accept()
        back = time.monotonic()
        while applied(url) < EVENTS and time.monotonic() - back < 60:
            eventlet.sleep(0.1)
        print(f"{EVENTS} events, database refused for {seconds} s:")
        print(f"  deliveries {delivered} ({delivered / EVENTS:.1f} per event), log lines {lines} ({size / 1024:.0f} KiB), "
              f"CPU {cpu:.2f} s in {elapsed:.0f} s")
        print(f"  all applied {time.monotonic() - back:.1f} s after the database came back ({applied(url)} of {EVENTS})")
    finally:
        container.kill()
        proxy.close()
        requests.delete(f"{MANAGEMENT}/vhosts/{vhost}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30)
