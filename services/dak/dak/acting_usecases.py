"""Use cases of leave and acting charge: an officer (or their office's admin) names who acts for them
for some days; items sent to them meanwhile reach the acting officer, marked for them. Each is
`(command, uow) -> result`."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone

from . import acting, domain, repository
from .models import ActingCharge, Office


@dataclass(frozen=True)
class SetActingCharge:
    by: str
    absent_user: str
    acting_user: str
    from_date: date
    to_date: date
    reason: str | None = None


def set_acting_charge(command: SetActingCharge, uow) -> ActingCharge:
    session = uow.session
    absent = repository.officer(session, command.absent_user)
    acting.check_new_charge(
        repository.officer(session, command.by), absent, repository.officer(session, command.acting_user),
        command.from_date, command.to_date, domain.today_ist(),
        absent is not None and repository.charge_overlaps(session, absent.id, command.from_date, command.to_date),
    )
    charge = ActingCharge(
        id=str(uuid.uuid4()), absent_user=absent.id, acting_user=command.acting_user, office_code=absent.office,
        from_date=command.from_date, to_date=command.to_date, reason=command.reason, set_by=command.by,
        set_at=datetime.now(timezone.utc),
    )
    session.add(uow.track(charge))
    charge.announce_set(session.get(Office, absent.office).district_code)
    return charge


@dataclass(frozen=True)
class EndActingCharge:
    by: str
    charge_id: str


def end_acting_charge(command: EndActingCharge, uow) -> ActingCharge:
    """The absent officer back early, or the leave called off: by them, the acting officer or their admin."""
    session = uow.session
    charge = uow.track(repository.load_charge(session, command.charge_id))
    by = repository.officer(session, command.by)
    if by.id not in (charge.absent_user, charge.acting_user) and not ("admin" in by.roles and by.office == charge.office_code):
        raise acting.NotYourCharge("only the officer, the acting officer or their office's admin ends an acting charge")
    if charge.ended_at is None:
        charge.end(by.id, datetime.now(timezone.utc), session.get(Office, charge.office_code).district_code)
    return charge
