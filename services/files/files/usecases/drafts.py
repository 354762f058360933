"""Drafts for approval: versions, comments, approval and issue under an office's issue number; the
documents signing asks for and the signatures it announces."""
from __future__ import annotations

from dataclasses import dataclass, field

from eoffice_common.auth import Principal
from eoffice_common.errors import BadRequest
from eoffice_common.events import Envelope

from .. import domain, letters
from ..exceptions import FileNotFound, UnlinkableEvent
from ..model import Draft
from ..schemas import draft_out, version_out
from . import FILE_ACTIONS, utcnow
from .files import opened_file, visible_file
from .movement import FileCommand


@dataclass(frozen=True)
class DraftCommand(FileCommand):
    draft_id: str = ""
    subject: str = ""  # of a new draft
    content: str = ""  # of a new version
    text: str = ""  # of a comment
    version: int | None = None  # the version approved (by default the latest) or read


@dataclass(frozen=True)
class IssueDraft(FileCommand):
    draft_id: str = ""
    dispatch_mode: str = "post"
    recipients: list[dict] = field(default_factory=list)


def draft_answer(uow, draft: Draft) -> dict:
    versions = uow.drafts.versions(draft.id)
    comments = uow.drafts.comments(draft.id)
    people = {draft.created_by, draft.approved_by, draft.issued_by} | {v.author for v in versions} | {c.author for c in comments}
    dispatches = uow.dispatches.of_draft(draft.id) if draft.issue_number else []
    return draft_out(draft, versions, comments, uow.directory.people(people), dispatches)


def list_drafts(command: FileCommand, uow) -> dict:
    with uow:
        file = opened_file(uow, command.caller, command.file_id)
        answer = {"file_id": file.id, "drafts": [draft_answer(uow, d) for d in uow.drafts.of_file(file.id)]}
        uow.commit()
        return answer


def get_draft(command: DraftCommand, uow) -> dict:
    with uow:
        file = opened_file(uow, command.caller, command.file_id)
        answer = draft_answer(uow, uow.drafts.get(file.id, command.draft_id))
        uow.commit()
        return answer


def get_draft_version(command: DraftCommand, uow) -> dict:
    """Any earlier version of a draft stays readable."""
    with uow:
        file = opened_file(uow, command.caller, command.file_id)
        draft = uow.drafts.get(file.id, command.draft_id)
        found = uow.drafts.version(draft.id, command.version)
        answer = version_out(found, uow.directory.people({found.author}))
        uow.commit()
        return answer


def create_draft(command: DraftCommand, uow) -> tuple[int, dict]:
    with uow:
        file = visible_file(uow, command.caller, command.file_id, for_update=True)
        draft = file.start_draft(command.caller.user_id, command.subject, command.content, utcnow())
        return _changed(uow, draft, created=True)


def revise_draft(command: DraftCommand, uow) -> tuple[int, dict]:
    """Every edit is a new version; the earlier ones stay readable."""
    with uow:
        file = visible_file(uow, command.caller, command.file_id, for_update=True)
        draft = uow.drafts.get(file.id, command.draft_id)
        file.revise_draft(draft, command.caller.user_id, command.content, utcnow())
        return _changed(uow, draft, created=True)


def comment_on_draft(command: DraftCommand, uow) -> tuple[int, dict]:
    with uow:
        file = visible_file(uow, command.caller, command.file_id, for_update=True)
        draft = uow.drafts.get(file.id, command.draft_id)
        file.comment_on_draft(draft, command.caller.user_id, command.text, uow.drafts.next_comment_id(), utcnow())
        return _changed(uow, draft, created=True)


def approve_draft(command: DraftCommand, uow) -> dict:
    """An officer holding the file approves the draft's latest version (or 409 if `version` is not the latest)."""
    me = command.caller.user_id
    with uow:
        file = visible_file(uow, command.caller, command.file_id, for_update=True)
        approver = uow.directory.user(me)
        draft = uow.drafts.get(file.id, command.draft_id)
        now = utcnow()
        file.approve_draft(draft, me, approver.roles or (), uow.drafts.version(draft.id, draft.current_version), now,
                           lambda: uow.files.next_issue_serial(file.office_code, domain.year_of(now)), command.version)
        FILE_ACTIONS.labels("draft_approved").inc()
        return _changed(uow, draft)


def issue_draft(command: IssueDraft, uow) -> dict:
    """The approved draft is issued under the issue number reserved at its approval, to each addressee inside the
    deployment (a receipt in their office), by email or by post."""
    me = command.caller.user_id
    with uow:
        file = visible_file(uow, command.caller, command.file_id, for_update=True)
        draft = uow.drafts.get(file.id, command.draft_id)
        file.ensure_issuable(draft, me)
        addressees = letters.plan_addressees(command.recipients, command.dispatch_mode, uow.directory)
        now = utcnow()
        file.issue_draft(draft, me, lambda: uow.files.next_issue_serial(file.office_code, domain.year_of(now)),
                         command.dispatch_mode, command.recipients, addressees, now)
        FILE_ACTIONS.labels("draft_issued").inc()
        return _changed(uow, draft)


def _changed(uow, draft: Draft, created: bool = False) -> dict | tuple[int, dict]:
    answer = draft_answer(uow, draft)
    if created:
        answer = 201, answer
    uow.commit(answer)
    return answer


# --- signing ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignableDocument:
    caller: Principal
    document_kind: str  # note | draft
    document_id: str


def document_for_signing(command: SignableDocument, uow) -> dict:
    """A green note's text or an approved draft's content with its sha256, for the caller to sign."""
    kind, document_id = command.document_kind, command.document_id
    with uow:
        document = uow.notes.find(document_id) if kind == "note" else uow.drafts.find(document_id)
        file = uow.files.find(document.file_id) if document else None
        if file is None or not file.visible_to(command.caller.user_id, command.caller.office, uow.files.was_sent_to):
            raise FileNotFound(f"{kind} {document_id} was not found")
        try:
            domain.check_signable(kind, document.status)
        except UnlinkableEvent as exc:
            raise BadRequest(str(exc), reason="not_signable") from exc
        if kind == "note":
            content, sha, title = document.text, document.content_sha256, f"Note (paragraphs {document.first_paragraph}-{document.last_paragraph})"
        else:
            version = uow.drafts.version(document.id, document.approved_version)
            content, sha, title = version.content, version.content_sha256, document.subject
        return {"document_kind": kind, "document_id": document_id, "file_id": file.id, "file_number": file.file_number,
                "title": title, "content": content, "content_sha256": sha, "classification": file.classification}


def record_signature(envelope: Envelope, uow) -> None:
    """signing's document_signed: a green note or an approved draft is marked signed."""
    data = envelope.data
    with uow:
        file = uow.files.find(data["file_id"], for_update=True)
        if file is None:
            raise UnlinkableEvent(f"file {data['file_id']} is not known to the files service")
        kind = data["document_kind"]
        document = {"note": uow.notes.find, "draft": uow.drafts.find}.get(kind, lambda _id: None)(data["document_id"])
        if kind == "note" and document is not None and document.merged_from_file_id == file.id:
            file = uow.files.get(document.file_id, for_update=True)  # written in this part file, merged into its main file since
        file.record_signature(kind, document, data, utcnow())
        uow.commit()
    FILE_ACTIONS.labels(f"{kind}_signed").inc()
