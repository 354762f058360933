"""Errors of the desk, each mapped once to an HTTP status and a reason code (shown as a page)."""
import math

from eoffice_common.errors import BadRequest, Forbidden, NotFound, ServiceError, Unauthenticated


class SignInRequired(Unauthenticated):
    reason = "sign_in_required"


class BadCredentials(Unauthenticated):
    reason = "bad_credentials"


class SignInThrottled(ServiceError):
    """Too many password sign-ins failed for the account typed, or from the client's address."""

    status = 429
    reason = "sign_in_throttled"

    def __init__(self, scope, retry_after):
        super().__init__(f"too many sign-in attempts by {scope}: try again in {retry_after} s")
        self.scope = scope
        self.retry_after = retry_after

    @property
    def params(self):
        return {"minutes": math.ceil(self.retry_after / 60)}


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


class OtherDistrictToConfirm(ServiceFailure):
    """The Send dialog named an officer of another district: the desk asks the sender to confirm that
    before anything is sent (a wrong-district send is easy with namesakes in every district)."""

    def __init__(self, chosen, elsewhere):
        super().__init__("desk", 409, "confirm_other_district",
                         "confirm sending to " + ", ".join(f"{p['id']} ({p['district']})" for p in elsewhere))
        self.chosen = chosen
        self.elsewhere = elsewhere
