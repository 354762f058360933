"""metrics: events ingested per second (RabbitMQ into PostgreSQL) and scoreboard query latency
with 10 million stored events, each beside a baseline measured in the same run.

The state: 75 districts, 8 departments, 600 offices, 12,000 users and 10 million facts over two
years, made with generate_series in the database eoffice_bench_metrics (kept for later runs;
BENCH_METRICS_FRESH=1 makes it again), every week scored by the service's own scorer. The service
runs under `nameko run` in its own process, as in production, in a RabbitMQ vhost of its own.

- Ingestion: BENCH_METRICS_EVENTS events of this week (a realistic mix) are published to the
  four exchanges first, then the service starts and drains them; the rate is events applied (its
  own eoffice_events_consumed_total) per second. Baseline: the same messages through a bare kombu
  consumer that only acknowledges them (what any consumer pays for RabbitMQ at least).
- Queries: GET /scoreboard (600 offices; 75 districts) one after another. Baselines: GET
  /health/live of the same process (HTTP and nameko), the scoreboard's own SQL alone, and a bare
  indexed SELECT of one fact by primary key.
"""
import json
import os
import random
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg2
import requests
from kombu import Connection

from common import (
    ROOT,
    cpu_seconds,
    database_url,
    drop_vhost,
    free_port,
    fresh_vhost,
    percentile,
    psycopg_connection,
    start_service,
)
from eoffice_common.auth import Principal, issue_token, new_key_pair
from eoffice_common.events import time_ordered_id
from eoffice_common.migrations import upgrade
from eoffice_common.outbox import ConfirmingPublisher
from eoffice_common.testing import wait_for_http
from metrics import domain
from metrics.events import CONSUMED
from metrics.repository import MetricsUnitOfWork
from metrics.usecases_scoring import ScoreStaleWeeks, score_stale_weeks

FACTS = int(os.environ.get("BENCH_METRICS_FACTS", "10000000"))
EVENTS = int(os.environ.get("BENCH_METRICS_EVENTS", "200000"))
QUERIES = int(os.environ.get("BENCH_METRICS_QUERIES", "500"))
# Replicas of the service consuming the one queue, as ops would scale it: one per core.
REPLICAS = int(os.environ.get("BENCH_METRICS_REPLICAS", "2"))
FRESH = os.environ.get("BENCH_METRICS_FRESH") == "1"
# BENCH_METRICS_DATABASE=... with small BENCH_METRICS_FACTS and _EVENTS: a small state elsewhere, to check the benchmark runs.
DATABASE = os.environ.get("BENCH_METRICS_DATABASE", "eoffice_bench_metrics")
VHOST = DATABASE
PRIVATE_KEY, PUBLIC_KEY = new_key_pair()
DISTRICTS, DEPARTMENTS, OFFICES_PER_DISTRICT, USERS_PER_OFFICE = 75, 8, 8, 20
WEEKS = 104
SOURCE_OF = {t: service for service, types in CONSUMED.items() for t in types}
MIX = ["file_sent"] * 8 + ["receipt_diarised"] * 3 + ["file_created"] * 2 + ["note_confirmed"] * 2 + [
    "document_signed", "file_closed", "receipt_put_in_file", "receipt_sent", "notification_delivered"]


def sql_url():
    return database_url(DATABASE)


def connect(database=DATABASE):
    return psycopg_connection(database)


def offices():
    return [(f"OFF-{d:02d}-{k}", f"D{d:02d}", f"DEP{k % DEPARTMENTS}") for d in range(DISTRICTS) for k in range(OFFICES_PER_DISTRICT)]


def prepared():
    try:
        with connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'facts'")
            facts = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM scored_weeks")
            return facts >= FACTS * 0.99 and cur.fetchone()[0] >= WEEKS
    except psycopg2.Error:
        return False


def make_state():
    """The directory and FACTS facts with everything derived from them, straight in SQL."""
    admin = connect("postgres")
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        cur.execute(f"CREATE DATABASE \"{DATABASE}\" ENCODING 'UTF8' TEMPLATE template0")
    admin.close()
    upgrade(os.path.join(ROOT, "services", "metrics"), sql_url())
    started = time.perf_counter()
    conn = connect()
    cur = conn.cursor()
    cur.execute("SET maintenance_work_mem = '512MB'")
    rows = [(code, f"Office {code}", f"कार्यालय {code}", district, f"District {district}", f"ज़िला {district}",
             department, f"Department {department}", f"विभाग {department}", "UP", "[]") for code, district, department in offices()]
    cur.executemany("INSERT INTO offices VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
    cur.execute("""
        INSERT INTO users (user_id, office, name_en, name_hi, designation_en, designation_hi, roles, active)
        SELECT 'u' || u || '.' || lower(code), code, 'User ' || u, 'उपयोगकर्ता ' || u, 'Assistant', 'सहायक', '["clerk"]', true
        FROM offices, generate_series(0, %s - 1) u""", (USERS_PER_OFFICE,))
    cur.execute("CREATE TEMPORARY TABLE numbered AS SELECT row_number() OVER (ORDER BY code) - 1 AS n, code FROM offices")
    # Bulk load without the secondary indexes; they are built once at the end.
    cur.execute("DROP INDEX ix_facts_week_type, ix_facts_office_time, ix_facts_unattributed, ix_items_pending, ix_items_closed_at")
    cur.execute("ALTER TABLE processed_events DROP CONSTRAINT processed_events_pkey")
    start = domain.week_start(domain.shift_week(domain.week_of(datetime.now(timezone.utc)), -WEEKS))
    step = WEEKS * 7 * 86400 / FACTS
    mix = "ARRAY[" + ",".join(f"'{t}'" for t in MIX) + "]"
    cur.execute(f"""
        INSERT INTO facts (event_id, event_type, occurred_at, week, office, actor, item_type, item_id, kind,
                           to_user, to_office, duration_seconds, levels)
        SELECT md5(g::text)::uuid::text, et, ts, to_char(ts AT TIME ZONE 'Asia/Kolkata', 'IYYYIW')::int, code,
               CASE WHEN et = 'notification_delivered' THEN 'system' ELSE 'u' || (g % {USERS_PER_OFFICE}) || '.' || lower(code) END,
               CASE WHEN et LIKE 'receipt%' THEN 'receipt' WHEN et IN ('notification_delivered', 'document_signed') THEN NULL ELSE 'file' END,
               CASE WHEN et = 'file_created' THEN 'F' || g WHEN et = 'receipt_diarised' THEN 'R' || g
                    WHEN et LIKE 'receipt%' THEN 'R' || (g / 20 * 20 + 8) ELSE 'F' || (g / 20 * 20 + 11) END,
               CASE WHEN et = 'document_signed' THEN 'note' WHEN g % 7 < 5 THEN 'electronic' ELSE 'physical' END,
               'u' || ((g + 1) % {USERS_PER_OFFICE}) || '.' || lower(code), code,
               CASE WHEN et = 'file_closed' THEN (g % 997) * 3600 END, CASE WHEN et = 'file_closed' THEN g % 9 END
        FROM (SELECT g, ({mix})[1 + g % {len(MIX)}] AS et,
                     '{start.isoformat()}'::timestamptz + (g * {step!r}) * interval '1 second' AS ts, numbered.code
              FROM generate_series(0, {FACTS} - 1) g JOIN numbered ON numbered.n = g % {DISTRICTS * OFFICES_PER_DISTRICT}) s
    """)
    cur.execute("INSERT INTO processed_events SELECT 'metrics.apply_events', event_id, occurred_at FROM facts")
    cur.execute("""
        INSERT INTO items (item_type, item_id, office, kind, created_at, last_closed_at, closed_at, holder, held_since, movements)
        SELECT item_type, item_id, office, kind, occurred_at, c, c, to_user, occurred_at, seq % 5
        FROM (SELECT *, CASE WHEN seq % 100 < 85 THEN occurred_at + (seq % 30) * interval '1 day' END AS c
              FROM facts WHERE event_type IN ('file_created', 'receipt_diarised')) f""")
    counted = {
        "files_created": "event_type = 'file_created'",
        "e_files_created": "event_type = 'file_created' AND kind = 'electronic'",
        "receipts_diarised": "event_type = 'receipt_diarised'",
        "e_receipts_diarised": "event_type = 'receipt_diarised' AND kind = 'electronic'",
        "files_forwarded": "event_type = 'file_sent'", "files_received": "event_type = 'file_sent'",
        "receipts_forwarded": "event_type = 'receipt_sent'", "receipts_received": "event_type = 'receipt_sent'",
        "files_closed": "event_type = 'file_closed'", "notes_confirmed": "event_type = 'note_confirmed'",
        "notes_signed": "event_type = 'document_signed'", "receipts_put_in_file": "event_type = 'receipt_put_in_file'",
        "notifications_delivered": "event_type = 'notification_delivered'",
    }
    sums = ", ".join(
        f"count(*) FILTER (WHERE {counted[c]})" if c in counted
        else ("coalesce(sum(duration_seconds), 0)" if c == "disposal_seconds" else "coalesce(sum(levels), 0)" if c == "levels" else "0")
        for c in domain.COUNTERS)
    cur.execute(f"""
        INSERT INTO daily_counts (office, day, {', '.join(domain.COUNTERS)})
        SELECT office, (occurred_at AT TIME ZONE 'Asia/Kolkata')::date, {sums} FROM facts GROUP BY 1, 2""")
    cur.execute("INSERT INTO weekly_active_users SELECT DISTINCT week, office, actor FROM facts WHERE actor <> 'system'")
    cur.execute("ALTER TABLE processed_events ADD PRIMARY KEY (consumer, event_id)")
    cur.execute("CREATE INDEX ix_facts_week_type ON facts (week, event_type)")
    cur.execute("CREATE INDEX ix_facts_office_time ON facts (office, occurred_at)")
    cur.execute("CREATE INDEX ix_facts_unattributed ON facts (subject_user) WHERE office IS NULL")
    cur.execute("CREATE INDEX ix_items_pending ON items (office, created_at) WHERE closed_at IS NULL")
    cur.execute("CREATE INDEX ix_items_closed_at ON items (closed_at)")
    cur.execute("VACUUM ANALYZE")
    loaded = time.perf_counter() - started
    conn.close()
    print(f"  {FACTS:,} facts and their projections made in {loaded:.0f} s", flush=True)
    return score_everything()


def score_everything():
    """Every week from the first fact to now, by the service's scorer; returns seconds per week."""
    from eoffice_common.db import UnitOfWork
    from eoffice_common.engine import StandaloneEngine

    engine = StandaloneEngine(sql_url())
    settings = domain.ScoreSettings.from_config({})
    started = time.perf_counter()
    weeks = score_stale_weeks(ScoreStaleWeeks(settings, datetime.now(timezone.utc)),
                              lambda: MetricsUnitOfWork(UnitOfWork(engine, actor="bench", correlation_id=None)))
    per_week = (time.perf_counter() - started) / max(1, len(weeks))
    engine.engine.dispose()
    with connect() as conn, conn.cursor() as cur:
        cur.execute("ANALYZE")  # as autovacuum would after so many new scores
    print(f"  {len(weeks)} weeks scored by the service's scorer: {per_week:.2f} s a week (600 offices, 8 departments, 75 districts)", flush=True)
    return per_week


def this_weeks_events(count):
    """A mix of this week's events across the state, as the other services publish them."""
    rng = random.Random(1)
    now = datetime.now(timezone.utc)
    monday = domain.week_start(domain.week_of(now))
    codes = offices()
    events = []
    for i in range(count):
        code, district, _ = codes[rng.randrange(len(codes))]
        event_type = MIX[rng.randrange(len(MIX))]
        user = f"u{rng.randrange(USERS_PER_OFFICE)}.{code.lower()}"
        to_user = f"u{rng.randrange(USERS_PER_OFFICE)}.{code.lower()}"
        at = monday + (now - monday) * rng.random()
        data = {"file_id": f"BF{i // 5}", "receipt_id": f"BR{i // 5}", "to_user": to_user, "kind": "electronic",
                "holder": user, "created_by": user}
        office, actor = code, user
        if event_type == "document_signed":
            data, office = {"signature_id": f"S{i}", "document_kind": "note", "file_id": f"BF{i // 5}", "signer": user}, ""
        elif event_type == "notification_delivered":
            data, office, actor = {"notification_id": f"N{i}", "user": to_user, "channel": "inapp"}, "", "system"
        elif event_type == "file_closed":
            data["created_at"], data["movement_count"] = (at - timedelta(days=rng.uniform(0, 20))).isoformat(), rng.randrange(8)
        events.append({
            "id": time_ordered_id(), "type": event_type, "schema_version": 1, "occurred_at": at.isoformat(),
            "actor": actor, "office": office, "district": district, "correlation_id": uuid.uuid4().hex,
            "aggregate_type": "file", "aggregate_id": data.get("file_id", "x"), "data": data,
        })
    return events


def publish(amqp_uri, events):
    by_service = {}
    for event in events:
        by_service.setdefault(SOURCE_OF[event["type"]], []).append(event)
    for service, batch in by_service.items():
        publisher = ConfirmingPublisher(amqp_uri, service)
        for start in range(0, len(batch), 5000):
            publisher.publish(batch[start:start + 5000])
        publisher.close()


def declare_queue(amqp_uri, name):
    """The queue the service consumes from, bound as the service binds it, so events wait in it."""
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for service in CONSUMED:
            channel.exchange_declare(f"{service}.events", "topic", durable=True, auto_delete=False)
        channel.queue_declare(name, durable=True, auto_delete=False)
        for service, types in CONSUMED.items():
            for event_type in types:
                channel.queue_bind(name, f"{service}.events", routing_key=event_type)


def bare_consumer_rate(amqp_uri, events):
    """Baseline: the same messages through a kombu consumer that only acknowledges them."""
    queue = "bench-baseline"
    declare_queue(amqp_uri, queue)
    publish(amqp_uri, events)
    received = 0
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        channel.basic_qos(0, 1000, False)

        def on_message(message):
            nonlocal received
            received += 1
            if received % 500 == 0 or received == len(events):
                message.channel.basic_ack(message.delivery_tag, multiple=True)
            json.loads(message.body)

        started = time.perf_counter()
        channel.basic_consume(queue, callback=on_message)
        while received < len(events):
            conn.drain_events(timeout=10)
        elapsed = time.perf_counter() - started
        channel.queue_delete(queue)
    return len(events) / elapsed


def applied(metrics_ports):
    return sum(
        float(line.rsplit(" ", 1)[1])
        for port in metrics_ports
        for line in requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text.splitlines()
        if line.startswith("eoffice_events_consumed_total{") and 'outcome="applied"' in line
    )


def timed(operation, count):
    taken = []
    for i in range(count):
        started = time.perf_counter()
        operation(i)
        taken.append(time.perf_counter() - started)
    return {"p50_ms": percentile(taken, 0.5) * 1000, "p99_ms": percentile(taken, 0.99) * 1000}


def main():
    load = os.getloadavg()
    print(f"metrics: {os.cpu_count()} cores; load average {load[0]:.1f} at start. The machine is shared with other"
          " developers running tests: figures vary from run to run.", flush=True)
    if FRESH or not prepared():
        print(f"  making the state in {DATABASE} (once; BENCH_METRICS_FRESH=1 makes it again) ...", flush=True)
        per_week = make_state()
    else:
        print(f"  using the state already in {DATABASE}", flush=True)
        per_week = None

    amqp_uri = fresh_vhost(VHOST)
    events = this_weeks_events(EVENTS)
    baseline = bare_consumer_rate(amqp_uri, events)
    declare_queue(amqp_uri, "evt--metrics.apply_events")
    publish(amqp_uri, events)

    http_port, metrics_ports = free_port(), [free_port() for _ in range(REPLICAS)]
    env = {
        "METRICS_DB_URL": sql_url(), "AMQP_URI": amqp_uri, "METRICS_HTTP_ADDRESS": f"127.0.0.1:{http_port}",
        "METRICS_DIRECTORY_BOOTSTRAP": "false", "JWT_PUBLIC_KEY": PUBLIC_KEY,
    }
    services = [start_service("metrics", {**env, "METRICS_METRICS_PORT": str(port)}, http_port) for port in metrics_ports]
    for port in metrics_ports:  # the HTTP port answers once the first replica is up
        wait_for_http(f"http://127.0.0.1:{port}/metrics", timeout=60)
    try:
        cpu_before, started, first = sum(cpu_seconds(s.pid) for s in services), time.perf_counter(), applied(metrics_ports)
        while applied(metrics_ports) < EVENTS:
            time.sleep(1)  # each look is a scrape, which costs the service some time
        elapsed = time.perf_counter() - started
        cpu = sum(cpu_seconds(s.pid) for s in services) - cpu_before
        rate = (EVENTS - first) / elapsed
        print("\n  ingestion: events of every service through RabbitMQ into PostgreSQL (10M facts stored)")
        print(f"    bare kombu consume + ack, no database (baseline)   {baseline:>8.0f} events/s")
        print(f"    metrics service, {REPLICAS} process(es), {EVENTS:,} events    {rate:>8.0f} events/s   "
              f"({rate / baseline:.2f}x of baseline; service processes {cpu / elapsed:.2f} cores, "
              f"{cpu / (EVENTS - first) * 1e6:.0f} µs of CPU per event; target 5,000/s)", flush=True)

        week = domain.week_label(domain.week_of(datetime.now(timezone.utc)))
        token = issue_token(PRIVATE_KEY, Principal("bench.user", "OFF-00-0", ("officer",), "Bench"))
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        while session.get(f"http://127.0.0.1:{http_port}/scoreboard?week={week}").status_code != 200:
            time.sleep(0.5)  # this week's scores after the ingestion
        base = f"http://127.0.0.1:{http_port}"
        offices_board = timed(lambda i: session.get(f"{base}/scoreboard?week={week}&level=office").raise_for_status(), QUERIES)
        districts_board = timed(lambda i: session.get(f"{base}/scoreboard?week={week}&level=district").raise_for_status(), QUERIES)
        explain = timed(lambda i: session.get(f"{base}/scoreboard/district/D07/explain?week={week}").raise_for_status(), QUERIES)
        health = timed(lambda i: session.get(f"{base}/health/live").raise_for_status(), QUERIES)
        conn = connect()
        cur = conn.cursor()
        cur.execute("SELECT max(seq) FROM facts")
        top = cur.fetchone()[0]
        number = domain.week_of(datetime.now(timezone.utc))
        # The two reads repository.scoreboard makes: this week's units, last week's ranks.
        scoreboard_sql = timed(lambda i: (cur.execute(
            "SELECT unit, rank FROM unit_scores WHERE week = %s AND level = 'office'", (domain.shift_week(number, -1),)),
            cur.fetchall(), cur.execute(
            "SELECT unit, name_en, name_hi, district, department, score, rank, active, pending, pending_old FROM unit_scores"
            " WHERE week = %s AND level = 'office' ORDER BY rank, unit", (number,)), cur.fetchall()), QUERIES)
        point = timed(lambda i: (cur.execute("SELECT * FROM facts WHERE seq = %s", (random.randrange(1, top),)), cur.fetchall()), QUERIES)
        conn.close()
        print(f"\n  scoreboard queries, one after another ({QUERIES} each; target under 20 ms)")
        for label, figures in (
            ("GET /scoreboard, 600 offices", offices_board), ("GET /scoreboard, 75 districts", districts_board),
            ("GET /scoreboard/district/D07/explain", explain), ("GET /health/live (HTTP baseline)", health),
            ("scoreboard SQL alone (600 offices)", scoreboard_sql), ("bare indexed SELECT of one fact (DB baseline)", point),
        ):
            print(f"    {label:<48} p50 {figures['p50_ms']:>7.2f} ms   p99 {figures['p99_ms']:>7.2f} ms", flush=True)
        if per_week:
            print(f"\n  scoring a whole past week again from the projections: {per_week:.2f} s (600 offices)")
    finally:
        for service in services:
            service.terminate()
        for service in services:
            service.wait(30)
        drop_vhost(VHOST)
    print(f"  load average {os.getloadavg()[0]:.1f} at the end", flush=True)


if __name__ == "__main__":
    main()
