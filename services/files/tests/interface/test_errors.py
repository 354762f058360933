"""Bad input gets a clear error with a machine-readable reason, and nothing is half-written."""
import pytest
import requests

from eoffice_common.testing import wait_until


def test_no_token_is_401(registry):
    response = requests.get(f"{registry.base_url}/files")
    assert (response.status_code, response.json()["error"]) == (401, "token_missing")


def test_malformed_json_is_400(registry):
    response = registry.post("/files", "clerk.jhs", data="{oops", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["error"]) == (400, "malformed_json")


def test_invalid_fields_are_422_with_a_reason_each(registry):
    response = registry.post("/files", "clerk.jhs", json={"numbering": "sfs", "subject": "", "classification": "restricted", "kind": "paper"})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"subject", "classification", "kind"}
    both = registry.post("/files", "clerk.jhs", json={"numbering": "sfs", "head_id": 1, "file_number": "X/1", "subject": "s"})
    assert both.status_code == 422 and "head_id" in both.json()["message"] + str(both.json()["fields"])
    send = registry.post(f"/files/{registry.create()['id']}/send", "clerk.jhs", json={"to": "so.jhs", "priority": "asap", "due_date": "2001-01-01"})
    assert set(send.json()["fields"]) == {"priority", "due_date"}
    assert registry.get("/files?box=trash", "clerk.jhs").json()["fields"] == {"box": "Input should be 'inbox', 'sent', 'created', 'parked' or 'closed'"}


@pytest.mark.parametrize("path", ["/files", "/files/search", "/dispatch-register"])
def test_a_page_past_any_list_is_422_not_a_database_overflow(registry, path):
    response = registry.get(f"{path}?page={10 ** 20}", "clerk.jhs")
    assert (response.status_code, response.json()["fields"]) == (422, {"page": "Input should be less than or equal to 100000"})
    assert registry.get(f"{path}?page=100000", "clerk.jhs").status_code == 200


@pytest.mark.parametrize("path", ["/files/00000000-0000-0000-0000-000000000000", "/files/nope/movements", "/files/nope/notes", "/files/nope/audit/verify"])
def test_an_unknown_file_is_404(registry, path):
    response = registry.get(path, "clerk.jhs")
    assert (response.status_code, response.json()["error"]) == (404, "file_not_found")


def test_a_caller_missing_from_the_directory_is_404(registry):
    response = registry.post("/files", "ghost.user", json={"head_id": 1, "subject": "s"})
    assert (response.status_code, response.json()["error"]) == (404, "unknown_user")


def test_sending_to_an_unknown_user_is_422_and_moves_nothing(registry):
    file = registry.create()
    response = registry.post(f"/files/{file['id']}/send", "clerk.jhs", json={"to": "ghost.user"})
    assert (response.status_code, response.json()["error"]) == (422, "invalid_recipient")
    assert registry.get(f"/files/{file['id']}", "clerk.jhs").json()["custodian"]["id"] == "clerk.jhs"
    assert registry.post(f"/files/{file['id']}/send", "clerk.jhs", json={"to": "clerk.jhs"}).json()["fields"] == {"to": "cannot send to yourself"}


def test_an_unknown_section_is_422(registry):
    response = registry.post("/files", "clerk.jhs", json={"head_id": registry.head_id("clerk.jhs"), "subject": "s", "section": "TRY-JHS-ACC"})
    assert (response.status_code, response.json()["error"]) == (422, "unknown_section")


def test_a_failed_creation_gives_its_serial_back_and_announces_nothing(registry, event_tap):
    tap = event_tap("files")
    head_id = registry.head_id("clerk.jhs")
    bad = registry.post("/files", "clerk.jhs", json={"head_id": head_id, "subject": "s", "section": "NOPE"})
    assert bad.status_code == 422
    created = registry.create("clerk.jhs", head_id=head_id)
    assert created["serial"] == 1
    assert wait_until(lambda: registry.sql("SELECT count(*) FROM outbox") == [(0,)])
    assert [e["data"]["file_id"] for e in tap.events("file_created")] == [created["id"]]


def test_attachments_need_multipart_with_an_item_and_a_document(registry, pdf):
    file = registry.create()
    url = f"/files/{file['id']}/correspondence"
    assert registry.post(url, "clerk.jhs", json={"title": "x"}).json()["error"] == "unsupported_request_type"
    assert registry.post(url, "clerk.jhs", files=[("documents", ("a.pdf", pdf, "application/pdf"))]).json()["error"] == "item_field_missing"
    assert registry.post(url, "clerk.jhs", data={"item": "{oops"}, files=[("documents", ("a.pdf", pdf, "application/pdf"))]).json()["error"] == "malformed_json"
    assert registry.post(url, "clerk.jhs", data={"item": '{"title": "x"}'}, files=[("other", ("a.pdf", pdf, "application/pdf"))]).json()["error"] == "documents_required"
    too_big = registry.post(url, "clerk.jhs", data={"item": '{"title": "x"}'}, files=[("documents", ("a.pdf", b"%PDF-1.4" + b"0" * 70_000, "application/pdf"))])
    assert (too_big.status_code, too_big.json()["error"]) == (413, "document_too_large")
    assert registry.get(f"/files/{file['id']}/correspondence", "clerk.jhs").json()["correspondence"] == []
