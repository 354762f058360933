"""Request validation for the dak API (pydantic): 422 with one reason per field."""
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .address_book import Entry
from .domain import detect_language, is_due_date_valid, today_ist
from .model import Dispatch, Letter

Classification = Literal["normal", "confidential", "secret", "top_secret"]
DeliveryMode = Literal["post", "by_hand", "courier", "email", "fax", "portal"]
Priority = Literal["normal", "urgent", "most_immediate"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SenderIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    designation: str | None = Field(None, max_length=200)
    organisation: str | None = Field(None, max_length=300)
    address: str | None = Field(None, max_length=1000)
    state: str | None = Field(None, max_length=100)
    pincode: str | None = Field(None, pattern=r"^[1-9][0-9]{5}$")
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    mobile: str | None = Field(None, pattern=r"^(\+91)?[6-9][0-9]{9}$")


class SendIn(Strict):
    to: list[str] = Field(min_length=1, max_length=20)
    remarks: str | None = Field(None, max_length=2000)
    due_date: date | None = None
    priority: Priority = "normal"

    @field_validator("due_date")
    @classmethod
    def due_not_past(cls, value):
        if not is_due_date_valid(value):
            raise ValueError("the due date is in the past")
        return value

    def dispatch(self) -> Dispatch:
        return Dispatch(to=self.to, remarks=self.remarks, due_date=self.due_date, priority=self.priority)


class ReceiptIn(Strict):
    kind: Literal["electronic", "physical"] = "electronic"
    sender: SenderIn
    letter_number: str | None = Field(None, max_length=120)
    letter_date: date | None = None
    received_date: date = Field(default_factory=today_ist)
    delivery_mode: DeliveryMode
    main_category: str | None = Field(None, max_length=120)
    sub_category: str | None = Field(None, max_length=120)
    subject: str = Field(min_length=1, max_length=2000)
    language: Literal["hi", "en", "bilingual", "other"] | None = None
    classification: Classification = "normal"
    enclosures: str | None = Field(None, max_length=1000)
    remarks: str | None = Field(None, max_length=2000)
    vip: bool = False
    send: SendIn | None = None
    # Tell the sender the receipt number by email / SMS (their address and mobile above); by default as
    # the office's setting says (on unless the office turned it off).
    acknowledge: bool | None = None

    @model_validator(mode="after")
    def dates_in_order(self):
        if self.received_date > today_ist():
            raise ValueError("received_date is in the future")
        if self.letter_date and self.letter_date > self.received_date:
            raise ValueError("letter_date is after received_date")
        return self

    def letter(self, body_text: str | None = None) -> Letter:
        sender = self.sender
        return Letter(
            kind=self.kind, sender_name=sender.name, sender_designation=sender.designation,
            sender_organisation=sender.organisation, sender_address=sender.address, sender_state=sender.state,
            sender_pincode=sender.pincode, sender_email=sender.email, sender_mobile=sender.mobile,
            letter_number=self.letter_number, letter_date=self.letter_date, received_date=self.received_date,
            delivery_mode=self.delivery_mode, main_category=self.main_category, sub_category=self.sub_category,
            subject=self.subject, language=self.language or detect_language(self.subject),
            classification=self.classification, enclosures=self.enclosures, remarks=self.remarks, vip=self.vip,
            body_text=body_text,
        )


class BatchIn(Strict):
    """Generate & Copy: letters that share metadata; each letter's fields override the shared ones."""

    shared: dict = Field(default_factory=dict)
    letters: list[dict] = Field(min_length=1, max_length=100)

    def receipts(self):
        merged = []
        for letter in self.letters:
            data = {**self.shared, **letter}
            if "sender" in self.shared and "sender" in letter:
                data["sender"] = {**self.shared["sender"], **letter["sender"]}
            merged.append(data)
        return merged


class ListQuery(Strict):
    box: Literal["inbox", "sent", "created", "closed", "office"] = "inbox"
    q: str | None = Field(None, max_length=200)
    number: str | None = Field(None, max_length=80)
    letter_number: str | None = Field(None, max_length=120)
    status: Literal["open", "in_file", "closed"] | None = None
    date_from: date | None = None
    date_to: date | None = None
    classification: Classification | None = None
    sender: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=120)
    page: int = Field(1, ge=1, le=100_000)  # beyond any list; keeps the row offset a PostgreSQL bigint
    per_page: int = Field(25, ge=1, le=100)


class ReplyIn(Strict):
    remarks: str | None = Field(None, max_length=2000)


class PutInFileIn(Strict):
    file_id: str = Field(min_length=1, max_length=64)


class CloseIn(Strict):
    remarks: str = Field(min_length=1, max_length=2000)


class UserSearchQuery(Strict):
    q: str | None = Field(None, max_length=100)
    office: str | None = Field(None, max_length=32)
    limit: int = Field(20, ge=1, le=100)


def scan_out(scan, receipt_id):
    return {
        "position": scan.position,
        "filename": scan.filename,
        "content_type": scan.content_type,
        "size": scan.size,
        "sha256": scan.sha256,
        "url": f"/receipts/{receipt_id}/scans/{scan.position}",
    }


def movement_out(movement):
    return {
        "action": movement.action,
        "from": movement.from_user,
        "to": movement.to_user,
        "copy": movement.copy,
        "for_user": movement.for_user,
        "on_behalf_of": movement.on_behalf_of,
        "remarks": movement.remarks,
        "due_date": movement.due_date,
        "priority": movement.priority,
        "sent_at": movement.sent_at,
        "opened_at": movement.opened_at,
    }


def receipt_summary(receipt):
    return {
        "id": receipt.id,
        "receipt_number": receipt.receipt_number,
        "subject": receipt.subject,
        "kind": receipt.kind,
        "status": receipt.status,
        "classification": receipt.classification,
        "vip": receipt.vip,
        "holder": receipt.holder_id,
        "sender": {"name": receipt.sender_name, "organisation": receipt.sender_organisation},
        "main_category": receipt.main_category,
        "received_date": receipt.received_date,
        "created_at": receipt.created_at,
        "issue_number": receipt.issue_number,
        "for_information": bool(receipt.for_information),
        "opened_at": receipt.opened_at,
    }


def receipt_out(receipt, scans=(), movements=()):
    return {
        **receipt_summary(receipt),
        "office": receipt.office_code,
        "created_by": receipt.created_by,
        "received_at": receipt.received_at,
        "sender": {
            "name": receipt.sender_name,
            "designation": receipt.sender_designation,
            "organisation": receipt.sender_organisation,
            "address": receipt.sender_address,
            "state": receipt.sender_state,
            "pincode": receipt.sender_pincode,
            "email": receipt.sender_email,
            "mobile": receipt.sender_mobile,
        },
        "letter_number": receipt.letter_number,
        "letter_date": receipt.letter_date,
        "delivery_mode": receipt.delivery_mode,
        "sub_category": receipt.sub_category,
        "language": receipt.language,
        "enclosures": receipt.enclosures,
        "remarks": receipt.remarks,
        "body_text": receipt.body_text,
        "copied_from": receipt.copied_from_id,
        "file_id": receipt.file_id,
        "closed_by": receipt.closed_by,
        "closed_at": receipt.closed_at,
        "closing_remarks": receipt.closing_remarks,
        "scans": [scan_out(s, receipt.id) for s in scans],
        "movements": [movement_out(m) for m in movements],
    }


def user_out(user):
    return {
        "id": user.id,
        "name_en": user.name_en,
        "name_hi": user.name_hi,
        "designation_en": user.designation_en,
        "designation_hi": user.designation_hi,
        "office": user.office_code,
        "section": user.section_code,
        "email": user.email,
        "mobile": user.mobile,
        "reporting_officer": user.reporting_officer_id,
        "roles": list(user.roles or []),
        "language": user.language,
    }


class ActingChargeIn(Strict):
    """Leave or tour: `acting_user` holds charge for `absent_user` (by default the caller) from_date to to_date."""

    absent_user: str | None = Field(None, min_length=1, max_length=64)
    acting_user: str = Field(min_length=1, max_length=64)
    from_date: date
    to_date: date
    reason: str | None = Field(None, max_length=200)
    hand_over: bool = False  # the files and receipts the absent officer holds pass to the acting officer


def _officer_brief(user):
    return {"id": user.id, "name_en": user.name_en, "name_hi": user.name_hi,
            "designation_en": user.designation_en, "designation_hi": user.designation_hi}


def acting_charge_out(charge, absent, acting, today):
    return {
        "id": charge.id, "absent": _officer_brief(absent), "acting": _officer_brief(acting), "office": charge.office_code,
        "from_date": charge.from_date, "to_date": charge.to_date, "reason": charge.reason, "set_by": charge.set_by,
        "in_force": charge.in_force_on(today), "ended_at": charge.ended_at,
    }


class CorrespondentQuery(Strict):
    q: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=100)


class CorrespondentIn(SenderIn):
    """A correspondent written into the address book by hand: the fields of a letter's sender block."""

    def entry(self) -> Entry:
        return Entry(**self.model_dump())


class AcknowledgementSettingIn(Strict):
    enabled: bool


def correspondent_out(entry):
    return {"id": entry.id, "name": entry.name, "designation": entry.designation, "organisation": entry.organisation,
            "address": entry.address, "state": entry.state, "pincode": entry.pincode, "email": entry.email,
            "mobile": entry.mobile, "letters": entry.letters, "last_letter_at": entry.last_letter_at}


def receipt_answer(receipt):
    """A receipt, with its scans and movements, as an action on it answers."""
    return receipt_out(receipt, receipt.scans, receipt.movements)


def diarisation_out(diarisation, warnings=()):
    """A diarised receipt, warned of earlier receipts of what looks like the same letter."""
    return {
        "receipt": receipt_answer(diarisation.receipt),
        "warnings": [
            {"code": "possible_duplicate", "receipt_number": number, "message": f"same organisation, letter number and date as {number}"}
            for number in diarisation.duplicates
        ] + list(warnings),
    }


# --- an admin's edits of the directory -------------------------------------------------------------

DIRECTORY_KEY = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"  # office and section codes, user ids: they appear in URLs and numbers
Name = Field(min_length=1, max_length=200)


class OfficeIn(Strict):
    name_en: str = Name
    name_hi: str = Name
    district: str = Field(min_length=1, max_length=16)
    department: str = Field(min_length=1, max_length=16)


class SectionIn(Strict):
    office: str = Field(min_length=1, max_length=32)
    name_en: str = Name
    name_hi: str = Name


class UserIn(Strict):
    name_en: str = Name
    name_hi: str = Name
    designation_en: str = Name
    designation_hi: str = Name
    office: str = Field(min_length=1, max_length=32)
    section: str | None = Field(None, max_length=48)
    reporting_officer: str | None = Field(None, max_length=64)
    roles: list[Literal["clerk", "officer", "admin", "district_head", "state_admin"]] = Field(default_factory=list, max_length=5)
    clearance: Literal["normal", "confidential", "secret", "top_secret"] = "normal"
    language: Literal["hi", "en"] = "hi"
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    mobile: str | None = Field(None, pattern=r"^(\+91)?[6-9][0-9]{9}$")


class DirectoryQuery(Strict):
    office: str | None = Field(None, max_length=32)


def office_admin_out(office, sections):
    return {
        "code": office.code, "name_en": office.name_en, "name_hi": office.name_hi, "district": office.district_code,
        "department": office.department_code,
        "sections": [{"code": s.code, "name_en": s.name_en, "name_hi": s.name_hi} for s in sections],
    }


def user_admin_out(user):
    return {**user_out(user), "clearance": user.clearance, "active": user.active}
