"""Notifications per second end to end, and their latency, beside a baseline measured in the same run.

  * notify: a file_sent event published (with confirms) to files.events -> the recipient's in-app
    row written and the email accepted by an SMTP server (aiosmtpd, in this process). Every event
    makes one in-app notification and one email (the recipients keep the default preferences).
  * baseline: the same envelopes published the same way and consumed by a bare kombu consumer on a
    queue of its own: the broker round trip, with no work done.

Load is open loop at --rate events a second for --seconds: latency counts from each event's
scheduled time, so a service that falls behind is charged for it. "inbox" is the notification
row's created_at (notify's clock, just before its commit); "email" is when the SMTP server took it.

notify runs as `nameko run` processes (--replicas) on PostgreSQL database eoffice_bench_notify (prefixed with TEST_DB_PREFIX) and
a RabbitMQ vhost of its own, so its events reach nobody else.

    .venv/bin/python bench/bench_notify.py [--rate 500] [--seconds 10] [--replicas 2] [--users 200]
        [--batch-size N] [--batch-wait SECONDS]
"""
import argparse
import os
import re
import sys
import time
import uuid
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
# The service's package first: this script's own name would otherwise shadow `notify`.
sys.path[:0] = [os.path.join(os.path.dirname(HERE), "services", "notify"), HERE]

import eventlet  # noqa: E402
import requests  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from kombu import Connection, Consumer, Exchange, Queue  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from common import (  # noqa: E402  (monkey-patches eventlet)
    RABBIT_API,
    RABBIT_AUTH,
    ROOT,
    RUN_PREFIX,
    cpu_seconds,
    drop_vhost,
    free_port,
    fresh_vhost,
    percentile,
    start_service,
)
from eoffice_common.auth import new_key_pair  # noqa: E402
from eoffice_common.migrations import upgrade  # noqa: E402
from eoffice_common.outbox import ConfirmingPublisher  # noqa: E402
from notify.models import Delivery, Notification, Recipient  # noqa: E402

ADMIN_PG_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
DATABASE = VHOST = f"{RUN_PREFIX}eoffice_bench_notify"
SERVICE_DIR = os.path.join(ROOT, "services", "notify")
EVENT_HEADER = re.compile(rb"^X-eOffice-Event: (\S+)\r?$", re.MULTILINE)


class SmtpSink:
    """Accepts every message and notes when the one for each event arrived."""

    def __init__(self):
        self.port = free_port()
        self.arrived = {}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):
        found = EVENT_HEADER.search(envelope.content)
        if found:
            self.arrived[found.group(1).decode()] = time.time()
        return "250 OK"

    def stop(self):
        self.controller.stop()


def fresh_database():
    admin = create_engine(ADMIN_PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f"CREATE DATABASE \"{DATABASE}\" ENCODING 'UTF8' TEMPLATE template0"))
    admin.dispose()
    url = f"{ADMIN_PG_URL.rsplit('/', 1)[0]}/{DATABASE}"
    upgrade(SERVICE_DIR, url)
    return url


def drop_database():
    admin = create_engine(ADMIN_PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    admin.dispose()


def consumers_bound(replicas):
    queues = requests.get(f"{RABBIT_API}/queues/{VHOST}", auth=RABBIT_AUTH, timeout=10).json()
    consumers = {q["name"]: q.get("consumers", 0) for q in queues}
    return consumers.get("evt--notify.apply_events", 0) >= replicas


def envelope(event_type, data, occurred_at):
    return {
        "id": str(uuid.uuid4()), "type": event_type, "schema_version": 1,
        "occurred_at": datetime.fromtimestamp(occurred_at, timezone.utc).isoformat(), "actor": "bench",
        "office": "BENCH-JHS", "district": "JHS", "correlation_id": None, "aggregate_type": "file",
        "aggregate_id": data.get("file_id", data.get("user_id")), "data": data,
    }


def users(count):
    return [{
        "user_id": f"officer{n}.bench", "office": "BENCH-JHS", "district": "JHS", "name_en": f"Officer {n}",
        "name_hi": f"अधिकारी {n}", "designation_en": "Section Officer", "designation_hi": "अनुभाग अधिकारी",
        "section": None, "email": f"officer{n}@bench.example.in", "mobile": f"98765{n:05d}",
        "reporting_officer": None, "roles": ["officer"], "language": "hi" if n % 2 else "en", "active": True,
    } for n in range(count)]


def file_sent(n, user_count):
    return {
        "file_id": str(uuid.uuid4()), "file_number": f"N-{n}/2026-BENCH-JHS", "movement_id": str(n), "action": "send",
        "from_user": f"officer{(n + 1) % user_count}.bench", "to_user": f"officer{n % user_count}.bench",
        "remarks": "कृपया अवलोकन करें", "due_date": None, "priority": "normal",
        "subject": "भूमि अभिलेख में नाम संशोधन हेतु प्रार्थना पत्र", "classification": "normal",
        "office": "BENCH-JHS", "district": "JHS",
    }


def publish_at_rate(publisher, make_event, rate, seconds):
    """Publish rate x seconds events on schedule, a batch per 10 ms tick; returns {event id: scheduled time}."""
    total = int(rate * seconds)
    scheduled = {}
    started = time.time() + 0.05
    sent = 0
    while sent < total:
        now = time.time()
        due = min(total, max(sent + 1, int((now - started) * rate) + 1))
        batch = []
        for n in range(sent, due):
            at = started + n / rate
            event = make_event(n, at)
            scheduled[event["id"]] = at
            batch.append(event)
        publisher.publish(batch)
        sent = due
        eventlet.sleep(max(0.0, min(0.01, started + sent / rate - time.time())))
    return scheduled


def figures(latencies, started, finished):
    ordered = sorted(latencies)
    return {
        "count": len(ordered), "per_second": len(ordered) / (finished - started),
        "p50_ms": percentile(ordered, 0.50) * 1000, "p99_ms": percentile(ordered, 0.99) * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def baseline(amqp_uri, rate, seconds):
    """Bare kombu: publish with confirms, consume with no work."""
    received = {}
    connection = Connection(amqp_uri)
    exchange = Exchange("bench.events", type="topic", durable=True, auto_delete=False)
    queue = Queue(f"bench-baseline-{uuid.uuid4().hex[:8]}", exchange, routing_key="#", exclusive=True)

    def on_message(body, message):
        received[body["id"]] = time.time()
        message.ack()

    consumer = Consumer(connection, queues=[queue], callbacks=[on_message], accept=["json"])
    consumer.consume()
    stopping = []

    def drain():
        while not stopping:
            try:
                connection.drain_events(timeout=0.2)
            except TimeoutError:
                continue

    drainer = eventlet.spawn(drain)
    publisher = ConfirmingPublisher(amqp_uri, "bench")
    scheduled = publish_at_rate(publisher, lambda n, at: envelope("file_sent", file_sent(n, 200), at), rate, seconds)
    deadline = time.time() + 60
    while len(received) < len(scheduled) and time.time() < deadline:
        eventlet.sleep(0.05)
    stopping.append(True)
    drainer.wait()
    publisher.close()
    connection.release()
    latencies = [received[i] - at for i, at in scheduled.items() if i in received]
    return figures(latencies, min(scheduled.values()), max(received.values()))


def wait_for(predicate, timeout, what, progress=None):
    """Wait until `predicate()`; on timeout, say what `progress()` reports had happened by then."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        eventlet.sleep(0.2)
    raise RuntimeError(f"{what} did not happen within {timeout}s{f' ({progress()})' if progress else ''}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=500, help="events a second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--replicas", type=int, default=2, help="notify processes (one per core)")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--batch-size", type=int, help="events applied per transaction at most (INGEST_BATCH_SIZE)")
    parser.add_argument("--batch-wait", type=float, help="a batch is applied once no event came for this long, "
                        "seconds (INGEST_BATCH_WAIT_SECONDS)")
    args = parser.parse_args()
    batching = {name: str(value) for name, value in (
        ("NOTIFY_BATCH_SIZE", args.batch_size), ("NOTIFY_BATCH_WAIT_SECONDS", args.batch_wait)) if value is not None}

    print(f"notify: {args.rate:.0f} events/s for {args.seconds:.0f}s, {args.replicas} process(es); "
          f"load average before {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (a shared machine); "
          f"batches: {', '.join(f'{k}={v}' for k, v in batching.items()) or 'config.yml defaults'}", flush=True)
    db_url = fresh_database()
    amqp_uri = fresh_vhost(VHOST)
    sink = SmtpSink()
    processes = []
    engine = create_engine(db_url)
    try:
        for _ in range(args.replicas):
            http_port = free_port()
            processes.append(start_service("notify", {
                "NOTIFY_DB_URL": db_url, "AMQP_URI": amqp_uri, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port),
                "NOTIFY_HTTP_ADDRESS": f"127.0.0.1:{http_port}", "NOTIFY_METRICS_PORT": str(free_port()),
                "JWT_PUBLIC_KEY": new_key_pair()[1], "NOTIFY_SCHEDULER_POLL_SECONDS": "5",
                "NOTIFY_MAX_WORKERS": "10",  # each worker may hold a connection of a shared PostgreSQL
                **batching,
            }, http_port))
        # Health answers before the event consumers are bound; an event published earlier is lost.
        wait_for(lambda: consumers_bound(args.replicas), 60, "the event consumers")
        announcer = ConfirmingPublisher(amqp_uri, "dak")
        now = time.time()
        announcer.publish([envelope("user_recorded", user, now) for user in users(args.users)])
        announcer.close()

        def count(model, *where):
            with engine.connect() as conn:
                return conn.execute(select(func.count()).select_from(model).where(*where)).scalar()

        wait_for(lambda: count(Recipient) == args.users, 60, "the directory")

        base = baseline(amqp_uri, args.rate, args.seconds)

        cpu_before = sum(cpu_seconds(p.pid) for p in processes)
        publisher = ConfirmingPublisher(amqp_uri, "files")
        scheduled = publish_at_rate(
            publisher, lambda n, at: envelope("file_sent", file_sent(n, args.users), at), args.rate, args.seconds
        )
        publisher.close()
        total = len(scheduled)
        def progress():
            with engine.connect() as conn:
                statuses = dict(conn.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
            return f"{count(Notification)} in-app rows, {len(sink.arrived)} emails arrived, deliveries {statuses}"

        wait_for(lambda: count(Notification) >= total, 120, "every in-app notification", progress)
        # Email trails the inbox on a loaded machine: what has not arrived by then is reported, not waited for.
        try:
            wait_for(lambda: len(sink.arrived) >= total, 120, "every email", progress)
        except RuntimeError as late:
            print(f"  {late}", flush=True)
        cpu_used = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
        arrived = dict(sink.arrived)
        with engine.connect() as conn:
            written = dict(conn.execute(select(Notification.source_event_id, Notification.created_at)).all())
            sent = conn.execute(select(func.count()).select_from(Delivery).where(Delivery.status == "sent")).scalar()
        started = min(scheduled.values())
        inbox = [written[i].timestamp() - at for i, at in scheduled.items()]
        email = [arrived[i] - at for i, at in scheduled.items() if i in arrived]
        both = [max(written[i].timestamp(), arrived[i]) - at for i, at in scheduled.items() if i in arrived]
        finished = max(max(arrived.values()), max(w.timestamp() for w in written.values()))
        inbox_figures = figures(inbox, started, max(w.timestamp() for w in written.values()))
        email_figures = figures(email, started, max(arrived.values()))
        end_to_end = figures(both, started, finished)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(20)
        sink.stop()
        engine.dispose()
        drop_database()
        drop_vhost(VHOST)

    def row(label, f):
        print(f"  {label:<44} {f['per_second']:>7.0f}/s   p50 {f['p50_ms']:>8.1f} ms   p99 {f['p99_ms']:>8.1f} ms"
              f"   max {f['max_ms']:>8.1f} ms", flush=True)

    row("baseline: kombu publish -> consume", base)
    row("notify: event -> in-app row", inbox_figures)
    row("notify: event -> email accepted by SMTP", email_figures)
    row("notify: event -> both (end to end, emails accepted)", end_to_end)
    print(f"  inbox rate {inbox_figures['per_second'] / base['per_second']:.2f}x of the baseline's; "
          f"inbox p99 {inbox_figures['p99_ms'] / base['p99_ms']:.0f}x the baseline's")
    print(f"  end-to-end rate {end_to_end['per_second'] / base['per_second']:.2f}x of the baseline's; "
          f"p99 {end_to_end['p99_ms'] / base['p99_ms']:.1f}x the baseline's; emails accepted {len(arrived)}/{total}, "
          f"marked sent {sent}/{total}")
    print(f"  notify CPU {cpu_used:.1f}s for {total} events ({cpu_used / total * 1000:.2f} ms/event); "
          f"load average after {os.getloadavg()[0]:.2f}")
    target = inbox_figures["p99_ms"] < 1000
    print(f"  target (at {args.rate:.0f} events/s, event-to-inbox p99 under 1 s): {'met' if target else 'NOT met'}")


if __name__ == "__main__":
    main()
