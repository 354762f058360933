"""Test fixtures for services: real PostgreSQL databases, a local S3 endpoint, a TCP proxy
that can make RabbitMQ refuse connections, a tap on published events. Loaded as a pytest plugin."""
import eventlet

# Before anything opens a socket: plain pytest without this hangs on the first RabbitMQ test.
eventlet.monkey_patch()

import contextlib  # noqa: E402
import http.client
import json
import os
import re
import resource
import select
import shutil
import socket
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest  # noqa: E402
import requests  # noqa: E402
import structlog  # noqa: E402
from kombu import Connection, Exchange, Queue  # noqa: E402
from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine

from .auth import new_key_pair
from .engine import StandaloneEngine
from .migrations import upgrade

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ADMIN_PG_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
# Prefixed to every test database's name: suites run side by side on one server need apart names.
TEST_DB_PREFIX = os.environ.get("TEST_DB_PREFIX", "")
# The test process's own token key pair: fixtures mint tokens with the private key, services verify
# them with the public one (TEST_JWT_KEYS goes into a service's config; the desk needs the private key).
TEST_JWT_PRIVATE_KEY, TEST_JWT_PUBLIC_KEY = new_key_pair()
TEST_JWT_KEYS = {"JWT_PUBLIC_KEY": TEST_JWT_PUBLIC_KEY, "JWT_PRIVATE_KEY": TEST_JWT_PRIVATE_KEY}


_ports_handed_out = set()


def free_port():
    """A port nothing listens on, never the same twice in a process: the services listen with
    SO_REUSEPORT, so two of them given one port would both bind it and share its connections."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _ports_handed_out:
            _ports_handed_out.add(port)
            return port


def wait_for_http(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def wait_until(predicate, timeout=10, interval=0.05):
    """Poll `predicate` until it gives something true (returned) or `timeout` passes (its last answer)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        eventlet.sleep(interval)
    return predicate()


@contextlib.contextmanager
def transactions_begun():
    """Counts the database transactions begun in this process while inside, by the correlation id of
    the request or event that began them (None for the relay's and other background work)."""
    begun = Counter()

    def count(_connection):
        begun[structlog.contextvars.get_contextvars().get("correlation_id")] += 1

    event.listen(Engine, "begin", count)
    try:
        yield begun
    finally:
        event.remove(Engine, "begin", count)


def create_database(name):
    """A fresh PostgreSQL database; returns its URL."""
    name = TEST_DB_PREFIX + name
    engine = create_engine(ADMIN_PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    engine.dispose()
    base = ADMIN_PG_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"



@contextlib.contextmanager
def repository_database(backend, service_dir, name, tmp_path_factory, postgresql_options=""):
    """A repository suite's database: a fresh one of `backend` ("postgresql" or "sqlite"), migrated to
    the service's head. Gives (StandaloneEngine, its tables in an order they can be emptied in)."""
    if backend == "postgresql":
        url = create_database(f"eoffice_test_{name}_repositories") + postgresql_options
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.db'}"
    upgrade(service_dir, url)
    engine = StandaloneEngine(url)
    metadata = MetaData()
    metadata.reflect(engine.engine)
    try:
        yield engine, [table for table in reversed(metadata.sorted_tables) if table.name != "alembic_version"]
    finally:
        engine.engine.dispose()


def empty(engine, tables):
    """Delete every row of `tables` (repository_database's order), between a suite's tests."""
    with engine.engine.begin() as connection:
        for table in tables:
            connection.execute(table.delete())

class DatabaseSnapshot:
    """Every row of a database (and where its sequences stand), to put back into another database at the
    same revision: a test starts from a state built once, in a third of a second where emptying and
    filling it through the services took seconds (and CREATE DATABASE ... TEMPLATE two on a busy server)."""

    def __init__(self, url):
        engine = create_engine(url)
        metadata = MetaData()
        metadata.reflect(engine)
        self.tables = [table for table in metadata.sorted_tables if table.name != "alembic_version"]
        with engine.connect() as conn:
            self.rows = {table.name: [dict(row._mapping) for row in conn.execute(table.select())] for table in self.tables}
            self.sequences = conn.execute(text(
                "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences WHERE last_value IS NOT NULL"
            )).all()
        engine.dispose()

    def restore(self, url):
        truncate_all(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            for table in self.tables:
                if self.rows[table.name]:
                    conn.execute(table.insert(), self.rows[table.name])
            for sequence, last_value in self.sequences:
                conn.execute(text("SELECT setval(:sequence, :value)"), {"sequence": sequence, "value": last_value})
        engine.dispose()


def truncate_all(url):
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")
        ).scalars().all()
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_database():
    """`migrated_database(service_dir, name)`: a PostgreSQL database at the service's head revision."""
    made = {}

    def make(service_dir, name):
        if name not in made:
            url = create_database(f"eoffice_test_{name}")
            upgrade(service_dir, url)
            made[name] = url
        return made[name]

    return make


def _moto_server_command():
    found = shutil.which("moto_server", path=os.path.join(REPO_ROOT, "var", "moto", "bin"))
    if not found:
        raise RuntimeError("moto_server is not installed: run `make setup` (it builds var/moto)")
    return found


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """An S3 API over HTTP on localhost: S3_ENDPOINT_URL if set, else a moto server of our own."""
    if os.environ.get("S3_ENDPOINT_URL"):
        yield os.environ["S3_ENDPOINT_URL"]
        return
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    process = subprocess.Popen([_moto_server_command(), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def bucket_config(s3_endpoint):
    """An S3 config with a bucket of its own on the endpoint."""
    return {
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_BUCKET": f"test-{uuid.uuid4().hex[:12]}",
        "S3_ACCESS_KEY": "test",
        "S3_SECRET_KEY": "test",
        "S3_REGION": "us-east-1",
    }


@pytest.fixture
def s3_config(s3_endpoint):
    return bucket_config(s3_endpoint)


# The module_* fixtures are for a module whose tests share one running system (started once, not per
# test): its own vhost, bucket and containers, apart from every other module's, until the module ends.
@pytest.fixture(scope="module")
def module_s3_config(s3_endpoint):
    return bucket_config(s3_endpoint)


@pytest.fixture(scope="module")
def module_rabbit_config(request, vhost_pipeline):
    """nameko's rabbit_config, kept for a module: a vhost of its own, deleted when the module ends."""
    uri = urlsplit(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        yield {"AMQP_URI": f"{uri.scheme}://{uri.netloc}/{vhost}", "username": uri.username, "vhost": vhost}


@pytest.fixture(scope="module")
def module_container_factory():
    """nameko's container_factory, whose containers run until the module ends."""
    from nameko.containers import get_container_cls

    made = []

    def make(service_cls, config):
        made.append(get_container_cls(config)(service_cls, config))
        return made[-1]

    yield make
    for container in made:
        with contextlib.suppress(Exception):
            container.kill()


class TcpProxy:
    """Forwards a local port to a target; `refuse()` drops every connection and refuses new ones."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._pipes = []
        self._sockets = []
        self._listener = None
        self.accept()

    def accept(self):
        if self._listener is not None:
            return
        self._listener = eventlet.listen(("127.0.0.1", self.port))
        self._server = eventlet.spawn(self._serve, self._listener)

    def refuse(self):
        if self._listener is None:
            return
        self._server.kill()
        self._listener.close()
        self._listener = None
        # Killed first, so that no green thread is left waiting on a socket closed under it: its
        # descriptor, reused by the next connection made, would then have two readers.
        for pipe in self._pipes:
            pipe.kill()
        self._pipes = []
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass
        self._sockets = []

    def _serve(self, listener):
        while True:
            client, _ = listener.accept()
            upstream = eventlet.connect(self.target)
            self._sockets += [client, upstream]
            self._pipes += [eventlet.spawn(self._pipe, client, upstream), eventlet.spawn(self._pipe, upstream, client)]

    @staticmethod
    def _pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            # Each socket is closed by the one pipe that reads it: the other end is told by a
            # shutdown, so that no green thread is left reading a socket closed under it.
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            try:
                source.close()
            except OSError:
                pass

    def close(self):
        self.refuse()


@pytest.fixture
def tcp_proxy():
    proxies = []

    def make(host, port):
        proxy = TcpProxy(host, port)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


def promtool_check(exposition_text):
    """Run `promtool check metrics`; returns (ok, output)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        raise RuntimeError("promtool is not installed (Debian package prometheus)")
    result = subprocess.run([promtool, "check", "metrics"], input=exposition_text.encode(), capture_output=True)
    return result.returncode == 0, (result.stdout + result.stderr).decode()



class EventTap:
    """Every event a service publishes, read from a queue bound to its exchange."""

    def __init__(self, amqp_uri, service_name):
        self.connection = Connection(amqp_uri)
        exchange = Exchange(f"{service_name}.events", type="topic", durable=True, auto_delete=False)
        self.queue = Queue(f"tap-{service_name}-{uuid.uuid4().hex[:8]}", exchange, routing_key="#", exclusive=True)
        self.queue(self.connection.default_channel).declare()
        self.seen = []

    def _pull(self):
        channel = self.connection.default_channel
        while True:
            message = self.queue(channel).get(accept=["json"])
            if message is None:
                return
            message.ack()
            self.seen.append(message.payload)

    def events(self, event_type=None):
        """Every event received so far (of one type, if given), in arrival order."""
        self._pull()
        return [e for e in self.seen if event_type is None or e["type"] == event_type]

    def wait_for(self, event_type, predicate=lambda envelope: True, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for envelope in self.events(event_type):
                if predicate(envelope):
                    return envelope
            eventlet.sleep(0.05)
        raise AssertionError(f"no matching {event_type} within {timeout}s; saw {[e['type'] for e in self.seen]}")

    def wait_for_count(self, event_type, count, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.events(event_type)
            if len(found) >= count:
                return found
            eventlet.sleep(0.05)
        raise AssertionError(f"{len(self.events(event_type))} {event_type} events within {timeout}s, expected {count}")

    def close(self):
        self.connection.release()


@pytest.fixture
def event_tap(rabbit_config):
    taps = []

    def make(service_name):
        tap = EventTap(rabbit_config["AMQP_URI"], service_name)
        taps.append(tap)
        return tap

    yield make
    for tap in taps:
        tap.close()


@dataclass
class StreamedAnswer:
    status: int
    body: dict
    sent: int  # bytes of the body the server took before it answered or closed
    peak_rss_growth: int  # how far this process's resident memory rose above its level before the request


def _resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def stream_body(url, path, total, chunked, headers=None, method="POST", piece_size=64 * 1024):
    """Send a body of `total` bytes (spaces) to a running service, piece by piece (chunked, or after
    a Content-Length of `total`), stopping as soon as the server answers or closes. The service runs
    in this process, so its resident memory is sampled all along."""
    address = urlsplit(url)
    sock = socket.create_connection((address.hostname, address.port), timeout=30)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {address.netloc}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    baseline = peak = _resident_bytes()

    def sample():
        nonlocal peak
        while True:
            peak = max(peak, _resident_bytes())
            eventlet.sleep(0.005)

    sampler = eventlet.spawn(sample)
    sent = 0
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        piece = b" " * piece_size
        while sent < total and not select.select([sock], [], [], 0)[0]:
            data = piece[:total - sent]
            sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            sent += len(data)
        if sent == total and chunked:
            sock.sendall(b"0\r\n\r\n")
    except OSError:  # the server closed without taking the rest: what a refusal may do
        pass
    try:
        response = http.client.HTTPResponse(sock)
        response.begin()
        status, text = response.status, response.read()
    finally:
        sock.close()
        sampler.kill()
    try:
        body = json.loads(text)
    except ValueError:
        body = {"text": text.decode("utf-8", "replace")}
    return StreamedAnswer(status, body, sent, peak - baseline)


def idempotent_routes(container):
    """(METHOD, /openapi/{path}) of every route of `container` declared idempotent."""
    from .web import HttpEntrypoint

    return {(entrypoint.method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", entrypoint.url))
            for entrypoint in container.entrypoints if isinstance(entrypoint, HttpEntrypoint) and entrypoint.idempotent}


def operations_taking_idempotency_key(document):
    """(METHOD, path) of every operation of an OpenAPI document that takes the Idempotency-Key header."""
    def resolved(parameter):
        if "$ref" in parameter:
            return document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        return parameter

    return {(method.upper(), path) for path, item in document["paths"].items() for method, operation in item.items()
            if method != "parameters" and any(resolved(p).get("name") == "Idempotency-Key" and resolved(p).get("in") == "header"
                                              for p in operation.get("parameters", []))}
