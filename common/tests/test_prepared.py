"""Prepared statements: planned once per PostgreSQL connection, the same answers as the plain statement,
on SQLite the plain statement."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, DateTime, MetaData, String, Table, bindparam, create_engine, insert, select, text
from sqlalchemy.exc import IntegrityError

from eoffice_common.prepared import PreparedStatement
from eoffice_common.types import UtcDateTime

IST = timezone(timedelta(hours=5, minutes=30))
METADATA = MetaData()
letters = Table(
    "prepared_letters", METADATA,
    Column("id", String(36), primary_key=True), Column("subject", String(200)), Column("status", String(20)),
    Column("received_at", UtcDateTime()), Column("noted_at", DateTime(timezone=True)),
)
ADD = PreparedStatement("test_add_letter", insert(letters).values(
    id=bindparam("id"), subject=bindparam("subject"), status="received", received_at=bindparam("received_at", type_=UtcDateTime()),
))
RECEIVED = PreparedStatement("test_received_letter", select(letters.c.subject, letters.c.received_at).where(
    letters.c.id == bindparam("id"), letters.c.status == "received",
))
MANY = PreparedStatement("test_many", text("SELECT count(*) FROM prepared_letters WHERE id = ANY(CAST(:ids AS text[]))"))


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request, plumbing_databases, tmp_path):
    url = plumbing_databases["writer"] if request.param == "postgresql" else f"sqlite:///{tmp_path}/prepared.db"
    engine = create_engine(url)
    METADATA.drop_all(engine)
    METADATA.create_all(engine)
    yield engine
    METADATA.drop_all(engine)
    engine.dispose()


def prepared_names(connection):
    names = {row[0] for row in connection.exec_driver_sql("SELECT name FROM pg_prepared_statements")}
    connection.rollback()
    return names


def test_a_prepared_statement_gives_what_the_plain_one_gives(engine):
    at = datetime(2026, 11, 22, 10, 30, tzinfo=IST)
    with engine.begin() as connection:
        ADD.execute(connection, {"id": "r-1", "subject": "पेंशन प्रकरण", "received_at": at})
        ADD.execute(connection, {"id": "r-2", "subject": "भूमि विवाद", "received_at": at})
    with engine.connect() as connection:
        subject, received_at = RECEIVED.execute(connection, {"id": "r-1"}).first()
        assert subject == "पेंशन प्रकरण" and received_at == at and received_at.utcoffset() is not None
        assert RECEIVED.execute(connection, {"id": "r-9"}).first() is None
        if engine.dialect.name == "postgresql":  # arrays are PostgreSQL's
            assert MANY.execute(connection, {"ids": ["r-1", "r-2", "r-3"]}).scalar_one() == 2


def test_the_statement_is_prepared_once_per_connection_and_outlives_a_rollback(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs the statement as is")
    at = datetime(2026, 11, 22, tzinfo=timezone.utc)
    with engine.connect() as connection:
        with connection.begin() as transaction:
            ADD.execute(connection, {"id": "r-1", "subject": "रद्द", "received_at": at})
            transaction.rollback()
        assert "test_add_letter" in prepared_names(connection)
        with connection.begin():
            ADD.execute(connection, {"id": "r-1", "subject": "स्वीकृत", "received_at": at})
            ADD.execute(connection, {"id": "r-2", "subject": "स्वीकृत", "received_at": at})
        assert prepared_names(connection) >= {"test_add_letter"}
        assert connection.exec_driver_sql("SELECT count(*) FROM prepared_letters").scalar_one() == 2


def test_a_new_connection_prepares_again(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs the statement as is")
    with engine.connect() as connection:
        RECEIVED.execute(connection, {"id": "r-1"}).first()
        connection.invalidate()  # the pool replaces the driver connection: nothing is prepared there
    with engine.connect() as connection:
        assert "test_received_letter" not in prepared_names(connection)
        assert RECEIVED.execute(connection, {"id": "r-1"}).first() is None
        assert "test_received_letter" in prepared_names(connection)


def test_database_errors_arrive_as_sqlalchemys(engine):
    at = datetime(2026, 11, 22, tzinfo=timezone.utc)
    with engine.connect() as connection:
        ADD.execute(connection, {"id": "r-1", "subject": "पहला", "received_at": at})
        with pytest.raises(IntegrityError):
            ADD.execute(connection, {"id": "r-1", "subject": "दोहराया", "received_at": at})


def test_a_naive_timestamp_is_refused_as_by_the_column_type(engine):
    with engine.connect() as connection, pytest.raises(Exception, match="naive datetime"):
        ADD.execute(connection, {"id": "r-1", "subject": "बिना क्षेत्र", "received_at": datetime(2026, 11, 22)})
