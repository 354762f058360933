"""What every service's repositories share: they work in the transaction of a unit of work."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session


class Repository:
    """A repository over `uow`: anything with a `session` (a unit of work, or a Reading), asked
    for it at each use, so that a unit of work opened again gives its new transaction."""

    def __init__(self, uow):
        self._uow = uow

    @property
    def session(self) -> Session:
        return self._uow.session


class Reading:
    """A read-only session standing in for a unit of work: nothing it does is committed."""

    def __init__(self, session: Session):
        self.session = session


class RepositoryUnitOfWork:
    """A service's repositories over one unit of work (eoffice_common.db.UnitOfWork, or a Reading):
    subclasses add theirs in __init__. `present` turns what a use case commits with into the HTTP
    answer, kept under the request's Idempotency-Key in the same transaction; the entrypoint returns
    it as `answer`."""

    def __init__(self, uow, present: Callable[[Any], Any] | None = None):
        self._uow = uow
        self._present = present
        self.answer: Any = None

    def __enter__(self):
        self._uow.__enter__()
        return self

    def __exit__(self, *exc_info):
        return self._uow.__exit__(*exc_info)

    @property
    def session(self) -> Session:
        return self._uow.session

    def track(self, aggregate):
        return self._uow.track(aggregate)

    def emit_all(self, events, cause_of=None):
        return self._uow.emit_all(events, cause_of)

    def commit(self, result: Any = None) -> None:
        self.answer = self._present(result) if self._present else result
        self._uow.commit(self.answer)

    def rollback(self) -> None:
        self._uow.rollback()
