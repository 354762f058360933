"""Events the desk consumes (it publishes none): dak's directory and receipts' hand-overs, applied
to its copies of them."""
from datetime import datetime

from . import repository

USER_FIELDS = ("user_id", "office", "name_en", "name_hi", "designation_en", "designation_hi")


def _occurred_at(envelope):
    return datetime.fromisoformat(envelope.occurred_at)


def _require(data, names):
    missing = [n for n in names if not data.get(n)]
    if missing:
        # Raised as KeyError: apply_once dead-letters it, retrying would never help.
        raise KeyError(f"missing {', '.join(missing)}")


def record_user_effect(uow, envelope):
    _require(envelope.data, USER_FIELDS)
    repository.record_user(uow.session, envelope.data, _occurred_at(envelope))


def record_office_effect(uow, envelope):
    _require(envelope.data, ("office", "district", "name_en", "name_hi"))
    repository.record_office(uow.session, envelope.data, _occurred_at(envelope))


def record_receipt_sent_effect(uow, envelope):
    _require(envelope.data, ("receipt_id", "from_user", "to_user"))
    repository.record_receipt_sent(uow.session, envelope.data, _occurred_at(envelope))


def apply_snapshot(session, snapshot, taken_at):
    """dak.directory_snapshot(), for an empty copy: every office and user as of `taken_at`."""
    for office in snapshot.get("offices", []):
        repository.record_office(session, office, taken_at)
    for user in snapshot.get("users", []):
        repository.record_user(session, user, taken_at)
    session.flush()
