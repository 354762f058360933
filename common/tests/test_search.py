"""Text searched with LIKE: what the user typed matches only itself, on PostgreSQL and SQLite."""
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, insert, select

from eoffice_common.search import contains
from eoffice_common.testing import create_database

TABLES = MetaData()
subjects = Table("subjects", TABLES, Column("id", Integer, primary_key=True), Column("text", Text, nullable=False))
ROWS = ["100% pension", "file_note", "back\\slash", "वृद्धावस्था पेंशन", "plain"]


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request):
    url = create_database("eoffice_test_common_search") if request.param == "postgresql" else "sqlite://"
    engine = create_engine(url)
    TABLES.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(subjects), [{"id": i, "text": t} for i, t in enumerate(ROWS)])
    yield engine
    engine.dispose()


@pytest.mark.parametrize("typed, found", [
    ("%", ["100% pension"]), ("_", ["file_note"]), ("\\", ["back\\slash"]), ("0% p", ["100% pension"]),
    ("e_n", ["file_note"]), ("पेंशन", ["वृद्धावस्था पेंशन"]), ("", ROWS),
])
def test_percent_underscore_and_backslash_match_only_themselves(engine, typed, found):
    with engine.connect() as conn:
        rows = conn.execute(select(subjects.c.text).where(contains(subjects.c.text, typed)).order_by(subjects.c.id)).scalars().all()
    assert rows == found
