"""Bad input gets a clear error with a machine-readable reason, and nothing is half-written."""
import json

import pytest
import requests
from sqlalchemy import create_engine, func, select

from dak.models import Receipt
from eoffice_common.storage import s3_client
from eoffice_common.testing import stream_body
from eoffice_common.web import DEFAULT_MAX_BODY_BYTES, MULTIPART_OVERHEAD_BYTES

GOOD = {"delivery_mode": "post", "sender": {"name": "A"}, "subject": "s"}


def receipts_in_db(url):
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(Receipt)).scalar()
    engine.dispose()
    return count


def objects_in_bucket(config):
    return s3_client(config).list_objects_v2(Bucket=config["S3_BUCKET"]).get("KeyCount", 0)


def test_no_token_is_401(desk):
    response = requests.post(f"{desk.base_url}/receipts", json=GOOD)
    assert (response.status_code, response.json()["error"]) == (401, "token_missing")


def test_malformed_json_is_400(desk):
    response = desk.post("/receipts", "diarist.jhs", data="{oops", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["error"]) == (400, "malformed_json")


def test_invalid_fields_are_422_with_a_reason_each(desk):
    response = desk.post("/receipts", "diarist.jhs", json={
        "delivery_mode": "pigeon", "sender": {"name": "", "pincode": "99"}, "classification": "restricted", "subject": "s",
    })
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_input"
    assert set(body["fields"]) == {"delivery_mode", "sender.name", "sender.pincode", "classification"}


def test_a_page_past_any_list_is_422_not_a_database_overflow(desk):
    response = desk.get(f"/receipts?page={10 ** 20}", "diarist.jhs")
    assert (response.status_code, response.json()["fields"]) == (422, {"page": "Input should be less than or equal to 100000"})
    assert desk.get("/receipts?page=100000", "diarist.jhs").status_code == 200


def test_an_unknown_user_or_receipt_is_404(desk):
    response = desk.post("/receipts", "ghost.user", json=GOOD)
    assert (response.status_code, response.json()["error"]) == (404, "unknown_user")
    response = desk.get("/receipts/00000000-0000-0000-0000-000000000000", "diarist.jhs")
    assert (response.status_code, response.json()["error"]) == (404, "receipt_not_found")
    response = desk.get("/directory/users/ghost.user", "diarist.jhs")
    assert (response.status_code, response.json()["error"]) == (404, "unknown_user")


def test_sending_to_an_unknown_user_is_422_and_sends_nothing(desk):
    receipt = desk.diarise()
    response = desk.post(f"/receipts/{receipt['id']}/send", "diarist.jhs", json={"to": ["ghost.user"]})
    assert (response.status_code, response.json()["error"]) == (422, "invalid_recipients")
    assert desk.get(f"/receipts/{receipt['id']}", "diarist.jhs").json()["holder"] == "diarist.jhs"


@pytest.mark.parametrize(
    "scans, status, reason",
    [
        ([("big.pdf", b"%PDF-1.4" + b"0" * 70_000, "application/pdf")], 413, "document_too_large"),
        ([("fake.pdf", b"<html>not a pdf</html>", "application/pdf")], 415, "document_type_not_allowed"),
        ([("ok.pdf", b"%PDF-1.4 fine", "application/pdf"), ("virus.pdf", b"MZ\x90\x00", "application/pdf")], 415, "document_type_not_allowed"),
    ],
)
def test_a_bad_scan_stores_nothing_and_numbers_nothing(desk, dak_config, scans, status, reason):
    response = desk.post("/receipts", "diarist.jhs", data={"receipt": json.dumps(GOOD)},
                         files=[("scans", scan) for scan in scans])
    assert (response.status_code, response.json()["error"]) == (status, reason)
    assert receipts_in_db(dak_config["DB_URL"]) == 0
    assert objects_in_bucket(dak_config) == 0
    assert desk.diarise()["receipt_number"].startswith("1/")


def test_a_nul_character_in_a_receipt_or_a_scan_name_is_422_and_numbers_nothing(desk, dak_config):
    as_json = desk.post("/receipts", "diarist.jhs", json={**GOOD, "subject": "भूमि\u0000"})
    assert (as_json.status_code, as_json.json()["fields"]) == (422, {"subject": "U+0000 (NUL) is not allowed in text"})
    in_form = desk.post("/receipts", "diarist.jhs", data={"receipt": json.dumps({**GOOD, "sender": {"name": "A\u0000"}})},
                        files=[("scans", ("ok.pdf", b"%PDF-1.4 fine", "application/pdf"))])
    assert (in_form.status_code, in_form.json()["fields"]) == (422, {"sender.name": "U+0000 (NUL) is not allowed in text"})
    # A client that writes the NUL raw into the part's header (requests would percent-encode it).
    boundary = "nul-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="receipt"\r\n\r\n{json.dumps(GOOD)}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="scans"; filename="scan\x00.pdf"\r\n'
            f'Content-Type: application/pdf\r\n\r\n%PDF-1.4 fine\r\n--{boundary}--\r\n').encode()
    in_name = desk.post("/receipts", "diarist.jhs", data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert (in_name.status_code, in_name.json()["fields"]) == (422, {"filename": "U+0000 (NUL) is not allowed in text"})
    assert receipts_in_db(dak_config["DB_URL"]) == 0
    assert objects_in_bucket(dak_config) == 0
    assert desk.diarise()["receipt_number"].startswith("1/")


def test_an_electronic_receipt_without_scans_is_422(desk):
    response = desk.post("/receipts", "diarist.jhs", json={**GOOD, "kind": "electronic"})
    assert (response.status_code, response.json()["error"]) == (422, "scans_required")


def test_a_failed_send_in_generate_and_send_rolls_back_the_diarisation(desk, dak_config):
    response = desk.post("/receipts", "diarist.jhs", json={**GOOD, "kind": "physical", "send": {"to": ["ghost.user"]}})
    assert response.status_code == 422
    assert receipts_in_db(dak_config["DB_URL"]) == 0


def test_unsupported_bodies_are_415(desk):
    response = desk.post("/receipts", "diarist.jhs", data="x", headers={"Content-Type": "text/plain"})
    assert (response.status_code, response.json()["error"]) == (415, "unsupported_request_type")
    response = desk.post("/receipts/email", "diarist.jhs", json={"not": "an email"})
    assert (response.status_code, response.json()["error"]) == (415, "expected_rfc822")


def test_an_email_without_a_sender_is_422(desk):
    response = desk.post("/receipts/email", "diarist.jhs", data=b"Subject: hello\r\n\r\nbody", headers={"Content-Type": "message/rfc822"})
    assert (response.status_code, response.json()["error"]) == (422, "invalid_email_message")


OFFERED = 64 * 1024 * 1024  # an attacker's body, far over every limit


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_json_body_is_refused_unread(desk, chunked):
    headers = {"Authorization": f"Bearer {desk.token('diarist.jhs')}", "Content-Type": "application/json"}
    answer = stream_body(desk.base_url, "/receipts/batch", OFFERED, chunked, headers)
    assert (answer.status, answer.body["error"], answer.body["limit"]) == (413, "body_too_large", DEFAULT_MAX_BODY_BYTES)
    assert answer.sent < OFFERED // 4
    assert answer.peak_rss_growth < OFFERED // 4


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_upload_is_refused_unread_and_stores_nothing(desk, dak_config, chunked):
    headers = {"Authorization": f"Bearer {desk.token('diarist.jhs')}", "Content-Type": "multipart/form-data; boundary=b"}
    answer = stream_body(desk.base_url, "/receipts", OFFERED, chunked, headers)
    limit = dak_config["MAX_DOCUMENT_BYTES"] + MULTIPART_OVERHEAD_BYTES
    assert (answer.status, answer.body["error"], answer.body["limit"]) == (413, "body_too_large", limit)
    assert answer.sent < OFFERED // 4
    assert answer.peak_rss_growth < OFFERED // 4
    assert (receipts_in_db(dak_config["DB_URL"]), objects_in_bucket(dak_config)) == (0, 0)


def test_json_nested_a_thousand_deep_is_400_in_a_body_or_a_form_field(desk, dak_config):
    body = json.dumps(GOOD)[:-1] + ', "remarks": ' + "[" * 1000 + "]" * 1000 + "}"
    as_json = desk.post("/receipts", "diarist.jhs", data=body, headers={"Content-Type": "application/json"})
    as_form = desk.post("/receipts", "diarist.jhs", files={"receipt": (None, body)})
    for response in (as_json, as_form):
        assert (response.status_code, response.json()["error"]) == (400, "json_too_deep")
    assert receipts_in_db(dak_config["DB_URL"]) == 0
