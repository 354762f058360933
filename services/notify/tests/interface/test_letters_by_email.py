"""Issued letters by email: the signed PDF attached, through the SMTP relay; each dispatch told back
as delivered or bounced (letter_emailed), once."""
import hashlib
import time
import uuid

from eoffice_common.storage import open_documents
from notify.models import LetterEmail

# A signed letter as signing stores it (the bytes only matter for their checksum here).
PDF = b"%PDF-1.7\n% \xe0\xa4\xaa\xe0\xa4\xa4\xe0\xa5\x8d\xe0\xa4\xb0\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def draft_issued(pdf_key, addressees, subject="तहसील दिवस के आयोजन हेतु निर्देश"):
    return {
        "file_id": str(uuid.uuid4()), "file_number": "N-11016/6/2026-COLL-JHS", "draft_id": str(uuid.uuid4()), "version": 1,
        "issue_number": "I-7/2026/COLL-JHS", "dispatch_mode": "email", "issued_by": "dm.jhs", "recipients": [],
        "subject": subject, "classification": "normal", "issued_at": "2026-12-06T10:00:00+05:30",
        "pdf_key": pdf_key, "pdf_sha256": pdf_key.rsplit("/", 1)[-1].split(".")[0],
        "addressees": [{"dispatch_id": str(uuid.uuid4()), "position": i + 1, "mode": "email", "copy": False, **a}
                       for i, a in enumerate(addressees)],
        "office": "COLL-JHS", "district": "JHS",
    }


def test_an_email_dispatch_reaches_the_smtp_server_with_its_pdf_intact_and_a_bounce_is_shown_as_bounced(
    start_notify, directory, publish, mail_drop, s3_config, event_tap, helpers, db,
):
    stored = open_documents(s3_config, "signing/pdfs/", ("application/pdf",)).put(PDF, "letter.pdf")
    start_notify(**s3_config)
    directory()
    tap = event_tap("notify")
    mail_drop.refused["nobody@tehsil.example.in"] = "550 5.1.1 mailbox unavailable"
    data = draft_issued(stored.key, [
        {"name": "तहसीलदार, मऊरानीपुर", "email": "tehsildar.mrp@tehsil.example.in"},
        {"name": "Naib Tehsildar", "email": "nobody@tehsil.example.in"},
    ])
    event = publish("files", "draft_issued", data, aggregate_id=data["file_id"])
    publish.raw("files", [event])  # delivered twice, as after a lost acknowledgement

    [message] = mail_drop.wait_for(1, address="tehsildar.mrp@tehsil.example.in")
    assert message["Subject"] == "पत्र I-7/2026/COLL-JHS: तहसील दिवस के आयोजन हेतु निर्देश"
    text, attachment = [part for part in message.iter_parts()]
    assert "कृपया संलग्न पत्र संख्या I-7/2026/COLL-JHS" in text.get_content()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "I-7-2026-COLL-JHS.pdf"
    pdf = attachment.get_content()
    assert pdf == PDF and hashlib.sha256(pdf).hexdigest() == stored.sha256

    outcomes = {e["data"]["address"]: e["data"] for e in tap.wait_for_count("letter_emailed", 2)}
    assert outcomes["tehsildar.mrp@tehsil.example.in"]["outcome"] == "delivered"
    bounced = outcomes["nobody@tehsil.example.in"]
    assert (bounced["outcome"], bounced["dispatch_id"]) == ("bounced", data["addressees"][1]["dispatch_id"])
    assert "550" in bounced["reason"]
    time.sleep(1.5)  # room for a second email or event
    assert len(mail_drop.to("tehsildar.mrp@tehsil.example.in")) == 1
    assert len(tap.events("letter_emailed")) == 2
    assert db.count(LetterEmail) == 2


def test_a_letter_whose_signed_pdf_is_missing_is_bounced_without_an_email(start_notify, directory, publish, mail_drop, s3_config, event_tap):
    start_notify(**s3_config)
    directory()
    tap = event_tap("notify")
    data = draft_issued(f"signing/pdfs/{'0' * 64}.pdf", [{"name": "तहसीलदार, मऊरानीपुर", "email": "tehsildar.mrp@tehsil.example.in"}])
    publish("files", "draft_issued", data, aggregate_id=data["file_id"])

    [emailed] = tap.wait_for_count("letter_emailed", 1)
    assert (emailed["data"]["outcome"], emailed["data"]["dispatch_id"]) == ("bounced", data["addressees"][0]["dispatch_id"])
    assert "the signed PDF is missing" in emailed["data"]["reason"]
    assert mail_drop.to("tehsildar.mrp@tehsil.example.in") == []
