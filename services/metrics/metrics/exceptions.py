"""Errors of the metrics service, each mapped once to an HTTP status and a reason code."""
from eoffice_common.errors import Forbidden, InvalidInput, NotFound


class UnknownWeek(NotFound):
    """A week with no scores: before the first event, in the future, or not scored yet."""

    reason = "unknown_week"


class UnknownUnit(NotFound):
    reason = "unknown_unit"


class UnknownLevel(NotFound):
    reason = "unknown_level"


class NotYourOffice(Forbidden):
    """MIS reports beyond the caller's jurisdiction (their office, or the district, department or
    state a role of the directory gives them)."""

    reason = "not_your_office"


class AdminOnly(Forbidden):
    reason = "admin_only"


class InvalidRange(InvalidInput):
    reason = "invalid_range"
