"""The search service's entrypoints: consume what dak and files announce, read waiting documents'
text on the extraction pool, answer searches."""
import os
from datetime import datetime, timezone

import eventlet
from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from eoffice_common import web
from eoffice_common.consumer import consume_events
from eoffice_common.db import Database
from eoffice_common.engine import DatabaseEngine
from eoffice_common.events import Envelope
from eoffice_common.metrics import Instrumentation
from eoffice_common.storage import DocumentStore
from eoffice_common.web import Caller, http, query_args, require_caller

from . import usecases
from .events import CONSUMED, DATA_OF
from .pool import BACKLOG_COLLECTOR, ExtractionPool
from .repository import SearchUnitOfWork
from .schemas import SearchQuery

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")


def utcnow():
    return datetime.now(timezone.utc)


class Extraction(DependencyProvider):
    """The extraction pool, sized by OCR_WORKERS (pages on OS threads at once) and MAX_PAGES (per document)."""

    shared = DatabaseEngine()

    def setup(self):
        config = self.container.config
        self.pool = ExtractionPool(int(config.get("OCR_WORKERS") or 1), int(config.get("MAX_PAGES") or 100))

    def start(self):
        BACKLOG_COLLECTOR.engines[self.container.service_name] = self.shared.engine

    def stop(self):
        BACKLOG_COLLECTOR.engines.pop(self.container.service_name, None)

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.pool


class SearchService(web.DescribedService):
    name = "search"
    openapi_path = OPENAPI_PATH

    db = Database()
    caller = Caller()
    log = Instrumentation()
    config = Config()
    # Every service's documents are read (scans are dak's, attachments files'): no prefix of its own.
    documents = DocumentStore("")
    extraction = Extraction()

    @consume_events(CONSUMED)
    def apply_event(self, payload):
        """One event of dak or files, applied once: items, grants, documents to read."""
        self.db.apply_once(payload, self._apply)

    def _apply(self, uow, envelope: Envelope):
        event = usecases.Consumed(envelope.type, DATA_OF[envelope.type].model_validate(envelope.data),
                                  datetime.fromisoformat(envelope.occurred_at), envelope.actor)
        usecases.apply_event(event, SearchUnitOfWork(uow, utcnow()))

    @timer(interval=1)
    def read_waiting_documents(self):
        """The oldest documents waiting for their text, a pool's worth at once."""
        pool = self.extraction
        with self.db.unit_of_work() as uow:
            waiting = [(row.id, row.key, row.content_type) for row in SearchUnitOfWork(uow, utcnow()).documents.pending(pool.workers * 2)]
        pile = eventlet.GreenPile(max(1, len(waiting)))
        for document_id, key, content_type in waiting:
            pile.spawn(pool.extract, document_id, lambda key=key: self.documents.get(key), content_type)
        for result in pile:
            with self.db.unit_of_work() as uow:
                usecases.record_extraction(result, SearchUnitOfWork(uow, utcnow()))

    @http("GET", "/search")
    def search(self, request):
        """Documents holding the words, among those the caller may open."""
        principal = require_caller(self.caller)
        query = query_args(request, SearchQuery)
        command = usecases.SearchCommand(
            user=principal.user_id, office=principal.office, q=query.q, types=tuple(query.type or ()),
            office_filter=query.office, classification=query.classification, date_from=query.date_from,
            date_to=query.date_to, number=query.number, page=query.page, per_page=query.per_page)
        with self.db.unit_of_work() as uow:
            return usecases.search(command, SearchUnitOfWork(uow, utcnow()))
