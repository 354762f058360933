"""Errors of the notify service, each mapped once to an HTTP status and a reason code."""
from eoffice_common.errors import Conflict, Forbidden, NotFound


class NotificationNotFound(NotFound):
    """Also raised for someone else's notification, so its existence is not revealed."""

    reason = "notification_not_found"


class DeadLetterNotFound(NotFound):
    reason = "dead_letter_not_found"


class AdminOnly(Forbidden):
    reason = "admin_only"


class AlreadyRetried(Conflict):
    reason = "already_retried"
