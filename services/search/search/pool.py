"""The extraction workers: documents waiting for their text are read here, page by page, with at most
OCR_WORKERS pages on OS threads at once, apart from the event intake (which only records them).

Metrics are touched only on the green side: prometheus_client's locks are green once patched."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import eventlet
from eventlet import tpool
from eventlet.semaphore import Semaphore
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.orm import Session

from eoffice_common.errors import ServiceError
from eoffice_common.logging import get_logger

from . import extraction
from .repository import Documents
from .usecases import Extracted

log = get_logger(__name__)

PAGES_WAITING = Gauge("eoffice_search_pages_waiting", "Pages of documents being read that wait for OCR.")
PAGES_READ = Counter("eoffice_search_pages_read_total", "Pages whose text was taken, by how.", ["method"])
OCR_SECONDS = Histogram("eoffice_search_ocr_page_seconds", "Seconds to OCR one page (orientation and text).",
                        buckets=(0.5, 1, 2, 4, 8, 15, 30, 60, 120))
DOCUMENTS_READ = Counter("eoffice_search_documents_read_total", "Documents read, by outcome (indexed, or why not).", ["outcome"])


def outcome_of(reason: str | None) -> str:
    """A bounded label for a failure's reason."""
    if reason is None:
        return "indexed"
    for word in ("encrypted", "unreadable", "no pages", "no text", "not in the store", "OCR"):
        if word in reason:
            return word.replace(" ", "_").lower()
    return "other"


class ExtractionPool:
    def __init__(self, workers: int, max_pages: int):
        self.workers = workers
        self.max_pages = max_pages
        self._pages = Semaphore(workers)

    def extract(self, document_id: int, read, content_type: str | None) -> Extracted:
        """The text of one document (`read()` gives its bytes), or why it has none."""
        try:
            data = read()
            plan = tpool.execute(extraction.plan, data, content_type, self.max_pages)
        except extraction.Unreadable as exc:
            return self._counted(Extracted(document_id, failure=str(exc)))
        except ServiceError as exc:  # the store: not there, or not matching its checksum
            return self._counted(Extracted(document_id, failure=f"document not in the store ({exc.reason})"))
        texts = list(plan.texts)
        waiting = [number for number, text in enumerate(texts) if text is None]
        PAGES_READ.labels("text_layer").inc(len(texts) - len(waiting))
        PAGES_WAITING.inc(len(waiting))
        pile = eventlet.GreenPile(max(1, len(waiting)))
        for number in waiting:
            pile.spawn(self._ocr, data, number)
        failure = None
        for number, outcome in zip(waiting, pile, strict=True):
            if isinstance(outcome, extraction.Unreadable):
                failure = failure or str(outcome)
                texts[number] = ""
            else:
                texts[number] = outcome
        if not any(extraction.words(text) for text in texts):
            return self._counted(Extracted(document_id, failure=failure or "no text", page_count=plan.page_count))
        note = f"only the first {self.max_pages} of {plan.truncated_from} pages" if plan.truncated_from else None
        return self._counted(Extracted(document_id, pages=texts, page_count=plan.page_count, note=note))

    def _ocr(self, data: bytes, number: int):
        with self._pages:
            started = time.monotonic()
            try:
                return tpool.execute(extraction.ocr_page, data, number)
            except extraction.Unreadable as exc:
                return exc
            finally:
                PAGES_WAITING.dec()
                PAGES_READ.labels("ocr").inc()
                OCR_SECONDS.observe(time.monotonic() - started)

    @staticmethod
    def _counted(result: Extracted) -> Extracted:
        DOCUMENTS_READ.labels("truncated" if result.note else outcome_of(result.failure)).inc()
        return result


class BacklogCollector:
    """Documents waiting for their text and the age of the oldest, read from the database at scrape time."""

    def __init__(self):
        self.engines = {}

    def collect(self):
        waiting = GaugeMetricFamily("eoffice_search_documents_waiting", "Documents waiting for their text.")
        oldest = GaugeMetricFamily("eoffice_search_oldest_waiting_seconds", "Age of the oldest document waiting for its text.")
        for engine in list(self.engines.values()):
            try:
                with Session(engine) as session:
                    count, since = Documents(session).backlog()
            except Exception as exc:  # a scrape must not fail because the database is briefly away
                log.warning("search_backlog_unavailable", error=str(exc))
                continue
            waiting.add_metric([], count)
            age = (datetime.now(timezone.utc) - since).total_seconds() if since else 0.0
            oldest.add_metric([], max(age, 0.0))
        return [waiting, oldest]


BACKLOG_COLLECTOR = BacklogCollector()
REGISTRY.register(BACKLOG_COLLECTOR)
