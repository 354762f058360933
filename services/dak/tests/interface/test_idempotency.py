"""A client that lost the answer to a diarisation or an action retries it with the same
Idempotency-Key: it gets the first answer, and nothing is diarised or moved twice."""
import json
from email.message import EmailMessage

import eventlet

LETTER = {"delivery_mode": "post", "kind": "physical", "sender": {"name": "राम प्रसाद"}, "subject": "प्रार्थना पत्र"}


def keyed(key):
    return {"headers": {"Idempotency-Key": key}}


def created_by(desk, user):
    return desk.get("/receipts?box=created", user).json()["total"]


def test_a_diarisation_retried_with_its_key_gets_the_first_answer_and_one_number(desk, event_tap):
    tap = event_tap("dak")
    first = desk.post("/receipts", "diarist.jhs", json=LETTER, **keyed("diarise-1"))
    retry = desk.post("/receipts", "diarist.jhs", json=LETTER, **keyed("diarise-1"))
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"
    assert created_by(desk, "diarist.jhs") == 1
    tap.wait_for("receipt_diarised")
    eventlet.sleep(0.5)
    assert len(tap.events("receipt_diarised")) == 1


def test_the_same_key_for_another_letter_is_422_and_diarises_nothing(desk):
    assert desk.post("/receipts", "diarist.jhs", json=LETTER, **keyed("diarise-2")).status_code == 201
    other = desk.post("/receipts", "diarist.jhs", json={**LETTER, "subject": "दूसरा पत्र"}, **keyed("diarise-2"))
    assert (other.status_code, other.json()["error"]) == (422, "idempotency_key_reused")
    elsewhere = desk.post("/receipts/batch", "diarist.jhs", json={"shared": LETTER, "letters": [{}]}, **keyed("diarise-2"))
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (422, "idempotency_key_reused")
    assert created_by(desk, "diarist.jhs") == 1


def test_concurrent_diarisations_with_one_key_diarise_once(desk):
    pool = eventlet.GreenPool(10)
    answers = list(pool.imap(lambda _: desk.post("/receipts", "diarist.jhs", json=LETTER, **keyed("diarise-3")), range(10)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["receipt"]["receipt_number"] for a in answers}) == 1
    assert sum("Idempotent-Replayed" not in a.headers for a in answers) == 1
    assert created_by(desk, "diarist.jhs") == 1


def test_an_upload_a_batch_and_an_email_retried_are_diarised_once(desk, pdf):
    upload = {"data": {"receipt": json.dumps({**LETTER, "kind": "electronic"}, ensure_ascii=False)},
              "files": [("scans", ("letter.pdf", pdf, "application/pdf"))]}
    batch = {"shared": LETTER, "letters": [{"subject": "एक"}, {"subject": "दो"}]}
    message = EmailMessage()
    message["From"] = "Tehsildar Jhansi <tehsildar.jhs@up.gov.example>"
    message["Subject"] = "मासिक रिपोर्ट"
    message.set_content("रिपोर्ट संलग्न है।")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="report.pdf")
    email = {"data": message.as_bytes(), "headers": {"Content-Type": "message/rfc822", "Idempotency-Key": "email-1"}}
    for path, body in (("/receipts", {**upload, **keyed("upload-1")}), ("/receipts/batch", {"json": batch, **keyed("batch-1")}),
                       ("/receipts/email", email)):
        first, retry = (desk.post(path, "diarist.jhs", **body) for _ in range(2))
        assert (first.status_code, retry.status_code, retry.headers["Idempotent-Replayed"]) == (201, 201, "true"), path
        assert retry.json() == first.json(), path
    assert created_by(desk, "diarist.jhs") == 4


def test_a_send_retried_with_its_key_gets_the_first_answer_and_sends_once(desk):
    receipt = desk.diarise()
    first = desk.post(f"/receipts/{receipt['id']}/send", "diarist.jhs", json={"to": ["so.jhs"]}, **keyed("send-1"))
    retry = desk.post(f"/receipts/{receipt['id']}/send", "diarist.jhs", json={"to": ["so.jhs"]}, **keyed("send-1"))
    assert (first.status_code, retry.status_code, retry.headers["Idempotent-Replayed"]) == (200, 200, "true")
    assert retry.json() == first.json()
    assert len(desk.get(f"/receipts/{receipt['id']}", "so.jhs").json()["movements"]) == 1
    unkeyed = desk.post(f"/receipts/{receipt['id']}/send", "diarist.jhs", json={"to": ["so.jhs"]})
    assert unkeyed.status_code == 403, unkeyed.text
