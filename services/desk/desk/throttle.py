"""Password sign-ins throttled per account and per client address. Attempts are counted in the
desk's database, so replicas share the count; each is counted before its password is checked, so
that attempts made at the same moment count against one another."""
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

from . import domain, repository
from .exceptions import SignInThrottled


@dataclass(frozen=True)
class Attempt:
    row_ids: list
    account_key: str


def _digest(value):
    return hashlib.sha256(value.encode()).hexdigest()


class SignInThrottle:
    def __init__(self, db, config):
        self.db = db
        self.limits = domain.sign_in_limits(config)
        self.trusted_proxies = int(config.get("TRUSTED_PROXIES", 0))

    def begin(self, user_id, remote_addr, forwarded_for):
        """This attempt, counted; SignInThrottled (and nothing counted) if its account or its address
        (the client's, seen through the trusted proxies' X-Forwarded-For) has had too many within the window."""
        address = domain.client_address(remote_addr, forwarded_for, self.trusted_proxies)
        keys = {"account": _digest(user_id), "address": _digest(address)}
        now = datetime.now(timezone.utc)
        with self.db.unit_of_work() as uow:
            row_ids = repository.start_sign_in_attempt(uow.session, keys, now)
            repository.end_old_sign_in_attempts(uow.session, now - max(limit.window for limit in self.limits))
            uow.commit()
        with self.db.read() as session:
            waits = [
                (domain.seconds_to_wait(repository.other_attempts(session, limit.scope, keys[limit.scope], now - limit.window, row_ids),
                                        limit, now), limit.scope)
                for limit in self.limits
            ]
        wait, scope = max(waits)
        if wait:
            self._forget(row_ids)
            raise SignInThrottled(scope, wait)
        return Attempt(row_ids, keys["account"])

    def succeeded(self, attempt):
        """A right password: the account starts afresh, and the address is not charged for it."""
        self._forget(attempt.row_ids, attempt.account_key)

    def _forget(self, row_ids, account_key=None):
        with self.db.unit_of_work() as uow:
            repository.forget_sign_in_attempts(uow.session, row_ids, account_key)
            uow.commit()
