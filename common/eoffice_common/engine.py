"""One SQLAlchemy engine per process and database URL."""
import contextlib
import threading

from nameko.extensions import SharedExtension
from sqlalchemy import create_engine, event

# Connections per process, so transactions of one process in PostgreSQL at once. A fixed pool, no
# overflow: on a few cores, more transactions at once only contend for the same CPUs and pages (at
# 500 movements/s on two cores, a pool of 10 + 20 overflow let up to 60 run at once and PostgreSQL
# spent twice the CPU a movement). A request beyond the pool waits here for a connection.
DEFAULT_POOL_SIZE = 4
# A database that does not answer is reported as unavailable after this long, not after the
# operating system's TCP timeout (minutes).
CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 10


def make_engine(url, pool_size=DEFAULT_POOL_SIZE):
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    # No pre-ping: it costs a round trip per transaction; a connection found dead is an error for
    # that one request and SQLAlchemy then discards the whole pool.
    return create_engine(url, pool_size=pool_size, max_overflow=0, pool_recycle=1800, pool_timeout=POOL_TIMEOUT_SECONDS,
                         connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


class DatabaseEngine(SharedExtension):
    """One engine per process and database URL, shared by the Database provider and the relay."""

    def __init__(self, url_key="DB_URL"):
        self.url_key = url_key
        super().__init__()

    @property
    def sharing_key(self):
        return (type(self), self.url_key)

    def setup(self):
        config = self.container.config
        self.engine = make_engine(config[self.url_key], int(config.get("DB_POOL_SIZE", DEFAULT_POOL_SIZE)))
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # SQLite is not cooperative under eventlet: a writer waiting on its lock would block the
        # whole hub, so write transactions in one process take turns instead.
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self.outbox_written = threading.Event()

    def stop(self):
        self.engine.dispose()

    kill = stop

    @contextlib.contextmanager
    def write_turn(self):
        if self._write_lock is None:
            yield
            return
        with self._write_lock:
            yield


class StandaloneEngine:
    """The same interface as DatabaseEngine, for command-line tools running outside a container."""

    def __init__(self, url):
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_lock = None
        self.outbox_written = threading.Event()

    write_turn = DatabaseEngine.write_turn
