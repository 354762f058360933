"""An in-memory unit of work for the use cases: the repositories' behaviour, with a plain search (every
word and phrase of the query among the document's folded words) standing for the databases' indexes."""
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import pytest

from eoffice_common.fakes import FakeUnitOfWork
from search import model
from search.repository import FAILED, INDEXED, PENDING
from search.testing import Office
from search.text import folded_words


class InMemoryItems:
    def __init__(self):
        self.items, self.links, self.handovers = {}, {}, set()

    def get(self, kind, item_id):
        found = self.items.get((kind, item_id))
        return replace(found, readers=set(found.readers)) if found else model.Item(kind, item_id)

    def lock(self, kind, item_id):
        return self.get(kind, item_id)

    def save(self, item):
        self.items[(item.kind, item.id)] = replace(item, readers=set(item.readers))

    def all_keys(self):
        return sorted(self.items)

    def add_link(self, link):
        self.links.setdefault((link.receipt_id, link.file_id), link)

    def links_of_receipt(self, receipt_id):
        return [link for (receipt, _), link in self.links.items() if receipt == receipt_id]

    def receipts_in_file(self, file_id):
        return [receipt for (receipt, file), _ in self.links.items() if file == file_id]

    def add_handover(self, handover):
        self.handovers.add(handover)

    def handovers_of(self, file_ids):
        return [handover for handover in self.handovers if handover.file_id in file_ids]


@dataclass
class Document:
    id: int
    item_kind: str
    item_id: str
    kind: str
    source: str
    title: str = None
    number: str = None
    office: str = None
    classification: str = None
    dated: object = None
    key: str = None
    content_type: str = None
    status: str = PENDING
    reason: str = None
    pages: int = None
    page_starts: list = None
    body: str = None
    revision: int = None


@dataclass
class Hit:
    id: int
    item_kind: str
    item_id: str
    kind: str
    source: str
    classification: str
    rank: float


@dataclass
class Row:
    id: int
    item_kind: str
    item_id: str
    kind: str
    title: str
    number: str
    dated: object
    body: str
    page_starts: list
    classification: str
    source: str
    opens_kind: str
    opens_id: str


class InMemoryDocuments:
    def __init__(self):
        self.documents, self.grants = {}, {}

    def upsert(self, item, kind, source, now, title=None, body=None, key=None, content_type=None, dated=None, revision=None):
        found = next((d for d in self.documents.values() if (d.item_kind, d.item_id, d.source) == (item.kind, item.id, source)), None)
        if found is None:
            found = Document(len(self.documents) + 1, item.kind, item.id, kind, source)
            self.documents[found.id] = found
        found.title, found.number, found.office, found.classification = title, item.number, item.office, item.classification
        found.dated, found.key, found.content_type, found.revision = dated or item.dated, key, content_type, revision
        if body is not None:
            self.record_text(found.id, [body], now)
        return found.id

    def revision_of(self, item, source):
        return next((d.revision for d in self.documents.values() if (d.item_kind, d.item_id, d.source) == (item.kind, item.id, source)), None)

    def describe(self, item):
        for document in self.documents.values():
            if (document.item_kind, document.item_id) == (item.kind, item.id):
                document.number, document.office, document.classification = item.number, item.office, item.classification

    def move(self, kind, from_id, to_id, sources):
        for document in self.documents.values():
            if (document.item_kind, document.item_id) == (kind, from_id) and any(
                    document.source == source or document.source.startswith(f"{source}:") for source in sources):
                document.item_id = to_id

    def ids_of(self, kind, item_id):
        return [d.id for d in self.documents.values() if (d.item_kind, d.item_id) == (kind, item_id)]

    def grant(self, document_ids, grants):
        for document_id in document_ids:
            self.grants[document_id] = dict(grants)

    def grants_of(self, document_id):
        return set(self.grants.get(document_id, {}))

    def pending(self, limit, skip=()):
        return [d for d in self.documents.values() if d.status == PENDING and d.key and d.id not in skip][:limit]

    def record_text(self, document_id, pages, now, note=None):
        document = self.documents[document_id]
        starts, at = [], 0
        for page in pages:
            starts.append(at)
            at += len(page) + 1
        document.body, document.page_starts, document.pages = "\n".join(pages), starts, len(pages)
        document.status, document.reason = INDEXED, note

    def rewrite_words(self, document_id):
        """Nothing kept apart from the text here."""

    def record_failure(self, document_id, reason, now, pages=None):
        document = self.documents[document_id]
        document.status, document.reason, document.pages = FAILED, reason, pages
        document.body = document.page_starts = None

    def get(self, document_id):
        return self.documents.get(document_id)

    def all_ids(self, after, limit):
        return sorted(i for i in self.documents if i > after)[:limit]

    def extract_again(self):
        waiting = [d for d in self.documents.values() if d.key]
        for document in waiting:
            document.status = PENDING
        return len(waiting)

    def candidates(self, query, grants, filters, limit):
        found = []
        for document in self.documents.values():
            if document.body is None or not set(grants) & set(self.grants.get(document.id, {})):
                continue
            if not _matches(folded_words(document.body), query):
                continue
            if filters.get("types") and document.kind not in filters["types"]:
                continue
            if filters.get("classification") and document.classification != filters["classification"]:
                continue
            if filters.get("office") and document.office != filters["office"]:
                continue
            if filters.get("number") and filters["number"].lower() not in (document.number or "").lower():
                continue
            if filters.get("date_from") and (document.dated is None or document.dated < filters["date_from"]):
                continue
            if filters.get("date_to") and (document.dated is None or document.dated > filters["date_to"]):
                continue
            found.append(Hit(document.id, document.item_kind, document.item_id, document.kind, document.source,
                             document.classification, 1.0))
        return found[:limit]

    def shown(self, document_ids, grants):
        rows = []
        for document_id in document_ids:
            document, held = self.documents[document_id], self.grants[document_id]
            opens = sorted((held[g] for g in grants if g in held), reverse=True)[0]
            rows.append(Row(document.id, document.item_kind, document.item_id, document.kind, document.title, document.number,
                            document.dated, document.body, document.page_starts, document.classification, document.source,
                            opens[0], opens[1]))
        return rows


def _matches(words, query):
    if not set(query.words) <= set(words):
        return False
    return all(any(tuple(words[i:i + len(p)]) == p for i in range(len(words))) for p in query.phrases)


class FakeSearchUnitOfWork(FakeUnitOfWork):
    def __init__(self):
        super().__init__()
        self.items = InMemoryItems()
        self.documents = InMemoryDocuments()
        self.now = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def uow():
    return FakeSearchUnitOfWork()


@pytest.fixture
def o(uow):
    return Office(uow)
