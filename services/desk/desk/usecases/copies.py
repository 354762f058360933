"""The events the desk consumes (it publishes none), applied to its copies: dak's directory, acting
charges and receipts' hand-overs. Each is an effect of the shared pipeline, `db.apply_once(payload, effect)`:
it runs with the event's tracking row in one transaction."""
from datetime import datetime

from .. import repository


def _occurred_at(envelope):
    return datetime.fromisoformat(envelope.occurred_at)


def _require(data, names):
    missing = [n for n in names if not data.get(n)]
    if missing:
        # Raised as KeyError: apply_once dead-letters it, retrying would never help.
        raise KeyError(f"missing {', '.join(missing)}")


def record_directory_effect(uow, envelope):
    repository.record_directory_event(uow.session, envelope)


def record_receipt_sent_effect(uow, envelope):
    _require(envelope.data, ("receipt_id", "from_user", "to_user"))
    repository.record_receipt_sent(uow.session, envelope.data, _occurred_at(envelope))


def record_acting_charge_effect(uow, envelope):
    _require(envelope.data, ("charge_id", "absent_user", "acting_user", "from_date", "to_date"))
    repository.record_acting_charge(uow.session, envelope.data, ended=envelope.type == "acting_charge_ended")
