"""`make chaos`: a bounded fault-injection run (issue 18).

It starts a RabbitMQ node and a PostgreSQL cluster of its own (other ports, loopback only, in a
temporary folder), migrates and starts dak, files, notify and metrics as `nameko run` processes
(documents on disk, no S3), imports the demo directory, and then, for --load-seconds, makes up to
--writes writes from --clients concurrent clients, each a cycle of four:

  1. dak   POST /receipts               diarise a physical letter and send it to the office's clerk
  2. files POST /files                  the clerk opens a (non-SFS) file
  3. dak   POST /receipts/{id}/put-in-file   the clerk puts the letter in it (dak asks files by RPC)
  4. files POST /files/{id}/send         the clerk sends the file to the section officer

Every write carries a marker unique to the run, the client and the cycle (in the receipt's subject
and remarks, the file's number and subject, the movement's remarks) and an Idempotency-Key. A write
answered with a connection error, a timeout, 502, 503 or 504 is tried again (same body, same key)
for up to --retry-seconds, honouring Retry-After; any other answer is final.

Meanwhile it injects faults at fixed points of the load: `kill -9` of the broker (restarted after a
pause), SIGKILL of notify and of files (restarted), `pg_ctl stop -m immediate` of PostgreSQL
(restarted), and broker and database together. Then it waits for every outbox to drain and the
downstream effects to settle, and counts from each service's own database:

  * writes accepted (2xx) and refused (by status), and whether each accepted write is there once;
  * the events each service committed (from the state they were committed with: a receipt is one
    receipt_diarised, each of its send movements one receipt_sent, ...), against what the consumers
    applied: a notification in notify per receipt_sent and file_sent, a correspondence item in files
    per receipt put in a file, a fact in metrics per event; lost = committed but never applied,
    duplicated = applied more than once (a consumer's effect, or a metrics fact, twice);
  * dead letters and what is left in the outboxes.

It prints a table and writes it to the section "Fault injection (`make chaos`)" of BENCHMARKS.md
(replacing that section if a previous run wrote it). Everything it started is stopped at the end,
on failure and on Ctrl-C. Logs are kept in var/chaos/.

    .venv/bin/python dev/chaos.py [--writes 10000] [--clients 8] [--load-seconds 200] [--cap 360]
"""
import argparse
import collections
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from datetime import datetime, timezone

import requests
from sqlalchemy import create_engine, text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "common"), os.path.join(ROOT, "services", "dak")]

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
from dak.cli import DEMO_MASTER  # noqa: E402
from dak.directory import load_master  # noqa: E402
from eoffice_common.auth import Principal, issue_token, new_key_pair  # noqa: E402

BIN = os.path.join(ROOT, ".venv", "bin")
LOGS = os.path.join(ROOT, "var", "chaos")
QUIET = "ignore::DeprecationWarning,ignore:Eventlet is deprecated:Warning"
SERVICES = ("dak", "files", "notify", "metrics")
# Each client works in one office: the diarist diarises and sends to the clerk, the clerk files the
# letter and sends the file to the section officer.
OFFICES = ("jhs", "jln", "llp", "lko")
RETRYABLE = {502, 503, 504, "connection", "timeout"}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(predicate, timeout, what, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 (whatever is not up yet)
            pass
        time.sleep(interval)
    raise RuntimeError(f"{what} did not happen within {timeout} s")


def cpu_busy():
    """(busy jiffies, total jiffies) of the whole machine."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --- what the run starts --------------------------------------------------------------------------

class Broker:
    """A RabbitMQ node of its own, in the foreground of a session of its own (no management plugin)."""

    def __init__(self, base):
        self.base = os.path.join(base, "rabbitmq")
        os.makedirs(self.base)
        self.port, self.dist_port = free_port(), free_port()
        self.node = f"eoffice-chaos-{os.getpid()}@localhost"
        with open(os.path.join(self.base, "enabled_plugins"), "w") as handle:
            handle.write("[].\n")
        with open(os.path.join(self.base, "rabbitmq.conf"), "w") as handle:
            handle.write(f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users.guest = true\n")
        with open(os.path.join(self.base, "rabbitmq-env.conf"), "w") as handle:
            handle.write("ERL_EPMD_ADDRESS=127.0.0.1\n")
        self.env = {
            **os.environ, "HOME": self.base, "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port), "RABBITMQ_MNESIA_BASE": os.path.join(self.base, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.base, "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(self.base, "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": os.path.join(self.base, "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": os.path.join(self.base, "rabbitmq-env.conf"),
            "ERL_EPMD_ADDRESS": "127.0.0.1", "ERL_FLAGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }
        self.process = None
        self.uri = f"pyamqp://guest:guest@127.0.0.1:{self.port}/"

    def start(self):
        out = open(os.path.join(LOGS, "rabbitmq.out"), "ab")
        self.process = subprocess.Popen(
            ["/usr/lib/rabbitmq/bin/rabbitmq-server"], env=self.env, stdout=out, stderr=out,
            stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.base,
        )
        wait_until(lambda: port_open(self.port), 90, "RabbitMQ's start")

    def kill(self):
        """kill -9 of the Erlang VM (and everything in its session)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)
        self.process = None

    stop = kill


class Postgres:
    """A PostgreSQL cluster of its own (initdb, pg_ctl), run as the postgres user when we are root."""

    def __init__(self, base):
        self.base = os.path.join(base, "pg")
        os.makedirs(self.base)
        self.data = os.path.join(self.base, "data")
        self.port = free_port()
        versions = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: int(v) if v.isdigit() else 0)
        self.bin = os.path.join("/usr/lib/postgresql", versions[-1], "bin")
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(base, "postgres")
            shutil.chown(self.base, "postgres")
        self.running = False
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}"

    def run(self, *command, check=True):
        return subprocess.run([*self.as_user, *command], check=check, capture_output=True, text=True)

    def init(self):
        self.run(os.path.join(self.bin, "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as handle:
            handle.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.base}'\n"
                         "max_connections = 200\n")

    def start(self):
        self.run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.base, "postgres.log"), "-w", "-t", "60", "start")
        self.running = True

    def kill(self):
        """pg_ctl stop -m immediate: every backend quits at once, no checkpoint; the restart recovers."""
        self.run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        self.running = False

    stop = kill


class Service:
    def __init__(self, name, env):
        self.name, self.env = name, env
        self.http_port = int(env[f"{name.upper()}_HTTP_ADDRESS"].rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.log_path = os.path.join(LOGS, f"{name}.log")
        self.process = None
        self.expected_exit = False
        # Held while a process is started and while the watchdog looks at it: without it the watchdog
        # could see the process a fault killed, after the fault's restart had cleared `expected_exit`,
        # and start a second one, which then failed on the ports the first held, again and again.
        self.lock = threading.Lock()

    def start(self, wait=True):
        out = open(self.log_path, "ab")
        with self.lock:
            self.process = subprocess.Popen(
                [os.path.join(BIN, "nameko"), "run", "--config", f"services/{self.name}/config.yml", f"{self.name}.service"],
                cwd=ROOT, env=self.env, stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True,
            )
            self.expected_exit = False
        if wait:
            self.wait_live()

    def exited_by_itself(self):
        with self.lock:
            return self.process is not None and self.process.poll() is not None and not self.expected_exit

    def wait_live(self, timeout=90):
        wait_until(lambda: requests.get(f"{self.url}/health/live", timeout=1).status_code == 200, timeout, f"{self.name}'s start")

    def kill(self):
        self.expected_exit = True
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self):
        self.expected_exit = True
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


# --- the load -------------------------------------------------------------------------------------

class Load:
    def __init__(self, urls, tokens, run_id, writes, clients, seconds, retry_seconds, send_at_once=False):
        self.urls, self.tokens, self.run_id, self.send_at_once = urls, tokens, run_id, send_at_once
        self.writes, self.clients, self.seconds, self.retry_seconds = writes, clients, seconds, retry_seconds
        self.rate = writes / seconds
        self.lock = threading.Lock()
        self.issued = 0
        self.stop_event = threading.Event()
        self.requests = collections.Counter()   # (op, status) per HTTP request
        self.outcomes = collections.Counter()   # (op, final status) per write
        self.records = []                       # per write: op, marker, final status, attempts, an earlier answer lost?
        self.latency = collections.defaultdict(list)  # op -> seconds from the first attempt to the final answer
        self.ids = {"receipts": {}, "files": {}}  # marker -> id, from accepted answers

    def take(self):
        """The next write's number, when its time has come (paced to rate), or None when done."""
        with self.lock:
            if self.issued >= self.writes or self.stop_event.is_set():
                return None
            number = self.issued
            self.issued += 1
        delay = self.started + number / self.rate - time.time()
        if delay > 0:
            self.stop_event.wait(delay)
        return None if self.stop_event.is_set() else number

    def write(self, session, op, service, path, user, body, marker):
        key = f"{marker}-{op.replace(' ', '-')}"  # a key is visible ASCII: no spaces
        headers = {"Authorization": f"Bearer {self.tokens[user]}", "Idempotency-Key": key, "X-Correlation-ID": key}
        first, attempts, lost_answer, status, answer = time.time(), 0, False, None, None
        while True:
            attempts += 1
            retry_after = None
            try:
                response = session.post(f"{self.urls[service]}{path}", json=body, headers=headers, timeout=15)
                status = response.status_code
                retry_after = response.headers.get("Retry-After")
                answer = None
                if 200 <= status < 300:
                    try:
                        answer = response.json()
                    except ValueError:
                        status = "2xx, not JSON"
                lost_answer = lost_answer or status == 500  # a fault: committed or not, the client cannot tell
            except requests.Timeout:
                status, lost_answer = "timeout", True
            except requests.ConnectionError as exc:
                # Refused before sending: the write never reached the service; reset or closed after
                # sending: the answer may be lost.
                status = "connection"
                lost_answer = lost_answer or "refused" not in str(exc).lower()
            with self.lock:
                self.requests[(op, status)] += 1
            if status not in RETRYABLE or time.time() - first > self.retry_seconds or self.stop_event.is_set():
                break
            try:
                pause = min(2.0, float(retry_after)) if retry_after else min(2.0, 0.25 * 2 ** attempts)
            except ValueError:
                pause = 1.0
            time.sleep(pause)
        with self.lock:
            self.outcomes[(op, status)] += 1
            self.records.append((op, marker, status, attempts, lost_answer))
            self.latency[op].append(time.time() - first)
        return answer

    def client(self, index):
        """Cycles of diarise+send, create file, put in file; each cycle's file is sent in the next cycle,
        as an officer does other work between filing a letter and sending the file on (sending it in
        the same breath races the receipt_put_in_file event: see the README of this run)."""
        office = OFFICES[index % len(OFFICES)]
        diarist, clerk, officer = f"diarist.{office}", f"clerk.{office}", f"so.{office}"
        sessions = {name: requests.Session() for name in ("dak", "files")}
        to_send = None  # (marker, file id) of the previous cycle

        def send_file():
            if to_send and self.take() is not None:
                self.write(sessions["files"], "send file", "files", f"/files/{to_send[1]}/send", clerk,
                           {"to": officer, "remarks": to_send[0]}, to_send[0])

        for cycle in itertools.count():
            marker = f"CHAOS{self.run_id}-{index:02d}-{cycle:05d}"
            if self.take() is None:
                return
            receipt = self.write(sessions["dak"], "diarise+send", "dak", "/receipts", diarist, {
                "kind": "physical", "delivery_mode": "post", "subject": f"{marker} letter",
                "sender": {"name": "Chaos Sender", "organisation": f"Chaos Org {index}"},
                "send": {"to": [clerk], "remarks": marker},
            }, marker)
            if receipt:
                self.ids["receipts"][marker] = receipt["receipt"]["id"]
            send_file()
            to_send = None
            if self.take() is None:
                return
            file = self.write(sessions["files"], "create file", "files", "/files", clerk, {
                "numbering": "non_sfs", "file_number": marker, "subject": f"{marker} file",
            }, marker)
            if file:
                self.ids["files"][marker] = file["id"]
                to_send = (marker, file["id"])
            if receipt and file:
                if self.take() is None:
                    return
                self.write(sessions["dak"], "put in file", "dak", f"/receipts/{receipt['receipt']['id']}/put-in-file", clerk,
                           {"file_id": file["id"]}, marker)
            if self.send_at_once:
                send_file()
                to_send = None

    def run(self):
        self.started = time.time()
        threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(self.clients)]
        for thread in threads:
            thread.start()
        return threads


# --- the run --------------------------------------------------------------------------------------

class Chaos:
    def __init__(self, args):
        self.args = args
        self.run_id = uuid.uuid4().hex[:6].upper()
        self.base = tempfile.mkdtemp(prefix="eoffice-chaos-")
        os.chmod(self.base, 0o755)
        self.broker = Broker(self.base)
        self.pg = Postgres(self.base)
        self.services = {}
        self.faults = []        # (t, what, seconds down)
        self.unplanned_exits = collections.Counter()
        self.backlog = []       # (t, {service: outbox rows}) sampled during the run
        self.broker_back = []   # t at which the broker answered again
        self.stopping = threading.Event()   # set when the run ends or is interrupted
        self.load_over = threading.Event()  # set when the load ends: no further fault starts
        self.helpers = []

    def db_url(self, name):
        return f"{self.pg.url}/chaos_{name}"

    def env(self, name):
        upper = name.upper()
        inherited = {k: v for k, v in os.environ.items() if k != "EOFFICE_EMBEDDED" and not k.endswith("_DB_URL")}
        return {
            **inherited, "PYTHONWARNINGS": QUIET, "LOG_LEVEL": self.args.log_level, "AMQP_URI": self.broker.uri,
            f"{upper}_DB_URL": self.db_url(name), f"{upper}_HTTP_ADDRESS": f"127.0.0.1:{free_port()}",
            f"{upper}_METRICS_PORT": str(free_port()), "S3_ENDPOINT_URL": "",
            "DOCUMENTS_DIR": os.path.join(self.base, "documents"), "JWT_PUBLIC_KEY": self.public_key,
        }

    def set_up(self):
        shutil.rmtree(LOGS, ignore_errors=True)
        os.makedirs(LOGS)
        self.private_key, self.public_key = new_key_pair()
        log(f"PostgreSQL on 127.0.0.1:{self.pg.port}, RabbitMQ on 127.0.0.1:{self.broker.port} (node {self.broker.node}), in {self.base}")
        self.pg.init()
        self.pg.start()
        broker = threading.Thread(target=self.broker.start)
        broker.start()
        admin = create_engine(f"{self.pg.url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in SERVICES:
                conn.execute(text(f"CREATE DATABASE chaos_{name} ENCODING 'UTF8' TEMPLATE template0"))
        admin.dispose()
        self.engines = {name: create_engine(self.db_url(name), pool_size=2, pool_pre_ping=True,
                                            connect_args={"connect_timeout": 2}) for name in SERVICES}
        broker.join()  # `<service> migrate` also declares the service's queues
        if not port_open(self.broker.port):
            raise RuntimeError("RabbitMQ did not start; see var/chaos/rabbitmq.out")
        migrations = [subprocess.Popen([os.path.join(BIN, name), "migrate"], cwd=ROOT, env=self.env(name),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for name in SERVICES]
        for name, process in zip(SERVICES, migrations, strict=True):
            if process.wait(120) != 0:
                raise RuntimeError(f"{name} migrate failed: {process.stderr.read().decode()[-2000:]}")
        for name in SERVICES:
            self.services[name] = Service(name, self.env(name))
            self.services[name].start(wait=False)
        for service in self.services.values():
            service.wait_live()
        subprocess.run([os.path.join(BIN, "dak"), "import-directory"], cwd=ROOT, env=self.env("dak"), check=True,
                       capture_output=True)
        master = load_master(DEMO_MASTER)
        users = master["users"]
        self.tokens = {u["id"]: issue_token(self.private_key, Principal(u["id"], u["office"], tuple(u["roles"]), u["name_en"]), 3 * 3600)
                       for u in users}
        checks = {"files": "SELECT count(*) FROM users", "notify": "SELECT count(*) FROM recipients",
                  "metrics": "SELECT count(*) FROM users"}
        wait_until(lambda: all(self.scalar(name, sql) >= len(users) for name, sql in checks.items()), 60,
                   "the directory reaching files, notify and metrics")
        log(f"{', '.join(SERVICES)} running; directory of {len(users)} users imported and received")

    def scalar(self, name, sql, **params):
        with self.engines[name].connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, name, sql, **params):
        with self.engines[name].connect() as conn:
            return conn.execute(text(sql), params).all()

    # --- faults ---

    def schedule(self, seconds):
        """(at, what, action, seconds down). The last fault keeps the broker down past the end of the
        load, so that the drain afterwards starts from a backlog."""
        s = seconds
        return [
            (0.08 * s, "kill -9 RabbitMQ", self.fault_broker, 15),
            (0.24 * s, "SIGKILL notify", lambda down: self.fault_service("notify", down), 5),
            (0.36 * s, "pg_ctl stop -m immediate", self.fault_database, 10),
            (0.50 * s, "SIGKILL files", lambda down: self.fault_service("files", down), 5),
            (0.62 * s, "kill -9 RabbitMQ and PostgreSQL at once", self.fault_both, 12),
            (0.76 * s, "SIGKILL metrics", lambda down: self.fault_service("metrics", down), 5),
            (0.88 * s, "kill -9 RabbitMQ, restarted after the load", self.fault_broker, 0.12 * s + 2),
        ]

    # A fault restarts what it stopped unless the run is being stopped meanwhile (Ctrl-C, failure).
    def fault_broker(self, down):
        self.broker.kill()
        if self.stopping.wait(down):
            return
        self.broker.start()
        self.broker_back.append(time.time())

    def fault_service(self, name, down):
        self.services[name].kill()
        if self.stopping.wait(down):
            return
        self.services[name].start()

    def fault_database(self, down):
        self.pg.kill()
        if self.stopping.wait(down):
            return
        self.pg.start()

    def fault_both(self, down):
        self.broker.kill()
        self.pg.kill()
        if self.stopping.wait(down):
            return
        self.pg.start()
        self.broker.start()
        self.broker_back.append(time.time())

    def injector(self, started, seconds):
        for at, what, action, down in self.schedule(seconds):
            if self.stopping.wait(max(0, started + at - time.time())) or self.load_over.is_set():
                return
            t = time.time() - started
            log(f"fault at {t:5.1f} s: {what} (down {down} s)")
            action(down)
            self.faults.append((t, what, time.time() - started - t))

    def watchdog(self):
        """Restart a service that exits without being told to, and count it."""
        while not self.stopping.wait(1):
            for service in list(self.services.values()):
                if service.exited_by_itself():
                    self.unplanned_exits[service.name] += 1
                    log(f"{service.name} exited by itself (code {service.process.returncode}); restarting it")
                    try:
                        service.start()
                    except RuntimeError as exc:
                        log(str(exc))

    def sampler(self, started):
        while not self.stopping.wait(1):
            sample = {}
            for name in SERVICES:
                try:
                    sample[name] = self.scalar(name, "SELECT count(*) FROM outbox")
                except Exception:  # noqa: BLE001 (the database is down)
                    sample[name] = None
            self.backlog.append((time.time() - started, sample))

    # --- counting ---

    def outboxes(self):
        return {name: self.scalar(name, "SELECT count(*) FROM outbox") for name in SERVICES}

    def effects_total(self):
        like = f"CHAOS{self.run_id}-%"
        return (
            self.scalar("notify", "SELECT count(*) FROM notifications WHERE kind IN ('receipt_sent', 'file_sent')"),
            self.scalar("files", "SELECT count(*) FROM correspondence WHERE kind = 'receipt'"),
            self.scalar("metrics", "SELECT count(*) FROM facts"),
            self.scalar("dak", "SELECT count(*) FROM receipts WHERE subject LIKE :m", m=like),
        )

    def drain(self, deadline):
        """Until every outbox is empty and the downstream counts have not moved for 5 s."""
        began = time.time()
        empty_at, last, still_since = None, None, time.time()
        while time.time() < deadline:
            try:
                boxes = self.outboxes()
                totals = self.effects_total()
            except Exception as exc:  # noqa: BLE001
                log(f"drain: {exc.__class__.__name__}")
                time.sleep(1)
                continue
            if empty_at is None and not any(boxes.values()):
                empty_at = time.time() - began
            if totals != last:
                last, still_since = totals, time.time()
            elif empty_at is not None and time.time() - still_since >= 5:
                return empty_at, still_since - began, True
            time.sleep(0.5)
        return empty_at, (still_since - began) if last else None, False

    def count(self, load):
        like = f"CHAOS{self.run_id}-%"
        marker_of = re.compile(rf"(CHAOS{self.run_id}-\d\d-\d{{5}})")
        receipts = self.rows("dak", "SELECT id, subject, file_id FROM receipts WHERE subject LIKE :m", m=like)
        receipt_markers = collections.Counter(marker_of.match(r.subject).group(1) for r in receipts)
        receipt_ids = {r.id for r in receipts}
        receipt_sends = collections.Counter(r.receipt_id for r in self.rows(
            "dak", "SELECT m.receipt_id FROM receipt_movements m JOIN receipts r ON r.id = m.receipt_id "
                   "WHERE r.subject LIKE :m AND m.action = 'send' AND NOT m.copy", m=like))
        put = {r.id: r.file_id for r in receipts if r.file_id}
        files = self.rows("files", "SELECT id, file_number FROM files WHERE file_number LIKE :m", m=like)
        file_markers = collections.Counter(f.file_number for f in files)
        file_ids = {f.id for f in files}
        file_sends = collections.Counter(r.file_id for r in self.rows(
            "files", "SELECT m.file_id FROM movements m JOIN files f ON f.id = m.file_id "
                     "WHERE f.file_number LIKE :m AND m.action = 'send'", m=like))
        links = self.rows("files", "SELECT receipt_id, file_id FROM correspondence WHERE kind = 'receipt'")
        links_by_receipt = collections.Counter(r.receipt_id for r in links if r.receipt_id in receipt_ids)
        links_by_file = collections.Counter(r.file_id for r in links if r.file_id in file_ids)
        send_marked = sum(1 for r in self.rows(
            "files", "SELECT m.remarks FROM movements m WHERE m.action = 'send' AND m.remarks LIKE :m", m=like))
        notices = self.rows("notify", "SELECT kind, item_id FROM notifications WHERE kind IN ('receipt_sent', 'file_sent')")
        notices = collections.Counter((n.kind, n.item_id) for n in notices)
        facts = self.rows("metrics", "SELECT event_type, item_id, event_id FROM facts "
                                     "WHERE event_type IN ('receipt_diarised', 'receipt_sent', 'receipt_put_in_file', "
                                     "'file_created', 'file_sent', 'receipt_linked')")
        fact_counts = collections.Counter((f.event_type, f.item_id) for f in facts)
        fact_duplicates = self.scalar("metrics", "SELECT count(*) - count(DISTINCT event_id) FROM facts")

        def compare(expected, seen):
            lost = sum(max(0, n - seen.get(key, 0)) for key, n in expected.items())
            duplicated = sum(max(0, seen.get(key, 0) - n) for key, n in expected.items())
            return sum(expected.values()), sum(min(n, seen.get(key, 0)) for key, n in expected.items()), lost, duplicated

        effects = []
        effects.append(("receipt_sent → notify notification", *compare(
            dict(receipt_sends), {item: n for (kind, item), n in notices.items() if kind == "receipt_sent"})))
        effects.append(("file_sent → notify notification", *compare(
            dict(file_sends), {item: n for (kind, item), n in notices.items() if kind == "file_sent"})))
        effects.append(("receipt_put_in_file → files correspondence", *compare(
            {rid: 1 for rid in put}, dict(links_by_receipt))))
        metrics_expected = {}
        for rid in receipt_ids:
            metrics_expected[("receipt_diarised", rid)] = 1
            if receipt_sends.get(rid):
                metrics_expected[("receipt_sent", rid)] = receipt_sends[rid]
            if rid in put:
                metrics_expected[("receipt_put_in_file", rid)] = 1
        for fid in file_ids:
            metrics_expected[("file_created", fid)] = 1
            if file_sends.get(fid):
                metrics_expected[("file_sent", fid)] = file_sends[fid]
            if links_by_file.get(fid):
                metrics_expected[("receipt_linked", fid)] = links_by_file[fid]
        effects.append(("dak and files events → metrics facts", *compare(metrics_expected, dict(fact_counts))))

        committed = {
            "dak": len(receipts) + sum(receipt_sends.values()) + len(put),
            "files": len(files) + sum(file_sends.values()) + sum(links_by_file.values()),
        }
        # Each accepted write present exactly once: by its marker in the state it wrote.
        accepted = collections.Counter()
        present = {"diarise+send": receipt_markers, "create file": file_markers}
        once = collections.Counter()
        twice = collections.Counter()
        ghost = collections.Counter()  # not accepted (the client saw no 2xx), but committed
        for op, marker, status, _attempts, _lost in load.records:
            ok = isinstance(status, int) and 200 <= status < 300
            accepted[op] += ok
            if op in present:
                n = present[op].get(marker, 0)
                if ok:
                    once[op] += n == 1
                    twice[op] += n > 1
                elif n:
                    ghost[op] += 1
        accepted_put = [m for op, m, s, _a, _l in load.records if op == "put in file" and isinstance(s, int) and 200 <= s < 300]
        once["put in file"] = sum(1 for m in accepted_put if put.get(load.ids["receipts"].get(m)) == load.ids["files"].get(m))
        accepted_send = [m for op, m, s, _a, _l in load.records if op == "send file" and isinstance(s, int) and 200 <= s < 300]
        sends_by_marker = collections.Counter(r.remarks for r in self.rows(
            "files", "SELECT remarks FROM movements WHERE action = 'send' AND remarks LIKE :m", m=like))
        once["send file"] = sum(1 for m in accepted_send if sends_by_marker.get(m) == 1)
        twice["send file"] = sum(1 for m in accepted_send if sends_by_marker.get(m, 0) > 1)
        sent_ops = {m for op, m, s, _a, _l in load.records if op == "send file"}
        ghost["send file"] = sum(1 for m in sent_ops if m not in set(accepted_send) and sends_by_marker.get(m))
        dead = {name: self.scalar(name, "SELECT count(*) FROM dead_letters") for name in SERVICES}
        dead_twice = {name: self.scalar(name, "SELECT count(*) - count(DISTINCT (consumer, event_id)) FROM dead_letters")
                      for name in SERVICES}
        uuid_like = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        dead_reasons = collections.Counter()
        for name in SERVICES:
            for row in self.rows(name, "SELECT consumer, reason FROM dead_letters"):
                reason = re.sub(r"\b(clerk|so|diarist)\.[a-z]+\b", r"\1.*", uuid_like.sub("<id>", row.reason))
                dead_reasons[(row.consumer, reason[:160])] += 1
        return {
            "receipts": len(receipts), "files": len(files), "put": len(put), "file_sends": send_marked,
            "accepted": accepted, "once": once, "twice": twice, "ghost": ghost, "effects": effects,
            "committed": committed, "fact_duplicates": fact_duplicates, "dead": dead, "dead_twice": dead_twice, "dead_reasons": dead_reasons, "outboxes": self.outboxes(),
        }

    # --- the whole run ---

    def main(self):
        args = self.args
        run_started = time.time()
        hard_deadline = run_started + args.cap
        load_before = os.getloadavg()
        self.set_up()
        for engine in self.engines.values():
            engine.dispose()
        load = Load({n: s.url for n, s in self.services.items()}, self.tokens, self.run_id, args.writes, args.clients,
                    args.load_seconds, args.retry_seconds, args.send_at_once)
        busy_from = cpu_busy()
        started = time.time()
        self.helpers = helpers = [threading.Thread(target=self.injector, args=(started, args.load_seconds), daemon=True),
                   threading.Thread(target=self.watchdog, daemon=True),
                   threading.Thread(target=self.sampler, args=(started,), daemon=True)]
        for helper in helpers:
            helper.start()
        log(f"load: up to {args.writes} writes over {args.load_seconds} s from {args.clients} clients (run {self.run_id})")
        threads = load.run()
        load_end = min(started + args.load_seconds, hard_deadline - 30)
        while time.time() < load_end and any(t.is_alive() for t in threads):
            time.sleep(0.5)
            done = sum(load.outcomes.values())
            if int(time.time() - started) % 15 == 0:
                log(f"  {done} writes answered, {load.issued} issued")
                time.sleep(0.5)
        load.stop_event.set()
        self.load_over.set()
        for thread in threads:
            thread.join(args.retry_seconds + 20)
        helpers[0].join(0.12 * args.load_seconds + 90)  # a fault in progress restarts what it stopped
        load_seconds = time.time() - started
        log(f"load over after {load_seconds:.0f} s: {len(load.records)} writes; waiting for the outboxes to drain")
        drain_from = time.time()
        empty_after, settled_after, settled = self.drain(min(hard_deadline, drain_from + args.drain_seconds))
        self.stopping.set()
        for helper in helpers[1:]:
            helper.join(5)
        busy_to = cpu_busy()
        with open(os.path.join(LOGS, "outbox-backlog.json"), "w") as handle:
            json.dump([[round(t, 1), sample] for t, sample in self.backlog], handle)
        figures = self.count(load)
        figures.update(
            load=load, load_seconds=load_seconds, empty_after=empty_after, settled_after=settled_after, settled=settled,
            busy=(busy_to[0] - busy_from[0]) / max(1, busy_to[1] - busy_from[1]), load_before=load_before,
            load_after=os.getloadavg(), logs=self.log_figures(), log_errors=self.log_errors(), recovery=self.recovery(started),
            total_seconds=time.time() - run_started,
        )
        report = self.report(figures)
        print(report, flush=True)
        if args.write_benchmarks:
            write_section(report)
            log("written to BENCHMARKS.md")
        lost = sum(e[3] for e in figures["effects"])
        duplicated = sum(e[4] for e in figures["effects"]) + figures["fact_duplicates"]
        return 0 if settled and not lost and not duplicated else 1

    def recovery(self, started):
        """Per broker return: seconds until the outboxes of dak and files were back under 100 rows."""
        result = []
        for back in self.broker_back:
            t0 = back - started
            later = [(t, s) for t, s in self.backlog if t >= t0 and s.get("dak") is not None and s.get("files") is not None]
            peak = max((s["dak"] + s["files"] for t, s in self.backlog if t0 - 20 <= t <= t0 + 30
                        and s.get("dak") is not None and s.get("files") is not None), default=0)
            low = next((t - t0 for t, s in later if s["dak"] + s["files"] < 100), None)
            result.append((t0, peak, low))
        return result

    def log_figures(self):
        result = {}
        for name in SERVICES:
            path = os.path.join(LOGS, f"{name}.log")
            size, tracebacks = 0, 0
            if os.path.exists(path):
                size = os.path.getsize(path)
                with open(path, "rb") as handle:
                    tracebacks = sum(line.startswith(b"Traceback") or b'"exception": "Traceback' in line for line in handle)
            result[name] = (size, tracebacks)
        return result

    def log_errors(self):
        """Faults the services logged as errors (`unhandled_error`), by service and type."""
        found = collections.Counter()
        for name in SERVICES:
            path = os.path.join(LOGS, f"{name}.log")
            if not os.path.exists(path):
                continue
            with open(path, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    if '"unhandled_error"' in line:
                        try:
                            found[(name, json.loads(line).get("error_type"))] += 1
                        except ValueError:
                            found[(name, "?")] += 1
        return found

    def report(self, f):
        load = f["load"]
        a = self.args
        lines = [
            "## Fault injection (`make chaos`)",
            "",
            f"Run {self.run_id}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, `dev/chaos.py --writes {a.writes} --clients {a.clients} "
            f"--load-seconds {a.load_seconds:g}{' --send-at-once' if a.send_at_once else ''}`: its own RabbitMQ node and PostgreSQL cluster, dak, files, notify and metrics as "
            f"`nameko run` processes, documents on disk. Machine: {os.cpu_count()} cores shared with other sessions, load average "
            f"{f['load_before'][0]:.1f} before the run, {f['load_after'][0]:.1f} after; CPU busy {f['busy']:.0%} during load and drain.",
            "",
            "Faults, at seconds into the load:",
            "",
        ]
        for t, what, took in self.faults:
            lines.append(f"- {t:.0f} s: {what} (back after {took:.0f} s)")
        lines += ["", "| write | attempted | accepted (2xx) | refused, final answer | accepted and present once | accepted, present twice | refused or lost answer, but committed | time to final answer p50 / p99 / max |",
                  "|---|---|---|---|---|---|---|---|"]
        ops = ["diarise+send", "create file", "put in file", "send file"]
        attempted = collections.Counter(op for op, *_ in load.records)
        for op in ops:
            refused = {s: n for (o, s), n in load.outcomes.items() if o == op and not (isinstance(s, int) and 200 <= s < 300)}
            refused_text = ", ".join(f"{n:,} × {s}" for s, n in sorted(refused.items(), key=str)) or "none"
            times = sorted(load.latency[op]) or [0.0]
            lines.append(f"| {op} | {attempted[op]:,} | {f['accepted'][op]:,} | {refused_text} | {f['once'][op]:,} | "
                         f"{f['twice'][op]:,} | {f['ghost'][op]:,} | {quantile(times, 0.5) * 1000:.0f} ms / {quantile(times, 0.99):.1f} s / {times[-1]:.1f} s |")
        total_attempted, total_accepted = sum(attempted.values()), sum(f["accepted"].values())
        lines.append(f"| **all** | **{total_attempted:,}** | **{total_accepted:,}** | {total_attempted - total_accepted:,} | "
                     f"{sum(f['once'].values()):,} | {sum(f['twice'].values()):,} | {sum(f['ghost'].values()):,} | |")
        by_status = collections.Counter()
        for (_op, status), n in load.requests.items():
            by_status[status] += n
        lines += ["", "HTTP requests (a write retried on a connection error, timeout, 502, 503 or 504 for up to "
                  f"{a.retry_seconds} s, same body and Idempotency-Key): " +
                  ", ".join(f"{n:,} × {s}" for s, n in sorted(by_status.items(), key=str)) + ".", ""]
        lines += ["| events committed → applied downstream | committed | applied once | lost | duplicated |", "|---|---|---|---|---|"]
        for name, expected, matched, lost, duplicated in f["effects"]:
            lines.append(f"| {name} | {expected:,} | {matched:,} | {lost:,} | {duplicated:,} |")
        lines += [
            "",
            f"Events committed by the writes (from the state committed with them): dak {f['committed']['dak']:,} "
            f"(receipt_diarised, receipt_sent, receipt_put_in_file), files {f['committed']['files']:,} (file_created, file_sent, "
            f"receipt_linked). Metrics facts recorded twice (same event id): {f['fact_duplicates']:,}. Dead letters: "
            + ", ".join(f"{n} {c}" for n, c in f["dead"].items()) + " (the same event dead-lettered again: "
            + ", ".join(f"{n} {c}" for n, c in f["dead_twice"].items()) + "). Left in the outboxes: "
            + ", ".join(f"{n} {c}" for n, c in f["outboxes"].items()) + ".",
            "",
        ]
        for (consumer, reason), n in f["dead_reasons"].most_common():
            lines.append(f"- dead letter ×{n:,} in `{consumer}`: {reason}")
        if f["dead_reasons"]:
            lines.append("")
        if f["empty_after"] is not None:
            lines.append(f"After the load, every outbox was empty within {f['empty_after']:.1f} s and the downstream counts "
                         f"stopped moving {f['settled_after']:.1f} s after the load" + ("" if f["settled"] else " (not settled before the cap)") + ".")
        else:
            lines.append("The outboxes did not drain before the cap.")
        for t0, peak, low in f["recovery"]:
            lines.append(f"Broker back at {t0:.0f} s: outbox backlog of dak and files peaked at {peak:,} rows, back under 100 "
                         + (f"{low:.1f} s later." if low is not None else "not within the load."))
        errors = ", ".join(f"{service} {n:,} × {kind}" for (service, kind), n in f["log_errors"].most_common()) or "none"
        lines.append(f"Answers that were faults (logged `unhandled_error`, HTTP 500): {errors}.")
        exits = ", ".join(f"{n} {c}" for n, c in self.unplanned_exits.items()) or "none"
        lines.append(f"Services that exited without being killed (restarted by the run): {exits}.")
        lines.append("Logs (LOG_LEVEL " + a.log_level + "): " + ", ".join(
            f"{n} {size / 1e6:.1f} MB, {tb:,} tracebacks" for n, (size, tb) in f["logs"].items())
            + f". Whole run {f['total_seconds']:.0f} s.")
        return "\n".join(lines) + "\n"


def quantile(ordered, q):
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))]


def write_section(report):
    path = os.path.join(ROOT, "BENCHMARKS.md")
    with open(path, encoding="utf-8") as handle:
        content = handle.read()
    heading = "## Fault injection (`make chaos`)"
    if heading in content:
        start = content.index(heading)
        following = content.find("\n## ", start + len(heading))
        content = content[:start] + report + ("\n" + content[following + 1:] if following >= 0 else "")
    else:
        content = content.rstrip("\n") + "\n\n" + report
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=int(os.environ.get("CHAOS_WRITES", 10_000)))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("CHAOS_CLIENTS", 8)))
    parser.add_argument("--load-seconds", type=float, default=float(os.environ.get("CHAOS_LOAD_SECONDS", 200)))
    parser.add_argument("--drain-seconds", type=float, default=90)
    parser.add_argument("--retry-seconds", type=float, default=30)
    parser.add_argument("--cap", type=float, default=float(os.environ.get("CHAOS_CAP_SECONDS", 360)),
                        help="the whole run's bound in seconds (set-up, load, drain)")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--send-at-once", action="store_true",
                        help="send each file right after putting the letter in it (races receipt_put_in_file)")
    parser.add_argument("--no-benchmarks", dest="write_benchmarks", action="store_false", help="do not write BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary cluster folder")
    args = parser.parse_args()
    chaos = Chaos(args)

    def interrupted(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)  # also when started with SIGINT ignored (a background job)
    code = 1
    try:
        code = chaos.main()
    except KeyboardInterrupt:
        log("interrupted; stopping everything")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        chaos.stopping.set()
        for helper in chaos.helpers:  # a fault in progress returns without restarting anything
            helper.join(30)
        for service in chaos.services.values():
            try:
                service.stop()
            except Exception as exc:  # noqa: BLE001 (keep stopping the rest)
                log(f"stopping {service.name}: {exc}")
        for engine in getattr(chaos, "engines", {}).values():
            engine.dispose()
        chaos.broker.stop()
        chaos.pg.stop()
        for name in ("rabbitmq/log",):
            source = os.path.join(chaos.base, name)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(LOGS, "rabbitmq-log"), dirs_exist_ok=True)
        if os.path.exists(os.path.join(chaos.pg.base, "postgres.log")):
            shutil.copy(os.path.join(chaos.pg.base, "postgres.log"), LOGS)
        if not args.keep:
            shutil.rmtree(chaos.base, ignore_errors=True)
        log("stopped everything it started")
    sys.exit(code)


if __name__ == "__main__":
    main()
