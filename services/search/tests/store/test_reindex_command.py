"""`search reindex` rebuilds the index from what the service keeps: words and grants again, scans read again."""
from datetime import datetime, timezone

from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.testing import truncate_all
from search import cli
from search.repository import SearchUnitOfWork
from search.testing import Office


def test_reindex_gives_back_every_grant_and_sends_every_scan_to_be_read_again(search_database, monkeypatch, capsys):
    truncate_all(search_database)
    engine = StandaloneEngine(search_database)
    now = datetime.now(timezone.utc)
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        office = Office(SearchUnitOfWork(uow, now))
        office.diarise("r1", classification="secret", letter="खनन पट्टा निरस्तीकरण")
        office.create_file("f1", subject="खनन पट्टा")
        uow.commit()
    with engine.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM grants")
        connection.exec_driver_sql("UPDATE documents SET granted = '{}', tokens = NULL")
    monkeypatch.setenv("SEARCH_DB_URL", search_database)
    assert cli.main(["reindex"]) == 0
    assert "words rewritten for 2 documents; 1 documents to read again" in capsys.readouterr().out
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        office = Office(SearchUnitOfWork(uow, now))
        assert office.found("खनन", "dm.jhs", "COLL-JHS")["total"] == 1  # the file, not the Secret receipt
        assert [d.id for d in office.uow.documents.pending(10)] == [office.scan_of("r1")]
        assert office.sees("पट्टा", "clerk.jhs", "COLL-JHS")
    engine.engine.dispose()
