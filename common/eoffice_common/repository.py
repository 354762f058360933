"""What every service's repositories share: they work in the transaction of a unit of work."""
from __future__ import annotations

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
