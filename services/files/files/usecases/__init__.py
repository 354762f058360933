"""The files service's use cases: one function per use case, (command, uow) -> answer, by aggregate part.
Each loads what it needs through the unit of work's repositories, lets the file change itself (model.py),
commits, and returns the answer the route gives (kept under an Idempotency-Key in the same transaction)."""
from datetime import datetime, timezone

from prometheus_client import Counter

FILES_CREATED = Counter("eoffice_files_created_total", "Files created (volumes and parts included).", ["kind", "numbering"])
FILE_MOVEMENTS = Counter("eoffice_files_movements_total", "File movements.", ["action"])
FILE_ACTIONS = Counter("eoffice_files_actions_total", "Other actions on files.", ["action"])
RECEIPTS_LINKED = Counter("eoffice_files_receipts_linked_total", "Receipts put in files (from dak).")
DOCUMENT_BYTES = Counter("eoffice_files_document_bytes_total", "Bytes of documents attached or copied in.")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
