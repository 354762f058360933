"""Files: a new file, a file's page (noting, drafts, movements, audit) with the signing state of its
green notes and approved drafts, and each action of the file view relayed to the files service."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from eoffice_common.jsontext import dumps

from .. import domain, schemas
from ..domain import SignedIn
from ..exceptions import ServiceFailure, UnknownAction
from . import EMPTY, FORMS, Desk, Page, Redirect, Upload, attempt, form_errors, form_status, get, refused, together
from .address_book import correspondents
from .people import FindPeople, confirm_other_districts, people_found

# Each action of the file view, and the tab the page returns to.
FILE_ACTIONS = {
    "note": "noting", "note_save": "noting", "note_confirm": "noting", "note_discard": "noting", "attach": "noting",
    "send": "noting", "return": "noting", "park": "noting", "unpark": "noting", "close": "noting", "reopen": "noting",
    "pull_back": "noting", "draft": "drafts", "draft_version": "drafts", "approve": "drafts", "issue": "drafts",
    "draft_comment": "drafts", "volume": "noting", "part": "noting", "merge": "noting", "link": "noting", "unlink": "noting",
    "attach_file": "noting", "detach_file": "noting",
}
FILE_TABS = ("noting", "drafts", "movements", "audit")
SIGNING_LOOKUPS = 8  # signing documents a file page asks for at once
# The files service's field paths, as the file view's forms name them.
FILE_FIELDS = {"text": "text", "content": "content", "subject": "draft_subject", "item.title": "title", "item_title": "title"}


@dataclass(frozen=True)
class ShowFile:
    caller: SignedIn
    file_id: str
    tab: str = "noting"
    dialog: str | None = None
    item: str | None = None  # the correspondence shown
    draft: str | None = None  # with `version`: a draft's earlier version shown
    version: str | None = None
    verify: bool = False  # the audit tab checks the chain
    query: str = ""  # whom the Send dialog searched for


@dataclass(frozen=True)
class ActOnFile:
    caller: SignedIn
    file_id: str
    action: str
    form: Mapping
    documents: tuple[Upload, ...] = ()


@dataclass(frozen=True)
class CreateFile:
    caller: SignedIn
    form: Mapping


def new_file_form(caller: SignedIn, desk: Desk) -> Page:
    heads = desk.services.get("files", "/heads")["heads"]
    return Page("file_new.html", dict(heads=heads, file_values={}, errors={}))


def create_file(command: CreateFile, desk: Desk) -> Page | Redirect:
    try:
        created = desk.services.post("files", "/files", json=schemas.new_file_request(command.form))
    except ServiceFailure as failure:
        if failure.status == 404 or failure.status >= 500:
            raise
        heads = attempt(desk.services.get, "files", "/heads")[0] or {"heads": []}
        return Page("file_new.html", dict(heads=heads["heads"], file_values=command.form, failure=failure,
                                          errors=form_errors(failure, {"subject": "file_subject"})), form_status(failure))
    return Redirect(f"/files/{created['id']}", "file_created", created["file_number"])


def signing_states(caller: SignedIn, documents, desk: Desk) -> dict:
    """{(kind, id): domain.SigningState} of green notes and approved drafts, as the signing service
    sees them (who signed, who signs next) and as the viewer's certificates allow."""
    if not documents:
        return {}
    (certificates, _), *answers = together(
        [get(desk, "signing", "/certificates")]  # the viewer's own
        + [get(desk, "signing", f"/documents/{kind}/{document_id}") for kind, document_id, _ in documents], size=SIGNING_LOOKUPS)
    methods = domain.usable_certificate_methods((certificates or {}).get("certificates"), desk.today())
    return {(kind, document_id): domain.signing_state(document, caller.user_id, methods, first_signer)
            for (kind, document_id, first_signer), (document, _) in zip(documents, answers, strict=True)}


def file_page(command: ShowFile, desk: Desk, failure=None, values=None, status=200) -> Page:
    me, file_id, tab = command.caller, command.file_id, command.tab
    file = desk.services.get("files", f"/files/{file_id}")
    reads = [get(desk, "files", f"/files/{file_id}/{part}") for part in ("notes", "correspondence", "drafts")]
    if tab in ("movements", "audit"):
        reads.append(get(desk, "files", f"/files/{file_id}/{tab}"))
    answers = together(reads, size=4)
    (notes, _), (correspondence, _), (drafts, _) = answers[:3]
    actions = domain.file_actions(file, me.user_id, me.is_officer)
    attachable = []
    if "attach_file" in actions and tab == "noting":
        held = attempt(desk.services.get, "files", "/files", params={"box": "inbox", "per_page": 100})[0] or {"files": []}
        attachable = [f for f in held["files"] if domain.attachable(f, file)]
    movements = answers[3][0] if tab == "movements" else None
    audit = answers[3][0] if tab == "audit" else None
    chain = attempt(desk.services.get, "files", f"/files/{file_id}/audit/verify")[0] if tab == "audit" and command.verify else None
    notes = (notes or {}).get("notes", [])
    items = (correspondence or {}).get("correspondence", [])
    readable = [i for i in items if not i.get("restricted")]
    shown = next((i for i in readable if i["id"] == command.item), readable[0] if readable else None)
    docs = [{**d, "url": f"/files/{file_id}/correspondence/{shown['id']}/documents/{d['position']}"}
            for d in (shown or {}).get("documents", [])]
    drafts = (drafts or {}).get("drafts", [])
    version_shown = None
    if tab == "drafts" and command.draft and (command.version or "").isdigit():
        version_shown = attempt(desk.services.get, "files", f"/files/{file_id}/drafts/{command.draft}/versions/{command.version}")[0]
    signing = signing_states(me, [
        ("note", n["id"], (n.get("author") or {}).get("id")) for n in notes if n.get("status") == "green" and tab == "noting"
    ] + [
        ("draft", d["id"], (d["approval"].get("approved_by") or {}).get("id")) for d in drafts if d.get("approval") and tab == "drafts"
    ], desk)
    entries = (audit or {}).get("entries", [])
    signers = desk.store.people({u for state in signing.values() for u in state.order + [s[0] for s in state.signed]}
                                | {e["actor"] for e in entries} | {(e.get("details") or {}).get("on_behalf_of") for e in entries}
                                | {mv.get(k) for mv in (movements or {}).get("movements", []) for k in ("for_user", "on_behalf_of")})
    offices = desk.store.all_offices() if tab == "drafts" else []
    issuable = tab == "drafts" and any(d.get("status") == "approved" for d in drafts)
    query, dialog = command.query, command.dialog
    return Page("file.html", dict(
        file=file, tab=tab, dialog=dialog, failure=failure, errors=form_errors(failure, FILE_FIELDS) if failure else {},
        values=values or EMPTY, notes=notes, paragraphs=domain.numbered_paragraphs, items=items, shown=shown, docs=docs,
        drafts=drafts, movements=movements, version_shown=version_shown, today=desk.today(), query=query,
        signing=signing, signers=signers, audit=audit, chain=chain, offices=offices,
        correspondents=correspondents(desk) if issuable else [], actions=actions, attachable=attachable,
        people_found=people_found(FindPeople(me, query), desk) if query and dialog == "send" else [],
    ), status)


def act_on_file(command: ActOnFile, desk: Desk) -> Page | Redirect:
    if command.action not in FILE_ACTIONS:
        raise UnknownAction(f"no file action {command.action}")
    action, tab = command.action, FILE_ACTIONS[command.action]
    try:
        flash = _relay_file_action(command, desk)
    except ServiceFailure as failure:
        if failure.status == 404 and action not in ("note_save", "note_confirm", "note_discard"):
            raise
        FORMS.labels(f"file_{action}", "refused").inc()
        page = ShowFile(command.caller, command.file_id, tab, action, query=command.form.get("q", ""))
        return file_page(page, desk, failure=failure, values=command.form, status=form_status(failure))
    FORMS.labels(f"file_{action}", "done").inc()
    if isinstance(flash, dict):  # a new volume or part file, or the main file a part was merged into: open it
        return Redirect(f"/files/{flash['id']}", flash.get("flash", "file_created"), flash["file_number"])
    anchor = {"noting": "#noting", "drafts": "#drafts"}.get(tab, "")
    return Redirect(f"/files/{command.file_id}?tab={tab}{anchor}", flash)


def _relay_file_action(command: ActOnFile, desk: Desk):
    """Relay one action of the file view to the files service; returns the message to show, or the
    file a new volume or part file made."""
    action, form, files = command.action, command.form, desk.services
    base = f"/files/{command.file_id}"
    version = int(form["version"]) if (form.get("version") or "").isdigit() else None
    remarks = (form.get("remarks") or "").strip() or None
    if action == "volume":
        return files.post("files", f"{base}/volumes", json={"remarks": remarks} if remarks else {})
    if action == "part":
        subject = (form.get("part_subject") or "").strip()
        return files.post("files", f"{base}/parts", json={"subject": subject} if subject else {})
    if action == "draft_comment":
        files.post("files", f"{base}/drafts/{form.get('draft_id', '')}/comments", json={"text": form.get("comment", "")})
        return "draft_commented"
    if action == "merge":
        main = files.post("files", f"{base}/merge")
        return {"id": main["id"], "file_number": main["file_number"], "flash": "part_merged"}
    if action in ("link", "attach_file"):
        other = _file_by_number(form.get("other_file", ""), desk)
        files.post("files", f"{base}/{'links' if action == 'link' else 'attachments'}", json={"file_id": other})
        return "file_linked" if action == "link" else "file_attached"
    if action in ("unlink", "detach_file"):
        other = quote(form.get("other_file_id", ""), safe="")
        files.request("files", "DELETE", f"{base}/{'links' if action == 'unlink' else 'attachments'}/{other}")
        return "file_unlinked" if action == "unlink" else "file_detached"
    note = {"text": form.get("text", ""), "references": form.getlist("references")}  # flagged correspondence items
    if action == "note":
        files.post("files", f"{base}/notes", json=note)
        return "note_saved"
    if action == "note_save":
        files.json("files", "PUT", f"{base}/notes/{form.get('note_id', '')}", json=note)
        return "note_saved"
    if action == "note_confirm":
        note_id = form.get("note_id", "")
        if "text" in form:
            files.json("files", "PUT", f"{base}/notes/{note_id}", json=note)
        files.post("files", f"{base}/notes/{note_id}/confirm")
        return "note_confirmed"
    if action == "note_discard":
        files.request("files", "DELETE", f"{base}/notes/{form.get('note_id', '')}")
        return "note_discarded"
    if action == "send":
        body = {**schemas.send_request(form, many=False), "version": version}
        if not body.get("to"):
            raise refused("to", "choose an officer", "List should have at least 1 item")
        confirm_other_districts(command.caller, [body["to"]], form.getlist("confirm_district"), desk)
        files.post("files", f"{base}/send", json={k: v for k, v in body.items() if v is not None})
        return "file_sent"
    if action in ("return", "park", "unpark", "close", "reopen"):
        body = {k: v for k, v in {"remarks": remarks, "version": version}.items() if v is not None}
        files.post("files", f"{base}/{action}", json=body)
        return "file_moved"
    if action == "pull_back":
        files.post("files", f"{base}/pull-back")
        return "file_moved"
    if action == "draft":
        files.post("files", f"{base}/drafts", json={"subject": form.get("draft_subject", ""), "content": form.get("content", "")})
        return "draft_saved"
    if action == "draft_version":
        files.post("files", f"{base}/drafts/{form.get('draft_id', '')}/versions", json={"content": form.get("content", "")})
        return "draft_saved"
    if action == "approve":
        files.post("files", f"{base}/drafts/{form.get('draft_id', '')}/approve", json={"version": version} if version else {})
        return "draft_approved"
    if action == "issue":
        files.post("files", f"{base}/drafts/{form.get('draft_id', '')}/issue", json=schemas.issue_request(form))
        return "draft_issued"
    if not command.documents:
        raise refused("documents", "choose a document")
    files.post("files", f"{base}/correspondence", data={"item": dumps({"title": (form.get("title") or "").strip()})},
               files=[("documents", d.as_part()) for d in command.documents])
    return "document_attached"


def _file_by_number(number, desk: Desk):
    """The id of the file with this file number or computer number, among those the user may open."""
    number = number.strip()
    if not number:
        raise refused("other_file", "give the other file's number")
    params = {"computer_number": number} if number.isdigit() else {"number": number}
    found = desk.services.get("files", "/files/search", params={**params, "per_page": 20})["files"]
    exact = [f for f in found if number.isdigit() or domain.same_file_number(f["file_number"], number)]
    if len(exact) != 1:
        raise refused("other_file", f"no file numbered {number} that you may open", "no such file that you may open")
    return exact[0]["id"]
