"""The only place SQL lives: items, links, handovers, documents with their grants, and the text index
(a tsvector column in PostgreSQL, an FTS5 table in SQLite)."""
from __future__ import annotations

import math
import time
from collections import Counter
from datetime import datetime

from sqlalchemy import and_, column, delete, exists, func, insert, literal_column, or_, select, table, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from eoffice_common.search import contains

from . import model
from .models import DocumentRow, GrantRow, HandoverRow, ItemRow, LinkRow
from .text import folded_words, tsvector_literal

PENDING, INDEXED, FAILED = "pending", "indexed", "failed"
# Words together in at least this share of the documents are common (Documents.words_less_selective_than_grants).
COMMON_WORD = 0.05
# The most common words and grants ANALYZE found, each with the share of documents holding it.
COMMON_ELEMENTS = text("""
    SELECT e.value, e.frequency
      FROM pg_stats s, unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(value, frequency)
     WHERE s.schemaname = current_schema() AND s.tablename = 'documents' AND s.attname IN ('tokens', 'granted')
       AND e.value IS NOT NULL""")
STATISTICS_SECONDS = 300
_COMMON_ELEMENTS: dict[str, tuple[float, dict[str, float]]] = {}  # database URL: (read at, frequencies)
# SQLite's FTS5 table of the documents' folded words (alembic 0001), rowid = documents.id.
DOCUMENT_WORDS = table("document_words", column("rowid"), column("words"), column("rank"))


class Items:
    def __init__(self, session):
        self.session = session

    def get(self, kind: str, item_id: str) -> model.Item:
        row = self.session.get(ItemRow, (kind, item_id))
        if row is None:
            return model.Item(kind, item_id)
        return self._item(row)

    def lock(self, kind: str, item_id: str) -> model.Item:
        """The item, locked until the commit (its row made first if no event made it yet): two events of one
        item applied at once (the consumer runs two batches together) take turns, so the later one sees
        what the earlier wrote, as a file's draft arriving with the file's creation must."""
        insert_row = (postgresql_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert)(ItemRow)
        self.session.execute(insert_row.values(kind=kind, id=item_id, readers=[]).on_conflict_do_nothing())
        row = self.session.execute(select(ItemRow).where(ItemRow.kind == kind, ItemRow.id == item_id).with_for_update()
                                   .execution_options(populate_existing=True)).scalar_one()
        return self._item(row)

    @staticmethod
    def _item(row: ItemRow) -> model.Item:
        return model.Item(row.kind, row.id, row.office, row.classification, row.number, row.subject, row.district,
                          row.dated, set(row.readers or ()))

    def save(self, item: model.Item) -> None:
        row = self.session.get(ItemRow, (item.kind, item.id))
        if row is None:
            row = ItemRow(kind=item.kind, id=item.id)
            self.session.add(row)
        row.office, row.classification, row.number, row.subject = item.office, item.classification, item.number, item.subject
        row.district, row.dated, row.readers = item.district, item.dated, sorted(item.readers)

    def links_of_receipt(self, receipt_id: str) -> list[model.Link]:
        rows = self.session.execute(select(LinkRow).where(LinkRow.receipt_id == receipt_id)).scalars()
        return [model.Link(r.receipt_id, r.file_id, r.linked_by, r.linked_at, r.correspondence_id) for r in rows]

    def receipts_in_file(self, file_id: str) -> list[str]:
        return list(self.session.execute(select(LinkRow.receipt_id).where(LinkRow.file_id == file_id)).scalars())

    def all_keys(self) -> list[tuple[str, str]]:
        return [tuple(row) for row in self.session.execute(select(ItemRow.kind, ItemRow.id).order_by(ItemRow.kind, ItemRow.id))]

    def add_link(self, link: model.Link) -> None:
        if self.session.get(LinkRow, (link.receipt_id, link.file_id)) is None:
            self.session.add(LinkRow(receipt_id=link.receipt_id, file_id=link.file_id, linked_by=link.linked_by,
                                     linked_at=link.linked_at, correspondence_id=link.correspondence_id))

    def add_handover(self, handover: model.Handover) -> None:
        if self.session.get(HandoverRow, (handover.file_id, handover.user, handover.at)) is None:
            self.session.add(HandoverRow(file_id=handover.file_id, user=handover.user, at=handover.at))

    def handovers_of(self, file_ids) -> list[model.Handover]:
        rows = self.session.execute(select(HandoverRow).where(HandoverRow.file_id.in_(list(file_ids)))).scalars()
        return [model.Handover(r.file_id, r.user, r.at) for r in rows]


class Documents:
    """Documents, their grants and their words in the text index."""

    def __init__(self, session):
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def upsert(self, item: model.Item, kind: str, source: str, now: datetime, title: str | None = None,
               body: str | None = None, key: str | None = None, content_type: str | None = None,
               dated=None, revision: int | None = None) -> int:
        """The document `source` of the item, made or found; with `body` it is indexed now, with a
        `key` it waits for its text to be extracted. Returns its id."""
        row = self.session.execute(select(DocumentRow).where(
            DocumentRow.item_kind == item.kind, DocumentRow.item_id == item.id, DocumentRow.source == source)).scalar()
        if row is None:
            row = DocumentRow(item_kind=item.kind, item_id=item.id, kind=kind, source=source, created_at=now, status=PENDING)
            self.session.add(row)
        row.title, row.number, row.office = title, item.number, item.office
        row.classification, row.dated = item.classification, dated or item.dated
        row.key, row.content_type, row.revision = key, content_type, revision
        self.session.flush()
        if body is not None:
            self.record_text(row.id, [body], now)
        return row.id

    def revision_of(self, item: model.Item, source: str) -> int | None:
        """Which version of a draft the document `source` holds the text of (None: none yet)."""
        return self.session.execute(select(DocumentRow.revision).where(
            DocumentRow.item_kind == item.kind, DocumentRow.item_id == item.id, DocumentRow.source == source)).scalar()

    def describe(self, item: model.Item) -> None:
        """The item's number, office and classification on each of its documents (filters)."""
        self.session.execute(update(DocumentRow).where(DocumentRow.item_kind == item.kind, DocumentRow.item_id == item.id)
                             .values(number=item.number, office=item.office, classification=item.classification))

    def move(self, kind: str, from_id: str, to_id: str, sources: list[str]) -> None:
        """The documents `sources` of one item, each with its parts (`source:n`), become the other item's."""
        if not sources:
            return
        self.session.execute(update(DocumentRow).where(
            DocumentRow.item_kind == kind, DocumentRow.item_id == from_id,
            or_(DocumentRow.source.in_(sources), *[DocumentRow.source.startswith(f"{source}:", autoescape=True) for source in sources]),
        ).values(item_id=to_id))

    def ids_of(self, kind: str, item_id: str) -> list[int]:
        return list(self.session.execute(select(DocumentRow.id).where(
            DocumentRow.item_kind == kind, DocumentRow.item_id == item_id)).scalars())

    def grant(self, document_ids: list[int], grants: model.Grants) -> None:
        """Replace the grants of these documents with `grants`."""
        if not document_ids:
            return
        self.session.execute(delete(GrantRow).where(GrantRow.document_id.in_(document_ids)))
        rows = [{"document_id": document_id, "grant": grant, "opens_kind": opens[0], "opens_id": opens[1]}
                for document_id in document_ids for grant, opens in sorted(grants.items())]
        if rows:
            self.session.execute(insert(GrantRow), rows)
        if self.dialect == "postgresql":
            self.session.execute(text("UPDATE documents SET granted = CAST(:granted AS text[]) WHERE id = ANY(:ids)"),
                                 {"granted": sorted(grants), "ids": list(document_ids)})

    def grants_of(self, document_id: int) -> set[str]:
        return set(self.session.execute(select(GrantRow.grant).where(GrantRow.document_id == document_id)).scalars())

    # --- extraction -----------------------------------------------------------------------------

    def pending(self, limit: int, skip=()) -> list[DocumentRow]:
        query = select(DocumentRow).where(DocumentRow.status == PENDING, DocumentRow.key.is_not(None))
        if skip:
            query = query.where(DocumentRow.id.not_in(list(skip)))
        return list(self.session.execute(query.order_by(DocumentRow.id).limit(limit)).scalars())

    def backlog(self) -> tuple[int, datetime | None]:
        """Documents waiting for their text, and when the oldest came."""
        count, oldest = self.session.execute(select(func.count(), func.min(DocumentRow.created_at)).where(
            DocumentRow.status == PENDING, DocumentRow.key.is_not(None))).one()
        return count, oldest

    def record_text(self, document_id: int, pages: list[str], now: datetime, note: str | None = None) -> None:
        starts, at = [], 0
        for page in pages:
            starts.append(at)
            at += len(page) + 1
        body = "\n".join(pages)
        self.session.execute(update(DocumentRow).where(DocumentRow.id == document_id).values(
            body=body, page_starts=starts, pages=len(pages), status=INDEXED, reason=note, indexed_at=now))
        self._index_words(document_id, body)

    def rewrite_words(self, document_id: int) -> None:
        """The document's words in the index again, from its kept text."""
        body = self.session.execute(select(DocumentRow.body).where(DocumentRow.id == document_id)).scalar()
        self._index_words(document_id, body or "")

    def _index_words(self, document_id: int, body: str) -> None:
        if self.dialect == "postgresql":
            self.session.execute(text("UPDATE documents SET tokens = CAST(:words AS tsvector) WHERE id = :id"),
                                 {"words": tsvector_literal(body), "id": document_id})
        else:
            self.session.execute(text("DELETE FROM document_words WHERE rowid = :id"), {"id": document_id})
            self.session.execute(text("INSERT INTO document_words (rowid, words) VALUES (:id, :words)"),
                                 {"id": document_id, "words": " ".join(folded_words(body))})

    def record_failure(self, document_id: int, reason: str, now: datetime, pages: int | None = None) -> None:
        """No text: whatever an earlier reading gave is forgotten with its words."""
        self.session.execute(update(DocumentRow).where(DocumentRow.id == document_id).values(
            status=FAILED, reason=reason, pages=pages, indexed_at=now, body=None, page_starts=None))
        if self.dialect == "postgresql":
            self.session.execute(text("UPDATE documents SET tokens = NULL WHERE id = :id"), {"id": document_id})
        else:
            self.session.execute(text("DELETE FROM document_words WHERE rowid = :id"), {"id": document_id})

    def get(self, document_id: int) -> DocumentRow | None:
        return self.session.get(DocumentRow, document_id)

    def all_ids(self, after: int, limit: int) -> list[int]:
        return list(self.session.execute(select(DocumentRow.id).where(DocumentRow.id > after)
                                         .order_by(DocumentRow.id).limit(limit)).scalars())

    def extract_again(self) -> int:
        """Every document with a source to read waits for its text again (reindex)."""
        return self.session.execute(update(DocumentRow).where(DocumentRow.key.is_not(None)).values(status=PENDING)).rowcount

    def failures(self) -> Counter:
        return Counter(dict(self.session.execute(select(DocumentRow.reason, func.count()).where(
            DocumentRow.status == FAILED).group_by(DocumentRow.reason)).all()))

    # --- search ---------------------------------------------------------------------------------

    def candidates(self, query, grants: tuple[str, ...], filters: dict, limit: int):
        """At most `limit` documents matching `query` that one of `grants` may read, in the order the
        index yields them (no sort: the database stops at `limit`): rows of (id, item_kind, item_id,
        kind, source, classification, rank)."""
        match, rank, source = self._match(query, grants)
        # A document with text is found, also while a reindex has it waiting to be read again.
        where = and_(match, DocumentRow.body.is_not(None), self._visible(grants), *self._filters(filters))
        # On the connection, not the session: a thousand plain rows, without the ORM's result processing.
        return self.session.connection().execute(
            select(DocumentRow.id, DocumentRow.item_kind, DocumentRow.item_id, DocumentRow.kind, DocumentRow.source,
                   DocumentRow.classification, rank.label("rank"))
            .select_from(source).where(where).limit(limit)
        ).all()

    def shown(self, document_ids: list[int], grants: tuple[str, ...]):
        """What a page of results shows of these documents, with what each opens for the caller: rows of
        (id, item_kind, item_id, kind, title, number, dated, body, page_starts, classification, source,
        opens_kind, opens_id)."""
        opens = (select(GrantRow.opens_kind, GrantRow.opens_id).where(GrantRow.document_id == DocumentRow.id, GrantRow.grant.in_(grants))
                 .order_by(GrantRow.opens_kind.desc()).limit(1).correlate(DocumentRow))
        return self.session.execute(
            select(DocumentRow.id, DocumentRow.item_kind, DocumentRow.item_id, DocumentRow.kind, DocumentRow.title,
                   DocumentRow.number, DocumentRow.dated, DocumentRow.body, DocumentRow.page_starts, DocumentRow.classification,
                   DocumentRow.source,
                   opens.with_only_columns(GrantRow.opens_kind).scalar_subquery().label("opens_kind"),
                   opens.with_only_columns(GrantRow.opens_id).scalar_subquery().label("opens_id"))
            .where(DocumentRow.id.in_(document_ids))
        ).all()

    def _visible(self, grants):
        """A document one of `grants` may read. PostgreSQL: its `granted` array (GIN-indexed, alembic 0002)
        meets the caller's, so the planner intersects both indexes; SQLite: a grant row exists."""
        if self.dialect == "postgresql":
            return text("documents.granted && CAST(:grants AS text[])").bindparams(grants=list(grants))
        return exists().where(GrantRow.document_id == DocumentRow.id, GrantRow.grant.in_(grants))

    def _match(self, query, grants):
        if self.dialect == "postgresql":
            tsquery = text("CAST(:tsquery AS tsquery)").bindparams(tsquery=query.tsquery())
            tokens = literal_column("documents.tokens")
            match = tokens.op("@@")(tsquery)
            if self.words_less_selective_than_grants(query, grants):
                # Not an index condition: the grants' index picks the documents, the words are checked on them.
                match = match.is_(True)
            return match, func.ts_rank(tokens, tsquery), DocumentRow.__table__
        match = text("document_words MATCH :fts5").bindparams(fts5=query.fts5())
        # FTS5's rank is bm25(), smaller for a better match.
        rank = -DOCUMENT_WORDS.c.rank
        return match, rank, DocumentRow.__table__.join(DOCUMENT_WORDS, DOCUMENT_WORDS.c.rowid == DocumentRow.id)

    def words_less_selective_than_grants(self, query, grants) -> bool:
        """Whether the words asked for are together in so many documents (PostgreSQL's statistics of the
        words and grants columns) that the word index would narrow less than the caller's grants do. The planner
        then still intersects both indexes, and reading a posting list of most of the table costs more
        than it estimates (a phrase of the two commonest words over 1M documents: 355 ms for the word
        index alone; BENCHMARKS.md as of c698056, and docs/decisions/0103)."""
        frequencies = self._common_elements()
        # The share holding all the words, as if they were independent: what the word index narrows to.
        all_words = math.prod(frequencies.get(word, 0.0) for word in query.all_words)
        caller_share = sum(frequencies.get(grant, 0.0) for grant in grants)
        return all_words >= max(COMMON_WORD, 2 * caller_share)

    def _common_elements(self) -> dict[str, float]:
        """The statistics' most common words and grants with their shares, read again at most every
        STATISTICS_SECONDS (they change only when the table is analysed; planning the pg_stats view costs
        milliseconds a search)."""
        database = str(self.session.get_bind().engine.url)
        read_at, frequencies = _COMMON_ELEMENTS.get(database, (float("-inf"), {}))
        if time.monotonic() - read_at > STATISTICS_SECONDS:
            frequencies = dict(self.session.execute(COMMON_ELEMENTS).all())
            _COMMON_ELEMENTS[database] = (time.monotonic(), frequencies)
        return frequencies

    @staticmethod
    def _filters(filters: dict) -> list:
        found = []
        if filters.get("types"):
            found.append(DocumentRow.kind.in_(filters["types"]))
        if filters.get("office"):
            found.append(DocumentRow.office == filters["office"])
        if filters.get("classification"):
            found.append(DocumentRow.classification == filters["classification"])
        if filters.get("date_from"):
            found.append(DocumentRow.dated >= filters["date_from"])
        if filters.get("date_to"):
            found.append(DocumentRow.dated <= filters["date_to"])
        if filters.get("number"):
            found.append(contains(func.lower(DocumentRow.number), filters["number"].lower()))
        return found



class SearchUnitOfWork:
    """The use cases' view of a unit of work (eoffice_common.db.UnitOfWork): its repositories and clock."""

    def __init__(self, uow, now: datetime):
        self._uow = uow
        self.now = now
        self.items = Items(uow.session)
        self.documents = Documents(uow.session)

    def commit(self) -> None:
        self._uow.commit()

    @property
    def committed(self) -> bool:
        return self._uow.committed
