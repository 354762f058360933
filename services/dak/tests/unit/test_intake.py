"""Email parsing and request schemas, without any server."""
from datetime import date, timedelta
from email.message import EmailMessage

import pytest
from pydantic import ValidationError

from dak.domain import today_ist
from dak.email_intake import parse_email
from dak.exceptions import InvalidEmail
from dak.schemas import BatchIn, ReceiptIn, SendIn


def eml(subject="भूमि अभिलेख संशोधन", sender="Ram Prasad <ram@example.in>", attachments=()):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "dak@up.gov.example"
    message["Subject"] = subject
    message["Date"] = "Fri, 20 Nov 2026 10:00:00 +0530"
    message["Message-ID"] = "<abc123@example.in>"
    message.set_content("कृपया नाम संशोधित करें।\nPlease correct the name.")
    for name, data, maintype, subtype in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def test_an_email_becomes_receipt_fields_body_and_attachments():
    fields, body, attachments = parse_email(eml(attachments=[("scan.pdf", b"%PDF-1.4 x", "application", "pdf")]))
    assert fields["sender"] == {"name": "Ram Prasad", "email": "ram@example.in", "organisation": "example.in"}
    assert fields["subject"] == "भूमि अभिलेख संशोधन"
    assert fields["language"] == "hi"
    assert fields["delivery_mode"] == "email"
    assert fields["letter_date"] == date(2026, 11, 20)
    assert fields["letter_number"] == "abc123@example.in"
    assert "नाम संशोधित" in body
    assert attachments == [("scan.pdf", b"%PDF-1.4 x")]
    ReceiptIn.model_validate(fields)


def test_nul_characters_are_dropped_from_every_text_of_an_email():
    raw = eml(subject="Land record correction", attachments=[("scan.pdf", b"%PDF-1.4 x", "application", "pdf")])
    for text in (b"Land record", b"Ram Prasad", b"scan.pdf", b"abc123"):
        assert text in raw
        raw = raw.replace(text, text[:3] + b"\x00" + text[3:])
    fields, body, attachments = parse_email(raw)
    assert fields["subject"] == "Land record correction"
    assert fields["sender"]["name"] == "Ram Prasad"
    assert fields["letter_number"] == "abc123@example.in"
    assert attachments == [("scan.pdf", b"%PDF-1.4 x")]
    assert "\x00" not in body
    ReceiptIn.model_validate(fields)


@pytest.mark.parametrize("raw", [eml(subject=""), eml(sender="nobody"), b"\x00\x01 not an email"])
def test_an_email_without_sender_or_subject_is_refused(raw):
    with pytest.raises(InvalidEmail):
        parse_email(raw)


def minimal(**overrides):
    return {"delivery_mode": "post", "sender": {"name": "A"}, "subject": "S", **overrides}


def test_delivery_mode_is_required_and_dates_must_be_in_order():
    with pytest.raises(ValidationError) as missing:
        ReceiptIn.model_validate({"sender": {"name": "A"}, "subject": "S"})
    assert missing.value.errors()[0]["loc"] == ("delivery_mode",)
    with pytest.raises(ValidationError):
        ReceiptIn.model_validate(minimal(received_date=str(today_ist() + timedelta(days=1))))
    with pytest.raises(ValidationError):
        ReceiptIn.model_validate(minimal(letter_date="2026-01-02", received_date="2026-01-01"))


@pytest.mark.parametrize("sender", [{"name": "A", "pincode": "012345"}, {"name": "A", "mobile": "12345"}, {"name": "A", "email": "x"}])
def test_sender_contact_fields_are_checked(sender):
    with pytest.raises(ValidationError):
        ReceiptIn.model_validate(minimal(sender=sender))


def test_a_due_date_in_the_past_is_refused():
    with pytest.raises(ValidationError):
        SendIn.model_validate({"to": ["so.jhs"], "due_date": str(today_ist() - timedelta(days=1))})


def test_batch_letters_override_shared_fields_and_merge_the_sender():
    batch = BatchIn.model_validate({
        "shared": {"delivery_mode": "post", "sender": {"name": "Tehsildar", "organisation": "Tehsil Mauranipur"}},
        "letters": [{"subject": "one", "sender": {"name": "Naib Tehsildar"}}, {"subject": "two"}],
    })
    first, second = batch.receipts()
    assert first["sender"] == {"name": "Naib Tehsildar", "organisation": "Tehsil Mauranipur"}
    assert second["sender"]["name"] == "Tehsildar" and second["subject"] == "two"
