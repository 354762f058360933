"""The desk's use cases: what each page shows and what each form does, as functions of a command (a
small frozen dataclass of what the request said) and the ports they need (`Desk`: the services as the
caller, the desk's own store, today). Each answers a `Page` to render, a `Redirect` or a `Json`
answer; the entrypoints in service.py only parse the request, call one and answer with what it gives.
Nothing here knows nameko, werkzeug or Jinja."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import eventlet
from prometheus_client import Counter

from .. import domain
from ..domain import FormValues
from ..exceptions import OtherDistrictToConfirm, ServiceFailure, ServiceUnavailable
from ..i18n import Translator

FORMS = Counter("eoffice_desk_forms_total", "Forms relayed to a service, by form and outcome.", ["form", "outcome"])
INBOX_PAGE = 50
EMPTY = FormValues()


class ServiceCalls(Protocol):
    """The other services' HTTP APIs, called as the signed-in user (clients.ServiceCalls)."""

    def request(self, service: str, method: str, path: str, **kwargs) -> Any: ...
    def json(self, service: str, method: str, path: str, **kwargs) -> Any: ...
    def get(self, service: str, path: str, **kwargs) -> Any: ...
    def post(self, service: str, path: str, **kwargs) -> Any: ...
    def put(self, service: str, path: str, **kwargs) -> Any: ...


@dataclass(frozen=True)
class Desk:
    """The ports of the use cases."""

    services: ServiceCalls
    store: Any  # repository.DeskStore, or a fake of it
    today: Callable[[], date] = domain.today_ist


@dataclass(frozen=True)
class Upload:
    """A file sent with a form: its name, its bytes as a stream, its content type."""

    filename: str
    stream: Any
    mimetype: str

    def as_part(self):
        return (self.filename, self.stream, self.mimetype)


@dataclass(frozen=True)
class Page:
    """A page to render: its template and context (the entrypoint adds the session's)."""

    template: str
    context: dict = field(default_factory=dict)
    status: int = 200


@dataclass(frozen=True)
class Redirect:
    """Post/redirect/get, with a message (a `flash.` key and its value) for the next page."""

    location: str
    flash: str | None = None
    value: str = ""


@dataclass(frozen=True)
class Json:
    payload: Any
    status: int = 200
    flash: str | None = None
    value: str = ""


def attempt(call, *args, **kwargs):
    """(answer, None), or (None, the failure) when a service is away: a page shows what it has."""
    try:
        return call(*args, **kwargs), None
    except (ServiceFailure, ServiceUnavailable) as failure:
        return None, failure


def together(calls, size=None):
    """Each (call, args, kwargs) attempted at the same time: their (answer, failure) pairs, in order."""
    pile = eventlet.GreenPile(size or max(1, len(calls)))
    for call, args, kwargs in calls:
        pile.spawn(attempt, call, *args, **kwargs)
    return list(pile)


def get(desk: Desk, service: str, path: str, **kwargs):
    """A (call, args, kwargs) of `together` reading `path` of `service`."""
    return (desk.services.get, (service, path), kwargs)


def form_errors(failure, aliases=None):
    """A refusal's reasons beside the form's fields; a 422 of no field is the form's as a whole."""
    if isinstance(failure, OtherDistrictToConfirm):  # a question for the sender, not a field's error
        return {}
    errors = domain.field_errors(failure.fields, failure.message, aliases)
    if not errors and failure.status == 422:
        errors[""] = domain.FieldError(domain.reason_key(failure.message), failure.message)
    return errors


def form_status(failure):
    return failure.status if 400 <= failure.status < 500 else 502


def refused(field_name, message, reason="Field required"):
    """The desk's own 422 for a form field it cannot send on."""
    return ServiceFailure("desk", 422, "invalid_input", message, {field_name: reason})


def page_count(listing):
    return max(1, -(-listing["total"] // listing["per_page"]))


def unread(desk: Desk):
    try:
        return desk.services.get("notify", "/notifications/unread-count", timeout=2)["unread"]
    except (ServiceFailure, ServiceUnavailable):
        return None


def failure_json(failure, language) -> dict:
    """A refusal as the page's script shows it: its reason, and each field's in the page's language."""
    t = Translator(language)
    key = f"reason.{failure.reason}"
    return {
        "error": failure.reason,
        "message": t(key) if t.has(key) else f"{t('error.service_said')} {failure.message}",
        "fields": {name: t(f"error.{e.key}") if e.key != "invalid" else f"{t('error.invalid')} ({e.detail})"
                   for name, e in form_errors(failure).items()},
    }
