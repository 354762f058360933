"""`Idempotency-Key` on the routes that create or move something: a retry with the same key and
body gets the first answer instead of the work done again.

The HTTP entrypoint of a route declared `idempotent=True` reads the key, fingerprints the request
(method, path, type and body) and looks the key up: answered before for the same fingerprint, it
answers the same again; for another, 422 `idempotency_key_reused`. Otherwise the route runs, and the
request's KeyedRequest travels with it (in the WSGI environ) to every unit of work it opens. The
unit of work takes the key with its transaction's first statement and keeps the route's answer
under it when it commits (`uow.commit(answer)`; committing without the answer raises, writing
nothing), so a write and its key's answer commit together or not at all. A second
request with the same key while the first is in flight waits for the first transaction to end at
that statement, then gets the first answer.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.wrappers import Request

from .errors import BadRequest, Conflict, ServiceError
from .jsontext import dumps
from .tables import idempotency_keys

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# How long an answer is kept under its key (config IDEMPOTENCY_KEY_HOURS): a retry after that is new.
DEFAULT_KEEP_HOURS = 24
_ENVIRON_KEY = "eoffice.keyed_request"

_TAKE_KEY = {
    name: dialect.insert(idempotency_keys).on_conflict_do_nothing()
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


class IdempotencyKeyInvalid(BadRequest):
    reason = "idempotency_key_invalid"


class IdempotencyKeyReused(ServiceError):
    status = 422
    reason = "idempotency_key_reused"


class IdempotencyKeyInUse(Conflict):
    """Raised where a transaction takes a key that another committed while it waited: the entrypoint
    then answers with what the other kept, and only if there is none with this 409."""

    reason = "idempotency_key_in_use"


@dataclass(frozen=True)
class StoredAnswer:
    request_sha256: str
    status: int
    body: str


@dataclass
class KeyedRequest:
    """An HTTP request carrying an Idempotency-Key, as its route's units of work see it."""

    user_id: str
    key: str
    request_sha256: str
    answered: bool = False

    @classmethod
    def of(cls, request, user_id):
        """The request's key and fingerprint, or None if it carries no key; 400
        `idempotency_key_invalid` for a key that is not 1 to 255 visible ASCII characters."""
        key = request.headers.get(HEADER)
        if key is None:
            return None
        if not 0 < len(key) <= MAX_KEY_LENGTH or not all("!" <= character <= "~" for character in key):
            raise IdempotencyKeyInvalid(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters")
        return cls(user_id, key, request_sha256(request))

    def attach_to(self, request):
        request.environ[_ENVIRON_KEY] = self

    def stored_answer(self, connection):
        row = connection.execute(
            select(idempotency_keys.c.request_sha256, idempotency_keys.c.status, idempotency_keys.c.body)
            .where(idempotency_keys.c.user_id == self.user_id, idempotency_keys.c.key == self.key)
        ).first()
        return StoredAnswer(*row) if row and row.status is not None else None

    def answer_for_this_request(self, stored):
        """The stored answer if it answers this very request; 422 if the key answered another."""
        if stored.request_sha256 != self.request_sha256:
            raise IdempotencyKeyReused(f"this {HEADER} was used for another request; use a new key for a new request")
        return stored

    def take(self, connection):
        """The first statement of a write's transaction: the key's row, which a concurrent transaction
        taking the same key waits for. Raises IdempotencyKeyInUse if a transaction committed it meanwhile."""
        taken = connection.execute(_TAKE_KEY[connection.dialect.name], {
            "user_id": self.user_id, "key": self.key, "request_sha256": self.request_sha256,
            "created_at": datetime.now(timezone.utc),
        })
        if taken.rowcount == 0:
            raise IdempotencyKeyInUse(f"a request with this {HEADER} is being or was carried out")

    def keep(self, connection, answer):
        """Keep `answer` (what the route returns: a payload, or (status, payload)) under the key, in the
        transaction that took it."""
        status, payload = answer if isinstance(answer, tuple) else (200, answer)
        connection.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.user_id == self.user_id, idempotency_keys.c.key == self.key)
            .values(status=status, body=dumps(payload))
        )
        self.answered = True


def keyed_request_of(worker_ctx):
    """The KeyedRequest of the HTTP request a worker answers, or None."""
    request = worker_ctx.args[0] if worker_ctx.args else None
    return request.environ.get(_ENVIRON_KEY) if isinstance(request, Request) else None


def request_sha256(request):
    """The fingerprint of a request's method, path, type and body. A multipart body counts by its
    fields and files, not its bytes: a client retrying an upload chooses a new boundary."""
    digest = hashlib.sha256("\n".join((request.method, request.path, request.mimetype)).encode())
    if request.mimetype == "multipart/form-data":
        files = []
        for name, upload in request.files.items(multi=True):
            files.append((name, upload.filename, hashlib.sha256(upload.stream.read()).hexdigest()))
            upload.stream.seek(0)
        parts = {"form": sorted(request.form.items(multi=True)), "files": sorted(files)}
        digest.update(json.dumps(parts, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def forget_keys_older_than(connection, hours):
    """Delete the answers kept longer than `hours`; returns how many."""
    cutoff = datetime.now(timezone.utc) - timedelta(hours=hours)
    return connection.execute(delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff)).rowcount
