"""What letter emails and sender acknowledgements share: messages to people outside the deployment, each a
row claimed ('sending', an attempt counted, committed) before it leaves, then settled by how it went."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import inspect, select

from . import domain
from .channels import DeliveryError

PENDING, SENDING, SENT, FAILED, UNKNOWN = "pending", "sending", "sent", "failed", "unknown"


def claim_due(session, model, now: datetime, limit: int) -> list:
    """Up to `limit` due rows of `model` marked 'sending'; the caller commits before sending them."""
    claimed = session.execute(
        select(model).where(model.status == PENDING, model.due_at <= now)
        .order_by(model.due_at).limit(limit).with_for_update(skip_locked=True)
    ).scalars().all()
    for row in claimed:
        row.status, row.attempts = SENDING, row.attempts + 1
    return claimed


def settle(row, error: DeliveryError | None, at: datetime, settings: domain.Settings, sent: str = SENT, failed: str = FAILED) -> bool:
    """`sent`; pending again after a transient failure (returns False: not settled); `failed` after a permanent
    one or the last attempt; unknown when the other side may have it (never resent on its own)."""
    if error is None:
        row.status, row.sent_at, row.failure = sent, at, None
        return True
    row.failure = str(error)
    if domain.after_failure(error.failure, row.attempts, settings.max_attempts) == "retry":
        row.status, row.due_at = PENDING, at + domain.retry_delay(row.attempts, settings.retry_base_seconds, settings.retry_max_seconds)
        return False
    row.status = UNKNOWN if error.failure == domain.UNKNOWN else failed
    return True


@dataclass(frozen=True)
class Outcome:
    """How sending one claimed row went: the row's primary key, the error (None: it went) and when."""

    key: tuple
    error: DeliveryError | None
    at: datetime


def send_each(claimed: list, send: Callable, now: Callable[[], datetime]) -> list[Outcome]:
    """`send` called on each claimed row; a DeliveryError it raises is that row's outcome."""
    outcomes = []
    for row in claimed:
        try:
            send(row)
            error = None
        except DeliveryError as exc:
            error = exc
        outcomes.append(Outcome(inspect(row).identity, error, now()))
    return outcomes
