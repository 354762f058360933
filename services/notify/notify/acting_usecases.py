"""Use cases of leave and acting charge in notify: dak's charges kept; reminders and escalations due to
an officer who is away reach whoever holds charge for them, saying for whom."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select

from eoffice_common.events import Envelope

from .domain import Notice
from .models import ActingCharge


def record_acting_charge(envelope: Envelope, uow) -> None:
    """dak's acting_charge_set or acting_charge_ended."""
    data = envelope.data
    uow.session.merge(ActingCharge(
        id=data["charge_id"], absent_user=data["absent_user"], acting_user=data["acting_user"],
        from_date=date.fromisoformat(data["from_date"]), to_date=date.fromisoformat(data["to_date"]),
        ended=envelope.type == "acting_charge_ended",
    ))


def redirected(session, notices: list[Notice], today: date) -> list[Notice]:
    """Each notice for an officer away today goes to the acting officer, with `for_user` in its extra."""
    if not notices:
        return notices
    acting_for = dict(session.execute(select(ActingCharge.absent_user, ActingCharge.acting_user).where(
        ActingCharge.absent_user.in_({n.user_id for n in notices}), ActingCharge.ended.is_(False),
        ActingCharge.from_date <= today, ActingCharge.to_date >= today,
    )).all())
    return [replace(n, user_id=acting_for[n.user_id], extra={**n.extra, "for_user": n.user_id}) if n.user_id in acting_for else n
            for n in notices]
