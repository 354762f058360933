"""dak: diarisations per second, with and without a 100 KB scan, beside same-run baselines.

Baselines, on the same machine in the same run: a raw kombu publish+consume round trip through
RabbitMQ (what any event-carrying write pays at least) and a bare SQL INSERT transaction on
PostgreSQL (what any durable write pays at least). The service runs under `nameko run` in its own
process against PostgreSQL, RabbitMQ and a local S3 endpoint, as in production.
"""
import json
import os
import time
import uuid

import requests
from kombu import Connection, Exchange, Queue
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from urllib3 import encode_multipart_formdata

from common import (
    HttpClients,
    S3Server,
    cli,
    cpu_seconds,
    drop_vhost,
    free_port,
    fresh_vhost,
    print_row,
    run_at_rate,
    run_load,
    start_service,
    summary,
)
from eoffice_common.auth import new_key_pair
from eoffice_common.testing import create_database

TOTAL = int(os.environ.get("BENCH_DAK_TOTAL", "3000"))
RATE = int(os.environ.get("BENCH_DAK_RATE", "300"))
# Letters arrive in many offices at once; one diary (office) is the hard case, where every
# diarisation takes the same serial row lock. The open loop runs both; the closed loop one diary.
HEADS_OF_OFFICE = ["dm.jhs", "dm.jln", "dm.llp", "dm.lko", "sto.jhs", "sto.jln", "sto.llp", "sto.lko",
                   "cmo.jhs", "cmo.jln", "cmo.llp", "cmo.lko", "bsa.jhs", "bsa.lko", "pd.jhs", "pd.lko"]
REPLICAS = int(os.environ.get("BENCH_DAK_REPLICAS", "2"))
CONCURRENCY = int(os.environ.get("BENCH_DAK_CONCURRENCY", "16"))
SCAN_TOTAL = int(os.environ.get("BENCH_DAK_SCAN_TOTAL", "800"))
VHOST = "eoffice_bench_dak"


def kombu_round_trip(amqp_uri, total):
    """Publish `total` messages and consume them; latency is publish to consume per message."""
    exchange = Exchange("bench.baseline", type="topic", durable=False, auto_delete=True)
    queue = Queue(f"bench-{uuid.uuid4().hex[:8]}", exchange, routing_key="#", auto_delete=True)
    latencies = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        bound = queue(channel)
        bound.declare()
        producer = conn.Producer(channel)
        consumer_conn = Connection(amqp_uri)

        def on_message(body, message):
            latencies.append(time.perf_counter() - body["t"])
            message.ack()

        with consumer_conn.Consumer(queue, callbacks=[on_message], accept=["json"]):
            started = time.perf_counter()
            for _ in range(total):
                producer.publish({"t": time.perf_counter()}, exchange=exchange, routing_key="x", serializer="json")
            while len(latencies) < total:
                consumer_conn.drain_events(timeout=10)
            elapsed = time.perf_counter() - started
        consumer_conn.release()
    return summary(latencies, elapsed)


def bare_insert(url, total, concurrency):
    engine = create_engine(url, pool_size=concurrency)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_rows (id text primary key, subject text, created_at timestamptz)"))

    def insert(_):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_rows VALUES (:id, :s, now())"), {"id": uuid.uuid4().hex, "s": "पत्र"})

    figures = run_load(insert, total, concurrency)
    engine.dispose()
    return figures


def main():
    print(f"dak: {REPLICAS} service process(es) sharing one port (SO_REUSEPORT), PostgreSQL, RabbitMQ, local S3; "
          f"load average {os.getloadavg()[0]:.2f} at start")
    db_url = create_database("eoffice_bench_dak")
    amqp_uri = fresh_vhost(VHOST)
    s3 = S3Server()
    http_port = free_port()
    metrics_ports = [free_port() for _ in range(REPLICAS)]
    env = {
        "DAK_DB_URL": db_url, "S3_ENDPOINT_URL": s3.url, "DAK_HTTP_ADDRESS": f"127.0.0.1:{http_port}",
        "AMQP_URI": amqp_uri, "DAK_MAX_WORKERS": "64", **dict(zip(("JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY"), new_key_pair(), strict=True)),
    }
    cli("dak", "migrate", env=env)
    cli("dak", "import-directory", env=env)
    one_diary = [cli("dak", "token", "diarist.jhs", env=env)]
    sixteen_offices = [cli("dak", "token", user, env=env) for user in HEADS_OF_OFFICE]
    clients = HttpClients(f"http://127.0.0.1:{http_port}", 64)
    services = [start_service("dak", {**env, "DAK_METRICS_PORT": str(port)}, http_port) for port in metrics_ports]
    try:
        headers_of = [{"Authorization": f"Bearer {token}"} for token in one_diary]
        spread_headers = [{"Authorization": f"Bearer {token}"} for token in sixteen_offices]
        letter = {"kind": "physical", "delivery_mode": "post", "sender": {"name": "राम प्रसाद", "organisation": "ग्राम पंचायत"},
                  "subject": "भूमि अभिलेख में नाम संशोधन हेतु प्रार्थना पत्र", "main_category": "राजस्व"}

        def diarise(i):
            status, body = clients.request("POST", "/receipts", letter, headers_of[i % len(headers_of)])
            assert status == 201, body

        def diarise_in_sixteen_offices(i):
            status, body = clients.request("POST", "/receipts", letter, spread_headers[i % len(spread_headers)])
            assert status == 201, body

        def diarise_with_scan(i):
            scan = b"%PDF-1.4\n" + os.urandom(100 * 1024)
            body, content_type = encode_multipart_formdata([
                ("receipt", json.dumps({**letter, "kind": "electronic", "delivery_mode": "portal"})),
                ("scans", ("letter.pdf", scan, "application/pdf")),
            ])
            status, answer = clients.request("POST", "/receipts", body, {**headers_of[i % len(headers_of)], "Content-Type": content_type})
            assert status == 201, answer

        def live(_):
            assert clients.request("GET", "/health/live")[0] == 200

        sql = create_engine(db_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

        def outbox_backlog():
            return sum(float(line.rsplit(" ", 1)[1]) for port in metrics_ports
                       for line in requests.get(f"http://127.0.0.1:{port}/metrics").text.splitlines()
                       if line.startswith("eoffice_outbox_backlog_events"))

        def settle():
            """Before an open-loop run, what the run before left behind is done: its events
            published, PostgreSQL's autovacuum of its rows finished and its dirty pages written
            (otherwise a 10 s run is charged for the previous one's clean-up: p99 87 to 163 ms
            instead of 13 to 25 ms for the run right after the closed loop)."""
            deadline = time.time() + 60
            while outbox_backlog() and time.time() < deadline:
                time.sleep(0.5)
            with sql.connect() as conn:
                while time.time() < deadline and conn.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
                        " AND datname = current_database()")).scalar():
                    time.sleep(0.5)
                conn.execute(text("CHECKPOINT"))
            time.sleep(2)

        def service_cpu():
            return sum(cpu_seconds(service.pid) for service in services)

        clients.connect_all()
        run_load(diarise, 300, CONCURRENCY)  # warm-up
        http_baseline = run_load(live, TOTAL, CONCURRENCY)
        sql_baseline = bare_insert(db_url, TOTAL, CONCURRENCY)
        kombu_baseline = kombu_round_trip(amqp_uri, TOTAL)
        cpu_before, client_before = service_cpu(), time.process_time()
        metadata = run_load(diarise, TOTAL, CONCURRENCY)
        metadata_cpu_ms = (service_cpu() - cpu_before) / TOTAL * 1000
        client_cpu_ms = (time.process_time() - client_before) / TOTAL * 1000
        settle()
        cpu_before = service_cpu()
        at_rate = run_at_rate(diarise_in_sixteen_offices, RATE, 10)
        at_rate_cpu_ms = (service_cpu() - cpu_before) / at_rate["count"] * 1000
        settle()
        one_diary_at_rate = run_at_rate(diarise, RATE, 10)
        with_scan = run_load(diarise_with_scan, SCAN_TOTAL, CONCURRENCY)
        scan_at_rate = run_at_rate(diarise_with_scan, RATE // 3, 5)
        time.sleep(2)
        backlog = outbox_backlog()

        print("baselines (same run):")
        print_row("HTTP GET /health/live (nameko web, no work)", http_baseline)
        print_row("bare SQL INSERT transaction (PostgreSQL)", sql_baseline)
        print_row("raw kombu publish+consume (RabbitMQ)", kombu_baseline)
        print(f"dak, closed loop ({CONCURRENCY} clients back to back, one diary):")
        print_row("diarise, metadata only", metadata, sql_baseline)
        print_row("diarise with a 100 KB scan (S3 + DB)", with_scan, sql_baseline)
        print(f"  service CPU per metadata-only diarisation: {metadata_cpu_ms:.2f} ms "
              f"(the load generator's own: {client_cpu_ms:.2f} ms per request)")
        print(f"  ratio diarise/health round trip: {metadata['per_second'] / http_baseline['per_second']:.2f}")
        print("dak, open loop (requests arrive at a fixed rate, latency from scheduled start):")
        print_row(f"diarise, metadata only, offered {RATE}/s, 16 offices", at_rate)
        print(f"  service CPU per diarisation at that rate: {at_rate_cpu_ms:.2f} ms")
        print_row("the same into one diary (one serial row)", one_diary_at_rate)
        print_row(f"diarise with a 100 KB scan, offered {RATE // 3}/s", scan_at_rate)
        print(f"  outbox backlog after the run: {backlog:.0f} events")
        for label, figures in (("16 offices", at_rate), ("one diary", one_diary_at_rate)):
            met = figures["per_second"] >= 0.97 * RATE and figures["p99_ms"] < 50
            print(f"  target: metadata-only >= 300/s with p99 < 50 ms, {label} -> {'met' if met else 'NOT met'}")
        print(f"  load average {os.getloadavg()[0]:.2f} at the end")
    finally:
        clients.close()
        for service in services:
            service.terminate()
        for service in services:
            service.wait(20)
        s3.stop()
        drop_vhost(VHOST)


if __name__ == "__main__":
    main()
