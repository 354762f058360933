"""The in-app inbox: who is told what, in their language; list, unread count, mark read."""
import uuid

import requests

from eoffice_common.tables import processed_events


def test_a_file_sent_reaches_the_inbox_in_the_recipients_language(client, publish, helpers):
    event = publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", from_user="adm.jhs", due_date="2036-12-05"))
    publish("files", "file_sent", helpers.file_sent(to_user="adm.jhs", from_user="dm.jhs", action="return"))
    inbox = helpers.wait_until(lambda: client.inbox("dm.jhs")["notifications"])
    [hindi] = inbox
    assert hindi["kind"] == "file_sent"
    assert hindi["title"] == "फ़ाइल N-11016/6/2026-COLL-JHS अनीता वर्मा (अपर ज़िलाधिकारी) द्वारा आपको भेजी गई"
    assert "विषय: भूमि अभिलेख में नाम संशोधन" in hindi["body"]
    assert "नियत तिथि: 05-12-2036" in hindi["body"]
    assert "टिप्पणी: कृपया अवलोकन करें" in hindi["body"]
    assert hindi["item"] == {"type": "file", "id": event["data"]["file_id"]}
    [english] = helpers.wait_until(lambda: client.inbox("adm.jhs")["notifications"])
    assert english["kind"] == "file_returned"
    assert english["title"] == "File N-11016/6/2026-COLL-JHS returned to you by Ravi Kumar (District Magistrate)"
    assert "Subject: भूमि अभिलेख में नाम संशोधन" in english["body"]


def test_unread_count_and_marking_read_only_your_own(client, publish, helpers):
    for _ in range(3):
        publish("files", "file_sent", helpers.file_sent(to_user="clerk.jhs"))
    helpers.wait_until(lambda: client.inbox("clerk.jhs")["total"] == 3)
    assert client.get("/notifications/unread-count", "clerk.jhs").json() == {"unread": 3}
    first, second, third = client.inbox("clerk.jhs")["notifications"]
    assert first["seq"] > second["seq"] > third["seq"]

    assert client.post(f"/notifications/{first['id']}/read", "dm.jhs").json()["error"] == "notification_not_found"
    marked = client.post(f"/notifications/{first['id']}/read", "clerk.jhs").json()
    assert marked["read_at"] is not None
    again = client.post(f"/notifications/{first['id']}/read", "clerk.jhs").json()
    assert again["read_at"] == marked["read_at"]
    assert client.get("/notifications/unread-count", "clerk.jhs").json() == {"unread": 2}
    unread = client.get("/notifications?unread=true", "clerk.jhs").json()
    assert [n["id"] for n in unread["notifications"]] == [second["id"], third["id"]]

    assert client.post("/notifications/read-all", "clerk.jhs").json() == {"marked": 2}
    assert client.inbox("clerk.jhs")["unread"] == 0
    missing = client.post(f"/notifications/{uuid.uuid4()}/read", "clerk.jhs")
    assert (missing.status_code, missing.json()["error"]) == (404, "notification_not_found")


def test_a_receipt_tells_its_holder_and_gives_copies_for_information(client, publish):
    publish("dak", "receipt_sent", {
        "receipt_id": "r-1", "receipt_number": "12/2026/COLL-JHS", "office": "COLL-JHS", "district": "JHS",
        "action": "send", "from_user": "clerk.jhs", "to_user": "dm.jhs", "copies_to": ["adm.jhs", "clerk.jhs"],
        "remarks": None, "due_date": None, "priority": "urgent", "classification": "normal", "subject": "प्रार्थना पत्र",
    }, aggregate_type="receipt", aggregate_id="r-1")
    [holder] = client.wait_inbox("dm.jhs")
    [copy] = client.wait_inbox("adm.jhs")
    assert holder["title"] == "प्राप्ति 12/2026/COLL-JHS पूजा यादव (लिपिक) द्वारा आपको भेजी गई"
    assert "प्राथमिकता: तत्काल" in holder["body"]
    assert copy["kind"] == "receipt_copied"
    assert copy["title"] == "Copy of receipt 12/2026/COLL-JHS for information, from Pooja Yadav (Clerk)"
    assert client.inbox("clerk.jhs")["total"] == 0  # the sender is not told about their own send


def test_drafts_pull_backs_and_failed_signatures_reach_the_right_person(client, publish, helpers, db):
    file_id = "f-7"
    # The approval overtakes the draft_versioned naming the author (their queues are not ordered).
    approval = publish("files", "draft_approved", {
        "file_id": file_id, "file_number": "N-1/2026", "draft_id": "d-1", "version": 2, "approver": "dm.jhs",
        "subject": "उत्तर", "content": "…", "content_sha256": "0" * 64, "classification": "normal",
        "office": "COLL-JHS", "district": "JHS",
    })
    assert helpers.wait_until(lambda: db.count(processed_events, processed_events.c.event_id == approval["id"]))
    assert client.inbox("clerk.jhs")["total"] == 0
    publish("files", "draft_versioned", {"file_id": file_id, "file_number": "N-1/2026", "draft_id": "d-1",
                                         "version": 2, "author": "clerk.jhs", "office": "COLL-JHS", "district": "JHS"})
    client.wait_inbox("clerk.jhs", 1)
    publish("files", "draft_issued", {
        "file_id": file_id, "file_number": "N-1/2026", "draft_id": "d-1", "version": 2, "issue_number": "I-9/2026",
        "dispatch_mode": "email", "issued_by": "adm.jhs", "recipients": [], "office": "COLL-JHS", "district": "JHS",
    })
    publish("files", "file_pulled_back", {"file_id": file_id, "file_number": "N-1/2026", "movement_id": 5,
                                          "by_user": "adm.jhs", "from_user": "dm.jhs", "office": "COLL-JHS", "district": "JHS"})
    publish("signing", "signature_failed", {
        "signature_id": "s-1", "document_kind": "draft", "document_id": "d-1", "file_id": file_id,
        "signer": "adm.jhs", "reason": "DSC token not present",
    }, aggregate_type="signature", aggregate_id="s-1")
    titles = {n["kind"]: n["title"] for n in client.wait_inbox("clerk.jhs", 2)}
    assert titles == {
        "draft_approved": "फ़ाइल N-1/2026 का मसौदा (संस्करण 2) रवि कुमार (ज़िलाधिकारी) द्वारा अनुमोदित",
        "draft_issued": "फ़ाइल N-1/2026 का मसौदा निर्गम संख्या I-9/2026 से जारी",
    }
    [pulled] = client.wait_inbox("dm.jhs")
    assert pulled["title"] == "फ़ाइल N-1/2026 अनीता वर्मा (अपर ज़िलाधिकारी) द्वारा वापस ले ली गई"
    [failed] = client.wait_inbox("adm.jhs")
    assert failed["title"] == "Signing of the draft failed: DSC token not present"


def test_the_inbox_needs_a_token_and_a_query_token_is_refused_here(client):
    token = client.token("dm.jhs")
    assert requests.get(f"{client.base_url}/notifications").json()["error"] == "token_missing"
    refused = requests.get(f"{client.base_url}/notifications", params={"access_token": token})
    assert (refused.status_code, refused.json()["error"]) == (401, "token_missing")
    bad = client.get("/notifications?per_page=500", "dm.jhs")
    assert (bad.status_code, bad.json()["error"], list(bad.json()["fields"])) == (422, "invalid_input", ["per_page"])
    past_any_list = client.get(f"/notifications?page={10 ** 20}", "dm.jhs")  # an offset beyond PostgreSQL's bigint otherwise
    assert (past_any_list.status_code, list(past_any_list.json()["fields"])) == (422, ["page"])
