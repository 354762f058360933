"""The search service's use cases: `(command, uow) -> result`.

`uow` gives `items` and `documents` (repository.py, or the in-memory ones of the unit tests) and
`now`. Consumed events are applied inside the pipeline's unit of work, which commits them with their
tracking row; the others commit themselves."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from . import model
from .events import (
    DocumentsAttached,
    DraftVersioned,
    FileCreated,
    FilePulledBack,
    FileSent,
    FileTransferred,
    NoteConfirmed,
    PartFileMerged,
    ReceiptDiarised,
    ReceiptLinked,
    ReceiptSent,
)
from .model import FILE, RECEIPT
from .text import page_at, parse_query, snippet


@dataclass(frozen=True)
class Consumed:
    """An event as a use case gets it: its type, its validated data, when it happened, and the actor."""

    type: str
    data: Any
    at: datetime
    actor: str = "system"


# --- what the events say ------------------------------------------------------------------------

def receipt_diarised(event: Consumed, uow) -> None:
    data: ReceiptDiarised = event.data
    receipt = uow.items.lock(RECEIPT, data.receipt_id)
    receipt.office, receipt.district, receipt.classification = data.office, data.district, data.classification
    receipt.number, receipt.subject = data.receipt_number, data.subject
    receipt.dated = data.received_date or event.at.date()
    receipt.readers |= {data.diarised_by} | ({data.holder} if data.holder else set())
    uow.items.save(receipt)
    details = " ".join(part for part in (data.subject, data.sender_name, data.sender_organisation, data.letter_number) if part)
    uow.documents.upsert(receipt, RECEIPT, "subject", uow.now, title=data.subject, body=details)
    for scan in data.scans:
        uow.documents.upsert(receipt, RECEIPT, f"scan:{scan.position}", uow.now, title=scan.filename or data.subject,
                             key=scan.key, content_type=scan.content_type)
    uow.documents.describe(receipt)
    regrant_receipt(uow, receipt.id)


def receipt_sent(event: Consumed, uow) -> None:
    data: ReceiptSent = event.data
    receipt = uow.items.lock(RECEIPT, data.receipt_id)
    receipt.readers |= {data.to_user, *data.copies_to}
    if data.classification:
        receipt.classification = data.classification
    uow.items.save(receipt)
    uow.documents.describe(receipt)
    regrant_receipt(uow, receipt.id)


def file_created(event: Consumed, uow) -> None:
    data: FileCreated = event.data
    file = uow.items.lock(FILE, data.file_id)
    file.office, file.district, file.classification = data.office, data.district, data.classification
    file.number, file.subject, file.dated = data.file_number, data.subject, event.at.date()
    file.readers.add(data.created_by)
    uow.items.save(file)
    uow.documents.upsert(file, FILE, "subject", uow.now, title=data.subject,
                         body=" ".join(part for part in (data.subject, data.file_number) if part))
    uow.documents.describe(file)
    regrant_file(uow, file.id)


def file_sent(event: Consumed, uow) -> None:
    data: FileSent = event.data
    _hand_over(uow, data.file_id, data.to_user, data.sent_at or event.at, data.classification)


def file_pulled_back(event: Consumed, uow) -> None:
    data: FilePulledBack = event.data
    _hand_over(uow, data.file_id, data.by_user, event.at)


def file_transferred(event: Consumed, uow) -> None:
    data: FileTransferred = event.data
    for file_id in data.file_ids:
        _hand_over(uow, file_id, data.to_user, event.at)


def _hand_over(uow, file_id: str, user: str, at: datetime, classification: str | None = None) -> None:
    """The file reached `user`: they may open it from now on, and read what was in it by then."""
    file = uow.items.lock(FILE, file_id)
    file.readers.add(user)
    if classification:
        file.classification = classification
    uow.items.save(file)
    uow.items.add_handover(model.Handover(file_id, user, at))
    uow.documents.describe(file)
    regrant_file(uow, file_id)


def receipt_linked(event: Consumed, uow) -> None:
    data: ReceiptLinked = event.data
    uow.items.lock(FILE, data.file_id)
    uow.items.lock(RECEIPT, data.receipt_id)
    uow.items.add_link(model.Link(data.receipt_id, data.file_id, data.linked_by, event.at, data.correspondence_id or None))
    regrant_receipt(uow, data.receipt_id)


def note_confirmed(event: Consumed, uow) -> None:
    data: NoteConfirmed = event.data
    file = uow.items.lock(FILE, data.file_id)
    dated = (data.confirmed_at or event.at).date()
    document = uow.documents.upsert(file, "note", f"note:{data.note_id}", uow.now, title=file.subject, body=data.text, dated=dated)
    uow.documents.grant([document], model.grants_of_file_document(file))


def draft_versioned(event: Consumed, uow) -> None:
    """A draft is found from its first version on, by whoever may open its file (files: its drafts are
    read with the file); each later version replaces the text, an older one arriving late does not."""
    data: DraftVersioned = event.data
    file = uow.items.lock(FILE, data.file_id)
    source = f"draft:{data.draft_id}"
    if (uow.documents.revision_of(file, source) or 0) > data.version:
        return
    document = uow.documents.upsert(file, "draft", source, uow.now, title=data.subject or file.subject,
                                    body="\n".join(part for part in (data.subject, data.content) if part), dated=event.at.date(),
                                    revision=data.version)
    uow.documents.grant([document], model.grants_of_file_document(file))


# The approved version's text, as a version's: the same document.
draft_approved = draft_versioned


def documents_attached(event: Consumed, uow) -> None:
    """Documents attached to a file's correspondence: their details now, each document's text once read;
    whoever may open the file reads them (files: attached documents follow the file)."""
    data: DocumentsAttached = event.data
    file = uow.items.lock(FILE, data.file_id)
    source = f"correspondence:{data.correspondence_id}"
    details = " ".join(part for part in (data.title, data.sender_name, data.sender_organisation, data.letter_number) if part)
    documents = [uow.documents.upsert(file, "document", source, uow.now, title=data.title, body=details, dated=event.at.date())]
    for attached in data.documents:
        documents.append(uow.documents.upsert(file, "document", f"{source}:{attached.position}", uow.now,
                                              title=attached.filename or data.title, key=attached.key,
                                              content_type=attached.content_type, dated=event.at.date()))
    uow.documents.grant(documents, model.grants_of_file_document(file))


def part_file_merged(event: Consumed, uow) -> None:
    """A part file merged into its main file: its notes and correspondence (attached documents, receipts)
    are found through the main file from now on, by whoever may open the main file."""
    data: PartFileMerged = event.data
    main = uow.items.lock(FILE, data.file_id)
    uow.items.lock(FILE, data.part_file_id)
    sources = [f"note:{note_id}" for note_id in data.note_ids] + [f"correspondence:{c}" for c in data.correspondence_ids]
    uow.documents.move(FILE, data.part_file_id, main.id, sources)
    uow.documents.describe(main)
    for receipt_id in data.receipt_ids:
        uow.items.lock(RECEIPT, receipt_id)
        in_part = next((link for link in uow.items.links_of_receipt(receipt_id) if link.file_id == data.part_file_id), None)
        uow.items.add_link(model.Link(receipt_id, main.id, data.merged_by, event.at, in_part.correspondence_id if in_part else None))
    regrant_file(uow, main.id)


APPLY = {
    "receipt_diarised": receipt_diarised, "receipt_sent": receipt_sent, "file_created": file_created,
    "file_sent": file_sent, "file_pulled_back": file_pulled_back, "file_transferred": file_transferred,
    "receipt_linked": receipt_linked, "note_confirmed": note_confirmed, "draft_versioned": draft_versioned,
    "draft_approved": draft_approved, "documents_attached": documents_attached, "part_file_merged": part_file_merged,
}


def apply_event(event: Consumed, uow) -> None:
    APPLY[event.type](event, uow)


# --- who may read each document -----------------------------------------------------------------

def regrant_receipt(uow, receipt_id: str) -> None:
    receipt = uow.items.get(RECEIPT, receipt_id)
    links = uow.items.links_of_receipt(receipt_id)
    files = [(link, uow.items.get(FILE, link.file_id)) for link in links]
    handovers = uow.items.handovers_of({link.file_id for link in links})
    uow.documents.grant(uow.documents.ids_of(RECEIPT, receipt_id), model.grants_of_receipt_document(receipt, files, handovers))


def regrant_file(uow, file_id: str) -> None:
    """The file's own documents, and those of every receipt in it (who may read them through it changed)."""
    file = uow.items.get(FILE, file_id)
    uow.documents.grant(uow.documents.ids_of(FILE, file_id), model.grants_of_file_document(file))
    for receipt_id in uow.items.receipts_in_file(file_id):
        regrant_receipt(uow, receipt_id)


# --- text of documents --------------------------------------------------------------------------

@dataclass(frozen=True)
class Extracted:
    """What reading a document gave: its pages' text, or why there is none."""

    document_id: int
    pages: list[str] = field(default_factory=list)
    failure: str | None = None
    page_count: int | None = None
    note: str | None = None  # indexed, but not all of it (a page limit)


def record_extraction(result: Extracted, uow) -> str:
    """Keep a document's text in the index, or its failure with the reason; returns its status."""
    if result.failure:
        uow.documents.record_failure(result.document_id, result.failure, uow.now, result.page_count)
    else:
        uow.documents.record_text(result.document_id, result.pages, uow.now, note=result.note)
    uow.commit()
    return "failed" if result.failure else "indexed"


def reindex(uow, batch: int = 500) -> dict:
    """Rebuild the index: every document's words again from its text, every scan read again (the
    extraction workers take them), every grant computed again from the kept facts."""
    rewritten = 0
    last = 0
    while ids := uow.documents.all_ids(after=last, limit=batch):
        for document_id in ids:
            if uow.documents.get(document_id).key is None:
                uow.documents.rewrite_words(document_id)
                rewritten += 1
        last = ids[-1]
    waiting = uow.documents.extract_again()
    for kind, item_id in uow.items.all_keys():
        (regrant_receipt if kind == RECEIPT else regrant_file)(uow, item_id)
    uow.commit()
    return {"rewritten": rewritten, "to_extract": waiting}


# --- searching ----------------------------------------------------------------------------------

# Matching documents ranked at most (the rest are counted as "more"): a word in nearly every document
# would otherwise have every match read and ranked (docs/decisions/0103: 664-718 ms p95 before).
MAX_CANDIDATES = 1000

@dataclass(frozen=True)
class SearchCommand:
    user: str
    office: str
    q: str
    types: tuple[str, ...] = ()
    office_filter: str | None = None
    classification: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    number: str | None = None
    page: int = 1
    per_page: int = 20


def search(command: SearchCommand, uow) -> dict:
    """The items the caller may read that hold every word and phrase asked for, best first, a page of
    them with a snippet each; the count and facets count only those too. An item is listed once however
    many of its documents matched (a receipt's subject and scan), with its best-ranked document's snippet.
    Only the first MAX_CANDIDATES matching documents the index yields are ranked: past that, `bounded`
    says the count is a lower bound (docs/decisions/0103-bounded-search-candidates.md)."""
    empty = {"type": {}, "classification": {}}
    query = parse_query(command.q)
    if query.empty:
        return {"total": 0, "bounded": False, "page": command.page, "per_page": command.per_page, "facets": empty, "results": []}
    filters = {"types": command.types, "office": command.office_filter, "classification": command.classification,
               "date_from": command.date_from, "date_to": command.date_to, "number": command.number}
    grants = model.grants_of_caller(command.user, command.office)
    hits = uow.documents.candidates(query, grants, filters, MAX_CANDIDATES + 1)
    best: dict[tuple[str, str], Any] = {}  # each item's best-ranked document, best items first
    for hit in sorted(hits[:MAX_CANDIDATES], key=lambda hit: (hit.rank, hit.id), reverse=True):
        best.setdefault(model.found_item(hit.item_kind, hit.item_id, hit.source), hit)
    ranked = list(best.values())
    facets = {"type": dict(Counter(hit.kind for hit in ranked)), "classification": dict(Counter(hit.classification for hit in ranked))}
    page = [hit.id for hit in ranked[(command.page - 1) * command.per_page:command.page * command.per_page]]
    shown = {row.id: row for row in uow.documents.shown(page, grants)} if page else {}
    results = []
    for row in (shown[document_id] for document_id in page):
        marked, offset = snippet(row.body or "", query)
        results.append({
            "document_id": row.id, "type": row.kind, "number": row.number, "subject": row.title,
            "date": row.dated.isoformat() if row.dated else None, "classification": row.classification,
            "snippet": marked, "page": page_at(row.page_starts or [], offset),
            "scan": _position(row.source),
            "opens": {"kind": row.opens_kind, "id": row.opens_id, "within": _within(uow, row)},
        })
    return {"total": len(ranked), "bounded": len(hits) > MAX_CANDIDATES, "page": command.page, "per_page": command.per_page,
            "facets": facets, "results": results}


def _position(source: str) -> int | None:
    """Which document of a receipt (`scan:<n>`) or of a correspondence item (`correspondence:<id>:<n>`)."""
    kind, *rest = source.split(":")
    if kind == "scan" or (kind == "correspondence" and len(rest) == 2):
        return int(rest[-1])
    return None


def _within(uow, row) -> dict | None:
    """The note, draft or correspondence item of the file a result opens: the file page goes to it."""
    if row.opens_kind != FILE:
        return None
    if row.item_kind == RECEIPT:
        link = next((link for link in uow.items.links_of_receipt(row.item_id) if link.file_id == row.opens_id), None)
        return {"kind": "correspondence", "id": link.correspondence_id} if link and link.correspondence_id else None
    kind, within = model.found_item(row.item_kind, row.item_id, row.source)
    return None if kind == FILE else {"kind": kind, "id": within}
