"""eoffice's PostgreSQL engine (SQLAlchemy's psycopg2 dialect on a fixed pool): transactions commit,
roll back and fail as the services and the metrics bulk insert expect."""
import io

import psycopg2
import pytest
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text
from sqlalchemy.exc import ProgrammingError

from eoffice_common.engine import make_engine

METADATA = MetaData()
dak = Table("engine_letters", METADATA, Column("id", Integer, primary_key=True), Column("subject", String(200)))


@pytest.fixture
def engine(plumbing_databases):
    engine = make_engine(plumbing_databases["writer"], pool_size=1)
    METADATA.drop_all(engine)
    METADATA.create_all(engine)
    yield engine
    METADATA.drop_all(engine)
    engine.dispose()


def letters(engine):
    with engine.connect() as connection:
        return connection.execute(select(dak.c.id, dak.c.subject).order_by(dak.c.id)).all()


def test_a_commit_keeps_and_a_rollback_undoes(engine):
    with engine.connect() as connection:
        connection.execute(insert(dak).values(id=1, subject="भूमि विवाद"))
        connection.rollback()
        connection.execute(insert(dak).values(id=2, subject="पेंशन प्रकरण"))
        connection.commit()
    with engine.connect() as connection:
        connection.execute(insert(dak).values(id=3, subject="closed without commit"))
    assert letters(engine) == [(2, "पेंशन प्रकरण")]


def test_a_failed_first_statement_leaves_the_connection_usable(engine):
    with engine.connect() as connection:
        with pytest.raises(ProgrammingError):
            connection.execute(text("SELECT no_such_column FROM engine_letters"))
        connection.rollback()
        assert connection.connection.driver_connection.info.transaction_status == TRANSACTION_STATUS_IDLE
        connection.execute(insert(dak).values(id=1, subject="after the error"))
        connection.commit()
    assert letters(engine) == [(1, "after the error")]


def test_many_rows_as_the_first_statement(engine):
    with engine.begin() as connection:
        connection.execute(insert(dak), [{"id": i, "subject": f"पत्र {i}"} for i in range(1, 4)])
    with engine.connect() as connection:
        connection.execute(insert(dak), [{"id": i, "subject": "rolled back"} for i in range(4, 7)])
        connection.rollback()
    assert [row.id for row in letters(engine)] == [1, 2, 3]


def test_rows_streamed_through_a_server_side_cursor(engine):
    with engine.begin() as connection:
        connection.execute(insert(dak), [{"id": i, "subject": f"पत्र {i}"} for i in range(1, 1001)])
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=100).execute(select(dak.c.id).order_by(dak.c.id))
        chunks = [len(rows) for rows in result.partitions()]
        assert chunks == [100] * 10
        assert connection.execute(select(func.count()).select_from(dak)).scalar() == 1000


@pytest.mark.parametrize("first", ["execute", "copy"])
def test_the_drivers_own_cursor_runs_inside_the_transaction(engine, first):
    """As metrics' bulk insert uses it: its first statement opens the transaction SQLAlchemy began."""
    def write(cursor, letter_id):
        if first == "execute":
            cursor.execute("INSERT INTO engine_letters (id, subject) VALUES (%s, 'पत्र')", (letter_id,))
        else:
            callback = psycopg2.extensions.get_wait_callback()
            psycopg2.extensions.set_wait_callback(None)  # psycopg2 refuses COPY under a wait callback
            try:
                cursor.copy_expert("COPY engine_letters (id, subject) FROM STDIN WITH (FORMAT csv)", io.StringIO(f"{letter_id},पत्र\n"))
            finally:
                psycopg2.extensions.set_wait_callback(callback)

    with engine.connect() as connection:
        connection.begin()
        with connection.connection.driver_connection.cursor() as cursor:
            write(cursor, 1)
        assert connection.connection.driver_connection.info.transaction_status == TRANSACTION_STATUS_INTRANS
        connection.rollback()
        connection.begin()
        with connection.connection.driver_connection.cursor() as cursor:
            write(cursor, 2)
        connection.commit()
    assert letters(engine) == [(2, "पत्र")]
