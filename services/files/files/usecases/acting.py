"""Use cases of leave and acting charge in files: dak's charges kept, and a file sent to an officer
who is away going to whoever holds charge for them, marked for them."""
from __future__ import annotations

from datetime import date

from eoffice_common.events import Envelope

from ..models import ActingCharge


def record_acting_charge(envelope: Envelope, uow) -> None:
    """dak's acting_charge_set or acting_charge_ended."""
    data = envelope.data
    uow.session.merge(ActingCharge(
        id=data["charge_id"], absent_user=data["absent_user"], acting_user=data["acting_user"],
        from_date=date.fromisoformat(data["from_date"]), to_date=date.fromisoformat(data["to_date"]),
        ended=envelope.type == "acting_charge_ended",
    ))


def addressee_today(directory, user_id: str | None, sender: str, today: date) -> tuple[str | None, str | None]:
    """(who receives, for whom): the officer acting for `user_id` if away today, for them; the sender
    never redirects to themself."""
    acting = directory.acting_for(user_id, today) if user_id else None
    if acting is None or acting == sender:
        return user_id, None
    return acting, user_id
