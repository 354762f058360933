"""File movements per second and their latency through the files service's HTTP API, beside two
baselines measured in the same run on the same machine:

  * the same HTTP round trip to GET /health/live (client, network, nameko and eventlet, no work);
  * a bare SQL UPDATE of the file row + INSERT of a movement, one transaction, as the database floor.

Two kinds of load. Closed loop: N clients each hold one file and send it back and forth between
two officers, each waiting for its answer before the next request: throughput at saturation.
Open loop (the target's reading): movements start at a fixed rate (--rate, 300/s) whatever the
latency, as independent officers do, over --rate files each moved about once a second; latency
counts from each request's scheduled start, so a service that falls behind is charged for it (a
movement waits for the previous movement of its own file to be answered). Then up to --steps
shorter open loops, 50/s apart, up from --rate while p99 stays under 50 ms or down until it does:
the rate this machine sustains within the target's latency in this run.

The files service runs as real `nameko run` processes (PostgreSQL database eoffice_bench_files, a
RabbitMQ vhost of its own so its events reach nobody else, a local S3 endpoint). Every request is
one movement (row lock, version-checked custodian change, current movement, audit entries, outbox
events).

    .venv/bin/python bench/bench_files.py [--clients 16] [--seconds 15] [--processes 2] [--rate 300] [--steps 4]
"""
from common import PacedRequests, cpu_busy, drop_vhost, fresh_vhost  # noqa: I001  (first: it monkey-patches eventlet before anything opens a socket)

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import requests
from sqlalchemy import create_engine, text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "common"), os.path.join(ROOT, "services", "files")]

from eoffice_common.auth import Principal, issue_token, new_key_pair  # noqa: E402
from eoffice_common.db import UnitOfWork  # noqa: E402
from eoffice_common.engine import StandaloneEngine  # noqa: E402
from eoffice_common.migrations import upgrade  # noqa: E402
from files import directory  # noqa: E402
from files.cli import seed_heads  # noqa: E402

ADMIN_PG_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
DATABASE = "eoffice_bench_files"
VHOST = "eoffice_bench_files"
PRIVATE_KEY, PUBLIC_KEY = new_key_pair()
OFFICE = "BENCH-JHS"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def process_cpu_seconds(pids):
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as handle:
            parts = handle.read().rsplit(")", 1)[1].split()
        total += int(parts[11]) + int(parts[12])
    return total / ticks


def cpu_seconds_of(command):
    """CPU used so far by every process named `command` on this machine, with what their exited
    children used (PostgreSQL's backends are children of its postmaster)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                data = handle.read()
        except OSError:
            continue
        if data[data.index("(") + 1:data.rindex(")")] == command:
            parts = data.rsplit(")", 1)[1].split()
            total += sum(int(v) for v in parts[11:15])
    return total / ticks


def database_cpu_seconds():
    return cpu_seconds_of("postgres")


def broker_cpu_seconds():
    return cpu_seconds_of("beam.smp")


# --- set-up ---------------------------------------------------------------------------------------

def fresh_database():
    engine = create_engine(ADMIN_PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f"CREATE DATABASE \"{DATABASE}\" ENCODING 'UTF8' TEMPLATE template0"))
    engine.dispose()
    url = f"{ADMIN_PG_URL.rsplit('/', 1)[0]}/{DATABASE}"
    upgrade(os.path.join(ROOT, "services", "files"), url)
    return url


def seed(url, pairs):
    """An office, two officers per file, one SFS head."""
    users = [f"bench.{side}{i:03d}" for i in range(pairs) for side in "ab"]
    engine = StandaloneEngine(url)
    with UnitOfWork(engine, actor="bench", correlation_id=None) as uow:
        now = datetime.now(timezone.utc)
        directory.DIRECTORY.record_office(uow.session, {
            "office": OFFICE, "district": "JHS", "name_en": "Bench Collectorate", "name_hi": "बेंच कलेक्ट्रेट",
            "department": "REV", "department_name_en": "Revenue", "department_name_hi": "राजस्व",
            "district_name_en": "Jhansi", "district_name_hi": "झाँसी", "state": "UP", "sections": [],
        }, now)
        for user_id in users:
            directory.DIRECTORY.record_user(uow.session, {
                "user_id": user_id, "office": OFFICE, "district": "JHS", "name_en": user_id, "name_hi": "अधिकारी",
                "designation_en": "Section Officer", "designation_hi": "अनुभाग अधिकारी", "roles": ["officer"], "active": True,
            }, now)
        seed_heads(uow.session, [{
            "office": OFFICE, "main_code": "N-11", "main_name_en": "Land Revenue", "main_name_hi": "भू-राजस्व",
            "sub_code": "016", "sub_name_en": "Mutation", "sub_name_hi": "नामांतरण", "section_label": "REV", "department_label": OFFICE,
        }], "bench", now)
        uow.commit()
    engine.engine.dispose()
    return users


def settle(url):
    """Before an open-loop run, what the run before left behind is done, as bench_dak does: its
    events published, its dead rows vacuumed (what autovacuum does in production between bursts;
    this machine's PostgreSQL runs without it) and its dirty pages written by a checkpoint. Without
    the checkpoint, PostgreSQL started one (max_wal_size) in the middle of about every other run.
    No ANALYZE: statistics taken of a table of a few rows would plan its statements as sequential
    scans."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        deadline = time.time() + 60
        while time.time() < deadline and conn.execute(text("SELECT count(*) FROM outbox")).scalar():
            time.sleep(0.2)
        conn.execute(text("VACUUM"))
        conn.execute(text("CHECKPOINT"))
    engine.dispose()
    time.sleep(1)


def token(user_id):
    return issue_token(PRIVATE_KEY, Principal(user_id, OFFICE, ("officer",), user_id))


class Services:
    """The processes the benchmark starts, stopped in reverse order whatever happens."""

    def __init__(self):
        self.processes = []
        self.vhost = False

    def start(self, command, env=None, log=None):
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log or subprocess.DEVNULL, stderr=log or subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def make_vhost(self):
        """A vhost of the run's own where every event is taken and dropped: the relay publishes
        `mandatory` and keeps an event no queue takes, so without it the outbox never drained and
        settle() waited out its minute before every open loop."""
        self.vhost = True
        return fresh_vhost(VHOST)

    def stop(self):
        for process in reversed(self.processes):
            process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.vhost:
            drop_vhost(VHOST)


# --- load -----------------------------------------------------------------------------------------

def run_load(clients, seconds, warmup, make_worker):
    """`clients` threads each calling their worker() in a loop; latencies of calls after the warm-up."""
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    results = [[] for _ in range(clients)]
    errors = [0] * clients

    def loop(index):
        call = make_worker(index)
        while True:
            before = time.perf_counter()
            if before >= stop_at:
                return
            ok = call()
            after = time.perf_counter()
            if before >= measure_from:
                if ok:
                    results[index].append(after - before)
                else:
                    errors[index] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measure_from - time.perf_counter()))
    busy0 = cpu_busy()
    for thread in threads:
        thread.join()
    busy1 = cpu_busy()
    latencies = sorted(v for r in results for v in r)
    machine_busy = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    return {
        "ops": len(latencies) / seconds, "count": len(latencies), "errors": sum(errors),
        "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": (latencies[-1] * 1000) if latencies else float("nan"), "machine_busy": machine_busy,
    }


def run_open_loop(load, rate, seconds, warmup, move):
    """move(i) (PacedRequests' operation) started `rate` times a second for warm-up + `seconds`,
    whatever the latency; latencies of the measured part, from each request's scheduled start."""
    latencies, errors, busy = load.run(rate, seconds, warmup, move)
    return {
        "ops": len(latencies) / seconds, "count": len(latencies), "errors": errors,
        "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": (latencies[-1] * 1000) if latencies else float("nan"), "machine_busy": busy,
    }


TARGET_RATE = 300
RATE_STEP = 50
P99_BOUND_MS = 50


def find_sustained_rate(rate, result, steps, run_at):
    """From the open loop's `result` at `rate`: `RATE_STEP` higher while p99 stays under the bound,
    or lower until it does, at most `steps` more runs of `run_at(rate)`. Returns [(rate, result)],
    the first run included."""
    tried = [(rate, result)]
    met = within_bound(result)
    for _ in range(steps):
        rate = rate + RATE_STEP if met else rate - RATE_STEP
        if rate <= 0:
            break
        result = run_at(rate)
        tried.append((rate, result))
        if within_bound(result) != met:
            break
    return tried


def within_bound(result):
    return result["p99_ms"] < P99_BOUND_MS and not result["errors"]


def sustained(tried):
    """The highest rate tried whose p99 stayed under the bound, or None."""
    kept = [rate for rate, result in tried if within_bound(result)]
    return max(kept) if kept else None


HEADER = (f"{'':34}{'ops/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}{'busy':>7}{'service CPU/op':>16}"
          f"{'database CPU/op':>17}{'broker CPU/op':>15}{'client CPU/op':>15}")


def row(name, result):
    return (f"{name:34}{result['ops']:>8.0f}{result['p50_ms']:>9.1f}{result['p99_ms']:>9.1f}{result['max_ms']:>9.1f}"
            f"{result['errors']:>8}{result['machine_busy'] * 100:>6.0f}%{result['service_cpu_ms']:>13.2f} ms"
            f"{result['database_cpu_ms']:>14.2f} ms{result['broker_cpu_ms']:>12.2f} ms{result['client_cpu_ms']:>12.2f} ms")


def http_worker(port, method, path_body_token):
    """A worker with its own keep-alive connection; path_body_token() gives the next request."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call():
        path, body, bearer, on_ok = path_body_token()
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            print(f"  {method} {path}: {response.status} {payload[:200]!r}", file=sys.stderr)
            return False
        if on_ok:
            on_ok(payload)
        return True

    return call


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (each sends its own file)")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=3, help="seconds run before measuring")
    parser.add_argument("--processes", type=int, default=2, help="files service processes sharing the port (SO_REUSEPORT): one per core")
    parser.add_argument("--rate", type=int, default=TARGET_RATE, help="movements started per second in the open loop (over as many files)")
    parser.add_argument("--steps", type=int, default=4, help="open-loop runs, %d/s apart, looking for the highest rate kept under p99 %d ms" % (RATE_STEP, P99_BOUND_MS))
    parser.add_argument("--step-seconds", type=float, default=8, help="measured seconds of each of those runs")
    parser.add_argument("--log-level", default="WARNING", help="LOG_LEVEL of the service (INFO logs every request)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens when the output is a pipe or a file

    load_before = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
          "(other developers share this machine)")
    services = Services()
    log = open(os.path.join(ROOT, "var", "bench-files.log"), "wb") if os.path.isdir(os.path.join(ROOT, "var")) else None
    try:
        url = fresh_database()
        users = seed(url, max(args.clients, args.rate))  # two officers per file of either loop
        amqp_uri = services.make_vhost()
        s3_port = free_port()
        moto = shutil.which("moto_server", path=os.path.join(ROOT, "var", "moto", "bin"))
        if not moto:
            sys.exit("moto_server is not installed: run `make setup`")
        services.start([moto, "-H", "127.0.0.1", "-p", str(s3_port)], log=log)
        wait_for(f"http://127.0.0.1:{s3_port}")
        port = free_port()
        env = {
            **os.environ, "FILES_DB_URL": url, "FILES_HTTP_ADDRESS": f"127.0.0.1:{port}", "FILES_METRICS_PORT": "0",
            "AMQP_URI": amqp_uri, "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "S3_BUCKET": "bench", "S3_ACCESS_KEY": "bench", "S3_SECRET_KEY": "bench", "JWT_PUBLIC_KEY": PUBLIC_KEY,
            "LOG_LEVEL": args.log_level, "FILES_MAX_WORKERS": str(max(20, args.clients * 2)),
            "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore:Eventlet is deprecated:Warning",
        }
        nameko = os.path.join(ROOT, ".venv", "bin", "nameko")
        service_pids = [
            services.start([nameko, "run", "--config", "services/files/config.yml", "files.service"], env=env, log=log).pid
            for _ in range(args.processes)
        ]
        wait_for(f"http://127.0.0.1:{port}/health/ready")
        time.sleep(1)  # every process listening

        head_id = requests.get(f"http://127.0.0.1:{port}/heads", headers={"Authorization": f"Bearer {token(users[0])}"}, timeout=10).json()["heads"][0]["id"]
        files = []
        for i in range(args.clients):
            response = requests.post(f"http://127.0.0.1:{port}/files", json={"head_id": head_id, "subject": f"बेंचमार्क फ़ाइल {i}"},
                                     headers={"Authorization": f"Bearer {token(users[2 * i])}"}, timeout=30)
            response.raise_for_status()
            files.append(response.json()["id"])
        tokens = {u: token(u) for u in users}
        print(f"files service: {args.processes} process(es), {args.clients} clients, {args.seconds:.0f} s measured after {args.warmup:.0f} s warm-up, LOG_LEVEL {args.log_level}")

        def measured(make_worker=None, open_loop=None):
            """run_load of make_worker, or run_open_loop of open_loop, with the CPU the service processes,
            PostgreSQL and this client used meanwhile."""
            service_before, client_before = process_cpu_seconds(service_pids), time.process_time()
            database_before, broker_before = database_cpu_seconds(), broker_cpu_seconds()
            if open_loop:
                result = run_open_loop(load, args.rate, args.seconds, args.warmup, open_loop)
            else:
                result = run_load(args.clients, args.seconds, args.warmup, make_worker)
            elapsed_ops = result["ops"] * (args.seconds + args.warmup)  # the warm-up ran at about the same rate
            result["database_cpu_ms"] = (database_cpu_seconds() - database_before) / max(1, elapsed_ops) * 1000
            result["broker_cpu_ms"] = (broker_cpu_seconds() - broker_before) / max(1, elapsed_ops) * 1000
            result["service_cpu_ms"] = (process_cpu_seconds(service_pids) - service_before) / max(1, elapsed_ops) * 1000
            result["client_cpu_ms"] = (time.process_time() - client_before) / max(1, elapsed_ops) * 1000
            print(f"  {row('', result).strip()}")
            return result

        print("measuring: GET /health/live, closed loop")
        health = measured(lambda i: http_worker(port, "GET", lambda: ("/health/live", None, None, None)))

        def sender(i):
            holder = {"by": users[2 * i], "to": users[2 * i + 1]}

            def next_request():
                def flip(_payload):
                    holder["by"], holder["to"] = holder["to"], holder["by"]

                return f"/files/{files[i]}/send", json.dumps({"to": holder["to"], "remarks": "अवलोकनार्थ"}), tokens[holder["by"]], flip

            return http_worker(port, "POST", next_request)

        print("measuring: POST /files/{id}/send, closed loop")
        moves = measured(sender)
        print(f"preparing the open loop: {args.rate} files")

        # The open loop: --rate files, file j sent back and forth between officers 2j and 2j + 1.
        open_files = list(files)
        for j in range(len(files), args.rate):
            response = requests.post(f"http://127.0.0.1:{port}/files", json={"head_id": head_id, "subject": f"बेंचमार्क फ़ाइल {j}"},
                                     headers={"Authorization": f"Bearer {tokens[users[2 * j]]}"}, timeout=30)
            response.raise_for_status()
            open_files.append(response.json()["id"])
        # Each closed-loop file is with whichever officer the last answered movement left it.
        holders = [(users[2 * j], users[2 * j + 1]) for j in range(len(open_files))]
        for j, file_id in enumerate(files):
            custodian = requests.get(f"http://127.0.0.1:{port}/files/{file_id}", headers={"Authorization": f"Bearer {tokens[users[2 * j]]}"},
                                     timeout=30).json()["custodian"]["id"]
            if custodian != holders[j][0]:
                holders[j] = holders[j][::-1]
        load = PacedRequests(("127.0.0.1", port), 128)
        send_paths = [f"/files/{file_id}/send".encode() for file_id in open_files]
        authorizations = {user: f"Authorization: Bearer {bearer}\r\n".encode() for user, bearer in tokens.items()}

        def open_move(i):
            j = i % len(open_files)

            def build():  # when sent: the previous movement of this file has been answered
                body = json.dumps({"to": holders[j][1], "remarks": "अवलोकनार्थ"}, ensure_ascii=False).encode()
                return (b"POST " + send_paths[j] + b" HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                        + authorizations[holders[j][0]] + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

            def done(status, payload):
                if status != 200:
                    print(f"  POST /files/{open_files[j]}/send: {status} {payload[:200]!r}", file=sys.stderr)
                    return False
                holders[j] = holders[j][::-1]
                return True

            return j, build, done

        settle(url)
        print(f"measuring: the open loop at {args.rate}/s, then up to {args.steps} shorter ones {RATE_STEP}/s apart")
        open_moves = measured(open_loop=open_move)

        def open_loop_at(rate):
            settle(url)
            result = run_open_loop(load, rate, args.step_seconds, 2, open_move)
            print(f"  at {rate}/s: p99 {result['p99_ms']:.1f} ms, {result['errors']} errors")
            return result

        tried = find_sustained_rate(args.rate, open_moves, args.steps, open_loop_at)
        load.close()

        def bare_sql(i):
            engine = create_engine(url, pool_size=1, max_overflow=0)
            connection = engine.connect()
            holder = {"by": users[2 * i], "to": users[2 * i + 1]}

            def call():
                with connection.begin():
                    connection.execute(text("UPDATE files SET custodian_id = :to, version = version + 1 WHERE id = :id AND custodian_id = :by"),
                                       {"id": files[i], "to": holder["to"], "by": holder["by"]})
                    connection.execute(text(
                        "INSERT INTO movements (file_id, action, from_user, to_user, remarks, priority, sent_at, is_current) "
                        "VALUES (:id, 'send', :by, :to, 'अवलोकनार्थ', 'normal', now(), false)"), {"id": files[i], "to": holder["to"], "by": holder["by"]})
                holder["by"], holder["to"] = holder["to"], holder["by"]
                return True

            return call

        print("measuring: bare SQL UPDATE+INSERT, closed loop")
        sql = measured(bare_sql)
        engine = create_engine(url)
        with engine.connect() as conn:
            backlog = conn.execute(text("SELECT count(*) FROM outbox")).scalar()
            outbox_total = conn.execute(text("SELECT last_value FROM outbox_seq_seq")).scalar()
        engine.dispose()
    finally:
        services.stop()
        if log:
            log.close()

    load_after = os.getloadavg()
    print(f"\n{HEADER}")
    rows = (("GET /health/live (baseline)", health), ("bare SQL UPDATE+INSERT (baseline)", sql), ("POST /files/{id}/send", moves),
            (f"the same, open loop at {args.rate}/s", open_moves))
    for name, result in rows:
        print(row(name, result))
    print(f"\nmovements/s ÷ health round trips/s = {moves['ops'] / health['ops']:.2f};  ÷ bare SQL transactions/s = {moves['ops'] / sql['ops']:.2f}")
    print(f"p99 movement ÷ p99 health = {moves['p99_ms'] / health['p99_ms']:.1f};  p99 movement ÷ p99 bare SQL = {moves['p99_ms'] / sql['p99_ms']:.1f}")
    print(f"busy = the whole machine's CPU while measuring; at {moves['service_cpu_ms']:.2f} ms of service CPU per movement, one fully "
          f"available core would carry about {1000 / moves['service_cpu_ms']:.0f} movements/s")
    print(f"outbox: {outbox_total} events written, {backlog} unpublished at the end")
    met = open_moves["ops"] >= TARGET_RATE and within_bound(open_moves)
    print(f"target (≥{TARGET_RATE} movements/s, p99 < {P99_BOUND_MS} ms on 2 cores), read from the open loop: {'met' if met else 'NOT met'}"
          f"{'' if args.rate >= TARGET_RATE else f' (offered less than {TARGET_RATE}/s)'}")
    best = sustained(tried)
    print(f"highest offered rate kept under p99 {P99_BOUND_MS} ms in this run (steps of {RATE_STEP}/s): "
          f"{f'{best}/s' if best else f'none down to {tried[-1][0]}/s'};  tried "
          + ", ".join(f"{rate}/s p99 {result['p99_ms']:.0f} ms" for rate, result in tried))
    print(f"closed loop at saturation: {moves['ops']:.0f}/s with p99 {moves['p99_ms']:.1f} ms from {args.clients} clients always waiting")
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")


if __name__ == "__main__":
    main()
