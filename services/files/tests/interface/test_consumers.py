"""Events consumed from dak and signing, published onto the real RabbitMQ as their relays would."""
import json
import time
import uuid
from datetime import datetime, timezone

from jsonschema import Draft202012Validator

from eoffice_common.outbox import ConfirmingPublisher
from eoffice_common.storage import S3Documents, s3_client


def envelope(event_type, aggregate_type, aggregate_id, data, actor="diarist.jhs", office="COLL-JHS", occurred_at=None):
    return {
        "id": str(uuid.uuid4()), "type": event_type, "schema_version": 1,
        "occurred_at": occurred_at or datetime.now(timezone.utc).isoformat(),
        "actor": actor, "office": office, "district": "JHS", "correlation_id": uuid.uuid4().hex,
        "aggregate_type": aggregate_type, "aggregate_id": aggregate_id, "data": data,
    }


def publish(config, service, *envelopes):
    publisher = ConfirmingPublisher(config["AMQP_URI"], service)
    try:
        assert publisher.publish(list(envelopes)) == len(envelopes)
    finally:
        publisher.close()


def wait_until(predicate, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("the condition did not hold in time")


def dak_scan(config, data):
    """A scan stored where dak keeps them, as its refs appear in receipt_put_in_file."""
    store = S3Documents(s3_client(config), config["S3_BUCKET"], "dak/scans/", 1 << 20, {"application/pdf", "image/png"})
    doc = store.put(data, "scan")
    return {"position": 1, "key": doc.key, "sha256": doc.sha256, "size": doc.size, "content_type": doc.content_type, "filename": "पत्र.pdf"}


def put_in_file(file_id, put_by, scans, receipt_number="17/2026/COLL-JHS", occurred_at=None):
    receipt_id = str(uuid.uuid4())
    return envelope("receipt_put_in_file", "receipt", receipt_id, {
        "receipt_id": receipt_id, "receipt_number": receipt_number, "office": "COLL-JHS", "district": "JHS",
        "file_id": file_id, "put_by": put_by, "subject": "वृद्धावस्था पेंशन हेतु आवेदन", "classification": "normal",
        "kind": "electronic", "sender_name": "सुनीता देवी", "sender_organisation": "ग्राम पंचायत बड़ागाँव",
        "letter_number": "GP/112/2026", "letter_date": "2026-11-18", "received_date": "2026-11-19", "scans": scans,
    }, actor=put_by, occurred_at=occurred_at)


def test_a_receipt_put_in_a_file_appears_in_its_correspondence_with_its_scans_copied(registry, files_config, event_tap, pdf):
    tap = event_tap("files")
    file = registry.create("clerk.jhs")
    scan = dak_scan(files_config, pdf)
    event = put_in_file(file["id"], "clerk.jhs", [scan])
    publish(files_config, "dak", event, event)  # delivered twice: takes effect once
    items = wait_until(lambda: registry.get(f"/files/{file['id']}/correspondence", "clerk.jhs").json()["correspondence"])
    assert len(items) == 1
    item = items[0]
    assert (item["kind"], item["receipt_number"], item["title"]) == ("receipt", "17/2026/COLL-JHS", "वृद्धावस्था पेंशन हेतु आवेदन")
    assert item["sender"] == {"name": "सुनीता देवी", "organisation": "ग्राम पंचायत बड़ागाँव"}
    assert item["documents"][0]["sha256"] == scan["sha256"]
    download = registry.get(item["documents"][0]["url"], "so.jhs")
    assert download.content == pdf
    assert download.headers["Content-Disposition"] == "inline; filename=\"____.pdf\"; filename*=UTF-8''%E0%A4%AA%E0%A4%A4%E0%A5%8D%E0%A4%B0.pdf"
    keys = [o["Key"] for o in s3_client(files_config).list_objects_v2(Bucket=files_config["S3_BUCKET"])["Contents"]]
    assert sorted(keys) == sorted([scan["key"], f"files/documents/{scan['sha256']}.pdf"])
    linked = tap.wait_for("receipt_linked")
    assert (linked["data"]["receipt_number"], linked["actor"], linked["district"]) == ("17/2026/COLL-JHS", "clerk.jhs", "JHS")
    time.sleep(0.3)
    assert registry.sql("SELECT count(*) FROM correspondence") == [(1,)]
    assert [e["action"] for e in registry.get(f"/files/{file['id']}/audit", "clerk.jhs").json()["entries"]] == ["created", "receipt_linked"]


def test_a_receipt_for_an_unknown_file_or_from_someone_not_holding_it_is_dead_lettered(registry, files_config, pdf):
    file = registry.create("clerk.jhs")
    publish(files_config, "dak",
            put_in_file(str(uuid.uuid4()), "clerk.jhs", []),
            put_in_file(file["id"], "so.jhs", [dak_scan(files_config, pdf)]),
            put_in_file(file["id"], "clerk.jhs", [{**dak_scan(files_config, pdf), "key": "dak/scans/" + "0" * 64 + ".pdf", "sha256": "0" * 64}]))
    reasons = wait_until(lambda: [r for (r,) in registry.sql("SELECT reason FROM dead_letters ORDER BY id")] if len(registry.sql("SELECT id FROM dead_letters")) == 3 else None)
    # one consumer, several workers: dead letters arrive in any order
    for expected in ("not known to the files service", "so.jhs put the receipt in file", "is not in the store"):
        assert sum(expected in reason for reason in reasons) == 1, (expected, reasons)
    assert registry.get(f"/files/{file['id']}/correspondence", "clerk.jhs").json()["correspondence"] == []


def test_a_receipt_put_in_before_the_file_moved_on_is_linked_when_its_event_arrives_late(registry, files_config):
    """dak asked files before committing; the event may arrive after the custodian has sent the file on."""
    file = registry.create("clerk.jhs")
    put_at = datetime.now(timezone.utc).isoformat()
    registry.send(file["id"], "clerk.jhs", "so.jhs")
    publish(files_config, "dak", put_in_file(file["id"], "clerk.jhs", [], occurred_at=put_at))
    linked = wait_until(lambda: registry.get(f"/files/{file['id']}/correspondence", "so.jhs").json()["correspondence"])
    assert [(item["receipt_number"], item["added_by"]["id"]) for item in linked] == [("17/2026/COLL-JHS", "clerk.jhs")]
    assert registry.sql("SELECT count(*) FROM dead_letters") == [(0,)]


def test_the_directory_copy_follows_dak(registry, files_config, demo_directory):
    user = next(u for u in demo_directory["users"] if u["user_id"] == "so.jhs")
    renamed = {**user, "name_hi": "राजेश त्रिपाठी", "designation_en": "Section Officer (Revenue)"}
    newcomer = {**user, "user_id": "so2.jhs", "name_en": "Neha Verma", "name_hi": "नेहा वर्मा"}
    office = next(o for o in demo_directory["offices"] if o["office"] == "COLL-JHS")
    publish(files_config, "dak",
            envelope("user_recorded", "user", "so.jhs", renamed, actor="directory-import"),
            envelope("user_recorded", "user", "so2.jhs", newcomer, actor="directory-import"),
            envelope("office_recorded", "office", "COLL-JHS", {**office, "name_hi": "कलेक्ट्रेट, झाँसी"}, actor="directory-import"))
    wait_until(lambda: registry.sql("SELECT name_hi FROM offices WHERE code = 'COLL-JHS'") == [("कलेक्ट्रेट, झाँसी",)])
    file = registry.create("clerk.jhs")
    sent = registry.send(file["id"], "clerk.jhs", "so2.jhs")
    assert sent["custodian"]["name_hi"] == "नेहा वर्मा"
    assert registry.send(file["id"], "so2.jhs", "so.jhs")["custodian"]["name_hi"] == "राजेश त्रिपाठी"
    publish(files_config, "dak", envelope("user_recorded", "user", "so2.jhs", {**newcomer, "active": False}, actor="directory-import"))
    wait_until(lambda: registry.sql("SELECT active FROM users WHERE id = 'so2.jhs'") == [(False,)])
    refused = registry.post(f"/files/{file['id']}/send", "so.jhs", json={"to": "so2.jhs"})
    assert (refused.status_code, refused.json()["error"]) == (422, "invalid_recipient")


def signed(file_id, kind, document_id, sha, signer="so.jhs"):
    signature_id = str(uuid.uuid4())
    return envelope("document_signed", "signature", signature_id, {
        "signature_id": signature_id, "document_kind": kind, "document_id": document_id, "file_id": file_id,
        "signer": signer, "signer_name": "Rajesh Kumar Tripathi", "method": "dsc", "certificate_serial": "4F2A",
        "content_sha256": sha, "pdf_key": f"signing/pdfs/{sha}.pdf", "pdf_sha256": sha, "signed_at": "2026-11-20T11:00:00+05:30",
    }, actor=signer)


def test_a_signed_green_note_and_approved_draft_show_the_signature(registry, files_config):
    file = registry.create("so.jhs")
    note = registry.post(f"/files/{file['id']}/notes", "so.jhs", json={"text": "स्वीकृत किया जाता है।"}).json()
    note = registry.post(f"/files/{file['id']}/notes/{note['id']}/confirm", "so.jhs").json()
    draft = registry.post(f"/files/{file['id']}/drafts", "so.jhs", json={"subject": "आदेश", "content": "आदेश पारित"}).json()
    draft = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/approve", "so.jhs", json={}).json()
    yellow = registry.post(f"/files/{file['id']}/notes", "so.jhs", json={"text": "अभी मसौदा"}).json()
    publish(files_config, "signing",
            signed(file["id"], "note", note["id"], note["content_sha256"]),
            signed(file["id"], "draft", draft["id"], "f" * 64),
            signed(file["id"], "note", yellow["id"], "a" * 64))
    notes = wait_until(lambda: [n for n in registry.get(f"/files/{file['id']}/notes", "so.jhs").json()["notes"] if n["signature"]["signed"]])
    assert notes[0]["signature"]["content_matches"] is True and notes[0]["signature"]["method"] == "dsc"
    approval = wait_until(lambda: registry.get(f"/files/{file['id']}/drafts/{draft['id']}", "so.jhs").json()["approval"]["signature"] if registry.get(f"/files/{file['id']}/drafts/{draft['id']}", "so.jhs").json()["approval"]["signature"]["signed"] else None)
    assert approval["signed_by"] == "so.jhs" and approval["content_matches"] is False  # signed bytes differ from the approved text
    reason = wait_until(lambda: registry.sql("SELECT reason FROM dead_letters"))
    assert "a yellow note cannot be signed" in reason[0][0]
    payloads = [json.loads(p) for (p,) in registry.sql("SELECT payload FROM dead_letters")]
    assert payloads[0]["data"]["document_id"] == yellow["id"]

# A classified receipt keeps its classification in a file's correspondence (README, "Classification
# travels"): only those cleared for it read its subject, sender and scans, whatever the file's own.
SUBJECT = "गोपनीय जाँच आख्या — तहसील मऊरानीपुर"


def put_classified(config, file_id, classification, cleared, scan, put_by="clerk.jhs"):
    receipt_id = str(uuid.uuid4())
    publish(config, "dak", envelope("receipt_put_in_file", "receipt", receipt_id, {
        "receipt_id": receipt_id, "receipt_number": "41/2026/COLL-JHS", "office": "COLL-JHS", "district": "JHS",
        "file_id": file_id, "put_by": put_by, "subject": SUBJECT, "classification": classification, "kind": "electronic",
        "sender_name": "पुलिस अधीक्षक", "sender_organisation": "झाँसी पुलिस", "letter_number": "SP/9/2026",
        "letter_date": "2026-11-18", "received_date": "2026-11-19", "scans": [scan], "cleared": cleared,
    }, actor=put_by))


def correspondence(registry, file_id, user):
    response = registry.get(f"/files/{file_id}/correspondence", user)
    assert response.status_code == 200, response.text
    return response


def test_a_secret_receipt_in_a_normal_file_is_read_only_by_those_cleared_for_it(registry, files_config, pdf):
    file = registry.create("clerk.jhs", subject="भूमि अभिलेख में नाम संशोधन")
    put_classified(files_config, file["id"], "secret", ["diarist.jhs", "clerk.jhs"], dak_scan(files_config, pdf))
    items = wait_until(lambda: correspondence(registry, file["id"], "clerk.jhs").json()["correspondence"])
    document = items[0]["documents"][0]["url"]
    assert (items[0]["title"], items[0]["restricted"]) == (SUBJECT, False)

    for cleared in ("clerk.jhs", "diarist.jhs"):  # who put it in, and whom dak showed it to
        item = correspondence(registry, file["id"], cleared).json()["correspondence"][0]
        assert (item["title"], item["sender"]["name"]) == (SUBJECT, "पुलिस अधीक्षक")
        assert registry.get(document, cleared).content == pdf

    # so.jhs may open the Normal file (same office) but is outside the receipt's chain
    answer = correspondence(registry, file["id"], "so.jhs")
    restricted = answer.json()["correspondence"][0]
    assert restricted["restricted"] is True and restricted["classification"] == "secret"
    assert restricted["documents"] == [] and restricted["title"] is None and restricted["sender"] is None
    for revealing in (SUBJECT, "पुलिस अधीक्षक", "SP/9/2026", "41/2026", items[0]["documents"][0]["sha256"]):
        assert revealing not in answer.text
    refused = registry.get(document, "so.jhs")
    assert (refused.status_code, refused.json()["error"]) == (404, "correspondence_not_found")
    openapi = registry.get("/openapi.json", "so.jhs").json()
    listed = openapi["paths"]["/files/{file_id}/correspondence"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**listed, "components": openapi["components"]})
    for shown in (answer, correspondence(registry, file["id"], "clerk.jhs")):
        assert list(validator.iter_errors(shown.json())) == []
    audit = registry.get(f"/files/{file['id']}/audit", "so.jhs")
    assert audit.json()["entries"][-1]["details"] == {"correspondence_id": items[0]["id"], "restricted": True}
    assert "41/2026" not in audit.text and items[0]["documents"][0]["sha256"] not in audit.text
    assert "41/2026" in registry.get(f"/files/{file['id']}/audit", "clerk.jhs").text
    assert registry.get(f"/files/{file['id']}/audit/verify", "so.jhs").json()["valid"] is True
    for words in ("गोपनीय", "मऊरानीपुर"):
        assert registry.get("/files/search", "so.jhs", params={"q": words}).json()["total"] == 0
        assert registry.get("/files", "so.jhs", params={"box": "inbox", "q": words}).json()["total"] == 0

    # the receipt travels with the file: whoever receives the file after it went in reads it
    registry.send(file["id"], "clerk.jhs", "so.jhs")
    assert correspondence(registry, file["id"], "so.jhs").json()["correspondence"][0]["title"] == SUBJECT
    assert registry.get(document, "so.jhs").content == pdf
    assert correspondence(registry, file["id"], "adm.jhs").json()["correspondence"][0]["restricted"] is True
    # ... if cleared for it: the Normal file goes on to an assistant cleared for normal only, who does not
    registry.send(file["id"], "so.jhs", "asst.jhs")
    hidden = correspondence(registry, file["id"], "asst.jhs")
    assert hidden.json()["correspondence"][0]["restricted"] is True and SUBJECT not in hidden.text
    assert registry.get(document, "asst.jhs").status_code == 404


def test_a_confidential_receipt_is_read_in_its_office_but_not_by_another_office_holding_the_file(registry, files_config, pdf):
    file = registry.create("clerk.jhs", subject="कोषागार देयक")
    registry.send(file["id"], "clerk.jhs", "sto.jhs")  # another office; it received the file before the receipt
    assert registry.post(f"/files/{file['id']}/return", "sto.jhs", json={}).status_code == 200
    put_classified(files_config, file["id"], "confidential", ["diarist.jhs", "clerk.jhs"], dak_scan(files_config, pdf))
    items = wait_until(lambda: correspondence(registry, file["id"], "clerk.jhs").json()["correspondence"])
    document = items[0]["documents"][0]["url"]
    assert correspondence(registry, file["id"], "so.jhs").json()["correspondence"][0]["title"] == SUBJECT
    assert registry.get(document, "so.jhs").content == pdf
    outside = correspondence(registry, file["id"], "sto.jhs")
    assert outside.json()["correspondence"][0]["restricted"] is True and SUBJECT not in outside.text
    assert registry.get(document, "sto.jhs").status_code == 404
