"""Text searched with LIKE: what the user typed matches only itself, on PostgreSQL and SQLite."""
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, insert, select

from eoffice_common.search import contains, fold_hindi, search_form
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


@pytest.mark.parametrize("one, other", [
    ("हैंडपंप", "हैंडपम्प"), ("बड़ागाँव", "बड़ागांव"), ("बड़ागांव", "बडागांव"), ("ज़िलाधिकारी", "जिलाधिकारी"),
    ("हिन्दी", "हिंदी"), ("संबंध", "सम्बन्ध"), ("कण्ठ", "कंठ"), ("गङ्गा", "गंगा"), ("ज़िला", "ज\u093cिला"),
    ("Pension  Scheme", "pension scheme"), ("ई-ऑफ़िस", "ई-ऑफिस"),
])
def test_hindi_spelling_variants_fold_to_one_form(one, other):
    assert search_form(one) == search_form(other)


@pytest.mark.parametrize("one, other", [("बड़ा", "बढ़ा"), ("कम", "कंम"), ("पंप", "पप"), ("नाम", "नम")])
def test_different_words_stay_different(one, other):
    assert search_form(one) != search_form(other)


def test_a_final_half_nasal_before_no_consonant_is_kept():
    assert fold_hindi("सम्") == "सम्"
    assert fold_hindi("अन्न") == "अंन"


def test_folded_query_finds_a_stored_variant(engine):
    with engine.begin() as conn:
        conn.execute(insert(subjects), [{"id": 10, "text": search_form("बड़ागाँव में हैंडपंप की मरम्मत")}])
        for typed in ("हैंडपम्प", "बड़ागांव", "बडागांव", "मरंमत"):
            found = conn.execute(select(subjects.c.id).where(contains(subjects.c.text, search_form(typed)))).scalars().all()
            assert found == [10], typed
