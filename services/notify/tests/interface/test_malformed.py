"""A malformed event is dead-lettered with its reason; the service keeps consuming."""
import json

import requests
from sqlalchemy import select

from eoffice_common.tables import dead_letters


def test_malformed_events_are_dead_lettered_with_their_reason_and_the_next_one_is_told(
    client, publish, helpers, db
):
    no_time = helpers.envelope("file_sent", helpers.file_sent())
    del no_time["occurred_at"]
    no_recipient = helpers.envelope("file_sent", {k: v for k, v in helpers.file_sent().items() if k != "to_user"})
    bad_date = helpers.envelope("file_sent", helpers.file_sent(due_date="31-12-2026"))
    unknown_document = helpers.envelope("signature_failed", {
        "signature_id": "s-1", "document_kind": "letter", "document_id": "x", "file_id": "f", "signer": "dm.jhs", "reason": "r",
    })
    publish.raw("files", [no_time, no_recipient, bad_date])
    publish.raw("signing", [unknown_document])
    good = publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", subject="सही घटना"))

    assert helpers.wait_until(lambda: len(db.rows(select(dead_letters))) == 4)
    letters = {json.loads(row.payload)["id"]: row for row in db.rows(select(dead_letters))}
    assert letters[no_time["id"]].reason == "MalformedEvent: missing fields: occurred_at"
    assert letters[no_recipient["id"]].reason.startswith("ValidationError")
    assert "to_user" in letters[no_recipient["id"]].reason
    assert "due_date" in letters[bad_date["id"]].reason
    assert "document_kind" in letters[unknown_document["id"]].reason
    assert letters[bad_date["id"]].consumer == "notify.apply_events"
    assert json.loads(letters[bad_date["id"]].payload)["data"]["subject"] == "भूमि अभिलेख में नाम संशोधन"

    [told] = client.wait_inbox("dm.jhs")
    assert told["item"]["id"] == good["data"]["file_id"]
    assert requests.get(f"{client.base_url}/health/ready").json() == {"database": "ok", "broker": "ok"}
