"""Helpers shared by the benchmarks: processes, databases, load generation, percentiles."""
import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict, deque  # noqa: E402

import psycopg2  # noqa: E402
import requests  # noqa: E402
from eventlet.patcher import original  # noqa: E402
from eventlet.queue import LightQueue  # noqa: E402
from kombu import Connection  # noqa: E402

from eoffice_common.testing import ADMIN_PG_URL, free_port, wait_for_http  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")
# Prefixed to a benchmark's databases and vhost (as TEST_DB_PREFIX is to the tests'), so two runs on
# one machine, from two clones, never drop each other's.
RUN_PREFIX = os.environ.get("TEST_DB_PREFIX", "")
QUIET = {"PYTHONWARNINGS": "ignore::DeprecationWarning,ignore:Eventlet is deprecated:Warning", "LOG_LEVEL": "WARNING"}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(latencies, elapsed):
    return {
        "count": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
    }


def run_load(operation, total, concurrency):
    """Call operation(i) `total` times from `concurrency` green threads; returns summary()."""
    latencies = []

    def timed(i):
        started = time.perf_counter()
        operation(i)
        latencies.append(time.perf_counter() - started)

    pool = eventlet.GreenPool(concurrency)
    started = time.perf_counter()
    for i in range(total):
        pool.spawn_n(timed, i)
    pool.waitall()
    return summary(latencies, time.perf_counter() - started)


def run_at_rate(operation, rate, seconds):
    """Open loop: start operation(i) `rate` times a second for `seconds`, whatever the latency, as
    independent users do; returns summary() with the rate achieved. Latency is measured from each
    request's scheduled start, so a client that falls behind is charged for it."""
    latencies = []
    pool = eventlet.GreenPool(10_000)
    total = int(rate * seconds)
    started = time.perf_counter()

    def timed(i, scheduled):
        operation(i)
        latencies.append(time.perf_counter() - scheduled)

    for i in range(total):
        scheduled = started + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            eventlet.sleep(delay)
        pool.spawn_n(timed, i, scheduled)
    pool.waitall()
    return summary(latencies, time.perf_counter() - started)


class HttpClients:
    """Keep-alive HTTP/1.1 connections for load generation, one per concurrent caller.

    The load generator shares the two cores with the system it measures; `requests` costs about
    1 ms of CPU per call, which at a few hundred calls a second is a third of a core taken from the
    service. Here a request is prebuilt bytes and a response is read by its Content-Length: a few
    tens of microseconds. Only what the services answer is handled (Content-Length, no chunking)."""

    def __init__(self, base_url, size):
        host, _, port = base_url.removeprefix("http://").rstrip("/").partition(":")
        self.address = (host, int(port or 80))
        self.host = f"{host}:{port}" if port else host
        self._idle = LightQueue()
        for _ in range(size):
            self._idle.put(None)

    def connect_all(self):
        """Open every connection now, as a load balancer keeps its upstream connections open:
        otherwise the first burst of a run also measures TCP handshakes and the server's accepts."""
        opened = []
        while not self._idle.empty():
            connection = self._idle.get()
            if connection is None:
                connection = socket.create_connection(self.address)
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            opened.append(connection)
        for connection in opened:
            self._idle.put(connection)

    def request(self, method, path, body=b"", headers=None):
        """(status, body bytes). `headers` a dict; a dict or list body is sent as JSON."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False).encode()
            headers = {**(headers or {}), "Content-Type": "application/json"}
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        connection = self._idle.get()
        try:
            if connection is None:
                connection = socket.create_connection(self.address)
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.sendall(head.encode() + b"\r\n" + body)
            status, payload, keep = _read_response(connection)
            if not keep:
                connection.close()
                connection = None
            return status, payload
        except BaseException:
            if connection is not None:
                connection.close()
            connection = None
            raise
        finally:
            self._idle.put(connection)

    def close(self):
        """Close the idle connections, so a service stopping next has no open requests to kill."""
        while not self._idle.empty():
            connection = self._idle.get()
            if connection is not None:
                connection.close()


def _read_response(connection):
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        buffer += chunk
    head, _, payload = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    length = int(fields.get("content-length", 0))
    while len(payload) < length:
        chunk = connection.recv(max(65536, length - len(payload)))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        payload += chunk
    return status, payload, fields.get("connection", "").lower() != "close"


class PacedRequests:
    """An open loop on plain sockets and epoll, without green threads: requests start `rate` times a
    second whatever the latency, over a fixed set of keep-alive connections.

    The generator shares the two cores with what it measures. With a green thread, a queue and a
    hub round trip per request it took 342-378 µs of CPU a request at 500/s (against /health/live);
    here a request is one send, one epoll wake-up and one recv: 160-169 µs. It blocks the process's hub
    while it runs (it uses the unpatched `select` and nothing in the benchmark process needs the hub
    meanwhile). Latency is measured from each request's scheduled start, so a request waiting for
    a connection, or for the previous request of its key, is charged for the wait."""

    def __init__(self, address, connections):
        self._socket = original("socket")
        self._select = original("select")
        self.connections = []
        for _ in range(connections):
            connection = self._socket.create_connection(address)
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections.append(connection)

    def run(self, rate, seconds, warmup, operation):
        """operation(i) -> (key, build, done): build() gives the request's bytes when it is sent,
        done(status, body) whether the answer is a success. Requests with the same key go one at a
        time, in order. Returns the measured requests' latencies in seconds (sorted), how many of
        them failed, and the share of the machine's CPU busy meanwhile."""
        poller = self._select.epoll()
        idle = deque(self.connections)
        by_fd = {connection.fileno(): connection for connection in self.connections}
        for fd in by_fd:
            poller.register(fd, self._select.EPOLLIN)
        in_flight = {}  # fd -> [key, done, scheduled, buffer]
        waiting_for_key, waiting_for_connection, busy_keys = defaultdict(deque), deque(), set()
        latencies, errors = [], 0
        start = time.perf_counter()
        measure_from, total, busy_from = start + warmup, int(rate * (warmup + seconds)), None

        def send(request, connection):
            key, build, done, scheduled = request
            connection.sendall(build())
            in_flight[connection.fileno()] = [key, done, scheduled, b""]

        def begin(request):
            if idle:
                send(request, idle.popleft())
            else:
                waiting_for_connection.append(request)

        issued = 0
        while issued < total or in_flight:
            now = time.perf_counter()
            while issued < total and start + issued / rate <= now:
                scheduled = start + issued / rate
                if busy_from is None and scheduled >= measure_from:
                    busy_from = cpu_busy()
                key, build, done = operation(issued)
                issued += 1
                if key in busy_keys:
                    waiting_for_key[key].append((key, build, done, scheduled))
                else:
                    busy_keys.add(key)
                    begin((key, build, done, scheduled))
            timeout = max(0.0, start + issued / rate - time.perf_counter()) if issued < total else 1.0
            for fd, _events in poller.poll(timeout):
                state = in_flight.get(fd)
                chunk = by_fd[fd].recv(65536)
                if state is None or not chunk:
                    raise ConnectionError("the server closed a connection or answered unasked")
                state[3] += chunk
                answer = _complete_response(state[3])
                if answer is None:
                    continue
                del in_flight[fd]
                key, done, scheduled = state[:3]
                ok = done(*answer)
                if scheduled >= measure_from:
                    if ok:
                        latencies.append(time.perf_counter() - scheduled)
                    else:
                        errors += 1
                if waiting_for_key[key]:
                    begin(waiting_for_key[key].popleft())
                else:
                    busy_keys.discard(key)
                    del waiting_for_key[key]
                if waiting_for_connection:
                    send(waiting_for_connection.popleft(), by_fd[fd])
                else:
                    idle.append(by_fd[fd])
        busy_to = cpu_busy()
        poller.close()
        return sorted(latencies), errors, (busy_to[0] - busy_from[0]) / max(1, busy_to[1] - busy_from[1])

    def close(self):
        for connection in self.connections:
            connection.close()


def _complete_response(buffer):
    """(status, body) once `buffer` holds a whole response with a Content-Length, else None."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = buffer[:head_end].decode("latin-1")
    length = 0
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = buffer[head_end + 4:]
    if len(body) < length:
        return None
    return int(head.split(" ", 2)[1]), body


def cpu_busy():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


RABBIT_API = os.environ.get("RABBIT_API", "http://127.0.0.1:15672/api")
RABBIT_AUTH = ("guest", "guest")


def database_url(database):
    """The SQLAlchemy URL of a database on the test PostgreSQL server."""
    return f"{ADMIN_PG_URL.rsplit('/', 1)[0]}/{database}"


def psycopg_connection(database):
    """A bare psycopg2 connection to a database on the test PostgreSQL server, in autocommit."""
    connection = psycopg2.connect(database_url(database).replace("postgresql+psycopg2://", "postgresql://"))
    connection.autocommit = True
    return connection


def fresh_vhost(name):
    """A RabbitMQ virtual host of the benchmark's own (emptied if it was there), so its events
    pile up in no other queue; returns its AMQP URI. drop_vhost(name) removes it."""
    drop_vhost(name)
    requests.put(f"{RABBIT_API}/vhosts/{name}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{name}/guest", json={"configure": ".*", "write": ".*", "read": ".*"},
                 auth=RABBIT_AUTH, timeout=10).raise_for_status()
    uri = f"pyamqp://guest:guest@127.0.0.1:5672/{name}"
    discard_unconsumed_events(uri)
    return uri


def discard_unconsumed_events(amqp_uri):
    """The relays publish `mandatory` and keep an event no queue takes: where a benchmark runs a
    service without its consumers, a queue bound to everything takes each event and drops it at once
    (a message TTL of 0), as the consumers would have taken it."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        channel.queue_declare("bench-discard", durable=False, auto_delete=False, arguments={"x-message-ttl": 0})
        for service in ("dak", "files", "signing", "notify", "metrics", "desk"):
            exchange = f"{service}.events"
            channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
            channel.queue_bind("bench-discard", exchange, "#")


def drop_vhost(name):
    requests.delete(f"{RABBIT_API}/vhosts/{name}", auth=RABBIT_AUTH, timeout=10)


class S3Server:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [os.path.join(ROOT, "var", "moto", "bin", "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_http(self.url)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def start_service(name, env, http_port):
    """`nameko run` of a service in its own process, as in production."""
    process = subprocess.Popen(
        [os.path.join(BIN, "nameko"), "run", "--config", f"services/{name}/config.yml", f"{name}.service"],
        cwd=ROOT, env={**os.environ, **QUIET, **env}, stdout=subprocess.DEVNULL, stderr=sys.stderr,
    )
    wait_for_http(f"http://127.0.0.1:{http_port}/health/live", timeout=60)
    return process


def cli(name, *args, env):
    return subprocess.run(
        [os.path.join(BIN, name), *args], cwd=ROOT, env={**os.environ, **QUIET, **env},
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def cpu_seconds(pid):
    """User+system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_row(label, figures, baseline=None):
    line = f"  {label:<46} {figures['per_second']:>9.0f}/s   p50 {figures['p50_ms']:>7.2f} ms   p99 {figures['p99_ms']:>7.2f} ms"
    if baseline:
        line += f"   ({figures['per_second'] / baseline['per_second']:.2f}x of baseline rate)"
    print(line, flush=True)


