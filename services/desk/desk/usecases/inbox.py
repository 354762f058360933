"""The inbox and the lists of receipts and files, and what is done to several of them at once."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from .. import domain, schemas
from ..domain import SignedIn
from ..exceptions import OtherDistrictToConfirm, PageNotFound
from . import FORMS, INBOX_PAGE, Desk, Page, Redirect, form_status, get, page_count, together, unread
from .people import confirm_other_districts

RECEIPT_BOXES = ("inbox", "sent", "created", "closed")
FILE_BOXES = ("inbox", "sent", "created", "parked", "closed")
BULK_RECEIPT_ACTIONS = ("send", "close", "put_in_file")


@dataclass(frozen=True)
class ShowInbox:
    caller: SignedIn


@dataclass(frozen=True)
class ShowList:
    caller: SignedIn
    box: str
    page_number: int = 1


@dataclass(frozen=True)
class ActOnSelected:
    """Receipts (or files) of the inbox ticked, and the form that says what to do with them."""

    caller: SignedIn
    form: Mapping
    page_number: int = 1  # of the files list shown again


def inbox_page(command: ShowInbox, desk: Desk, refused=(), done=0, status=200, confirm=None, confirming=None) -> Page:
    """Receipts and files waiting with me: overdue first, then by priority; counts on top."""
    (receipts, receipts_error), (files, files_error), (unread_count, _) = together([
        get(desk, "dak", "/receipts", params={"box": "inbox", "per_page": INBOX_PAGE}),
        get(desk, "files", "/files", params={"box": "inbox", "per_page": INBOX_PAGE}),
        (unread, (desk,), {}),
    ])
    receipts = receipts or {"receipts": [], "total": 0}
    files = files or {"files": [], "total": 0}
    deadlines = desk.store.deadlines_of([r["id"] for r in receipts["receipts"]])
    names = desk.store.people({d["from_user"] for d in deadlines.values()})
    items = [domain.receipt_item(r, {**deadlines.get(r["id"], {}), "from_user": names.get(deadlines.get(r["id"], {}).get("from_user"))})
             for r in receipts["receipts"]]
    items += [domain.file_item(f) for f in files["files"]]
    today = desk.today()
    items = domain.inbox_order(items, today)
    counts = domain.inbox_counts(items, today)
    counts["total"] = receipts["total"] + files["total"]
    return Page("inbox.html", dict(
        items=items, today=today, counts=counts, shown=len(items),
        totals={"receipts": receipts["total"], "files": files["total"]}, unread=unread_count,
        errors={"receipts": receipts_error, "files": files_error}, box="inbox", refused=refused, done=done,
        confirm=confirm, confirming=confirming,
    ), status)


def act_on_selected_receipts(command: ActOnSelected, desk: Desk) -> Page | Redirect:
    """Send, close or put in a file several receipts of the inbox together: each is relayed to dak
    on its own (each authorised there), and the page says which were done and which were refused why."""
    form = command.form
    action = form.get("bulk_action", "")
    selected = list(dict.fromkeys(form.getlist("receipt")))[:INBOX_PAGE]
    if action not in BULK_RECEIPT_ACTIONS or not selected:
        return Redirect("/inbox", "bulk_nothing")
    if action == "send":
        body = schemas.send_request(form)
        if not body.get("to"):
            return Redirect("/inbox", "bulk_nothing")
        try:
            confirm_other_districts(command.caller, body["to"], form.getlist("confirm_district"), desk)
        except OtherDistrictToConfirm as asked:
            FORMS.labels("bulk_send", "refused").inc()
            return inbox_page(ShowInbox(command.caller), desk, confirm=asked, confirming=form, status=asked.status)
    elif action == "close":
        body = {"remarks": (form.get("remarks") or "").strip()}
    else:
        body = {"file_id": (form.get("file_id") or "").strip()}
    path = {"send": "send", "close": "close", "put_in_file": "put-in-file"}[action]
    answers = together([(desk.services.post, ("dak", f"/receipts/{quote(receipt_id, safe='')}/{path}"), {"json": body})
                        for receipt_id in selected], size=4)
    refused = [(receipt_id, failure) for receipt_id, (_, failure) in zip(selected, answers, strict=True) if failure]
    FORMS.labels(f"bulk_{action}", "refused" if refused else "done").inc()
    if refused:
        return inbox_page(ShowInbox(command.caller), desk, refused=refused, done=len(selected) - len(refused),
                          status=form_status(refused[0][1]))
    return Redirect("/inbox", f"bulk_{action}", str(len(selected)))


def receipt_list(command: ShowList, desk: Desk) -> Page:
    if command.box not in RECEIPT_BOXES:
        raise PageNotFound(f"no list {command.box}")
    listing = desk.services.get("dak", "/receipts", params={"box": command.box, "page": command.page_number, "per_page": INBOX_PAGE})
    return Page("receipt_list.html", dict(box=command.box, listing=listing, page_number=command.page_number,
                                          pages=page_count(listing), boxes=RECEIPT_BOXES))


def file_list(command: ShowList, desk: Desk, refused=(), done=0, status=200) -> Page:
    if command.box not in FILE_BOXES:
        raise PageNotFound(f"no list {command.box}")
    listing = desk.services.get("files", "/files", params={"box": command.box, "page": command.page_number, "per_page": INBOX_PAGE})
    return Page("file_list.html", dict(box=command.box, listing=listing, page_number=command.page_number,
                                       pages=page_count(listing), boxes=FILE_BOXES, today=desk.today(), refused=refused,
                                       done=done), status)


def send_selected_files(command: ActOnSelected, desk: Desk) -> Page | Redirect:
    """Send several files of the inbox (the files list or the inbox page, `back`) together to one officer:
    each is relayed to the files service on its own (each authorised there); the files list then says
    which were sent and which were refused why."""
    form = command.form
    selected = list(dict.fromkeys(form.getlist("file")))[:INBOX_PAGE]
    body = schemas.send_request(form, many=False)
    back = "/inbox" if form.get("back") == "inbox" else "/files?box=inbox"
    if not selected or not body.get("to"):
        return Redirect(back, "bulk_nothing")
    answers = together([(desk.services.post, ("files", f"/files/{quote(file_id, safe='')}/send"), {"json": body})
                        for file_id in selected], size=4)
    # Named by the numbers the list showed: a refused file may have left the inbox meanwhile.
    refused = [(file_id, form.get(f"number.{file_id}") or file_id, failure)
               for file_id, (_, failure) in zip(selected, answers, strict=True) if failure]
    FORMS.labels("bulk_file_send", "refused" if refused else "done").inc()
    if refused:
        return file_list(ShowList(command.caller, "inbox", command.page_number), desk, refused=refused,
                         done=len(selected) - len(refused), status=form_status(refused[0][2]))
    return Redirect(back, "bulk_file_send", str(len(selected)))
