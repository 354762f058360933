"""Notifications and how each user wants them (notify keeps both), and leave with its acting charge
(dak keeps it)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .. import schemas
from ..domain import SignedIn
from ..exceptions import ServiceFailure
from . import EMPTY, FORMS, Desk, Json, Page, Redirect, form_errors, form_status, page_count

NOTIFICATIONS_PAGE = 30
LEAVE_FIELDS = ("absent_user", "acting_user", "from_date", "to_date", "reason")
# notify's names of the quiet hours, as the preferences form names them
QUIET_HOURS_FIELDS = {"quiet_hours_start": "quiet_start", "quiet_hours_end": "quiet_end"}


@dataclass(frozen=True)
class ShowNotifications:
    caller: SignedIn
    page_number: int = 1


@dataclass(frozen=True)
class MarkRead:
    """One notification read (then its receipt or file opens), or all when `notification_id` is empty."""

    caller: SignedIn
    notification_id: str | None


@dataclass(frozen=True)
class PostedForm:
    caller: SignedIn
    form: Mapping


def notifications_page(command: ShowNotifications, desk: Desk) -> Page:
    listing = desk.services.get("notify", "/notifications", params={"page": command.page_number, "per_page": NOTIFICATIONS_PAGE})
    return Page("notifications.html", dict(listing=listing, page_number=command.page_number, pages=page_count(listing),
                                           unread=listing["unread"], box=""))


def unread_count(caller: SignedIn, desk: Desk) -> Json:
    return Json({"unread": desk.services.get("notify", "/notifications/unread-count")["unread"]})


def mark_read(command: MarkRead, desk: Desk) -> Redirect:
    if command.notification_id:
        item = desk.services.post("notify", f"/notifications/{command.notification_id}/read").get("item") or {}
        if item.get("type") in ("file", "receipt"):
            return Redirect(f"/{item['type']}s/{item['id']}")
    else:
        desk.services.post("notify", "/notifications/read-all")
    return Redirect("/notifications")


def preferences_page(caller: SignedIn, desk: Desk) -> Page:
    preferences = desk.services.get("notify", "/preferences")
    return Page("preferences.html", dict(preferences=preferences, kinds=schemas.NOTIFICATION_KINDS, errors={}))


def save_preferences(command: PostedForm, desk: Desk) -> Page | Redirect:
    kinds = schemas.NOTIFICATION_KINDS
    try:
        desk.services.json("notify", "PUT", "/preferences", json=schemas.preferences_request(command.form, kinds))
    except ServiceFailure as failure:
        if failure.status != 422:
            raise
        return Page("preferences.html", dict(preferences=schemas.preferences_as_typed(command.form, kinds), kinds=kinds,
                                             errors=form_errors(failure, QUIET_HOURS_FIELDS), failure=failure), 422)
    return Redirect("/notifications/preferences", "preferences_saved")


def leave_page(caller: SignedIn, desk: Desk, failure=None, values=None, status=200) -> Page:
    charges = desk.services.get("dak", "/acting-charges")["charges"]
    return Page("leave.html", dict(charges=charges, failure=failure, values=values or EMPTY,
                                   errors=form_errors(failure) if failure else {}, nav="leave"), status)


def set_leave(command: PostedForm, desk: Desk) -> Page | Redirect:
    form = command.form
    body = {k: v for k in LEAVE_FIELDS if (v := (form.get(k) or "").strip())}
    if form.get("hand_over"):
        body["hand_over"] = True
    try:
        desk.services.post("dak", "/acting-charges", json=body)
    except ServiceFailure as failure:
        if failure.status not in (403, 409, 422):
            raise
        FORMS.labels("leave", "refused").inc()
        return leave_page(command.caller, desk, failure=failure, values=form, status=form_status(failure))
    FORMS.labels("leave", "done").inc()
    return Redirect("/leave", "leave_set")


def end_leave(caller: SignedIn, charge_id: str, desk: Desk) -> Redirect:
    desk.services.post("dak", f"/acting-charges/{charge_id}/end")
    return Redirect("/leave", "leave_ended")
