"""UtcDateTime on both databases: a timestamp comes back in UTC, whatever time zone the PostgreSQL
server answers in, as it does from SQLite (which keeps no offset)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from eoffice_common.testing import create_database
from eoffice_common.types import UtcDateTime

IST = timezone(timedelta(hours=5, minutes=30))
TABLES = MetaData()
moments = Table("moments", TABLES, Column("id", Integer, primary_key=True), Column("at", UtcDateTime()))


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request, tmp_path):
    if request.param == "postgresql":  # a server set to India's time zone
        engine = create_engine(create_database("eoffice_test_utc_datetime"), connect_args={"options": "-c timezone=Asia/Kolkata"})
    else:
        engine = create_engine(f"sqlite:///{tmp_path / 'moments.db'}")
    TABLES.create_all(engine)
    yield engine
    engine.dispose()


def test_a_timestamp_is_read_back_in_utc_whatever_zone_it_was_written_in(engine):
    written = datetime(2026, 12, 7, 10, 0, tzinfo=IST)
    with engine.begin() as connection:
        connection.execute(insert(moments).values(id=1, at=written))
    with engine.connect() as connection:
        read = connection.execute(select(moments.c.at)).scalar_one()
    assert read == written and read.isoformat() == "2026-12-07T04:30:00+00:00"
