"""Receipts: diarising letters (one, or a pile of them sharing a sender), a receipt's page with its
dialogs, and its actions relayed to dak (send, reply, close, receive, pull back, copy, put in a file)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from eoffice_common.jsontext import dumps

from .. import domain, schemas
from ..domain import FormValues, SignedIn
from ..exceptions import ServiceFailure, UnknownAction
from . import (
    EMPTY,
    FORMS,
    Desk,
    Json,
    Page,
    Redirect,
    Upload,
    failure_json,
    form_errors,
    form_status,
    get,
    refused,
    together,
)
from .address_book import correspondents
from .people import FindPeople, confirm_other_districts, people_found

RECEIPT_ACTIONS = {"receive", "send", "reply", "put_in_file", "close", "copy", "pull_back"}
BULK_ROWS = 10  # letters on the bulk Diarise page


@dataclass(frozen=True)
class Diarise:
    """The Diarise form: `action` generate, generate_send or generate_copy; `wants_json` for the page's script."""

    caller: SignedIn
    form: Mapping
    scans: tuple[Upload, ...] = ()
    wants_json: bool = False


@dataclass(frozen=True)
class DiariseMany:
    caller: SignedIn
    form: Mapping
    scans: Mapping[int, tuple[Upload, ...]] = field(default_factory=dict)  # by row


@dataclass(frozen=True)
class ShowReceipt:
    caller: SignedIn
    receipt_id: str
    dialog: str | None = None
    query: str = ""  # whom the Send dialog searched for


@dataclass(frozen=True)
class ActOnReceipt:
    caller: SignedIn
    receipt_id: str
    action: str
    form: Mapping


def diarise_form(caller: SignedIn, desk: Desk) -> Page:
    return Page("diarise.html", dict(correspondents=correspondents(desk), errors={}, values={
        "kind": "electronic", "delivery_mode": "post", "received_date": desk.today().isoformat()}))


def _new_receipt(desk: Desk, body, scans):
    if scans:
        return desk.services.post("dak", "/receipts", data={"receipt": dumps(body)}, files=[("scans", s.as_part()) for s in scans])
    return desk.services.post("dak", "/receipts", json=body)


def diarise(command: Diarise, desk: Desk) -> Page | Redirect | Json:
    """Generate, Generate & Send (then the send dialog), Generate & Copy (the form again, keeping the
    sender and categories for the next letter)."""
    form = command.form
    action = form.get("action", "generate")
    try:
        answer = _new_receipt(desk, schemas.receipt_request(form), command.scans)
    except ServiceFailure as failure:
        FORMS.labels("diarise", "refused").inc()
        if command.wants_json:
            return Json(failure_json(failure, command.caller.language), failure.status)
        return Page("diarise.html", dict(correspondents=correspondents(desk), values=form, errors=form_errors(failure),
                                         failure=failure), form_status(failure))
    FORMS.labels("diarise", "done").inc()
    receipt = answer["receipt"]
    if action == "generate_send":
        location = f"/receipts/{receipt['id']}?dialog=send"
    elif action == "generate_copy":
        location = None
    else:
        location = f"/receipts/{receipt['id']}"
    if command.wants_json:
        return Json({"receipt": receipt, "location": location or "/diarise", "warnings": answer.get("warnings", [])}, 201,
                    "diarised" if location else None, receipt["receipt_number"])
    if location is None:
        return Page("diarise.html", dict(correspondents=correspondents(desk), values=FormValues(schemas.kept_for_next_letter(form)),
                                         errors={}, diarised=receipt, warnings=answer.get("warnings", [])))
    return Redirect(location, "diarised", receipt["receipt_number"])


def bulk_diarise_page(values, errors=None, failure=None, made=(), status=200) -> Page:
    return Page("diarise_bulk.html", dict(values=values, errors=errors or {}, failure=failure, made=made,
                                          rows=range(1, BULK_ROWS + 1)), status)


def bulk_diarise_form(caller: SignedIn, desk: Desk) -> Page:
    return bulk_diarise_page(FormValues({"kind": "electronic", "delivery_mode": "post", "received_date": desk.today().isoformat()}))


def _row_field(name, row):
    """A field of one letter of the bulk Diarise page (`subject_3`); a reason of the whole letter is `row_3`."""
    if name in (*schemas.PER_LETTER, "scans"):
        return f"{name}_{row}"
    return name or f"row_{row}"


def diarise_many(command: DiariseMany, desk: Desk) -> Page | Redirect:
    """Generate & Copy for a pile of letters: the shared sender and details once, then each letter's
    subject, letter number and scans; each diarised in turn, in the order of the rows."""
    form = command.form
    letters = schemas.bulk_letters(form, BULK_ROWS)
    made, refused_rows, errors, failure = [], [], {}, None
    for row, body in letters:
        try:
            answer = _new_receipt(desk, body, command.scans.get(row, ()))
        except ServiceFailure as refusal:
            failure, refused_rows = failure or refusal, [*refused_rows, row]
            errors.update({_row_field(name, row): error for name, error in form_errors(refusal).items()})
            continue
        made.append(answer["receipt"])
    FORMS.labels("bulk_diarise", "refused" if failure else "done").inc()
    if made and failure is None:
        return Redirect("/diarise/bulk", "bulk_diarised", ", ".join(r["receipt_number"] for r in made))
    if not letters:
        errors["subject_1"] = domain.FieldError("required", "")
    # The shared fields stay; of the letters, only those refused (the others have their numbers above).
    kept = schemas.bulk_shared(form)
    for row in refused_rows:
        kept.update({f"{name}_{row}": form.get(f"{name}_{row}", "") for name in schemas.PER_LETTER})
    return bulk_diarise_page(FormValues(kept), errors=errors, failure=failure, made=made,
                             status=form_status(failure) if failure else 422)


def receipt_page(command: ShowReceipt, desk: Desk, failure=None, values=None, status=200) -> Page:
    me = command.caller
    receipt = desk.services.get("dak", f"/receipts/{command.receipt_id}")
    movements = receipt["movements"]
    people = desk.store.people({m["from"] for m in movements} | {m["to"] for m in movements}
                               | {m.get(k) for m in movements for k in ("for_user", "on_behalf_of")}
                               | {receipt["holder"], receipt["created_by"]})
    actions = domain.receipt_actions(receipt, me.user_id)
    heads, my_files = [], []
    if "put_in_file" in actions:
        (heads_answer, _), (files_answer, _) = together([
            get(desk, "files", "/heads"), get(desk, "files", "/files", params={"box": "inbox", "per_page": 100})])
        heads = (heads_answer or {}).get("heads", [])
        my_files = (files_answer or {}).get("files", [])
    docs = [{"url": f"/receipts/{command.receipt_id}/scans/{s['position']}", "filename": s["filename"],
             "content_type": s["content_type"], "size": s["size"]} for s in receipt["scans"]]
    aliases = {"subject": "file_subject"} if failure is not None and failure.service == "files" else None
    query, dialog = command.query, command.dialog
    return Page("receipt.html", dict(
        receipt=receipt, people=people, actions=actions, dialog=dialog, failure=failure,
        errors=form_errors(failure, aliases) if failure else {}, values=values or EMPTY, heads=heads, my_files=my_files,
        today=desk.today(), docs=docs, query=query,
        people_found=people_found(FindPeople(me, query), desk) if query and dialog == "send" else [],
    ), status)


def _file_for_receipt(form, desk: Desk):
    """Put in file: an existing file of mine, or a new one made from the dialog's fields."""
    if form.get("file_choice") == "existing":
        file_id = (form.get("file_id") or "").strip()
        if not file_id:
            raise refused("file_id", "choose a file")
        return file_id
    return desk.services.post("files", "/files", json=schemas.new_file_request(form))["id"]


def act_on_receipt(command: ActOnReceipt, desk: Desk) -> Page | Redirect:
    action, receipt_id, form = command.action, command.receipt_id, command.form
    if action not in RECEIPT_ACTIONS:
        raise UnknownAction(f"no receipt action {action}")
    dak = desk.services
    try:
        if action == "send":
            body = schemas.send_request(form)
            confirm_other_districts(command.caller, body.get("to", []), form.getlist("confirm_district"), desk)
            dak.post("dak", f"/receipts/{receipt_id}/send", json=body)
        elif action == "reply":
            dak.post("dak", f"/receipts/{receipt_id}/reply", json={"remarks": form.get("remarks") or None})
        elif action == "close":
            dak.post("dak", f"/receipts/{receipt_id}/close", json={"remarks": form.get("remarks", "")})
        elif action == "receive":
            dak.post("dak", f"/receipts/{receipt_id}/receive")
        elif action == "pull_back":
            dak.post("dak", f"/receipts/{receipt_id}/pull-back")
        elif action == "copy":
            copy = dak.post("dak", f"/receipts/{receipt_id}/copy")["receipt"]
            return Redirect(f"/receipts/{copy['id']}", "copied", copy["receipt_number"])
        else:
            file_id = _file_for_receipt(form, desk)
            dak.post("dak", f"/receipts/{receipt_id}/put-in-file", json={"file_id": file_id})
            FORMS.labels("receipt_put_in_file", "done").inc()
            return Redirect(f"/files/{file_id}", "put_in_file")
    except ServiceFailure as failure:
        FORMS.labels(f"receipt_{action}", "refused").inc()
        if failure.reason == "receipt_not_found":
            raise
        page = ShowReceipt(command.caller, receipt_id, action, form.get("q", ""))
        return receipt_page(page, desk, failure=failure, values=form, status=form_status(failure))
    FORMS.labels(f"receipt_{action}", "done").inc()
    return Redirect(f"/receipts/{receipt_id}", f"receipt_{action}")
