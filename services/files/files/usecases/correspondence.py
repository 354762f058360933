"""The correspondence side of a file: documents attached, receipts dak puts in (copied into this
service's store), and who may read a classified receipt wherever the file travels."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from eoffice_common.auth import Principal
from eoffice_common.errors import NotFound
from eoffice_common.events import Envelope
from eoffice_common.storage import EXTENSIONS

from .. import domain
from ..exceptions import CorrespondenceNotFound, UnlinkableEvent
from ..model import CorrespondenceDocument, CorrespondenceItem, File
from ..schemas import audit_out, correspondence_out
from . import DOCUMENT_BYTES, FILE_ACTIONS, RECEIPTS_LINKED, utcnow
from .files import opened_file, visible_file
from .movement import FileCommand


def may_read(uow, caller: Principal, file: File, item: CorrespondenceItem) -> bool:
    return domain.can_read_item(item, caller.user_id, caller.office, uow.files.last_movement_to(file.id, caller.user_id),
                                uow.directory.find_user(caller.user_id))


def list_correspondence(command: FileCommand, uow) -> dict:
    """Receipts put in the file (under their receipt numbers) and other documents, in order."""
    with uow:
        file = opened_file(uow, command.caller, command.file_id)
        items = uow.correspondence.of_file(file.id)
        users = uow.directory.people({item.added_by for item, _ in items})
        last_movement = uow.files.last_movement_to(file.id, command.caller.user_id)
        reader = uow.directory.find_user(command.caller.user_id)
        answer = {"file_id": file.id, "correspondence": [
            correspondence_out(item, documents, users,
                               domain.can_read_item(item, command.caller.user_id, command.caller.office, last_movement, reader))
            for item, documents in items
        ]}
        uow.commit()
        return answer


@dataclass(frozen=True)
class AttachDocuments(FileCommand):
    details: dict | None = None  # title, sender_name, sender_organisation, letter_number, letter_date
    uploads: list[tuple[str | None, bytes]] | None = None  # (filename, content)


def attach_documents(command: AttachDocuments, new_uow: Callable, store) -> tuple[int, dict]:
    """Attach documents to the correspondence. The caller is authorised before anything reaches the
    store, and the documents are stored before the transaction that records them (no lock is held
    while they upload); one that never commits is swept later (sweep_orphan_documents)."""
    me = command.caller.user_id
    with new_uow() as uow:
        visible_file(uow, command.caller, command.file_id).ensure_writable(me, "correspondence")
    for filename, data in command.uploads:
        store.check(data, filename or "document")
    stored = [(filename, store.put(data, filename or "document")) for filename, data in command.uploads]
    documents = [{"key": doc.key, "sha256": doc.sha256, "size": doc.size, "content_type": doc.content_type,
                  "filename": (filename or "")[:255] or None} for filename, doc in stored]
    DOCUMENT_BYTES.inc(sum(d["size"] for d in documents))
    with new_uow() as uow:
        file = visible_file(uow, command.caller, command.file_id, for_update=True)
        item = file.attach_documents(me, uow.correspondence.next_position(file.id), command.details, documents, utcnow())
        answer = 201, correspondence_out(item, item.documents, uow.directory.people({me}))
        uow.commit(answer)
        FILE_ACTIONS.labels("document_attached").inc()
        return answer


@dataclass(frozen=True)
class GetDocument(FileCommand):
    item_id: str = ""
    position: int = 1


def get_document(command: GetDocument, uow) -> CorrespondenceDocument:
    """A document of the correspondence, for a reader cleared for its item (the route streams it from the store)."""
    with uow:
        file = opened_file(uow, command.caller, command.file_id)
        item, document = uow.correspondence.document(file.id, command.item_id, command.position)
        if not may_read(uow, command.caller, file, item):
            raise CorrespondenceNotFound(f"correspondence {command.item_id} is not in file {command.file_id}")
        uow.commit()
        return document


def link_receipt(envelope: Envelope, uow, store) -> None:
    """dak's receipt_put_in_file: the receipt and its scans enter the file's correspondence under the
    receipt number. The scans are copied (server-side) into this service's prefix before the commit;
    their keys are content-addressed, so a redelivery copies onto the same keys."""
    data = envelope.data
    with uow:
        file = uow.files.find(data["file_id"], for_update=True)
        if file is None:
            raise UnlinkableEvent("the file is not known to the files service")
        put_at = datetime.fromisoformat(envelope.occurred_at).astimezone(timezone.utc)
        receipt = {
            "receipt_id": data["receipt_id"], "receipt_number": data["receipt_number"], "title": data.get("subject") or "",
            "classification": data.get("classification") or "normal", "receipt_kind": data.get("kind"),
            "sender_name": data.get("sender_name"), "sender_organisation": data.get("sender_organisation"),
            "letter_number": data.get("letter_number"), "letter_date": _date(data.get("letter_date")),
            "received_date": _date(data.get("received_date")), "receipt_office": data.get("office") or envelope.office,
        }
        item = file.link_receipt(
            receipt, data.get("cleared") or (), data["put_by"], uow.files.custodian_at(file, put_at), uow.correspondence.next_position(file.id),
            lambda: [_copy_scan(store, scan) for scan in data.get("scans") or []], envelope.id, utcnow(),
        )
        uow.commit()
    RECEIPTS_LINKED.inc()
    DOCUMENT_BYTES.inc(sum(d.size for d in item.documents))


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _copy_scan(store, scan: dict) -> dict:
    content_type, sha, source = scan["content_type"], scan["sha256"], scan["key"]
    if content_type not in EXTENSIONS or not source.rsplit("/", 1)[-1].startswith(sha):
        raise UnlinkableEvent(f"scan {source} is not a content-addressed {', '.join(EXTENSIONS)} document")
    key = f"{store.prefix}{sha}.{EXTENSIONS[content_type]}"
    try:
        store.copy(source, key)
    except NotFound:
        raise UnlinkableEvent(f"scan {source} is not in the store") from None
    return {"position": int(scan["position"]), "key": key, "sha256": sha, "size": int(scan["size"]),
            "content_type": content_type, "filename": (scan.get("filename") or "")[:255] or None}


# --- the audit log ----------------------------------------------------------------------------------------

def _auditable_file(uow, caller: Principal, file_id: str) -> File:
    """Those who may open the file, and the admins of its office, may read its audit log."""
    file = uow.files.get(file_id)
    if not (caller.has_role("admin") and caller.office == file.office_code):
        file.ensure_visible_to(caller.user_id, caller.office, uow.files.was_sent_to)
    return file


def audit_log(command: FileCommand, uow) -> dict:
    """The audit log; an entry that linked a receipt the caller is not cleared for names only its item."""
    with uow:
        file = _auditable_file(uow, command.caller, command.file_id)
        restricted = {item.id for item in uow.correspondence.receipts_in(file.id) if not may_read(uow, command.caller, file, item)}
        return {"file_id": file.id, "entries": [audit_out(r, restricted) for r in uow.files.audit_records(file.id)]}


def verify_audit(command: FileCommand, uow) -> dict:
    """Recompute the hash chain; report the first entry that does not hold."""
    with uow:
        file = _auditable_file(uow, command.caller, command.file_id)
        return {"file_id": file.id, **domain.verify_chain(file.id, uow.files.audit_records(file.id), file.audit_seq, file.audit_head)}


@dataclass(frozen=True)
class ReceiptDestination:
    caller: Principal
    file_id: str


def receipt_destination(command: ReceiptDestination, uow) -> dict:
    """Whether the caller may put a receipt in the file now: dak asks before it commits, so that a
    refusal leaves the receipt with its holder. {"file_id", "refusal": None or {"reason", "message"}}; a file
    the caller may not open is `file_not_found`, its existence not revealed."""
    caller = command.caller
    with uow:
        file = uow.files.find(command.file_id)
        if file is None or not file.visible_to(caller.user_id, caller.office, uow.files.was_sent_to):
            refusal = ("file_not_found", f"file {command.file_id} was not found")
        else:
            refusal = domain.receipt_link_refusal(file, caller.user_id)
    return {"file_id": command.file_id, "refusal": {"reason": refusal[0], "message": refusal[1]} if refusal else None}


def sweep_orphan_documents(uow, store, grace: timedelta) -> int:
    """Remove documents that reached the store but whose attachment never committed (after `grace`)."""
    with uow:
        referenced = uow.correspondence.referenced_keys()
    orphans = list(store.unreferenced(referenced, grace))
    for key in orphans:
        store.delete(key)
    return len(orphans)
