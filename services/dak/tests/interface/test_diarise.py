"""Diarisation on the real RabbitMQ, PostgreSQL and S3 endpoint."""
import json
from email.message import EmailMessage

import eventlet
from nameko.testing.services import entrypoint_hook

from eoffice_common.storage import s3_client


def multipart(fields, *scans):
    return {
        "data": {"receipt": json.dumps(fields, ensure_ascii=False)},
        "files": [("scans", (name, data, declared)) for name, data, declared in scans],
    }


def test_an_electronic_receipt_is_diarised_with_its_scans(desk, event_tap, pdf, png):
    tap = event_tap("dak")
    fields = {
        "delivery_mode": "portal",
        "sender": {"name": "सुनीता देवी", "organisation": "ग्राम पंचायत बड़ागाँव", "pincode": "284001", "mobile": "+919415012345"},
        "letter_number": "GP/112/2026", "letter_date": "2026-11-18",
        "subject": "वृद्धावस्था पेंशन स्वीकृति हेतु आवेदन", "main_category": "पेंशन", "classification": "confidential",
    }
    response = desk.post("/receipts", "diarist.jhs", **multipart(fields, ("letter.pdf", pdf, "application/pdf"), ("photo.png", png, "image/png")))
    assert response.status_code == 201, response.text
    receipt = response.json()["receipt"]
    assert receipt["receipt_number"].startswith("1/") and receipt["receipt_number"].endswith("/COLL-JHS")
    assert receipt["language"] == "hi" and receipt["kind"] == "electronic"
    assert [s["content_type"] for s in receipt["scans"]] == ["application/pdf", "image/png"]

    fetched = desk.get(f"/receipts/{receipt['id']}", "diarist.jhs").json()
    assert fetched["subject"] == "वृद्धावस्था पेंशन स्वीकृति हेतु आवेदन"
    assert fetched["sender"]["organisation"] == "ग्राम पंचायत बड़ागाँव"
    assert desk.get(fetched["scans"][0]["url"], "diarist.jhs").content == pdf
    assert desk.get(fetched["scans"][1]["url"], "diarist.jhs").content == png

    event = tap.wait_for("receipt_diarised")
    assert event["data"]["receipt_number"] == receipt["receipt_number"]
    assert event["data"]["subject"] == fields["subject"]
    assert (event["office"], event["district"], event["actor"]) == ("COLL-JHS", "JHS", "diarist.jhs")
    assert [s["sha256"] for s in event["data"]["scans"]] == [s["sha256"] for s in receipt["scans"]]


def test_two_hundred_concurrent_diarisations_get_two_hundred_consecutive_serials(desk, event_tap):
    tap = event_tap("dak")
    pool = eventlet.GreenPool(200)
    numbers = list(pool.imap(lambda i: desk.diarise(subject=f"letter {i}")["receipt_number"], range(200)))
    serials = sorted(int(n.split("/")[0]) for n in numbers)
    assert serials == list(range(1, 201))
    assert len({n.split("/", 1)[1] for n in numbers}) == 1
    tap.wait_for_count("receipt_diarised", 200)
    assert sorted(e["data"]["receipt_number"] for e in tap.events() if e["type"] == "receipt_diarised") == sorted(numbers)


def test_generate_and_send_diarises_and_sends_in_one_call(desk, event_tap):
    tap = event_tap("dak")
    receipt = desk.diarise(send={"to": ["so.jhs", "adm.jhs"], "remarks": "कृपया देखें", "priority": "urgent", "due_date": "2099-01-01"})
    assert receipt["holder"] == "so.jhs"
    sent = tap.wait_for("receipt_sent")
    diarised = tap.wait_for("receipt_diarised")
    assert diarised["data"]["receipt_number"] == sent["data"]["receipt_number"] == receipt["receipt_number"]
    assert (sent["data"]["to_user"], sent["data"]["copies_to"], sent["data"]["priority"]) == ("so.jhs", ["adm.jhs"], "urgent")
    assert [e["type"] for e in tap.events() if e["aggregate_id"] == receipt["id"]] == ["receipt_diarised", "receipt_sent"]
    inbox = desk.get("/receipts", "so.jhs").json()
    assert [r["id"] for r in inbox["receipts"]] == [receipt["id"]]
    assert desk.get("/receipts", "adm.jhs").json()["total"] == 1


def test_generate_and_copy_numbers_several_letters_sharing_metadata(desk):
    response = desk.post("/receipts/batch", "diarist.jhs", json={
        "shared": {"delivery_mode": "by_hand", "sender": {"name": "तहसीलदार", "organisation": "तहसील मऊरानीपुर"}, "main_category": "राजस्व"},
        "letters": [{"subject": "खतौनी 1"}, {"subject": "खतौनी 2", "vip": True}, {"subject": "खतौनी 3"}],
    })
    assert response.status_code == 201, response.text
    receipts = response.json()["receipts"]
    assert [int(r["receipt_number"].split("/")[0]) for r in receipts] == [1, 2, 3]
    assert {r["sender"]["organisation"] for r in receipts} == {"तहसील मऊरानीपुर"}
    assert [r["vip"] for r in receipts] == [False, True, False]


def test_a_batch_with_one_bad_letter_diarises_none(desk):
    response = desk.post("/receipts/batch", "diarist.jhs", json={
        "shared": {"delivery_mode": "post", "sender": {"name": "A"}},
        "letters": [{"subject": "fine"}, {"subject": ""}],
    })
    assert response.status_code == 422
    assert "letters.1.subject" in response.json()["fields"]
    assert desk.get("/receipts?box=created", "diarist.jhs").json()["total"] == 0


def test_an_email_is_diarised_with_its_attachments_as_scans(desk, pdf):
    message = EmailMessage()
    message["From"] = "Tehsildar Jhansi <tehsildar.jhs@up.gov.example>"
    message["Subject"] = "राजस्व वसूली की मासिक रिपोर्ट"
    message["Date"] = "Thu, 19 Nov 2026 17:30:00 +0530"
    message.set_content("मासिक रिपोर्ट संलग्न है।")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="report.pdf")
    message.add_attachment(b"PK\x03\x04 docx", maintype="application", subtype="octet-stream", filename="notes.docx")
    response = desk.post("/receipts/email", "diarist.jhs", data=message.as_bytes(), headers={"Content-Type": "message/rfc822"})
    assert response.status_code == 201, response.text
    result = response.json()
    receipt = result["receipt"]
    assert receipt["subject"] == "राजस्व वसूली की मासिक रिपोर्ट"
    assert receipt["sender"]["email"] == "tehsildar.jhs@up.gov.example"
    assert receipt["delivery_mode"] == "email" and "संलग्न" in receipt["body_text"]
    assert [s["filename"] for s in receipt["scans"]] == ["report.pdf"]
    assert result["warnings"][0]["code"] == "attachment_skipped" and result["warnings"][0]["filename"] == "notes.docx"


def test_a_letter_seen_before_gets_a_duplicate_warning(desk):
    letter = {"sender": {"name": "A", "organisation": "DARPG"}, "letter_number": "A-11/2026", "letter_date": "2026-11-02"}
    first = desk.post("/receipts", "diarist.jhs", json={"delivery_mode": "post", "kind": "physical", "subject": "x", **letter}).json()
    assert first["warnings"] == []
    again = desk.post("/receipts", "clerk.jhs", json={"delivery_mode": "post", "kind": "physical", "subject": "x", **{**letter, "sender": {"name": "B", "organisation": "darpg"}}}).json()
    assert [w["code"] for w in again["warnings"]] == ["possible_duplicate"]
    assert again["warnings"][0]["receipt_number"] == first["receipt"]["receipt_number"]


def test_copy_gives_a_new_number_and_keeps_the_scans(desk, pdf):
    original = desk.post("/receipts", "diarist.jhs", **multipart({"delivery_mode": "fax", "sender": {"name": "A"}, "subject": "fax"}, ("f.pdf", pdf, "application/pdf"))).json()["receipt"]
    response = desk.post(f"/receipts/{original['id']}/copy", "diarist.jhs")
    assert response.status_code == 201, response.text
    copy = response.json()["receipt"]
    assert copy["receipt_number"] != original["receipt_number"] and copy["copied_from"] == original["id"]
    assert [s["sha256"] for s in copy["scans"]] == [s["sha256"] for s in original["scans"]]


def test_orphan_scans_are_swept_and_referenced_ones_kept(dak_container, desk, pdf, png):
    kept = desk.post("/receipts", "diarist.jhs", **multipart({"delivery_mode": "post", "sender": {"name": "A"}, "subject": "s"}, ("a.pdf", pdf, "application/pdf"))).json()["receipt"]
    config = dak_container.config
    client = s3_client(config)
    client.put_object(Bucket=config["S3_BUCKET"], Key="dak/scans/" + "f" * 64 + ".png", Body=png)
    dak_container.config["ORPHAN_SCAN_GRACE_SECONDS"] = 0
    with entrypoint_hook(dak_container, "sweep_orphan_scans") as sweep:
        assert sweep() == 1
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=config["S3_BUCKET"])["Contents"]]
    assert keys == [f"dak/scans/{kept['scans'][0]['sha256']}.pdf"]
