"""Wakes the notification streams (server-sent events) of a user when their inbox changes.

A writer in this process announces after its commit; writers in other replicas are heard through
PostgreSQL LISTEN/NOTIFY (the writing transaction calls pg_notify, delivered at commit). A stream
woken re-reads the inbox from its last `seq`, so a missed wake-up only delays it to the next
keep-alive, it loses nothing.
"""
import threading
from collections import defaultdict

import eventlet
from eventlet.hubs import trampoline
from nameko.extensions import SharedExtension

from eoffice_common.engine import DatabaseEngine
from eoffice_common.logging import get_logger

from .repository import INBOX_CHANNEL

log = get_logger(__name__)

LISTEN_TIMEOUT_SECONDS = 30


class Subscription:
    def __init__(self, user_id):
        self.user_id = user_id
        self._event = threading.Event()

    def wake(self):
        self._event.set()

    def clear(self):
        self._event.clear()

    def wait(self, timeout):
        """True if woken, False after `timeout` seconds of quiet."""
        return self._event.wait(timeout)


class InboxFeed(SharedExtension):
    shared = DatabaseEngine()

    def setup(self):
        self._subscriptions = defaultdict(set)
        self._stopping = False
        self._listener = None

    def start(self):
        self._stopping = False
        if self._listener is None and not self.shared.is_sqlite:
            self._listener = self.container.spawn_managed_thread(self._listen)

    def stop(self):
        self._stopping = True
        if self._listener is not None:
            self._listener.kill()
            self._listener = None

    kill = stop

    def subscribe(self, user_id):
        subscription = Subscription(user_id)
        self._subscriptions[user_id].add(subscription)
        return subscription

    def unsubscribe(self, subscription):
        subscribers = self._subscriptions.get(subscription.user_id)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscriptions[subscription.user_id]

    def announce(self, user_ids):
        for user_id in set(user_ids):
            for subscription in list(self._subscriptions.get(user_id, ())):
                subscription.wake()

    def _wake_everyone(self):
        for subscribers in list(self._subscriptions.values()):
            for subscription in list(subscribers):
                subscription.wake()

    def _listen(self):
        backoff = 0.5
        while not self._stopping:
            try:
                raw = self.shared.engine.raw_connection()
                connection = raw.dbapi_connection
                raw.detach()  # it stays in LISTEN mode: never back to the pool
                try:
                    connection.autocommit = True
                    with connection.cursor() as cursor:
                        cursor.execute(f"LISTEN {INBOX_CHANNEL}")
                    backoff = 0.5
                    self._wake_everyone()  # anything written while we were not listening
                    self._relay_notifications(connection)
                finally:
                    raw.close()
            except Exception as exc:  # the database went away: listen again when it is back
                log.warning("inbox_listen_failed", error=f"{type(exc).__name__}: {exc}", retry_in=backoff)
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, 10)

    def _relay_notifications(self, connection):
        while not self._stopping:
            try:
                trampoline(connection, read=True, timeout=LISTEN_TIMEOUT_SECONDS, timeout_exc=TimeoutError)
            except TimeoutError:
                continue
            connection.poll()
            users = {note.payload for note in connection.notifies}
            connection.notifies.clear()
            self.announce(users)
