"""Signatures: who signs a green note or an approved draft and in what order, signing it, the signer's
certificates, a signature's page, and checking a signed PDF; each relayed to the signing service."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import eventlet

from ..domain import FormValues, SignedIn
from ..exceptions import ServiceFailure, UnknownAction
from . import FORMS, Desk, Page, Redirect, Upload, attempt, form_errors, form_status, get, refused, together
from .files import ShowFile, file_page

SIGN_WAIT_SECONDS = 5
SIGNABLE = ("note", "draft")


@dataclass(frozen=True)
class SignDocument:
    """A green note or an approved draft of the file `file_id` (whose page shows a refusal)."""

    caller: SignedIn
    kind: str
    document_id: str
    file_id: str
    form: Mapping


@dataclass(frozen=True)
class RegisterCertificate:
    caller: SignedIn
    form: Mapping


@dataclass(frozen=True)
class VerifyPdf:
    caller: SignedIn
    upload: Upload | None


def _tab(kind):
    return "drafts" if kind == "draft" else "noting"


def _signable(kind):
    if kind not in SIGNABLE:
        raise UnknownAction(f"nothing to sign of kind {kind}")


def set_signing_order(command: SignDocument, desk: Desk) -> Page | Redirect:
    """The owner names who signs, in order (login ids, one a line or comma-separated)."""
    _signable(command.kind)
    kind, document_id, file_id = command.kind, command.document_id, command.file_id
    signers = [s for s in re.split(r"[\s,]+", command.form.get("signers", "")) if s]
    try:
        desk.services.request("signing", "PUT", f"/documents/{kind}/{document_id}/signers", json={"signers": signers})
    except ServiceFailure as failure:
        if failure.status not in (403, 409, 422) or not file_id:
            raise
        page = ShowFile(command.caller, file_id, _tab(kind), f"order-{document_id}")
        return file_page(page, desk, failure=failure, status=form_status(failure))
    return Redirect(f"/files/{file_id}?tab={_tab(kind)}#{kind}-{document_id}", "signing_order_set")


def sign(command: SignDocument, desk: Desk) -> Page | Redirect:
    """Sign a green note or an approved draft through the signing service, then show the signature."""
    _signable(command.kind)
    try:
        signature = _sign_when_known(command, desk)
    except ServiceFailure as failure:
        FORMS.labels("sign", "refused").inc()
        if not command.file_id:
            raise
        page = ShowFile(command.caller, command.file_id, _tab(command.kind), f"sign-{command.document_id}")
        return file_page(page, desk, failure=failure, status=form_status(failure))
    FORMS.labels("sign", "done").inc()
    return Redirect(f"/signatures/{signature['id']}", "signed")


def _sign_when_known(command: SignDocument, desk: Desk):
    """The signing service learns of a green note or an approved draft from files' events a moment
    after the page showed it: a 404 then means 'not yet', so wait briefly before giving up."""
    clock = eventlet.hubs.get_hub().clock
    deadline = clock() + SIGN_WAIT_SECONDS
    body = {"method": command.form.get("method") or "dsc"}
    while True:
        try:
            return desk.services.post("signing", f"/documents/{command.kind}/{command.document_id}/signatures", json=body)
        except ServiceFailure as failure:
            if failure.status != 404 or clock() > deadline:
                raise
            eventlet.sleep(0.2)


def certificates_page(caller: SignedIn, desk: Desk) -> Page:
    """My signing certificates: a DSC named by its key on the token, or an eSign certificate (PEM)."""
    listing = desk.services.get("signing", "/certificates")
    return Page("certificates.html", dict(certificates=listing["certificates"], errors={},
                                          values=FormValues({"source": "dsc", "key_label": caller.user_id})))


def register_certificate(command: RegisterCertificate, desk: Desk) -> Page | Redirect:
    form = command.form
    body = {"source": form.get("source") or "dsc"}
    if body["source"] == "dsc":
        body["key_label"] = (form.get("key_label") or "").strip()
    else:
        body["certificate"] = (form.get("certificate") or "").strip()
    try:
        desk.services.post("signing", "/certificates", json={k: v for k, v in body.items() if v})
    except ServiceFailure as failure:
        if failure.status not in (409, 422):
            raise
        listing = attempt(desk.services.get, "signing", "/certificates")[0] or {"certificates": []}
        return Page("certificates.html", dict(certificates=listing["certificates"], values=form, failure=failure,
                                              errors=form_errors(failure)), failure.status)
    return Redirect("/certificates", "certificate_registered")


def signature_page(signature_id: str, desk: Desk) -> Page:
    signature = desk.services.get("signing", f"/signatures/{signature_id}")
    document_path = f"/documents/{signature['document_kind']}/{signature['document_id']}"
    (document, _), (verification, _) = together([get(desk, "signing", document_path),
                                                 get(desk, "signing", f"{document_path}/verification")])
    return Page("signature.html", dict(signature=signature, document=document, verification=verification,
                                       people=desk.store.people({signature["signer"]})))


def verify_pdf(command: VerifyPdf, desk: Desk) -> Page:
    upload = command.upload
    try:
        if upload is None:
            raise refused("file", "choose a PDF")
        result = desk.services.post("signing", "/verify", files=[("file", (upload.filename, upload.stream, "application/pdf"))])
    except ServiceFailure as failure:
        return Page("verify.html", dict(result=None, failure=failure, errors=form_errors(failure)), form_status(failure))
    return Page("verify.html", dict(result=result, filename=upload.filename))
