"""Email diarisation: a raw RFC 822 message becomes the fields, body and attachments of a receipt."""
import email
from email import policy
from email.utils import parseaddr, parsedate_to_datetime

from .domain import IST, detect_language, today_ist
from .exceptions import InvalidEmail


def parse_email(raw):
    """Returns (receipt fields, body text, [(filename, bytes)]). U+0000, which no text column can
    store, is dropped from every text: a mail client's garbage is no reason to refuse a citizen's letter."""
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # the email package raises many types on garbage
        raise InvalidEmail(f"not an email message: {exc}") from exc
    name, address = parseaddr(_text(message.get("From", "")))
    subject = _text(message.get("Subject", "")).strip()
    if not address or "@" not in address:
        raise InvalidEmail("the message has no sender address", fields={"From": "missing or invalid"})
    if not subject:
        raise InvalidEmail("the message has no subject", fields={"Subject": "missing"})
    try:
        sent = parsedate_to_datetime(str(message["Date"])).astimezone(IST).date() if message["Date"] else None
    except (TypeError, ValueError):
        sent = None
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = _text(body_part.get_content()) if body_part is not None else ""
    attachments = [
        (_text(part.get_filename() or "") or "attachment", part.get_payload(decode=True) or b"")
        for part in message.iter_attachments()
    ]
    received = today_ist()
    fields = {
        "kind": "electronic",
        "sender": {"name": name or address, "email": address, "organisation": address.split("@", 1)[1]},
        "letter_number": _text(message.get("Message-ID", "")).strip("<> ")[:120] or None,
        "letter_date": min(sent, received) if sent else None,
        "received_date": received,
        "delivery_mode": "email",
        "subject": subject[:2000],
        "language": detect_language(subject + body),
    }
    return fields, body, attachments


def _text(value):
    return str(value).replace("\x00", "")
