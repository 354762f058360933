"""JSON logs through structlog, every line carrying the service name and the correlation id."""
import logging
import sys

import structlog
from eventlet import patcher

from .errors import database_unreachable

_os_threading = patcher.original("threading")
_configured = {}


class _OneLineWithoutTraceback(logging.Filter):
    """nameko logs an entrypoint's expected exception (a refusal, answered 4xx) with its traceback, and
    a database it cannot reach as a fault with one. Neither is a bug to chase (a refusal is the caller's
    to correct, an outage shows in the database's own state): one warning line each, without it."""

    def filter(self, record):
        if record.exc_info and (record.levelno <= logging.WARNING or database_unreachable(record.exc_info[1])):
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_WORKER_LOG = logging.getLogger("nameko.containers")


def configure_logging(service_name, level="INFO"):
    """Route structlog and the standard library (nameko, kombu) through one JSON renderer."""
    if not any(isinstance(f, _OneLineWithoutTraceback) for f in _WORKER_LOG.filters):
        _WORKER_LOG.addFilter(_OneLineWithoutTraceback())
    if _configured.get("service") == service_name:
        return
    _configured["service"] = service_name
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service_name),
    ]
    structlog.configure(
        processors=shared + [structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    _lock_logging_with_os_locks()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


def _lock_logging_with_os_locks():
    """Let code in OS threads (eventlet's tpool: PDF rendering, pyHanko) log safely.

    Monkey-patching makes logging's module lock and every handler's lock green: an OS thread that
    meets one held elsewhere waits in a hub of its own that nobody wakes (eventlet issue #432), and
    the lock stays taken for every greenlet after it. Logging holds its locks only around work that
    never yields, so OS locks serialise threads and greenlets alike."""
    logging._lock = _os_threading.RLock()
    logging.threading = _os_threading  # locks of handlers made later (e.g. pytest's), and records' thread names
    for reference in list(logging._handlerList):
        handler = reference()
        if handler is not None:
            handler.lock = _os_threading.RLock()


def _add_service(service_name):
    def add_service(_logger, _method, event_dict):
        event_dict.setdefault("service", service_name)
        return event_dict

    return add_service


def get_logger(name=None):
    return structlog.get_logger(name)
