"""One SQLAlchemy engine per process and database URL."""
import contextlib
import threading

from nameko.extensions import SharedExtension
from psycopg2 import InterfaceError
from psycopg2.extensions import TRANSACTION_STATUS_IDLE
from psycopg2.extensions import connection as Psycopg2Connection
from psycopg2.extensions import cursor as Psycopg2Cursor
from sqlalchemy import create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2, PGExecutionContext_psycopg2
from sqlalchemy.engine import make_url


# Connections per process, so transactions of one process in PostgreSQL at once. A fixed pool, no
# overflow: on a few cores, more transactions at once only contend for the same CPUs and pages (at
# 500 movements/s on two cores, a pool of 10 + 20 overflow let up to 60 run at once and PostgreSQL
# spent twice the CPU a movement). A request beyond the pool waits here for a connection.
DEFAULT_POOL_SIZE = 4


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
    # plan_cache_mode concerns prepared statements only (eoffice_common.prepared): planned once, not
    # again whenever PostgreSQL guesses that a plan for the values at hand might be cheaper.
    return create_engine(make_url(url).set(drivername="postgresql+eoffice_psycopg2"), pool_size=pool_size, max_overflow=0,
                         pool_recycle=1800, connect_args={"options": "-c plan_cache_mode=force_generic_plan",
                                                          "connection_factory": TransactionOpeningConnection})


class TransactionOpeningCursor(Psycopg2Cursor):
    """Sends the BEGIN of a transaction the dialect below has begun with the cursor's first statement,
    whatever runs it: SQLAlchemy, a PreparedStatement or code using the driver's cursor itself; and,
    through `execute_last`, its COMMIT with its last."""

    def execute(self, query, vars=None):
        self._refuse_after_commit()
        if self.connection.begin_pending and self.name is None and isinstance(query, str):
            self.connection.begin_pending = False
            query = "BEGIN;" + query
        else:  # a named cursor DECLAREs its statement, and bytes or composed SQL cannot take a prefix
            self._begin_alone()
        return super().execute(query, vars)

    def execute_last(self, query, vars=None):
        """Run the transaction's last statement and its COMMIT in one round trip; the statement's own
        result is not kept (PostgreSQL answers the COMMIT last). A failing statement stops the
        message before the COMMIT, so the transaction is left to roll back as usual. The dialect's
        commit then has nothing to send; until it has run, any other statement is refused."""
        self.execute(query + ";COMMIT", vars)
        self.connection.committed_by_last_statement = True

    def executemany(self, query, vars_list):
        self._refuse_after_commit()
        self._begin_alone()
        return super().executemany(query, vars_list)

    def copy_expert(self, sql, file, size=8192):
        self._refuse_after_commit()
        self._begin_alone()
        return super().copy_expert(sql, file, size)

    def _refuse_after_commit(self):
        # SQLAlchemy still holds the transaction open: a statement now would run outside any, unseen.
        if self.connection.committed_by_last_statement:
            raise InterfaceError("the transaction was committed with its last statement; end it before running another")

    def _begin_alone(self):
        if self.connection.begin_pending:
            self.connection.begin_pending = False
            with self.connection.cursor() as cursor:
                cursor.execute("BEGIN")


class TransactionOpeningConnection(Psycopg2Connection):
    """A psycopg2 connection in autocommit mode whose transactions the dialect below opens: BEGIN
    waits (`begin_pending`) to go with the transaction's first statement."""

    begin_pending = False
    committed_by_last_statement = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cursor_factory = TransactionOpeningCursor


class _ServerSideCursorsHeld(PGExecutionContext_psycopg2):
    def create_server_side_cursor(self):
        # psycopg2 refuses a named cursor WITHOUT HOLD on a connection in autocommit mode; inside the
        # transaction the dialect opened, WITH HOLD only matters if it outlives the commit.
        cursor = super().create_server_side_cursor()
        cursor.withhold = True
        return cursor


class TransactionOpeningDialect(PGDialect_psycopg2):
    """psycopg2 sends BEGIN in a round trip of its own before a transaction's first statement: for a
    file movement (BEGIN, locked read, move, COMMIT) one round trip in four, and for every request
    one more wait on PostgreSQL. Here the driver connection stays in autocommit mode and BEGIN goes
    to PostgreSQL in the same message as the transaction's first statement (TransactionOpeningCursor);
    COMMIT and ROLLBACK are sent by the dialect, only if PostgreSQL has a transaction open (a unit of
    work that never reached the database sends nothing, nor one whose last statement carried its
    COMMIT). SQLAlchemy sees transactions as usual."""

    execution_ctx_cls = _ServerSideCursorsHeld
    supports_statement_cache = True  # compiles as its parent: SQLAlchemy caches only a dialect that says so

    def on_connect(self):
        configure = super().on_connect()

        def connect(dbapi_connection):
            dbapi_connection.autocommit = True  # first: what `configure` queries opens no transaction
            if configure is not None:
                configure(dbapi_connection)

        return connect

    def set_isolation_level(self, dbapi_connection, level):
        raise NotImplementedError("eoffice's engines run every transaction at PostgreSQL's default isolation level")

    def do_begin(self, dbapi_connection):
        _driver(dbapi_connection).begin_pending = True

    def do_commit(self, dbapi_connection):
        self._end(dbapi_connection, "COMMIT")

    def do_rollback(self, dbapi_connection):
        self._end(dbapi_connection, "ROLLBACK")

    def _end(self, dbapi_connection, command):
        connection = _driver(dbapi_connection)
        connection.begin_pending = connection.committed_by_last_statement = False
        if connection.info.transaction_status != TRANSACTION_STATUS_IDLE:
            with connection.cursor() as cursor:
                cursor.execute(command)


def _driver(dbapi_connection):
    """psycopg2's connection itself: at first connect SQLAlchemy hands the dialect a proxy of it."""
    return getattr(dbapi_connection, "dbapi_connection", dbapi_connection)


registry.register("postgresql.eoffice_psycopg2", __name__, "TransactionOpeningDialect")


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
