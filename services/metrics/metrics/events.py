"""The events the metrics service consumes (services/EVENTS.md) and how each becomes a fact or a
directory record. It publishes none. Every event of dak, files, signing and notify is consumed;
an event whose data lacks what is needed here is malformed and goes to the dead letters."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from eoffice_common.events import MalformedEvent

from .domain import Fact, OfficeInfo, as_utc

CONSUMED = {
    "dak": (
        "office_recorded", "user_recorded", "receipt_diarised", "receipt_sent", "receipt_received",
        "receipt_put_in_file", "receipt_closed", "letter_received", "letter_opened", "receipt_pulled_back",
        "acting_charge_set", "acting_charge_ended",
    ),
    "files": (
        "file_created", "note_added", "note_confirmed", "receipt_linked", "draft_versioned", "draft_approved",
        "draft_issued", "file_sent", "file_opened", "file_pulled_back", "file_parked", "file_unparked",
        "file_reopened", "file_closed", "file_transferred", "file_received", "documents_attached", "part_file_merged",
        "file_linked", "file_unlinked", "file_attached", "file_detached",
    ),
    "signing": (
        "signature_requested", "document_signed", "signature_failed", "certificate_registered", "certificate_revoked",
    ),
    "notify": ("notification_delivered", "notification_failed", "letter_emailed"),
}
DIRECTORY_EVENTS = frozenset({"office_recorded", "user_recorded"})
# A producer's clock may run a little ahead of ours; an event dated further ahead is refused.
CLOCK_SKEW = timedelta(minutes=5)

CODE, USER, ID = 32, 64, 64


def _text(data, key, limit, required=True):
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise MalformedEvent(f"data.{key} is missing")
        return None
    if not isinstance(value, str) or "\x00" in value:
        raise MalformedEvent(f"data.{key} must be a string")
    if len(value) > limit:
        raise MalformedEvent(f"data.{key} is longer than {limit} characters")
    return value


def _date(data, key):
    value = data.get(key)
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise MalformedEvent(f"data.{key} is not an ISO date") from None


def _moment(data, key):
    value = data.get(key)
    if not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        raise MalformedEvent(f"data.{key} is not an ISO timestamp") from None


def _kind(data, key, allowed):
    value = data.get(key)
    if value is None:
        return None
    if value not in allowed:
        raise MalformedEvent(f"data.{key} must be one of {', '.join(sorted(allowed))}")
    return value


KINDS = {"electronic", "physical"}


def parse_event(envelope, now):
    """What an event (an eoffice_common Envelope) says, checked: a directory record, or a fact not dated
    in the future. MalformedEvent (dead-lettered) if it cannot be used."""
    if envelope.type == "office_recorded":
        return office_record(envelope.data)
    if envelope.type == "user_recorded":
        return user_record(envelope.data)
    fact = fact_from(envelope)
    if fact.occurred_at > now + CLOCK_SKEW:
        raise MalformedEvent(f"occurred_at {envelope.occurred_at} is in the future (received at {now.isoformat()})")
    return fact


def fact_from(envelope):
    """The fact an event (an eoffice_common Envelope) records."""
    if envelope.type not in _EXTRACTORS:
        raise MalformedEvent(f"unknown event type {envelope.type!r}")
    for name, limit in (("id", ID), ("actor", USER), ("office", CODE)):
        value = getattr(envelope, name) or ""
        if not isinstance(value, str) or len(value) > limit or "\x00" in value:
            raise MalformedEvent(f"{name} must be a string of at most {limit} characters")
    occurred_at = datetime.fromisoformat(envelope.occurred_at)
    if occurred_at.tzinfo is None:
        raise MalformedEvent("occurred_at has no UTC offset")
    data = envelope.data
    fact = Fact(
        event_id=envelope.id,
        event_type=envelope.type,
        occurred_at=as_utc(occurred_at),
        actor=envelope.actor,
        office=_text(data, "office", CODE, required=False) or envelope.office or None,
    )
    _EXTRACTORS[envelope.type](fact, data)
    return fact


def _receipt(fact, data):
    fact.item_type, fact.item_id = "receipt", _text(data, "receipt_id", ID)


def _file(fact, data):
    fact.item_type, fact.item_id = "file", _text(data, "file_id", ID)


CLASSIFICATIONS = {"normal", "confidential", "secret", "top_secret"}


def _register_entry(fact, data, number_key, category_key):
    fact.number = _text(data, number_key, 150, required=False)
    fact.subject = _text(data, "subject", 2000, required=False)
    fact.category = _text(data, category_key, 120, required=False)
    fact.classification = _kind(data, "classification", CLASSIFICATIONS) or "normal"


def _receipt_diarised(fact, data):
    _receipt(fact, data)
    _register_entry(fact, data, "receipt_number", "main_category")
    vip = data.get("vip")
    if vip is not None and not isinstance(vip, bool):
        raise MalformedEvent("data.vip must be true or false")
    fact.vip = bool(vip)
    fact.kind = _kind(data, "kind", KINDS) or "electronic"
    fact.to_user = _text(data, "holder", USER, required=False) or _text(data, "diarised_by", USER, required=False)


def _sent(fact, data):
    fact.to_user = _text(data, "to_user", USER)
    fact.due_date = _date(data, "due_date")
    fact.kind = _text(data, "action", 16, required=False)


def _receipt_sent(fact, data):
    _receipt(fact, data)
    _sent(fact, data)


def _file_created(fact, data):
    _file(fact, data)
    fact.kind = _kind(data, "kind", KINDS) or "electronic"
    fact.section = _text(data, "section", 48, required=False)
    _register_entry(fact, data, "file_number", "category")
    fact.to_user = _text(data, "created_by", USER, required=False)


def _file_sent(fact, data):
    _file(fact, data)
    _sent(fact, data)


def _file_pulled_back(fact, data):
    _file(fact, data)
    fact.to_user = _text(data, "by_user", USER, required=False) or fact.actor


def _receipt_pulled_back(fact, data):
    _receipt(fact, data)
    fact.to_user = _text(data, "by_user", USER, required=False) or fact.actor


def _acting_charge(fact, data):
    """Who holds charge for whom is dak's (items sent meanwhile name the acting officer as to_user);
    kept as a fact of the office, nothing counted."""


def _file_closed(fact, data):
    _file(fact, data)
    fact.kind = _kind(data, "kind", KINDS)
    created_at = _moment(data, "created_at")
    if created_at is not None:
        fact.duration_seconds = max(0, int((fact.occurred_at - created_at).total_seconds()))
    count = data.get("movement_count")
    if count is not None:
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise MalformedEvent("data.movement_count must be a whole number")
        fact.levels = count


def _file_transferred(fact, data):
    file_ids = data.get("file_ids")
    if not isinstance(file_ids, list) or not all(isinstance(i, str) and 0 < len(i) <= ID for i in file_ids):
        raise MalformedEvent("data.file_ids must be a list of file ids")
    fact.to_user = _text(data, "to_user", USER)
    fact.subject_user = _text(data, "from_user", USER, required=False)
    fact.file_ids = file_ids


DISPATCH_MODES = {"intra", "email", "post"}


def _draft_issued(fact, data):
    _file(fact, data)
    fact.kind = _kind(data, "dispatch_mode", DISPATCH_MODES)
    fact.dispatches = _addressees(data)


def _addressees(data):
    """Each addressee's dispatch of an issued letter: id, mode, a copy for information or not, and the
    office of this deployment it goes to (intra)."""
    addressees = data.get("addressees") or []
    if not isinstance(addressees, list) or not all(isinstance(a, dict) for a in addressees):
        raise MalformedEvent("data.addressees must be a list of addressees")
    dispatches = []
    for index, addressee in enumerate(addressees):
        prefix = f"addressees.{index}."
        dispatch_id, office = addressee.get("dispatch_id"), addressee.get("office")
        if not isinstance(dispatch_id, str) or not 0 < len(dispatch_id) <= ID:
            raise MalformedEvent(f"data.{prefix}dispatch_id must be a dispatch id")
        if addressee.get("mode") not in DISPATCH_MODES:
            raise MalformedEvent(f"data.{prefix}mode must be one of {', '.join(sorted(DISPATCH_MODES))}")
        if office is not None and (not isinstance(office, str) or len(office) > CODE):
            raise MalformedEvent(f"data.{prefix}office must be an office code")
        dispatches.append({"dispatch_id": dispatch_id, "mode": addressee["mode"], "copy": bool(addressee.get("copy")),
                           "office": office or None})
    return dispatches


def _letter(fact, data):
    _receipt(fact, data)
    fact.dispatch_id = _text(data, "dispatch_id", ID)


def _letter_emailed(fact, data):
    _file(fact, data)
    fact.dispatch_id = _text(data, "dispatch_id", ID)
    fact.kind = _kind(data, "outcome", {"delivered", "bounced", "unknown"})


def _signature(fact, data):
    fact.subject_user = _text(data, "signer", USER)
    fact.kind = _kind(data, "document_kind", {"note", "draft"})
    fact.item_type, fact.item_id = "file", _text(data, "file_id", ID, required=False)


def _certificate(fact, data):
    fact.subject_user = _text(data, "user_id", USER)


def _notification(fact, data):
    fact.subject_user = _text(data, "user", USER)
    fact.kind = _kind(data, "channel", {"inapp", "email", "sms"})


def _file_only(fact, data):
    _file(fact, data)


_EXTRACTORS = {
    "receipt_diarised": _receipt_diarised,
    "receipt_sent": _receipt_sent,
    "receipt_received": _receipt,
    "receipt_put_in_file": _receipt,
    "receipt_closed": _receipt,
    # A letter from another office of the deployment arrives with its own receipt_diarised; these
    # say which dispatch of an issued letter reached its addressee (received, opened, emailed).
    "letter_received": _letter,
    "letter_opened": _letter,
    "letter_emailed": _letter_emailed,
    "receipt_pulled_back": _receipt_pulled_back,
    "file_received": _file_only,
    "acting_charge_set": _acting_charge,
    "acting_charge_ended": _acting_charge,
    "file_created": _file_created,
    "note_added": _file_only,
    "note_confirmed": _file_only,
    "receipt_linked": _file_only,
    "draft_versioned": _file_only,
    "draft_approved": _file_only,
    "draft_issued": _draft_issued,
    "file_sent": _file_sent,
    "file_opened": _file_only,
    "file_pulled_back": _file_pulled_back,
    "file_parked": _file_only,
    "file_unparked": _file_only,
    "file_reopened": _file_only,
    "file_closed": _file_closed,
    "file_transferred": _file_transferred,
    # Activity on a file, counted by nothing yet: a merged part closes with its own file_closed, an attached
    # file moves with its own file_sent.
    "documents_attached": _file_only,
    "part_file_merged": _file_only,
    "file_linked": _file_only,
    "file_unlinked": _file_only,
    "file_attached": _file_only,
    "file_detached": _file_only,
    "signature_requested": _signature,
    "document_signed": _signature,
    "signature_failed": _signature,
    "certificate_registered": _certificate,
    "certificate_revoked": _certificate,
    "notification_delivered": _notification,
    "notification_failed": _notification,
}


# --- the directory -------------------------------------------------------------------------------

@dataclass(frozen=True)
class OfficeRecord(OfficeInfo):
    state: str
    sections: list


@dataclass(frozen=True)
class UserRecord:
    user_id: str
    office: str
    name_en: str
    name_hi: str
    designation_en: str
    designation_hi: str
    section: str | None
    roles: list
    active: bool


def office_record(data):
    sections = data.get("sections") or []
    if not isinstance(sections, list) or not all(isinstance(s, dict) and s.get("code") for s in sections):
        raise MalformedEvent("data.sections must be a list of {code, name_en, name_hi}")
    return OfficeRecord(
        code=_text(data, "office", CODE), name_en=_text(data, "name_en", 200), name_hi=_text(data, "name_hi", 200),
        district=_text(data, "district", 16), district_name_en=_text(data, "district_name_en", 120),
        district_name_hi=_text(data, "district_name_hi", 120), department=_text(data, "department", 16),
        department_name_en=_text(data, "department_name_en", 200),
        department_name_hi=_text(data, "department_name_hi", 200), state=_text(data, "state", 8),
        sections=[{"code": s["code"], "name_en": s.get("name_en", ""), "name_hi": s.get("name_hi", "")} for s in sections],
    )


def user_record(data):
    roles = data.get("roles") or []
    if not isinstance(roles, list):
        raise MalformedEvent("data.roles must be a list")
    active = data.get("active", True)
    if not isinstance(active, bool):
        raise MalformedEvent("data.active must be true or false")
    return UserRecord(
        user_id=_text(data, "user_id", USER), office=_text(data, "office", CODE),
        name_en=_text(data, "name_en", 200), name_hi=_text(data, "name_hi", 200),
        designation_en=_text(data, "designation_en", 200, required=False) or "",
        designation_hi=_text(data, "designation_hi", 200, required=False) or "",
        section=_text(data, "section", 48, required=False), roles=[str(r) for r in roles], active=active,
    )
