"""PostgreSQL: words in most documents are checked on the documents the caller's grants pick, not looked up
in the word index (Documents.words_less_selective_than_grants); the answers are the same either way."""
from datetime import datetime, timezone

from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.testing import truncate_all
from search import model, repository
from search.repository import SearchUnitOfWork
from search.testing import Office
from search.text import parse_query


def test_a_phrase_of_common_words_is_checked_on_the_callers_documents_and_finds_the_same(search_database, monkeypatch):
    truncate_all(search_database)
    monkeypatch.setattr(repository, "_COMMON_ELEMENTS", {})
    engine = StandaloneEngine(search_database)
    now = datetime.now(timezone.utc)
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        office = Office(SearchUnitOfWork(uow, now))
        for n in range(60):
            home = "COLL-JHS" if n < 3 else f"TEH-{n % 9}"
            office.diarise(f"r{n}", office=home, by=f"clerk.{n}",
                           letter=f"पेंशन प्रकरण भुगतान {'स्वीकृति' if n % 2 else ''} {'आदेश' if n % 3 == 0 else ''} क्रमांक{n}")
        uow.commit()
    with engine.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE documents")
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        office = Office(SearchUnitOfWork(uow, now))
        documents = office.uow.documents
        grants = model.grants_of_caller("dm.jhs", "COLL-JHS")
        assert documents.words_less_selective_than_grants(parse_query('"पेंशन प्रकरण" भुगतान'), grants)
        assert not documents.words_less_selective_than_grants(parse_query("पेंशन क्रमांक1"), grants)
        # each in a sixth of the documents or more, more than twice the caller's share; together in far fewer
        assert documents.words_less_selective_than_grants(parse_query("स्वीकृति"), grants)
        assert documents.words_less_selective_than_grants(parse_query("आदेश"), grants)
        assert not documents.words_less_selective_than_grants(parse_query("स्वीकृति आदेश"), grants)
        answer = office.found('"प्रकरण भुगतान" स्वीकृति', "dm.jhs", "COLL-JHS")
        assert [r["opens"]["id"] for r in answer["results"]] == ["r1"] and answer["total"] == 1
        assert office.found("पेंशन क्रमांक1", "dm.jhs", "COLL-JHS")["results"][0]["opens"]["id"] == "r1"
        assert office.found("स्वीकृति आदेश", "dm.jhs", "COLL-JHS")["total"] == 0
    engine.engine.dispose()
