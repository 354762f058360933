"""Two events of one file applied at the same time (the consumer runs two batches together), on PostgreSQL:
a draft arriving while the file's creation is still uncommitted must still be granted to who may open the file."""
import threading
from datetime import datetime, timezone

from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.testing import truncate_all
from search.repository import SearchUnitOfWork
from search.testing import Office


def test_a_draft_applied_while_the_file_creation_is_uncommitted_is_granted_once_both_commit(search_database):
    truncate_all(search_database)
    engine = StandaloneEngine(search_database)
    now = datetime.now(timezone.utc)
    creating = UnitOfWork(engine, actor="test", correlation_id=None).__enter__()
    Office(SearchUnitOfWork(creating, now)).create_file("f1", classification="secret", subject="भूमि विवाद")

    def draft():
        with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
            Office(SearchUnitOfWork(uow, now)).apply("draft_versioned", file_id="f1", draft_id="d1", version=1, subject="सूचना",
                                                     content="सुनवाई की तिथि")
            uow.commit()

    drafting = threading.Thread(target=draft)
    drafting.start()
    drafting.join(timeout=1)  # it waits for the file's creation (before: it committed a draft nobody may read)
    creating.commit()
    creating.__exit__(None, None, None)
    drafting.join(timeout=10)
    assert not drafting.is_alive()
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        office = Office(SearchUnitOfWork(uow, now))
        assert office.sees("सुनवाई", "so.jhs", "COLL-JHS")
        assert not office.sees("सुनवाई", "dm.jhs", "COLL-JHS")
    engine.engine.dispose()
