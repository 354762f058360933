"""Request validation for the files API (pydantic, 422 with one reason per field), and the JSON
shapes of its answers."""
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from eoffice_common.errors import InvalidInput

from . import domain, letters

Classification = Literal["normal", "confidential", "secret", "top_secret"]
Priority = Literal["normal", "urgent", "most_immediate"]
DispatchMode = Literal["intra", "email", "post"]
PostalMode = Literal["speed_post", "registered_post", "ordinary_post", "courier", "by_hand"]
Code = Field(min_length=1, max_length=24, pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class HeadIn(Strict):
    main_code: str = Code
    main_name_en: str = Field(min_length=1, max_length=200)
    main_name_hi: str = Field(min_length=1, max_length=200)
    sub_code: str = Code
    sub_name_en: str = Field(min_length=1, max_length=200)
    sub_name_hi: str = Field(min_length=1, max_length=200)
    section_label: str = Code
    department_label: str = Code


class FileIn(Strict):
    numbering: Literal["sfs", "non_sfs"] = "sfs"
    head_id: int | None = Field(None, ge=1)
    file_number: str | None = Field(None, min_length=1, max_length=150)
    subject: str = Field(min_length=1, max_length=2000)
    category: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=5000)
    classification: Classification = "normal"
    kind: Literal["electronic", "physical"] = "electronic"
    section: str | None = Field(None, max_length=48)

    @model_validator(mode="after")
    def number_given_once(self):
        if self.numbering == "sfs" and (self.head_id is None or self.file_number is not None):
            raise ValueError("an SFS file takes a head_id (the number is generated), not a file_number")
        if self.numbering == "non_sfs" and (self.file_number is None or self.head_id is not None):
            raise ValueError("a non-SFS file takes a free-form file_number, not a head_id")
        return self


class NewVolumeIn(Strict):
    remarks: str | None = Field(None, max_length=2000)


class NewPartIn(Strict):
    subject: str | None = Field(None, min_length=1, max_length=2000)


class OtherFileIn(Strict):
    """The other file of a link or an attachment."""

    file_id: str = Field(min_length=1, max_length=36)


class SendIn(Strict):
    """`to` defaults to the sender's reporting officer. `version` (the file's version as last read)
    makes the send fail with 409 if the file changed meanwhile."""

    to: str | None = Field(None, min_length=1, max_length=64)
    remarks: str | None = Field(None, max_length=2000)
    due_date: date | None = None
    priority: Priority = "normal"
    version: int | None = Field(None, ge=1)

    @field_validator("due_date")
    @classmethod
    def due_not_past(cls, value):
        if not domain.is_due_date_valid(value):
            raise ValueError("the due date is in the past")
        return value


class ActionIn(Strict):
    """Return, park, unpark, close, reopen: remarks, and the version read (409 if the file changed)."""

    remarks: str | None = Field(None, max_length=2000)
    version: int | None = Field(None, ge=1)


class TransferIn(Strict):
    from_user: str = Field(min_length=1, max_length=64)
    to_user: str = Field(min_length=1, max_length=64)
    remarks: str | None = Field(None, max_length=2000)


class NoteIn(Strict):
    text: str = Field(min_length=1, max_length=50_000)
    references: list[str] = Field(default_factory=list, max_length=50)


class DocumentItemIn(Strict):
    title: str = Field(min_length=1, max_length=2000)
    letter_number: str | None = Field(None, max_length=120)
    letter_date: date | None = None
    sender_name: str | None = Field(None, max_length=200)
    sender_organisation: str | None = Field(None, max_length=300)


class DraftIn(Strict):
    subject: str = Field(min_length=1, max_length=2000)
    content: str = Field(min_length=1, max_length=200_000)


class DraftVersionIn(Strict):
    content: str = Field(min_length=1, max_length=200_000)


class CommentIn(Strict):
    text: str = Field(min_length=1, max_length=5000)


class ApproveIn(Strict):
    version: int | None = Field(None, ge=1)


class RecipientIn(Strict):
    """An addressee: an officer (`user`) or an office (`office`) of this deployment gets the letter as a
    receipt (`intra`); anyone else by `email` or `post`. `for_information` marks a copy."""

    name: str | None = Field(None, min_length=1, max_length=200)
    user: str | None = Field(None, min_length=1, max_length=64)
    office: str | None = Field(None, min_length=1, max_length=32)
    mode: DispatchMode | None = None
    for_information: bool = False
    address: str | None = Field(None, max_length=1000)
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    postal_mode: PostalMode | None = None
    article_number: str | None = Field(None, min_length=1, max_length=40)


class IssueIn(Strict):
    dispatch_mode: DispatchMode
    recipients: list[RecipientIn] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def means_for_each_mode(self):
        fields = {}
        for index, recipient in enumerate(self.recipients):
            mode = letters.mode_of(recipient.mode, self.dispatch_mode, recipient.user, recipient.office)
            missing = letters.missing_for(mode, recipient.name, recipient.user, recipient.office, recipient.email, recipient.address)
            if missing:
                fields[f"recipients.{index}.{missing[0]}"] = missing[1]
        if fields:
            raise InvalidInput("some addressees lack what their dispatch needs", fields=fields)
        return self


class ListQuery(Strict):
    box: Literal["inbox", "sent", "created", "parked", "closed"] = "inbox"
    classification: Classification | None = None
    category: str | None = Field(None, max_length=120)
    priority: Priority | None = None
    unread: bool | None = None
    q: str | None = Field(None, max_length=200)
    date_from: date | None = None
    date_to: date | None = None
    page: int = Field(1, ge=1, le=100_000)  # beyond any list; keeps the row offset a PostgreSQL bigint
    per_page: int = Field(25, ge=1, le=100)


class SearchQuery(Strict):
    number: str | None = Field(None, max_length=200)
    computer_number: int | None = Field(None, ge=1)
    q: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=120)
    year: int | None = Field(None, ge=1947, le=2200)
    date_from: date | None = None
    date_to: date | None = None
    holder: str | None = Field(None, max_length=64)
    classification: Classification | None = None
    status: Literal["open", "parked", "closed"] | None = None
    scope: Literal["office", "all"] = "all"
    page: int = Field(1, ge=1, le=100_000)  # beyond any list; keeps the row offset a PostgreSQL bigint
    per_page: int = Field(25, ge=1, le=100)


class PostingIn(Strict):
    postal_mode: PostalMode | None = None
    article_number: str | None = Field(None, min_length=1, max_length=40)


class RegisterQuery(Strict):
    date_from: date | None = None
    date_to: date | None = None
    dispatch_mode: DispatchMode | None = None
    status: Literal["sent", "received", "opened", "delivered", "bounced", "posted"] | None = None
    page: int = Field(1, ge=1, le=100_000)  # beyond any list; keeps the row offset a PostgreSQL bigint
    per_page: int = Field(50, ge=1, le=200)


# --- answers -----------------------------------------------------------------------------------------

def person(user_id, users):
    """A user id with the name and designation the directory gives it (both languages)."""
    if user_id is None:
        return None
    user = users.get(user_id)
    if user is None:
        return {"id": user_id}
    return {
        "id": user_id, "name_en": user.name_en, "name_hi": user.name_hi,
        "designation_en": user.designation_en, "designation_hi": user.designation_hi,
    }


def head_out(head):
    return {
        "id": head.id, "code": domain.head_code(head.main_code, head.sub_code), "office": head.office_code,
        "main_code": head.main_code, "main_name_en": head.main_name_en, "main_name_hi": head.main_name_hi,
        "sub_code": head.sub_code, "sub_name_en": head.sub_name_en, "sub_name_hi": head.sub_name_hi,
        "section_label": head.section_label, "department_label": head.department_label, "active": head.active,
    }


def movement_out(movement, users):
    if movement is None:
        return None
    return {
        "id": movement.id, "action": movement.action,
        "from": person(movement.from_user, users), "to": person(movement.to_user, users),
        "remarks": movement.remarks, "due_date": movement.due_date, "priority": movement.priority,
        "sent_at": movement.sent_at, "opened_at": movement.opened_at, "pulled_back_at": movement.pulled_back_at,
        "for_user": movement.for_user, "on_behalf_of": movement.on_behalf_of, "received_at": movement.received_at,
    }


def file_summary(file, current, users):
    return {
        "id": file.id, "file_number": file.file_number, "computer_number": file.computer_number,
        "subject": file.subject, "category": file.category, "kind": file.kind,
        "classification": file.classification, "status": file.status, "office": file.office_code,
        "custodian": person(file.custodian_id, users), "version": file.version,
        "created_by": file.created_by, "created_at": file.created_at,
        "closed_at": file.closed_at, "closed_by": file.closed_by,
        "current_movement": movement_out(current, users),
    }


def related_file_out(file, visible):
    """A file linked with, attached into or holding this one, as this file's reader sees it: one they may
    not open shows only that it is there."""
    if not visible:
        return {"id": None, "restricted": True, "file_number": None, "subject": None, "status": None,
                "classification": file.classification}
    return {"id": file.id, "restricted": False, "file_number": file.file_number, "subject": file.subject,
            "status": file.status, "classification": file.classification}


def file_out(file, current, users, related=(), relations=None):
    """`relations`: {"links", "attachments": [related_file_out], "attached_to": related_file_out or None}."""
    relations = relations or {}
    return {
        **file_summary(file, current, users),
        "numbering": file.numbering, "head_id": file.head_id, "year": file.year, "serial": file.serial,
        "base_number": file.base_number, "section": file.section_code, "description": file.description,
        "district": file.district_code, "owner": person(file.owner_id, users),
        "volume": file.volume, "part": file.part, "parent_file_id": file.parent_file_id, "relation": file.relation,
        "related": [
            {"id": f.id, "file_number": f.file_number, "relation": f.relation, "volume": f.volume, "part": f.part, "status": f.status,
             "custodian": f.custodian_id}
            for f in related
        ],
        "last_paragraph": file.last_paragraph, "updated_at": file.updated_at,
        "parked_at": file.parked_at, "merged_at": file.merged_at,
        "links": relations.get("links", []), "attachments": relations.get("attachments", []),
        "attached_to": relations.get("attached_to"),
    }


def note_out(note, users):
    return {
        "id": note.id, "status": note.status, "author": person(note.author, users), "text": note.text,
        "references": list(note.references or []), "created_at": note.created_at, "updated_at": note.updated_at,
        "confirmed_at": note.confirmed_at, "first_paragraph": note.first_paragraph, "last_paragraph": note.last_paragraph,
        "content_sha256": note.content_sha256, "merged_from_file_id": note.merged_from_file_id,
        "signature": signature_out(note, note.content_sha256),
    }


def signature_out(row, current_sha256):
    state = domain.signature_state(row.signed_sha256, current_sha256)
    if not state["signed"]:
        return state
    return {
        **state, "signature_id": row.signature_id, "signed_by": row.signed_by, "signed_at": row.signed_at,
        "method": row.signature_method, "signed_sha256": row.signed_sha256,
    }


def document_out(document, file_id, item_id):
    return {
        "position": document.position, "filename": document.filename, "content_type": document.content_type,
        "size": document.size, "sha256": document.sha256,
        "url": f"/files/{file_id}/correspondence/{item_id}/documents/{document.position}",
    }


def correspondence_out(item, documents, users, readable=True):
    """An item the caller may not read (a classified receipt, README) shows only that it is there."""
    if not readable:
        return {
            "id": item.id, "position": item.position, "kind": item.kind, "restricted": True,
            "receipt_id": None, "receipt_number": None, "title": None, "classification": item.classification,
            "receipt_kind": None, "sender": None, "letter_number": None, "letter_date": None, "received_date": None,
            "added_by": person(item.added_by, users), "added_at": item.added_at, "documents": [],
            "merged_from_file_id": item.merged_from_file_id,
        }
    return {
        "id": item.id, "position": item.position, "kind": item.kind, "restricted": False,
        "receipt_id": item.receipt_id, "receipt_number": item.receipt_number, "title": item.title,
        "classification": item.classification, "receipt_kind": item.receipt_kind,
        "sender": {"name": item.sender_name, "organisation": item.sender_organisation},
        "letter_number": item.letter_number, "letter_date": item.letter_date, "received_date": item.received_date,
        "added_by": person(item.added_by, users), "added_at": item.added_at,
        "documents": [document_out(d, item.file_id, item.id) for d in documents],
        "merged_from_file_id": item.merged_from_file_id,
    }


def dispatch_out(dispatch):
    """One addressee of an issued letter and where its letter stands."""
    return {
        "id": dispatch.id, "issue_number": dispatch.issue_number, "position": dispatch.position, "mode": dispatch.mode,
        "copy": dispatch.copy, "name": dispatch.name, "user": dispatch.addressee_user, "office": dispatch.addressee_office,
        "email": dispatch.email, "address": dispatch.address, "postal_mode": dispatch.postal_mode,
        "article_number": dispatch.article_number, "status": dispatch.status, "receipt_id": dispatch.receipt_id,
        "receipt_number": dispatch.receipt_number, "received_at": dispatch.received_at, "opened_at": dispatch.opened_at,
        "delivered_at": dispatch.delivered_at, "failure": dispatch.failure,
    }


def draft_out(draft, versions, comments, users, dispatches=()):
    approved = next((v for v in versions if v.version == draft.approved_version), None)
    return {
        "id": draft.id, "file_id": draft.file_id, "subject": draft.subject, "status": draft.status,
        "current_version": draft.current_version, "created_by": person(draft.created_by, users),
        "created_at": draft.created_at, "updated_at": draft.updated_at,
        "versions": [
            {"version": v.version, "author": person(v.author, users), "created_at": v.created_at, "content_sha256": v.content_sha256}
            for v in versions
        ],
        "content": versions[-1].content if versions else None,
        "comments": [
            {"id": c.id, "version": c.version, "author": person(c.author, users), "text": c.text, "created_at": c.created_at}
            for c in comments
        ],
        "approval": None if draft.approved_version is None else {
            "version": draft.approved_version, "approved_by": person(draft.approved_by, users),
            "approved_at": draft.approved_at, "content_sha256": approved.content_sha256 if approved else None,
            "issue_number": draft.reserved_issue_number,
            "signature": signature_out(draft, approved.content_sha256 if approved else None),
        },
        "issue": None if draft.issue_number is None else {
            "issue_number": draft.issue_number, "dispatch_mode": draft.dispatch_mode, "issued_by": person(draft.issued_by, users),
            "issued_at": draft.issued_at, "recipients": draft.recipients,
            "dispatches": [dispatch_out(d) for d in dispatches],
        },
    }


def version_out(version, users):
    return {
        "version": version.version, "content": version.content, "content_sha256": version.content_sha256,
        "author": person(version.author, users), "created_at": version.created_at,
    }


def audit_out(entry, restricted_items=frozenset()):
    """An audit entry; one that linked a receipt in `restricted_items` (the caller is not cleared for it)
    names only its correspondence item. Its hash covers the full details, which /audit/verify checks."""
    details = entry.details
    if entry.action == "receipt_linked" and details.get("correspondence_id") in restricted_items:
        details = {"correspondence_id": details["correspondence_id"], "restricted": True}
    return {
        "seq": entry.seq, "action": entry.action, "actor": entry.actor, "at": entry.at,
        "details": details, "prev_hash": entry.prev_hash, "hash": entry.hash,
    }
