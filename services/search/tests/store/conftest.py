"""The repository suite: the unit tests' scenarios again, on PostgreSQL (tsvector, GIN) and on SQLite
(FTS5), through the real repositories in one transaction that is rolled back at the end."""
import os
from datetime import datetime, timezone

import pytest

from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade
from eoffice_common.testing import truncate_all
from search.repository import SearchUnitOfWork
from search.testing import Office

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class RecordedCommits:
    """Commits that are not kept: the test's transaction stays open until it ends, then rolls back."""

    def __init__(self, uow):
        self._uow = uow
        self.committed = False

    @property
    def session(self):
        return self._uow.session

    def commit(self):
        self._uow.session.flush()
        self.committed = True


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'search.db'}"
    upgrade(SERVICE_DIR, url)
    return url


@pytest.fixture(params=["postgresql", "sqlite"])
def uow(request, search_database, sqlite_url):
    if request.param == "postgresql":
        url = search_database
        truncate_all(url)
    else:
        url = sqlite_url
    engine = StandaloneEngine(url)
    with UnitOfWork(engine, actor="test", correlation_id=None) as real:
        recorded = RecordedCommits(real)
        yield SearchUnitOfWork(recorded, datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc))
    engine.engine.dispose()


@pytest.fixture
def o(uow):
    return Office(uow)
