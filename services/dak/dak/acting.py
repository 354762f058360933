"""Rules of leave and acting charge: who may name whom, and where an item sent to an absent officer goes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eoffice_common.errors import Conflict, Forbidden, InvalidInput

from .domain import Move

MAX_DAYS = 366
HANDED_OVER_ON_LEAVE = "handed over on leave"


class NotYourCharge(Forbidden):
    reason = "not_your_charge"


class ChargeOverlaps(Conflict):
    reason = "acting_charge_overlaps"


class ChargeRefused(InvalidInput):
    reason = "acting_charge_refused"


@dataclass(frozen=True)
class Officer:
    id: str
    office: str
    roles: tuple[str, ...]
    active: bool


def check_new_charge(by: Officer, absent: Officer | None, acting: Officer | None, from_date: date, to_date: date,
                     today: date, overlapping: bool, hand_over: bool = False) -> None:
    """The officer themself, or their office's admin, names an active colleague for a date range to come.
    What the officer holds is handed over (`hand_over`) as they leave: only once the leave has begun."""
    if absent is None or not absent.active:
        raise ChargeRefused("the absent officer is not in the directory", fields={"absent_user": "unknown"})
    if by.id != absent.id and not ("admin" in by.roles and by.office == absent.office):
        raise NotYourCharge("only the officer, or their office's admin, sets their leave")
    if acting is None or not acting.active:
        raise ChargeRefused("the acting officer is not in the directory", fields={"acting_user": "unknown" if acting is None else "deactivated"})
    if acting.id == absent.id:
        raise ChargeRefused("an officer cannot act for themself", fields={"acting_user": "the absent officer"})
    if to_date < from_date:
        raise ChargeRefused("the leave ends before it begins", fields={"to_date": "before from_date"})
    if to_date < today:
        raise ChargeRefused("the leave is over already", fields={"to_date": "in the past"})
    if (to_date - from_date).days >= MAX_DAYS:
        raise ChargeRefused(f"at most {MAX_DAYS} days", fields={"to_date": f"more than {MAX_DAYS} days after from_date"})
    if hand_over and from_date > today:
        raise ChargeRefused("files and receipts are handed over on the first day of the leave, not before",
                            fields={"hand_over": "the leave has not begun"})
    if overlapping:
        raise ChargeOverlaps("the officer already has someone acting for part of these days")


def redirect(recipients: list[str], acting_for: dict[str, str]) -> list[tuple[str, str | None]]:
    """Each recipient as (who receives, for whom): an absent officer's items reach the officer acting
    for them, marked for the absent one. `acting_for` maps the absent in force today to their acting officer."""
    return [(acting_for[r], r) if r in acting_for else (r, None) for r in recipients]


def redirected_moves(moves: list[Move], acting_for: dict[str, str], by: str) -> list[Move]:
    """Moves to officers away today go to whoever acts for them, marked for them; the sender's own
    move to an officer they act for, and a second move to the same officer, are kept as they were.
    `acting_for` maps the absent in force today to their acting officer."""
    if not acting_for:
        return moves
    redirected, seen = [], set()
    for move, (to_user, for_user) in zip(moves, redirect([m.to_user for m in moves], acting_for), strict=True):
        if to_user == by or to_user in seen:
            to_user, for_user = move.to_user, None
        seen.add(to_user)
        redirected.append(Move(move.from_user, to_user, move.copy, for_user))
    return redirected
