"""metrics on a Haryana-sized state: the office scoreboard, every state-wide MIS report and a
one-week recompute, each beside the bare SQL of its own queries in the same run.

The state is bench/haryana.py's (22 districts, 462 offices, 2,815 users, 8 weeks, about 307,000
facts), loaded through the consumer's own path (bench/haryana.py) into the database eoffice_bench_haryana
(kept for later runs; BENCH_STATE_FRESH=1 makes it again; BENCH_STATE_SCALE=0.05 and
BENCH_STATE_DATABASE=... make a small one elsewhere, to check that the benchmark runs). The service runs under `nameko run`, one process,
as in production; the reader is the Panchkula DC, whose `state_head` role makes every report
state-wide.

- Each route is asked BENCH_STATE_QUERIES times one after another; p50 and p99.
- Its bare SQL: the statements the route's own code sends (caught from SQLAlchemy while running
  the same function in this process) sent again through a plain psycopg2 cursor and fetched; what
  the route costs beyond them is HTTP, Python and JSON.
- The recompute: `POST /weeks/{week}/recompute` of last week (facts to daily counts and active
  users, then the week scored), beside the same statements' bare SQL.

Targets (issue 19): scoreboard p50 < 20 ms, every state-wide report p50 < 100 ms, a one-week
recompute < 1 s.
"""
import os
import time
from datetime import datetime, timezone

import haryana
import psycopg2
import requests
from sqlalchemy import event

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
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade
from eoffice_common.repository import Reading
from metrics import domain, reports, repository, usecases
from metrics.repository import MetricsUnitOfWork
from metrics.usecases_scoring import ScoreWeek, score_week

QUERIES = int(os.environ.get("BENCH_STATE_QUERIES", "50"))
FRESH = os.environ.get("BENCH_STATE_FRESH") == "1"
# BENCH_STATE_STALE=1: the state as the outside check had it, in a database of its own: never
# analysed (autovacuum is off on this machine) and the current and last week rescored 15 times, as
# the service's per-minute rescoring leaves them (dead rows in unit_scores).
STALE = os.environ.get("BENCH_STATE_STALE") == "1"
SCALE = float(os.environ.get("BENCH_STATE_SCALE", "1.4"))  # how busy the state's offices are (haryana.state)
DATABASE = os.environ.get("BENCH_STATE_DATABASE") or ("eoffice_bench_haryana_stale" if STALE else "eoffice_bench_haryana")
VHOST = DATABASE
PRIVATE_KEY, PUBLIC_KEY = new_key_pair()
REGISTER_PAGE = 100  # the route's default page
REPORTS = ["pendency", "section-pendency", "pending-with-others", "active-file-levels", "vip-receipts",
           "receipts-by-category", "file-register", "darpg-monthly", "disposal", "monthly", "dispatch", "overdue",
           "electronic", "active-users"]


def sql_url():
    return database_url(DATABASE)


def connect(database=DATABASE):
    return psycopg_connection(database)


def prepared():
    try:
        with connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM scored_weeks")
            scored = cur.fetchone()[0] >= haryana.WEEKS
            cur.execute("SELECT count(*) FROM dispatches")  # a state made before migration 0006 is made again
            return scored and cur.fetchone()[0] > 0
    except psycopg2.Error:
        return False


def make_state(engine_factory):
    admin = connect("postgres")
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        cur.execute(f"CREATE DATABASE \"{DATABASE}\" ENCODING 'UTF8' TEMPLATE template0")
    admin.close()
    upgrade(os.path.join(ROOT, "services", "metrics"), sql_url())
    engine = engine_factory()
    offices, users, facts, applying, scoring_time = haryana.load(engine, datetime.now(timezone.utc), scale=SCALE)
    if STALE:
        settings, now = domain.ScoreSettings.from_config({}), datetime.now(timezone.utc)
        for _ in range(15):
            for week in (domain.week_of(now), domain.shift_week(domain.week_of(now), -1)):
                with MetricsUnitOfWork(UnitOfWork(engine, actor="bench", correlation_id=None)) as uow:
                    score_week(ScoreWeek(week, settings, now), uow)
                    uow.commit()
    else:
        conn = connect()
        conn.cursor().execute("VACUUM ANALYZE")  # as autovacuum would after a load
        conn.close()
    print(f"  made: {len(offices)} offices, {len(users):,} users, {facts:,} facts applied in {applying:.0f} s "
          f"({facts / applying:,.0f}/s), {haryana.WEEKS} weeks scored in {scoring_time:.1f} s", flush=True)


def timed(operation, count, cpu=None):
    """p50 and p99 of `count` runs one after another; with `cpu` (cumulative CPU seconds of what
    serves them), the CPU time a run took on average: steadier than latency on a loaded machine."""
    taken = []
    cpu_before = cpu() if cpu else None
    for i in range(count):
        started = time.perf_counter()
        operation(i)
        taken.append(time.perf_counter() - started)
    figures = {"p50_ms": percentile(taken, 0.5) * 1000, "p99_ms": percentile(taken, 0.99) * 1000}
    if cpu:
        figures["cpu_ms"] = (cpu() - cpu_before) / count * 1000
    return figures


def served_cpu(service_pid, cur):
    """Cumulative CPU seconds of the service process and of its PostgreSQL backends (same host)."""
    def used():
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (DATABASE,))
        backends = [pid for (pid,) in cur.fetchall()]
        total = cpu_seconds(service_pid)
        for pid in backends:
            try:
                total += cpu_seconds(pid)
            except FileNotFoundError:  # a backend that ended meanwhile
                pass
        return total
    return used


def statements_of(engine, work, writes=False):
    """The SQL statements (with their parameters) that work(session) sends; not committed."""
    caught = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        if not executemany and (writes or statement.lstrip().upper().startswith(("SELECT", "WITH"))):
            caught.append((statement, parameters))

    event.listen(engine.engine, "before_cursor_execute", catch)
    try:
        with UnitOfWork(engine, actor="bench", correlation_id=None) as uow:
            work(uow.session)
    finally:
        event.remove(engine.engine, "before_cursor_execute", catch)
    return caught


def bare(cur, statements):
    for statement, parameters in statements:
        cur.execute(statement, parameters)
        if cur.description:
            cur.fetchall()


def bare_rolled_back(connection, statements):
    with connection.cursor() as cur:
        bare(cur, statements)
    connection.rollback()


def report_work(name, reader, now, page=1, per_page=REGISTER_PAGE):
    """What the route of report `name` asks of the database (for the file register, a page and the
    count of entries; per_page None: the whole register, as its CSV)."""
    today = now.astimezone(domain.IST).date()
    long = name in ("monthly", "darpg-monthly")
    period = (today.fromordinal(today.toordinal() - (365 if long else 30)), today)
    command = usecases.ReadReport(name, reader, None, now, period if name in usecases.PERIOD_REPORTS else None,
                                  page=page, per_page=per_page)

    def work(session):
        usecases.read_report(command, reports.reading(session))
    return work


def print_row(label, figures, sql, target):
    cpu = f"   CPU {figures['cpu_ms']:>6.1f} ms a request (service + database)" if "cpu_ms" in figures else ""
    print(f"    {label:<34} p50 {figures['p50_ms']:>7.1f} ms  p99 {figures['p99_ms']:>7.1f} ms   "
          f"its SQL alone p50 {sql['p50_ms']:>6.1f} ms   {'met' if figures['p50_ms'] < target else 'NOT met'} (< {target} ms){cpu}",
          flush=True)


def main():
    load = os.getloadavg()
    print(f"metrics on a Haryana-sized state: {os.cpu_count()} cores; load average {load[0]:.1f} at start "
          "(the machine is shared: figures vary from run to run)", flush=True)
    if FRESH or not prepared():
        print(f"  making the state in {DATABASE} (once; BENCH_STATE_FRESH=1 makes it again) ...", flush=True)
        make_state(lambda: StandaloneEngine(sql_url()))
    else:
        print(f"  using the state already in {DATABASE}", flush=True)
    engine = StandaloneEngine(sql_url())
    conn = connect()
    cur = conn.cursor()
    cur.execute("SELECT max(greatest(last_analyze, last_autoanalyze)), sum(n_dead_tup) FROM pg_stat_user_tables WHERE relname = 'unit_scores'")
    analyzed, dead = cur.fetchone()
    print(f"  unit_scores last analysed {analyzed or 'never'}, {dead:,} dead rows", flush=True)
    cur.execute("SELECT (SELECT count(*) FROM offices), (SELECT count(*) FROM users), (SELECT count(*) FROM facts),"
                " (SELECT user_id FROM users WHERE roles::text LIKE '%state_head%' LIMIT 1)")
    offices, users, facts, reader = cur.fetchone()
    print(f"  {offices} offices, {users:,} users, {facts:,} facts", flush=True)

    amqp_uri = fresh_vhost(VHOST)
    http_port, metrics_port = free_port(), free_port()
    env = {
        "METRICS_DB_URL": sql_url(), "AMQP_URI": amqp_uri, "METRICS_HTTP_ADDRESS": f"127.0.0.1:{http_port}",
        "METRICS_DIRECTORY_BOOTSTRAP": "false", "JWT_PUBLIC_KEY": PUBLIC_KEY, "METRICS_METRICS_PORT": str(metrics_port),
    }
    service = start_service("metrics", env, http_port)
    base = f"http://127.0.0.1:{http_port}"
    try:
        session = requests.Session()
        session.headers["Authorization"] = "Bearer " + issue_token(
            PRIVATE_KEY, Principal(reader, "HR-PKL-DC1", ("officer",), "Bench"))
        now = datetime.now(timezone.utc)
        with UnitOfWork(engine, actor="bench", correlation_id=None) as uow:
            week = repository.latest_scored_week(uow.session, domain.week_of(now))
        label = domain.week_label(week)
        health = timed(lambda i: session.get(f"{base}/health/live").raise_for_status(), QUERIES)
        print(f"\n  {QUERIES} requests each, one after another; GET /health/live (HTTP baseline) p50 {health['p50_ms']:.1f} ms")
        cpu = served_cpu(service.pid, cur)
        board = timed(lambda i: session.get(f"{base}/scoreboard?level=office").raise_for_status(), QUERIES, cpu)
        board_sql = statements_of(engine, lambda s: (repository.latest_scored_week(s, week), repository.scoreboard(s, week, "office"),
                                                     repository.scored_week(s, week)))
        print_row(f"GET /scoreboard ({offices} offices)", board, timed(lambda i: bare(cur, board_sql), QUERIES), 20)
        page = timed(lambda i: session.get(f"{base}/scoreboard/page?level=office").raise_for_status(), QUERIES, cpu)
        print_row("GET /scoreboard/page (HTML)", page, timed(lambda i: bare(cur, board_sql), QUERIES), 20)
        print("\n  every MIS report, state-wide (no scope asked: the reader's whole jurisdiction)")
        for name in REPORTS:
            answer = session.get(f"{base}/mis/{name}")
            answer.raise_for_status()
            rows = len(answer.json()["rows"])
            figures = timed(lambda i, name=name: session.get(f"{base}/mis/{name}").raise_for_status(), QUERIES, cpu)
            statements = statements_of(engine, report_work(name, reader, now))
            print_row(f"/mis/{name} ({rows:,} rows)", figures, timed(lambda i, s=statements: bare(cur, s), QUERIES), 100)
        # The file register's JSON is a page (above); beside it the whole register, as its CSV gives it
        # (the JSON of every entry was this route's answer before it was paged).
        total = session.get(f"{base}/mis/file-register").json()["total"]
        last_page = -(-total // REGISTER_PAGE)
        figures = timed(lambda i: session.get(f"{base}/mis/file-register?page={last_page}").raise_for_status(), QUERIES, cpu)
        last_sql = statements_of(engine, report_work("file-register", reader, now, page=last_page))
        print_row(f"/mis/file-register?page={last_page} (last)", figures, timed(lambda i: bare(cur, last_sql), QUERIES), 100)
        figures = timed(lambda i: session.get(f"{base}/mis/file-register?format=csv").raise_for_status(), QUERIES, cpu)
        whole = statements_of(engine, report_work("file-register", reader, now, per_page=None))
        print_row(f"/mis/file-register?format=csv ({total:,} rows)", figures, timed(lambda i: bare(cur, whole), QUERIES), 100)
        last = domain.shift_week(week, -1)
        recompute_token = issue_token(PRIVATE_KEY, Principal("bench.admin", "HR-PKL-DC1", ("admin",), "Bench"))
        runs = max(3, QUERIES // 10)
        recompute = timed(lambda i: requests.post(
            f"{base}/weeks/{domain.week_label(last)}/recompute", headers={"Authorization": f"Bearer {recompute_token}"},
            timeout=60).raise_for_status(), runs, cpu)
        settings = domain.ScoreSettings.from_config({})
        recompute_sql = statements_of(engine, lambda s: score_week(ScoreWeek(last, settings, now, rebuild=True), MetricsUnitOfWork(Reading(s))),
                                      writes=True)
        writer = connect()
        writer.autocommit = False
        print(f"\n  one-week recompute of {domain.week_label(last)} ({runs} runs; target < 1 s)")
        print_row("POST /weeks/{week}/recompute", recompute, timed(lambda i: bare_rolled_back(writer, recompute_sql), runs), 1000)
        writer.close()
        print(f"  (scoreboard week {label}; the service's scorer runs too, as in production)")
    finally:
        service.terminate()
        service.wait(30)
        drop_vhost(VHOST)
        conn.close()
    print(f"  load average {os.getloadavg()[0]:.1f} at the end", flush=True)


if __name__ == "__main__":
    main()
