"""Many rows in one INSERT or upsert. On PostgreSQL the rows go in with COPY (into the table, or
into a session-private temporary table followed by one INSERT ... SELECT ... ON CONFLICT):
several times faster than multi-row VALUES for the batches the consumer writes. Elsewhere
(SQLite) through SQLAlchemy."""
import contextlib
import csv
import io
import json

import psycopg2.extensions
from sqlalchemy import JSON, Column, MetaData, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

_compiled = {}


def insert_many(session, table, rows, conflict=None, returning=None):
    """Insert `rows` (dicts with the same keys) into `table`; `conflict(statement)` adds an ON
    CONFLICT clause (written with SQLAlchemy, so it works on both databases). Returns the values
    of the `returning` column of the rows inserted, if asked."""
    if not rows:
        return []
    columns = [c.name for c in table.columns if c.name in rows[0]]
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        statement = sqlite.insert(table)
        if conflict is not None:
            statement = conflict(statement)
        if returning is not None:
            statement = statement.returning(table.c[returning])
        result = session.execute(statement, rows)
        return result.scalars().all() if returning is not None else []
    connection = session.connection()
    cursor = connection.connection.cursor()
    try:
        if conflict is None and returning is None:
            _copy(cursor, table.name, table, columns, rows)
            return []
        staging = _staging(cursor, table)
        _copy(cursor, staging, table, columns, rows)
        key = (table.name, tuple(columns), conflict, returning)
        if key not in _compiled:
            _compiled[key] = _insert_from_staging(table, staging, columns, conflict, returning, dialect)
        cursor.execute(_compiled[key])
        found = [row[0] for row in cursor.fetchall()] if returning is not None else []
        cursor.execute(f"TRUNCATE {staging}")
        return found
    except dialect.dbapi.Error as exc:
        # As SQLAlchemy would raise it (DataError, IntegrityError, OperationalError ...).
        raise DBAPIError.instance(f"bulk insert into {table.name}", None, exc, dialect.dbapi.Error) from exc
    finally:
        cursor.close()


def _staging(cursor, table):
    """A temporary table like `table`, private to this database session (kept between transactions;
    asked for every time because a rolled back transaction takes a new one away)."""
    name = f"staging_{table.name}"
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} (LIKE {table.name} INCLUDING DEFAULTS)")
    return name


def _insert_from_staging(table, staging, columns, conflict, returning, dialect):
    source = Table(staging, MetaData(), *[Column(c, table.c[c].type) for c in columns])
    # In key order, as the rows were sorted: concurrent batches then lock rows in the same order.
    keys = [source.c[c.name] for c in table.primary_key.columns if c.name in columns]
    statement = postgresql.insert(table).from_select(columns, select(*[source.c[c] for c in columns]).order_by(*keys))
    if conflict is not None:
        statement = conflict(statement)
    if returning is not None:
        statement = statement.returning(table.c[returning])
    compiled = statement.compile(dialect=dialect)
    if compiled.binds:
        raise ValueError(f"the statement has parameters of its own ({', '.join(sorted(compiled.binds))}); write them as literals")
    return str(compiled)


def _copy(cursor, target, table, columns, rows):
    """COPY in CSV, written by the csv module (in C): an empty field is NULL, so an empty string
    is stored as NULL too."""
    json_columns = [c for c in columns if isinstance(table.c[c].type, JSON)]
    buffer = io.StringIO()
    if json_columns:
        rows = [{**row, **{c: None if row[c] is None else json.dumps(row[c], ensure_ascii=False) for c in json_columns}} for row in rows]
    csv.writer(buffer, lineterminator="\n").writerows([row[c] for c in columns] for row in rows)
    buffer.seek(0)
    with _without_wait_callback():
        cursor.copy_expert(f"COPY {target} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer)


@contextlib.contextmanager
def _without_wait_callback():
    """psycopg2 refuses COPY while eventlet's wait callback makes it cooperative. The callback is
    lifted for the COPY alone, which then blocks the process (a few milliseconds a batch; HTTP
    requests wait that long), so no other query can see it missing. COPY takes no lock another
    transaction could hold, so it cannot wait on this process's other green threads."""
    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        yield
    finally:
        psycopg2.extensions.set_wait_callback(callback)
