"""Finding officers for the Send dialog, and the confirmation asked before sending to another district."""
from __future__ import annotations

from dataclasses import dataclass

from .. import domain
from ..domain import SignedIn
from ..exceptions import OtherDistrictToConfirm
from ..i18n import Translator
from . import Desk, Json

PEOPLE_FOUND = 20  # officers the Send dialog lists for a search


@dataclass(frozen=True)
class FindPeople:
    caller: SignedIn
    query: str


def people_found(command: FindPeople, desk: Desk) -> list[dict]:
    """Officers matching the query in the desk's copy of the directory, each with designation, office
    and district, the sender's own office first and then own district (so a namesake in another
    district is not picked by mistake), and whether they are on leave today and who acts for them."""
    me = command.caller
    district = desk.store.district_of(me.office)
    found = [(user, office) for user, office in desk.store.find_people(command.query, me.office, district, PEOPLE_FOUND)
             if user.id != me.user_id]
    away = desk.store.away_on([user.id for user, _ in found], desk.today())
    return [domain.person_found(user, office, me.language, me.office, district, away.get(user.id)) for user, office in found]


def find_people(command: FindPeople, desk: Desk) -> Json:
    """Officers by name or designation, English or Hindi: JSON for the Send dialog's search."""
    t = Translator(command.caller.language)
    return Json({"people": [
        {**person, "away_text": t("send.away", until=person["away"]["until"], acting=person["away"]["acting"]) if person["away"] else None}
        for person in people_found(command, desk)
    ]})


def confirm_other_districts(caller: SignedIn, recipients, confirmed, desk: Desk) -> None:
    """Raise OtherDistrictToConfirm while an officer chosen sits in another district than the sender
    and the form has not confirmed them (`confirmed`: its `confirm_district` fields, from the confirmation step)."""
    if not recipients:
        return
    district = desk.store.district_of(caller.office)
    chosen = [domain.person_found(user, office, caller.language, caller.office, district)
              for user, office in desk.store.people_by_id(recipients)]
    elsewhere = domain.unconfirmed_elsewhere(chosen, set(confirmed))
    if elsewhere:
        raise OtherDistrictToConfirm(chosen, elsewhere)
