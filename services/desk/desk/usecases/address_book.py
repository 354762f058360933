"""The office's address book: suggestions for the diarise and issue forms, and its own page where
clerks and officers add and correct correspondents (dak keeps the book)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from .. import domain
from ..domain import FormValues, SignedIn
from ..exceptions import ServiceFailure
from . import FORMS, Desk, Json, Page, Redirect, attempt, form_errors, form_status

ADDRESS_BOOK_LISTED = 50  # correspondents a form offers before anything is typed (the browser filters them)
ADDRESS_BOOK_FOUND = 10  # correspondents suggested for what is typed
ADDRESS_BOOK_PAGE = 100  # correspondents the address book page lists (dak's most): a search narrows them


@dataclass(frozen=True)
class ShowAddressBook:
    caller: SignedIn
    query: str = ""
    editing: str | None = None  # the id of the entry whose form is open


@dataclass(frozen=True)
class KeepCorrespondent:
    """The add form (`correspondent_id` None) or an entry's edit form; `query`: the search the page showed."""

    caller: SignedIn
    form: Mapping
    correspondent_id: str | None = None
    query: str = ""


def correspondents(desk: Desk, query="", limit=ADDRESS_BOOK_LISTED) -> list[dict]:
    """Correspondents from dak's address book, most written-from first; none when dak is away (the form still works)."""
    params = {"limit": limit, **({"q": query[:200]} if query.strip() else {})}
    answer, _ = attempt(desk.services.get, "dak", "/address-book", params=params)
    return (answer or {}).get("correspondents", [])


def suggest_correspondents(query: str, desk: Desk) -> Json:
    """The office's correspondents matching what is typed (Hindi spelling variants are folded by dak)."""
    return Json({"correspondents": correspondents(desk, query, ADDRESS_BOOK_FOUND)})


def address_book_page(command: ShowAddressBook, desk: Desk, failure=None, values=None, status=200) -> Page:
    """The office's correspondents, found by the query, with how many letters each wrote and when last;
    `editing` opens an entry's form in place of the form to add one."""
    listed = correspondents(desk, command.query, ADDRESS_BOOK_PAGE)
    editing = command.editing
    entry = next((c for c in listed if str(c["id"]) == editing), None) if editing else None
    if values is None:
        values = FormValues({name: entry.get(name) or "" for name in domain.CORRESPONDENT_FIELDS} if entry else {})
    return Page("correspondents.html", dict(
        correspondents=listed, query=command.query, editing=editing if (entry or failure) else None, failure=failure,
        values=values, errors=form_errors(failure) if failure else {}, nav="correspondents",
        keeps_the_book=domain.keeps_the_book(command.caller),
    ), status)


def keep_correspondent(command: KeepCorrespondent, desk: Desk) -> Page | Redirect:
    entry = domain.correspondent_entry(command.form)
    editing = command.correspondent_id
    try:
        if editing:
            kept = desk.services.put("dak", f"/address-book/{quote(editing, safe='')}", json=entry)
        else:
            kept = desk.services.post("dak", "/address-book", json=entry)
    except ServiceFailure as failure:
        if failure.status not in (403, 404, 409, 422):
            raise
        FORMS.labels("correspondent", "refused").inc()
        # A correspondent there already is listed beside the form: the entry to edit instead.
        query = entry["name"] if failure.status == 409 else command.query
        return address_book_page(ShowAddressBook(command.caller, query, editing), desk, failure, command.form,
                                 form_status(failure))
    FORMS.labels("correspondent", "done").inc()
    return Redirect(f"/correspondents?q={quote(kept['name'])}", "correspondent_saved" if editing else "correspondent_added",
                    kept["name"])
