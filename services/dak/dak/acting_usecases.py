"""Use cases of leave and acting charge: an officer (or their office's admin) names who acts for them
for some days; items sent to them meanwhile reach the acting officer, marked for them (Receipt.send
with usecases._recipients). Each is `(command, uow) -> result`, over DakUnitOfWork's
`uow.acting_charges` and `uow.directory`."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from . import acting, domain
from .models import ActingCharge


@dataclass(frozen=True)
class SetActingCharge:
    by: str
    absent_user: str
    acting_user: str
    from_date: date
    to_date: date
    reason: str | None = None
    hand_over: bool = False  # the receipts (here) and files (in files) the absent officer holds go to the acting one


def set_acting_charge(command: SetActingCharge, uow) -> ActingCharge:
    """A charge; with `hand_over`, the receipts the absent officer holds pass to the acting officer now,
    and acting_charge_set tells files to do the same with their files (each keeps what the acting officer
    is not cleared for with the absent officer)."""
    directory = uow.directory
    absent = directory.officer(command.absent_user)
    acting.check_new_charge(
        directory.officer(command.by), absent, directory.officer(command.acting_user),
        command.from_date, command.to_date, domain.today_ist(),
        absent is not None and uow.acting_charges.overlaps(absent.id, command.from_date, command.to_date),
        command.hand_over,
    )
    charge = ActingCharge(
        id=str(uuid.uuid4()), absent_user=absent.id, acting_user=command.acting_user, office_code=absent.office,
        from_date=command.from_date, to_date=command.to_date, reason=command.reason, set_by=command.by,
        set_at=datetime.now(timezone.utc),
    )
    uow.acting_charges.add(uow.track(charge))
    charge.announce_set(directory.office(absent.office).district_code, command.hand_over)
    if command.hand_over:
        _hand_over_receipts(absent.id, command.acting_user, charge.set_at, uow)
    uow.commit(charge)
    return charge


def _hand_over_receipts(absent: str, acting_user: str, now: datetime, uow) -> None:
    """What the absent officer holds goes to the acting officer, but for receipts classified above the acting
    officer's clearance: they stay with the absent officer."""
    clearance = uow.directory.active_clearances([acting_user]).get(acting_user)
    for receipt in uow.receipts.held_by(absent):
        if not domain.is_cleared_for(clearance, receipt.classification):
            continue
        receipt.hand_over_on_leave(absent, acting_user, now)
        uow.receipts.save(receipt)
        uow.track(receipt)


@dataclass(frozen=True)
class EndActingCharge:
    by: str
    charge_id: str


def end_acting_charge(command: EndActingCharge, uow) -> ActingCharge:
    """The absent officer back early, or the leave called off: by them, the acting officer or their admin."""
    charge = uow.track(uow.acting_charges.get(command.charge_id, for_update=True))
    by = uow.directory.officer(command.by)
    if by.id not in (charge.absent_user, charge.acting_user) and not ("admin" in by.roles and by.office == charge.office_code):
        raise acting.NotYourCharge("only the officer, the acting officer or their office's admin ends an acting charge")
    if charge.ended_at is None:
        charge.end(by.id, datetime.now(timezone.utc), uow.directory.office(charge.office_code).district_code)
    uow.commit(charge)
    return charge


def charges_around(user_id: str, office: str, day: date, uow) -> list[tuple[ActingCharge, Any, Any]]:
    """Charges not over by `day` involving the user or any officer of their office: [(charge, absent, acting)]."""
    return uow.acting_charges.around(user_id, office, day)
