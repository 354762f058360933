"""The event contract: every event of services/EVENTS.md is consumed, and each becomes the right
fact; what cannot be used is malformed (and so dead-lettered)."""
import os
import re
from datetime import date, datetime, timezone

import pytest

from eoffice_common.events import Envelope, MalformedEvent
from metrics.events import CONSUMED, DIRECTORY_EVENTS, fact_from, office_record, user_record

EVENTS_MD = os.path.join(os.path.dirname(__file__), "..", "..", "..", "EVENTS.md")


def contract():
    """{service: {event types}} as listed in services/EVENTS.md."""
    listed, service = {}, None
    with open(EVENTS_MD, encoding="utf-8") as handle:
        for line in handle:
            heading = re.match(r"## (\w+) \(`\1\.events`\)", line)
            if heading:
                service = heading.group(1)
            elif service and line.startswith("- `"):
                names = line.split(":")[0]
                listed.setdefault(service, set()).update(re.findall(r"`([a-z_]+)`", names))
    return listed


def test_every_event_of_the_contract_is_consumed():
    assert {service: set(types) for service, types in CONSUMED.items()} == contract()


def envelope(event_type, data, office="COLL-JHS", occurred_at="2026-11-20T15:30:00+05:30", **fields):
    return Envelope.parse({
        "id": "e-1", "type": event_type, "schema_version": 1, "occurred_at": occurred_at, "actor": "so.jhs",
        "office": office, "district": "JHS", "correlation_id": None, "aggregate_type": "x", "aggregate_id": "a",
        "data": data, **fields,
    })


@pytest.mark.parametrize("event_type", [t for types in CONSUMED.values() for t in types if t not in DIRECTORY_EVENTS])
def test_each_event_type_becomes_a_fact(event_type):
    data = {
        "receipt_id": "r-1", "file_id": "f-1", "to_user": "dm.jhs", "signer": "so.jhs", "user_id": "so.jhs",
        "user": "so.jhs", "file_ids": ["f-1"], "kind": "electronic", "document_kind": "note", "channel": "sms",
        "dispatch_mode": "post", "dispatch_id": "d-1", "outcome": "delivered",
    }
    made = fact_from(envelope(event_type, data))
    assert (made.event_type, made.event_id, made.actor) == (event_type, "e-1", "so.jhs")
    assert made.occurred_at == datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def test_what_a_fact_keeps_of_its_event():
    sent = fact_from(envelope("file_sent", {"file_id": "f-1", "to_user": "dm.jhs", "due_date": "2026-12-01"}))
    assert (sent.item_type, sent.item_id, sent.to_user, sent.due_date) == ("file", "f-1", "dm.jhs", date(2026, 12, 1))
    handed_over = fact_from(envelope("receipt_sent", {"receipt_id": "r-1", "to_user": "dm.jhs", "action": "hand_over"}))
    assert handed_over.kind == "hand_over"
    closed = fact_from(envelope("file_closed", {"file_id": "f-1", "created_at": "2026-11-18T15:30:00+05:30", "movement_count": 4, "kind": "physical"}))
    assert (closed.duration_seconds, closed.levels, closed.kind) == (2 * 86400, 4, "physical")
    signed = fact_from(envelope("document_signed", {"signer": "so.jhs", "document_kind": "note"}, office=""))
    assert (signed.office, signed.subject_user, signed.kind) == (None, "so.jhs", "note")
    diarised = fact_from(envelope("receipt_diarised", {"receipt_id": "r-1", "kind": "physical", "diarised_by": "clerk.jhs"}))
    assert (diarised.to_user, diarised.kind) == ("clerk.jhs", "physical")
    created = fact_from(envelope("file_created", {"file_id": "f-1", "section": "COLL-JHS-REV"}))
    assert (created.kind, created.section) == ("electronic", "COLL-JHS-REV")


def test_an_issued_letter_keeps_each_addressees_dispatch_and_the_news_of_it_names_the_dispatch():
    """A letter issued inside the system (dispatch_mode intra, issue 20) was refused as malformed before."""
    issued = fact_from(envelope("draft_issued", {"file_id": "f-1", "dispatch_mode": "intra", "addressees": [
        {"dispatch_id": "d-1", "position": 1, "mode": "intra", "copy": False, "name": "तहसीलदार, मऊरानीपुर", "office": "TEH-MRN"},
        {"dispatch_id": "d-2", "position": 2, "mode": "email", "copy": True, "name": "Ravi", "email": "ravi@example.in"},
    ]}))
    assert (issued.kind, issued.item_id, issued.dispatches) == ("intra", "f-1", [
        {"dispatch_id": "d-1", "mode": "intra", "copy": False, "office": "TEH-MRN"},
        {"dispatch_id": "d-2", "mode": "email", "copy": True, "office": None}])
    received = fact_from(envelope("letter_received", {"receipt_id": "r-9", "dispatch_id": "d-1"}, office="TEH-MRN"))
    assert (received.dispatch_id, received.item_id, received.office) == ("d-1", "r-9", "TEH-MRN")
    bounced = fact_from(envelope("letter_emailed", {"dispatch_id": "d-2", "file_id": "f-1", "outcome": "bounced"}))
    assert (bounced.dispatch_id, bounced.kind) == ("d-2", "bounced")


@pytest.mark.parametrize("event_type, data, reason", [
    ("draft_issued", {"file_id": "f-1", "dispatch_mode": "intra", "addressees": [{"mode": "intra"}]}, "addressees.0.dispatch_id"),
    ("draft_issued", {"file_id": "f-1", "addressees": [{"dispatch_id": "d-1", "mode": "fax"}]}, "addressees.0.mode"),
    ("draft_issued", {"file_id": "f-1", "addressees": "TEH-MRN"}, "data.addressees must be a list"),
    ("letter_received", {"receipt_id": "r-9"}, "data.dispatch_id is missing"),
    ("letter_emailed", {"dispatch_id": "d-2", "file_id": "f-1", "outcome": "lost"}, "data.outcome must be one of"),
    ("file_sent", {"file_id": "f-1"}, "data.to_user is missing"),
    ("receipt_sent", {"to_user": "dm.jhs"}, "data.receipt_id is missing"),
    ("file_created", {"file_id": "f-1", "kind": "paper"}, "data.kind must be one of"),
    ("file_closed", {"file_id": "f-1", "movement_count": "four"}, "movement_count"),
    ("file_closed", {"file_id": "f-1", "created_at": "yesterday"}, "created_at is not an ISO timestamp"),
    ("file_sent", {"file_id": "f-1", "to_user": "dm.jhs", "due_date": "soon"}, "due_date is not an ISO date"),
    ("file_transferred", {"to_user": "dm.jhs", "file_ids": "f-1"}, "file_ids"),
    ("file_sent", {"file_id": "f\x00", "to_user": "dm.jhs"}, "must be a string"),
    ("file_sent", {"file_id": "f" * 65, "to_user": "dm.jhs"}, "longer than 64"),
    ("file_archived", {"file_id": "f-1"}, "unknown event type"),
])
def test_what_cannot_be_used_is_malformed(event_type, data, reason):
    with pytest.raises(MalformedEvent, match=reason):
        fact_from(envelope(event_type, data))


def test_a_time_without_an_offset_is_malformed():
    with pytest.raises(MalformedEvent, match="no UTC offset"):
        fact_from(envelope("note_added", {"file_id": "f-1"}, occurred_at="2026-11-20T10:00:00"))


def test_directory_records_keep_hindi_names():
    office = office_record({
        "office": "COLL-JHS", "district": "JHS", "name_en": "Collectorate, Jhansi", "name_hi": "ज़िलाधिकारी कार्यालय, झाँसी",
        "department": "REV", "department_name_en": "Revenue", "department_name_hi": "राजस्व", "district_name_en": "Jhansi",
        "district_name_hi": "झाँसी", "state": "UP", "sections": [{"code": "COLL-JHS-CR", "name_en": "Central Registry", "name_hi": "केंद्रीय रजिस्ट्री"}],
    })
    assert (office.name_hi, office.sections[0]["name_hi"]) == ("ज़िलाधिकारी कार्यालय, झाँसी", "केंद्रीय रजिस्ट्री")
    user = user_record({"user_id": "dm.jhs", "office": "COLL-JHS", "name_en": "Ravi", "name_hi": "रवि", "roles": ["officer"], "active": False})
    assert (user.name_hi, user.active, user.designation_en) == ("रवि", False, "")
    with pytest.raises(MalformedEvent):
        user_record({"user_id": "x", "office": "COLL-JHS", "name_en": "X", "name_hi": "एक्स", "active": "yes"})
