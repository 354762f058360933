"""Errors of the desk, each mapped once to an HTTP status and a reason code (shown as a page)."""
from eoffice_common.errors import BadRequest, Forbidden, NotFound, ServiceError, Unauthenticated


class SignInRequired(Unauthenticated):
    reason = "sign_in_required"


class BadCredentials(Unauthenticated):
    reason = "bad_credentials"


class CsrfRejected(Forbidden):
    """A form that did not carry this session's token: possibly sent from another site."""

    reason = "csrf_token_invalid"


class PageNotFound(NotFound):
    reason = "page_not_found"


class UnknownAction(BadRequest):
    reason = "unknown_action"


class ServiceFailure(ServiceError):
    """A service answered with an error: its status, reason code, message and field reasons."""

    def __init__(self, service, status, reason, message, fields=None):
        super().__init__(message, reason=reason, fields=fields)
        self.service = service
        self.status = status


class ServiceUnavailable(ServiceError):
    status = 503
    reason = "service_unavailable"

    def __init__(self, service, message):
        super().__init__(message)
        self.service = service
