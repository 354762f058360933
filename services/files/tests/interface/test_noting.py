"""Noting, correspondence and drafts for approval, in Hindi, on the real RabbitMQ, PostgreSQL and S3."""
import hashlib

import pytest
from nameko.testing.services import entrypoint_hook

from eoffice_common.errors import BadRequest
from eoffice_common.storage import s3_client
from files.exceptions import FileNotFound


def test_a_yellow_note_is_edited_then_confirmed_green_with_paragraph_numbers(registry, event_tap):
    tap = event_tap("files")
    file = registry.create("clerk.jhs")
    created = registry.post(f"/files/{file['id']}/notes", "clerk.jhs", json={"text": "प्रस्तुत प्रकरण में आवेदक ने नामांतरण हेतु आवेदन किया है।"})
    assert created.status_code == 201, created.text
    note = created.json()
    assert (note["status"], note["first_paragraph"]) == ("yellow", None)
    text = "प्रस्तुत प्रकरण में आवेदक ने नामांतरण हेतु आवेदन किया है।\n\nतहसीलदार की आख्या संलग्न है। आदेशार्थ प्रस्तुत।"
    edited = registry.put(f"/files/{file['id']}/notes/{note['id']}", "clerk.jhs", json={"text": text})
    assert edited.status_code == 200 and edited.json()["text"] == text
    assert registry.get(f"/files/{file['id']}/notes", "so.jhs").json()["notes"] == []  # nobody else sees a yellow note

    confirmed = registry.post(f"/files/{file['id']}/notes/{note['id']}/confirm", "clerk.jhs").json()
    assert (confirmed["status"], confirmed["first_paragraph"], confirmed["last_paragraph"]) == ("green", 1, 2)
    assert confirmed["content_sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    again = registry.put(f"/files/{file['id']}/notes/{note['id']}", "clerk.jhs", json={"text": "बदलाव"})
    assert (again.status_code, again.json()["error"]) == (409, "note_confirmed")
    assert registry.delete(f"/files/{file['id']}/notes/{note['id']}", "clerk.jhs").json()["error"] == "note_confirmed"

    event = tap.wait_for("note_confirmed")
    assert event["data"]["text"] == text
    assert (event["data"]["first_paragraph"], event["data"]["last_paragraph"]) == (1, 2)
    assert event["data"]["content_sha256"] == confirmed["content_sha256"]
    assert tap.wait_for("note_added")["data"]["note_id"] == note["id"]


def test_sending_the_file_on_confirms_the_senders_yellow_notes_and_numbering_continues(registry):
    file = registry.create("clerk.jhs")
    first = registry.post(f"/files/{file['id']}/notes", "clerk.jhs", json={"text": "पहला अनुच्छेद\n\nदूसरा अनुच्छेद"}).json()
    registry.send(file["id"], "clerk.jhs", "so.jhs")
    second = registry.post(f"/files/{file['id']}/notes", "so.jhs", json={"text": "अनुमोदन हेतु प्रस्तुत"}).json()
    registry.send(file["id"], "so.jhs", "adm.jhs")
    notes = registry.get(f"/files/{file['id']}/notes", "adm.jhs").json()
    assert notes["last_paragraph"] == 3
    assert [(n["id"], n["status"], n["first_paragraph"], n["last_paragraph"], n["author"]["id"]) for n in notes["notes"]] == [
        (first["id"], "green", 1, 2, "clerk.jhs"), (second["id"], "green", 3, 3, "so.jhs"),
    ]


def test_only_the_custodian_notes_and_only_the_author_changes_a_yellow_note(registry):
    file = registry.create("clerk.jhs")
    note = registry.post(f"/files/{file['id']}/notes", "clerk.jhs", json={"text": "टिप्पणी"}).json()
    outsider = registry.post(f"/files/{file['id']}/notes", "so.jhs", json={"text": "मेरी टिप्पणी"})
    assert (outsider.status_code, outsider.json()["error"]) == (403, "not_custodian")
    discarded = registry.delete(f"/files/{file['id']}/notes/{note['id']}", "clerk.jhs")
    assert discarded.status_code == 200
    assert registry.get(f"/files/{file['id']}/notes", "clerk.jhs").json()["notes"] == []
    physical = registry.create("clerk.jhs", kind="physical")
    response = registry.post(f"/files/{physical['id']}/notes", "clerk.jhs", json={"text": "x"})
    assert (response.status_code, response.json()["error"]) == (409, "physical_file")


def test_a_note_references_items_of_the_correspondence(registry, pdf):
    file = registry.create("clerk.jhs")
    item = registry.post(f"/files/{file['id']}/correspondence", "clerk.jhs",
                         data={"item": '{"title": "तहसीलदार की आख्या"}'}, files=[("documents", ("aakhya.pdf", pdf, "application/pdf"))]).json()
    note = registry.post(f"/files/{file['id']}/notes", "clerk.jhs", json={"text": "आख्या देखें", "references": [item["id"]]})
    assert note.status_code == 201 and note.json()["references"] == [item["id"]]
    bad = registry.post(f"/files/{file['id']}/notes", "clerk.jhs", json={"text": "x", "references": ["not-an-item"]})
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid_references")


def test_attached_documents_are_in_the_correspondence_and_read_back_verified(registry, pdf, png):
    file = registry.create("clerk.jhs")
    response = registry.post(f"/files/{file['id']}/correspondence", "clerk.jhs",
                             data={"item": '{"title": "स्थल निरीक्षण के फ़ोटो", "letter_number": "T/12"}'},
                             files=[("documents", ("site.png", png, "image/png")), ("documents", ("report.pdf", pdf, "application/pdf"))])
    assert response.status_code == 201, response.text
    item = response.json()
    assert [d["content_type"] for d in item["documents"]] == ["image/png", "application/pdf"]
    listed = registry.get(f"/files/{file['id']}/correspondence", "so.jhs").json()["correspondence"]
    assert [(c["kind"], c["title"], c["position"]) for c in listed] == [("document", "स्थल निरीक्षण के फ़ोटो", 1)]
    assert registry.get(item["documents"][0]["url"], "so.jhs").content == png
    assert registry.get(item["documents"][1]["url"], "so.jhs").content == pdf
    refused = registry.post(f"/files/{file['id']}/correspondence", "so.jhs", data={"item": '{"title": "x"}'},
                            files=[("documents", ("a.pdf", pdf, "application/pdf"))])
    assert (refused.status_code, refused.json()["error"]) == (403, "not_custodian")
    fake = registry.post(f"/files/{file['id']}/correspondence", "clerk.jhs", data={"item": '{"title": "x"}'},
                         files=[("documents", ("a.pdf", b"<html>", "application/pdf"))])
    assert (fake.status_code, fake.json()["error"]) == (415, "document_type_not_allowed")


def test_a_draft_is_versioned_commented_approved_and_issued(registry, event_tap):
    tap = event_tap("files")
    file = registry.create("clerk.jhs")
    created = registry.post(f"/files/{file['id']}/drafts", "clerk.jhs", json={"subject": "नामांतरण आदेश", "content": "आदेश का प्रारूप, संस्करण 1"})
    assert created.status_code == 201, created.text
    draft = created.json()
    revised = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/versions", "clerk.jhs", json={"content": "आदेश का प्रारूप, संस्करण 2"}).json()
    assert revised["current_version"] == 2 and revised["content"] == "आदेश का प्रारूप, संस्करण 2"
    first = registry.get(f"/files/{file['id']}/drafts/{draft['id']}/versions/1", "clerk.jhs").json()
    assert first["content"] == "आदेश का प्रारूप, संस्करण 1"

    registry.send(file["id"], "clerk.jhs", "so.jhs")
    commented = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/comments", "so.jhs", json={"text": "अंतिम अनुच्छेद स्पष्ट करें"}).json()
    assert [(c["version"], c["text"]) for c in commented["comments"]] == [(2, "अंतिम अनुच्छेद स्पष्ट करें")]
    stale = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/approve", "so.jhs", json={"version": 1})
    assert (stale.status_code, stale.json()["error"]) == (409, "version_conflict")
    registry.send(file["id"], "so.jhs", "clerk.jhs")
    not_officer = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/approve", "clerk.jhs", json={})
    assert (not_officer.status_code, not_officer.json()["error"]) == (403, "not_officer")
    not_yet = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/issue", "clerk.jhs", json={"dispatch_mode": "post", "recipients": [{"name": "आवेदक", "address": "ग्राम बड़ागाँव"}]})
    assert (not_yet.status_code, not_yet.json()["error"]) == (409, "draft_not_approved")
    registry.send(file["id"], "clerk.jhs", "so.jhs")

    approved = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/approve", "so.jhs", json={"version": 2}).json()
    assert approved["status"] == "approved"
    assert (approved["approval"]["version"], approved["approval"]["approved_by"]["id"]) == (2, "so.jhs")
    assert approved["approval"]["signature"] == {"signed": False, "content_matches": None}
    edit = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/versions", "so.jhs", json={"content": "x"})
    assert (edit.status_code, edit.json()["error"]) == (409, "draft_not_editable")

    issued = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/issue", "so.jhs", json={
        "dispatch_mode": "post", "recipients": [{"name": "तहसीलदार मऊरानीपुर", "address": "तहसील मऊरानीपुर, झाँसी", "postal_mode": "speed_post",
                                                 "article_number": "EU123456789IN"}],
    })
    assert issued.status_code == 200, issued.text
    number = issued.json()["issue"]["issue_number"]
    assert number.startswith("I-1/") and number.endswith("/COLL-JHS")
    register = registry.get("/dispatch-register", "dm.jhs").json()
    assert [(e["issue_number"], e["file_number"], e["mode"], e["subject"], e["article_number"], e["status"]) for e in register["entries"]] == [
        (number, file["file_number"], "post", "नामांतरण आदेश", "EU123456789IN", "posted"),
    ]
    assert registry.get("/dispatch-register", "sto.jhs").json()["entries"] == []

    approved_event = tap.wait_for("draft_approved")
    assert approved_event["data"]["content"] == "आदेश का प्रारूप, संस्करण 2"
    assert approved_event["data"]["content_sha256"] == hashlib.sha256("आदेश का प्रारूप, संस्करण 2".encode()).hexdigest()
    issued_event = tap.wait_for("draft_issued")
    assert (issued_event["data"]["issue_number"], issued_event["data"]["dispatch_mode"], issued_event["data"]["version"]) == (number, "post", 2)
    assert [e["data"]["version"] for e in tap.wait_for_count("draft_versioned", 2)] == [1, 2]


def test_an_email_dispatch_needs_addresses(registry):
    file = registry.create("so.jhs")
    draft = registry.post(f"/files/{file['id']}/drafts", "so.jhs", json={"subject": "s", "content": "c"}).json()
    registry.post(f"/files/{file['id']}/drafts/{draft['id']}/approve", "so.jhs", json={})
    response = registry.post(f"/files/{file['id']}/drafts/{draft['id']}/issue", "so.jhs", json={"dispatch_mode": "email", "recipients": [{"name": "A"}]})
    assert response.status_code == 422 and response.json()["error"] == "invalid_input"


def test_the_signing_service_reads_a_green_note_or_approved_draft_as_its_caller(registry, files_container):
    file = registry.create("so.jhs", classification="secret")
    note = registry.post(f"/files/{file['id']}/notes", "so.jhs", json={"text": "स्वीकृत"}).json()
    draft = registry.post(f"/files/{file['id']}/drafts", "so.jhs", json={"subject": "आदेश", "content": "आदेश पारित किया जाता है"}).json()

    def fetch(user, kind, document_id):
        principal = {"user_id": user, "office": "COLL-JHS", "roles": ["officer"], "name": user}
        with entrypoint_hook(files_container, "document_for_signing", context_data={"principal": principal}) as read:
            return read(kind, document_id)

    with pytest.raises(BadRequest):
        fetch("so.jhs", "note", note["id"])  # still yellow
    registry.post(f"/files/{file['id']}/notes/{note['id']}/confirm", "so.jhs")
    registry.post(f"/files/{file['id']}/drafts/{draft['id']}/approve", "so.jhs", json={})
    signed_note = fetch("so.jhs", "note", note["id"])
    assert (signed_note["content"], signed_note["content_sha256"]) == ("स्वीकृत", hashlib.sha256("स्वीकृत".encode()).hexdigest())
    assert fetch("so.jhs", "draft", draft["id"])["content"] == "आदेश पारित किया जाता है"
    with pytest.raises(FileNotFound):
        fetch("dm.jhs", "note", note["id"])  # a secret file: not sent to dm.jhs


def test_orphan_documents_are_swept_and_referenced_ones_kept(registry, files_container, pdf, png):
    file = registry.create("clerk.jhs")
    item = registry.post(f"/files/{file['id']}/correspondence", "clerk.jhs", data={"item": '{"title": "आख्या"}'},
                         files=[("documents", ("a.pdf", pdf, "application/pdf"))]).json()
    config = files_container.config
    client = s3_client(config)
    client.put_object(Bucket=config["S3_BUCKET"], Key="files/documents/" + "f" * 64 + ".png", Body=png)
    client.put_object(Bucket=config["S3_BUCKET"], Key="dak/scans/" + "e" * 64 + ".png", Body=png)
    files_container.config["ORPHAN_DOCUMENT_GRACE_SECONDS"] = 0
    with entrypoint_hook(files_container, "sweep_orphan_documents") as sweep:
        assert sweep() == 1
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=config["S3_BUCKET"])["Contents"])
    assert keys == ["dak/scans/" + "e" * 64 + ".png", f"files/documents/{item['documents'][0]['sha256']}.pdf"]
