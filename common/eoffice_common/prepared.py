"""Statements PostgreSQL plans once per connection instead of on every execution.

SQLAlchemy's statement cache saves compiling the SQL; PostgreSQL still parses and plans each
statement it receives. For the few statements on a service's hottest path (several joins, or a
chain of data-modifying WITH clauses) planning took longer than executing: 0.45-0.5 ms each, measured
with pg_stat_statements. A PreparedStatement is PREPAREd on each connection the first time it is used
there and EXECUTEd from then on, so PostgreSQL can keep a generic plan. On SQLite it runs as is.
"""
from weakref import WeakKeyDictionary

from sqlalchemy.dialects.postgresql import psycopg2
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound

_NUMBERED = psycopg2.dialect(paramstyle="numeric_dollar")
# Per driver connection: the names prepared on it (a prepared statement lives as long as its session,
# whatever happens to the transactions around it).
_prepared_on = WeakKeyDictionary()


class PreparedStatement:
    def __init__(self, name, statement, elsewhere=None):
        """`elsewhere`: the statement to run on other databases, if not the same."""
        self.name = name
        self.elsewhere = statement if elsewhere is None else elsewhere
        compiled = statement.compile(dialect=_NUMBERED)
        self.parameters = tuple(compiled.positiontup or ())
        self._literals = compiled.construct_params(_check=False)  # values the statement itself binds
        self._processors = {name: process for name, process in compiled._bind_processors.items() if name in self.parameters}
        self._prepare = f"PREPARE {name} AS {compiled}"
        self._execute = f"EXECUTE {name}({', '.join(['%s'] * len(self.parameters))})" if self.parameters else f"EXECUTE {name}"

    def execute(self, connection, params, last=False):
        """Run on a SQLAlchemy Connection with `params` by name. On PostgreSQL the driver's rows come back
        as they are: SQLAlchemy would build a description of the result's columns on every execution
        of a statement it did not compile (a fifth of a file movement's CPU).

        `last`: the transaction's last statement. On PostgreSQL it carries the COMMIT (one round trip
        fewer), so it is committed once this returns, whatever happens next; its result is not
        kept (None), so it must signal a refusal by raising. The transaction is still to be ended
        as usual (the unit of work's commit, which sends nothing more)."""
        if connection.dialect.name != "postgresql":
            result = connection.execute(self.elsewhere, params)
            return None if last else result
        values = {**self._literals, **params}
        for name, process in self._processors.items():
            values[name] = process(values[name])
        if not connection.in_transaction():
            connection.begin()  # as SQLAlchemy's own execute would: the commit must reach the driver
        driver_connection = connection.connection.driver_connection
        prepared = _prepared_on.setdefault(driver_connection, set())
        cursor = driver_connection.cursor()
        sql, arguments = self._execute, tuple(values[name] for name in self.parameters)
        try:
            if self.name not in prepared:
                cursor.execute(self._prepare)
                prepared.add(self.name)
            if last:
                cursor.execute_last(sql, arguments)
            else:
                cursor.execute(sql, arguments)
        except connection.dialect.loaded_dbapi.Error as error:
            disconnected = connection.dialect.is_disconnect(error, driver_connection, cursor)
            cursor.close()
            if disconnected:
                connection.invalidate(error)
            raise DBAPIError.instance(sql, arguments, error, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect)
        if cursor.description is None:  # nothing to read (an UPDATE without RETURNING, or the COMMIT)
            cursor.close()
        return None if last else _Rows(cursor)


class _Rows:
    """What callers read of a result, straight from the driver's cursor."""

    def __init__(self, cursor):
        self._cursor = cursor

    def first(self):
        try:
            return self._cursor.fetchone()
        finally:
            self._cursor.close()

    def all(self):
        try:
            return self._cursor.fetchall()
        finally:
            self._cursor.close()

    def scalar_one(self):
        try:
            rows = self._cursor.fetchall()
        finally:
            self._cursor.close()
        if len(rows) != 1:
            raise NoResultFound("no row") if not rows else MultipleResultsFound(f"{len(rows)} rows")
        return rows[0][0]
