"""The admin area (admins only; each service keeps an admin to their own office): file heads, transfers,
certificates, dead letters, scoreboard weeks, acknowledgements; and the directory an admin of the
district keeps in dak (offices, sections, users)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from .. import domain
from ..domain import FormValues, SignedIn
from ..exceptions import PageNotFound, ServiceFailure, UnknownAction
from . import EMPTY, FORMS, Desk, Page, Redirect, attempt, form_errors, form_status, get, refused, together

ADMIN_ACTIONS = ("head", "transfer", "revoke", "retry", "recompute", "acknowledgements")
NEW = "new"  # /admin/offices/new, /admin/users/new: the form to add one
DIRECTORY_ROLES = ("clerk", "officer", "admin", "district_head", "state_admin")  # state_admin last: a state admin's to give
CLEARANCES = ("normal", "confidential", "secret", "top_secret")
SECTION_FIELDS = {"code": "section_code", "name_en": "section_name_en", "name_hi": "section_name_hi"}


@dataclass(frozen=True)
class AdminForm:
    """One of the admin page's forms (`action`)."""

    caller: SignedIn
    action: str
    form: Mapping


@dataclass(frozen=True)
class ShowDirectoryEntry:
    """An office's form (`key`: its code) or a user's (`key`: their id); NEW for the form to add one."""

    caller: SignedIn
    key: str


@dataclass(frozen=True)
class RecordDirectoryEntry:
    caller: SignedIn
    key: str
    form: Mapping


def require_admin(caller: SignedIn) -> None:
    if not caller.has_role("admin"):
        raise PageNotFound("the admin area is for admins")


def admin_page(caller: SignedIn, desk: Desk, dialog=None, failure=None, values=None, status=200) -> Page:
    require_admin(caller)
    (heads, _), (dead_letters, _), (users, _), (certificates, _), (acknowledgements, _) = together([
        get(desk, "files", "/heads"),
        get(desk, "notify", "/dead-letters", params={"per_page": 50}),
        get(desk, "dak", "/directory/users", params={"office": caller.office, "limit": 200}),
        get(desk, "signing", "/office/certificates"),
        get(desk, "dak", "/acknowledgements/setting"),
    ])
    return Page("admin.html", dict(
        dialog=dialog, failure=failure, values=values or EMPTY, errors=form_errors(failure) if failure else {},
        heads=(heads or {}).get("heads"), dead_letters=(dead_letters or {}).get("dead_letters"), users=(users or {}).get("users"),
        certificates=(certificates or {}).get("certificates"), this_week=domain.iso_week(desk.today()),
        acknowledgements=acknowledgements,
    ), status)


def act_as_admin(command: AdminForm, desk: Desk) -> Page | Redirect:
    require_admin(command.caller)
    if command.action not in ADMIN_ACTIONS:
        raise UnknownAction(f"no admin action {command.action}")
    action = command.action
    try:
        value = _relay_admin_form(action, command.form, desk)
    except ServiceFailure as failure:
        if failure.status >= 500:
            raise
        FORMS.labels(f"admin_{action}", "refused").inc()
        return admin_page(command.caller, desk, dialog=action, failure=failure, values=command.form, status=form_status(failure))
    FORMS.labels(f"admin_{action}", "done").inc()
    return Redirect(f"/admin#{action}", f"admin_{action}", value or "")


def _relay_admin_form(action, form, desk: Desk):
    """Relay one admin form to the service that owns it; returns a word for the message shown."""
    text = {name: (form.get(name) or "").strip() for name in form}
    services = desk.services
    if action == "head":
        fields = ("main_code", "main_name_en", "main_name_hi", "sub_code", "sub_name_en", "sub_name_hi", "section_label", "department_label")
        return services.post("files", "/heads", json={f: text.get(f, "") for f in fields})["code"]
    if action == "transfer":
        body = {"from_user": text.get("from_user", ""), "to_user": text.get("to_user", ""), "remarks": text.get("remarks") or None}
        services.post("files", "/transfers", json={k: v for k, v in body.items() if v is not None})
        return body["to_user"]
    if action == "acknowledgements":
        if text.get("enabled") not in ("on", "off"):
            raise refused("enabled", "choose on or off")
        services.json("dak", "PUT", "/acknowledgements/setting", json={"enabled": text["enabled"] == "on"})
        return None
    if action == "revoke":
        certificate = text.get("certificate_id", "")
        services.post("signing", f"/certificates/{quote(certificate, safe='')}/revoke", json={"reason": text.get("reason", "")})
        return certificate
    if action == "retry":
        letter = text.get("letter_id", "")
        if not letter.isdigit():
            raise refused("letter_id", "choose a dead letter", "Input should be a valid integer")
        services.post("notify", f"/dead-letters/{letter}/retry")
        return letter
    week = text.get("week", "")
    answer = services.post("metrics", f"/weeks/{quote(week, safe='')}/recompute")
    return f"{week} ({answer.get('offices', 0)})"


# --- the directory, kept by an admin of the district (dak publishes every change) -------------------


def directory_page(caller: SignedIn, office: str | None, desk: Desk) -> Page:
    require_admin(caller)
    kept, failure = attempt(desk.services.get, "dak", "/directory/admin", params={"office": office} if office else None)
    return Page("admin_directory.html", dict(kept=kept, failure=failure, office=office))


def office_page(command: ShowDirectoryEntry, desk: Desk, dialog=None, failure=None, form=None) -> Page:
    require_admin(command.caller)
    code = command.key
    kept, unavailable = attempt(desk.services.get, "dak", "/directory/admin")
    offices = (kept or {}).get("offices") or []
    office = next((o for o in offices if o["code"] == code), None)
    if office is None and code != NEW and kept is not None:
        raise failure or PageNotFound(f"office {code} is not one you keep")
    values = FormValues(form) if form is not None and dialog == "office" else FormValues(office or {})
    return Page("admin_office.html", dict(
        kept=kept, unavailable=unavailable, office=office, code=code, values=values,
        section_values=form if dialog == "section" else EMPTY, dialog=dialog, failure=failure,
        errors=form_errors(failure) if failure else {},
        districts=domain.choices(offices, "district", kept and kept.get("district")), departments=domain.choices(offices, "department"),
    ), form_status(failure) if failure else 200)


def user_page(command: ShowDirectoryEntry, desk: Desk, failure=None, form=None) -> Page:
    require_admin(command.caller)
    user_id = command.key
    kept, unavailable = attempt(desk.services.get, "dak", "/directory/admin")
    user = next((u for u in (kept or {}).get("users") or [] if u["id"] == user_id), None)
    if user is None and user_id != NEW and kept is not None:
        raise failure or PageNotFound(f"user {user_id} is not one you keep")
    values = FormValues(form) if form is not None else domain.directory_user_values(user)
    return Page("admin_user.html", dict(
        kept=kept, unavailable=unavailable, person_kept=user, user_id=user_id, values=values, failure=failure,
        errors=form_errors(failure) if failure else {},
        roles=DIRECTORY_ROLES if (kept or {}).get("state_admin") else DIRECTORY_ROLES[:-1], clearances=CLEARANCES,
    ), form_status(failure) if failure else 200)


def _directory_key(form, field):
    """A directory key (code, user id) typed into a form: refused beside its field when empty."""
    key = (form.get(field) or "").strip()
    if not key:
        raise refused(field, f"{field} is required")
    return key


def _write_directory(caller: SignedIn, form_name: str, write: Callable, page_again: Callable) -> Page | Redirect:
    """Relay one directory form to dak: `write()` answers (where to go on, what was written), or the
    form comes again through `page_again(failure)` with the reasons beside their fields."""
    require_admin(caller)
    try:
        done_at, written = write()
    except ServiceFailure as failure:
        if failure.status >= 500:
            raise
        FORMS.labels(form_name, "refused").inc()
        return page_again(failure)
    FORMS.labels(form_name, "done").inc()
    return Redirect(done_at, form_name, written)


def record_office(command: RecordDirectoryEntry, desk: Desk) -> Page | Redirect:
    form, code = command.form, command.key

    def write():
        office = _directory_key(form, "code") if code == NEW else code
        body = {name: (form.get(name) or "").strip() for name in ("name_en", "name_hi", "district", "department")}
        desk.services.put("dak", f"/directory/offices/{quote(office, safe='')}", json=body)
        return f"/admin/offices/{quote(office, safe='')}", office
    return _write_directory(command.caller, "admin_office", write,
                            lambda failure: office_page(ShowDirectoryEntry(command.caller, code), desk, "office", failure, form))


def record_section(command: RecordDirectoryEntry, desk: Desk) -> Page | Redirect:
    form, code = command.form, command.key

    def write():
        section = _directory_key(form, "section_code")
        body = {"office": code, "name_en": (form.get("section_name_en") or "").strip(),
                "name_hi": (form.get("section_name_hi") or "").strip()}
        try:
            desk.services.put("dak", f"/directory/sections/{quote(section, safe='')}", json=body)
        except ServiceFailure as failure:  # the form names the section's fields apart from the office's
            failure.fields = {SECTION_FIELDS.get(name, name): reason for name, reason in failure.fields.items()}
            raise
        return f"/admin/offices/{quote(code, safe='')}#sections", section
    return _write_directory(command.caller, "admin_section", write,
                            lambda failure: office_page(ShowDirectoryEntry(command.caller, code), desk, "section", failure, form))


def record_user(command: RecordDirectoryEntry, desk: Desk) -> Page | Redirect:
    form, user_id = command.form, command.key

    def write():
        person = _directory_key(form, "user_id") if user_id == NEW else user_id
        body = domain.directory_user_body(form)
        desk.services.put("dak", f"/directory/users/{quote(person, safe='')}", json=body)
        return f"/admin/directory?office={quote(body['office'], safe='')}", person
    return _write_directory(command.caller, "admin_user", write,
                            lambda failure: user_page(ShowDirectoryEntry(command.caller, user_id), desk, failure, form))


def deactivate_user(command: RecordDirectoryEntry, desk: Desk) -> Page | Redirect:
    user_id = command.key

    def write():
        desk.services.post("dak", f"/directory/users/{quote(user_id, safe='')}/deactivate")
        return f"/admin/directory?office={quote(command.form.get('office') or '', safe='')}", user_id

    def page_again(failure):
        failure.fields = {}  # the reason is the user's as a whole, not a field's of the form shown
        return user_page(ShowDirectoryEntry(command.caller, user_id), desk, failure)
    return _write_directory(command.caller, "admin_deactivate", write, page_again)
