"""desk: server time of the inbox page with 1,000 items waiting (target p95 < 300 ms) and the weight of
a page with its assets (target < 200 KB), beside same-run baselines:

  * GET /health/live of the desk: the HTTP round trip through nameko and eventlet, no work;
  * the three calls the inbox makes (dak's receipt inbox, files' inbox, notify's unread count), made
    directly and in parallel as the desk makes them: the data the page needs, without the page.

dak, files, notify and the desk run under `nameko run` in their own processes (PostgreSQL databases
eoffice_bench_desk_*, prefixed with TEST_DB_PREFIX, a RabbitMQ vhost of their own, a local S3 endpoint). so.jhs gets 600 receipts
and 400 files sent to them, the inbox shows the 50 most pressing of each, as the page does.

    .venv/bin/python bench/bench_desk.py     (BENCH_DESK_REQUESTS=300 to change the sample)
"""
import os
import re
import time

import eventlet
import requests
from sqlalchemy import create_engine, text

from common import (
    QUIET,
    RUN_PREFIX,
    S3Server,
    cli,
    drop_vhost,
    free_port,
    fresh_vhost,
    percentile,
    run_load,
    start_service,
)
from eoffice_common.auth import Principal, issue_token, new_key_pair
from eoffice_common.testing import create_database

REQUESTS = int(os.environ.get("BENCH_DESK_REQUESTS", "300"))
CONCURRENCY = int(os.environ.get("BENCH_DESK_CONCURRENCY", "8"))
RECEIPTS, FILES = 600, 400
VHOST = f"{RUN_PREFIX}eoffice_bench_desk"
PRIVATE_KEY, PUBLIC_KEY = new_key_pair()
SERVICES = {"dak": 8001, "files": 8002, "notify": 8004, "desk": 8000}
USERS = {"so.jhs": ("COLL-JHS", ("officer",), "Rajesh Kumar Tripathi"), "clerk.jhs": ("COLL-JHS", ("clerk",), "Pooja Yadav"),
         "diarist.jhs": ("COLL-JHS", ("clerk",), "Ramesh Chandra Kushwaha")}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def bearer(user_id):
    office, roles, name = USERS[user_id]
    return {"Authorization": "Bearer " + issue_token(PRIVATE_KEY, Principal(user_id, office, roles, name))}


def latencies(operation, count):
    """Seconds each of `count` calls took, one after another."""
    taken = []
    for i in range(count):
        started = time.perf_counter()
        operation(i)
        taken.append(time.perf_counter() - started)
    return taken


def row(label, taken, baseline=None):
    p50, p95, p99 = (percentile(taken, f) * 1000 for f in (0.50, 0.95, 0.99))
    line = f"  {label:<58} p50 {p50:>7.1f} ms   p95 {p95:>7.1f} ms   p99 {p99:>7.1f} ms"
    if baseline:
        line += f"   ({p95 / (percentile(baseline, 0.95) * 1000):.1f}x baseline p95)"
    print(line, flush=True)
    return p95


def seed(urls, http):
    """600 receipts and 400 files sent to so.jhs, some urgent, some due soon."""
    priorities = ("normal", "urgent", "most_immediate", "normal")

    def receipt(i):
        body = {"kind": "physical", "delivery_mode": "post", "sender": {"name": "राम प्रसाद", "organisation": "ग्राम पंचायत"},
                "subject": f"भूमि अभिलेख में नाम संशोधन हेतु प्रार्थना पत्र {i}",
                "send": {"to": ["so.jhs"], "priority": priorities[i % 4], "due_date": f"2099-01-{1 + i % 28:02d}"}}
        response = http.post(f"{urls['dak']}/receipts", json=body, headers=bearer("diarist.jhs"))
        assert response.status_code == 201, response.text

    heads = http.get(f"{urls['files']}/heads", headers=bearer("clerk.jhs")).json()["heads"]

    def file(i):
        made = http.post(f"{urls['files']}/files", json={"head_id": heads[i % len(heads)]["id"], "subject": f"वृद्धावस्था पेंशन प्रकरण {i}"},
                         headers=bearer("clerk.jhs"))
        assert made.status_code == 201, made.text
        sent = http.post(f"{urls['files']}/files/{made.json()['id']}/send", headers=bearer("clerk.jhs"),
                         json={"to": "so.jhs", "priority": priorities[i % 4], "due_date": f"2099-02-{1 + i % 28:02d}"})
        assert sent.status_code == 200, sent.text

    run_load(receipt, RECEIPTS, 16)
    run_load(file, FILES, 16)


def wait_for(check, what, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise RuntimeError(f"{what} did not happen within {timeout}s")


def main():
    print(f"desk: inbox of so.jhs with {RECEIPTS} receipts and {FILES} files waiting; dak, files, notify and the desk "
          f"each under `nameko run`, PostgreSQL, RabbitMQ, local S3; load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores at start")
    amqp_uri = fresh_vhost(VHOST)
    s3 = S3Server()
    databases = {name: create_database(f"{RUN_PREFIX}eoffice_bench_desk_{name}") for name in SERVICES}
    ports = {name: free_port() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {"AMQP_URI": amqp_uri, "S3_ENDPOINT_URL": s3.url, "S3_BUCKET": "eoffice-bench-desk", "JWT_PUBLIC_KEY": PUBLIC_KEY, "JWT_PRIVATE_KEY": PRIVATE_KEY, **QUIET}
    for name in SERVICES:
        env[f"{name.upper()}_DB_URL"] = databases[name]
        env[f"{name.upper()}_HTTP_ADDRESS"] = f"127.0.0.1:{ports[name]}"
        env[f"{name.upper()}_METRICS_PORT"] = "0"
        env[f"{name.upper()}_URL"] = urls[name]
    env["SIGNING_URL"] = env["METRICS_URL"] = f"http://127.0.0.1:{free_port()}"  # not needed by the inbox
    for name in SERVICES:
        cli(name, "migrate", env=env)
    processes = []
    try:
        # Consumers first: their queues must exist when dak announces the directory.
        for name in ("desk", "files", "notify", "dak"):
            processes.append(start_service(name, env, ports[name]))
        cli("dak", "import-directory", env=env)
        cli("files", "seed-heads", env=env)
        desk_db = create_engine(databases["desk"])

        def desk_has_directory():
            with desk_db.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM users")).scalar() > 50

        wait_for(desk_has_directory, "the directory reaching the desk")
        cli("desk", "set-demo-passwords", env=env)
        http = requests.Session()
        http.mount("http://", requests.adapters.HTTPAdapter(pool_connections=8, pool_maxsize=64))
        seed(urls, http)

        def desk_has_deadlines():
            with desk_db.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM receipt_deadlines")).scalar() >= RECEIPTS

        wait_for(desk_has_deadlines, "the receipts' hand-overs reaching the desk")
        desk_db.dispose()

        officer = requests.Session()
        page = officer.get(f"{urls['desk']}/sign-in").text
        officer.post(f"{urls['desk']}/sign-in", data={"user_id": "so.jhs", "password": "eoffice-demo",
                                                      "csrf_token": CSRF.search(page).group(1)})
        inbox = officer.get(f"{urls['desk']}/inbox")
        assert inbox.status_code == 200 and inbox.url.endswith("/inbox"), inbox.url
        shown = inbox.text.count("<tr class=")
        waiting = re.search(r'data-count="total">(\d+)<', inbox.text).group(1)
        totals = re.findall(r"\((\d+)\):", inbox.text)
        print(f"  the inbox page lists {shown} items of the {waiting} waiting (receipts {totals[0]}, files {totals[1]})")

        def health(_):
            assert officer.get(f"{urls['desk']}/health/live").status_code == 200

        so = bearer("so.jhs")

        def upstream(_):
            pile = eventlet.GreenPile(3)
            pile.spawn(http.get, f"{urls['dak']}/receipts", params={"box": "inbox", "per_page": 50}, headers=so)
            pile.spawn(http.get, f"{urls['files']}/files", params={"box": "inbox", "per_page": 50}, headers=so)
            pile.spawn(http.get, f"{urls['notify']}/notifications/unread-count", headers=so)
            assert all(r.status_code == 200 for r in pile)

        def page_inbox(_):
            assert officer.get(f"{urls['desk']}/inbox").status_code == 200

        for warm in (health, upstream, page_inbox):
            latencies(warm, 20)
        print("baselines (same run, one client):")
        health_taken = latencies(health, REQUESTS)
        row("desk GET /health/live (HTTP round trip, no work)", health_taken)
        upstream_taken = latencies(upstream, REQUESTS)
        row("the inbox's 3 service calls, direct and in parallel", upstream_taken)
        print("desk (one client):")
        inbox_p95 = row("GET /inbox (1,000 waiting, signed in)", latencies(page_inbox, REQUESTS), upstream_taken)
        print(f"desk ({CONCURRENCY} clients at once):")
        concurrent = []

        def timed(i):
            started = time.perf_counter()
            page_inbox(i)
            concurrent.append(time.perf_counter() - started)

        pool = eventlet.GreenPool(CONCURRENCY)
        for i in range(REQUESTS):
            pool.spawn_n(timed, i)
        pool.waitall()
        row(f"GET /inbox, {CONCURRENCY} officers at once", concurrent)
        print(f"  target: p95 < 300 ms with one client -> {'met' if inbox_p95 < 300 else 'NOT met'}; "
              f"load average {os.getloadavg()[0]:.2f}")

        print("page weight (bytes as sent; no compression):")
        assets = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', inbox.text)))
        font = "/static/devanagari.woff"
        sizes = {asset.split("?")[0]: len(officer.get(f"{urls['desk']}{asset}").content) for asset in assets}
        sizes[font] = len(officer.get(f"{urls['desk']}{font}").content)
        for name, path in (("sign-in", "/sign-in"), ("inbox", "/inbox"), ("diarise", "/diarise")):
            html = len((requests.get if name == "sign-in" else officer.get)(f"{urls['desk']}{path}").content)
            total = html + sum(sizes.values())
            print(f"  {name:<10} page {html / 1024:6.1f} KB + assets {sum(sizes.values()) / 1024:5.1f} KB = {total / 1024:6.1f} KB"
                  f"   target < 200 KB -> {'met' if total < 200 * 1024 else 'NOT met'}")
        print("  assets: " + ", ".join(f"{name} {size / 1024:.1f} KB" for name, size in sizes.items())
              + " (the font only where Devanagari is shown and no local Devanagari font exists; all cached for a year)")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(20)
        s3.stop()
        drop_vhost(VHOST)


if __name__ == "__main__":
    main()
