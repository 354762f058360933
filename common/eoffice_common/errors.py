"""Typed errors, each mapped once to an HTTP status and a machine-readable reason."""
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# PostgreSQL's text cannot hold U+0000: input carrying it is refused with this reason per field.
NUL_REFUSED = "U+0000 (NUL) is not allowed in text"


class ServiceError(Exception):
    status = 500
    reason = "internal_error"

    def __init__(self, message, *, reason=None, fields=None):
        super().__init__(message)
        self.message = message
        if reason:
            self.reason = reason
        self.fields = fields or {}

    def to_dict(self):
        body = {"error": self.reason, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class BadRequest(ServiceError):
    status = 400
    reason = "bad_request"


class Unauthenticated(ServiceError):
    status = 401
    reason = "unauthenticated"


class Forbidden(ServiceError):
    status = 403
    reason = "forbidden"


class NotFound(ServiceError):
    status = 404
    reason = "not_found"


class Conflict(ServiceError):
    status = 409
    reason = "conflict"


class PayloadTooLarge(ServiceError):
    status = 413
    reason = "payload_too_large"


class BodyTooLarge(PayloadTooLarge):
    """A request body over the route's limit, refused before (or as soon as) it crosses it."""

    reason = "body_too_large"

    def __init__(self, limit):
        super().__init__(f"The request body is larger than {limit} bytes")
        self.limit = limit

    def to_dict(self):
        return {**super().to_dict(), "limit": self.limit}


class UnsupportedMediaType(ServiceError):
    status = 415
    reason = "unsupported_media_type"


class InvalidInput(ServiceError):
    status = 422
    reason = "invalid_input"


def database_unreachable(exc):
    """Whether `exc` says the database could not be reached: a connection refused or lost, or none
    free in the pool in time. (Other database errors, a deadlock or a constraint, are not outages.)"""
    if isinstance(exc, (DisconnectionError, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    connecting = isinstance(exc, OperationalError) and exc.statement is None
    return exc.connection_invalidated or connecting


def invalid_input_from_pydantic(exc, message="Some fields are not valid"):
    """A pydantic ValidationError as a 422 with one reason per field (dotted path)."""
    fields = {}
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(path, error["msg"])
    return InvalidInput(message, fields=fields)
