"""The rules of an issued letter's journey to its addressees: who may be addressed how, what an issue
needs, and how each addressee's dispatch advances as the news of it comes back."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .exceptions import AddresseeRefused, DraftNotSigned, NotByPost

INTRA, EMAIL, POST = "intra", "email", "post"
# What a dispatch shows: sent (on its way), received (a receipt was diarised for it), opened (its holder
# read it), delivered (the mail server took the email), bounced (the address refused it), posted.
SENT, RECEIVED, OPENED, DELIVERED, BOUNCED, POSTED = "sent", "received", "opened", "delivered", "bounced", "posted"
# A letter that leaves the office as a PDF carries its signature: CSMOP 2022 makes DSC or eSign mandatory.
NEEDS_SIGNED_PDF = (INTRA, EMAIL)


def mode_of(mode: str | None, default_mode: str, user: str | None, office: str | None) -> str:
    """An addressee named by user or office is in this deployment (intra) unless told otherwise."""
    if mode:
        return mode
    return INTRA if (user or office) else default_mode


def missing_for(mode: str, name: str | None, user: str | None, office: str | None, email: str | None,
                address: str | None) -> tuple[str, str] | None:
    """(field, reason) of what an addressee lacks for its mode, or None."""
    if mode == INTRA and not (user or office):
        return "office", "an officer (user) or an office of this deployment is needed"
    if mode == EMAIL and not email:
        return "email", "an email dispatch needs an email address"
    if mode == POST and not address:
        return "address", "a dispatch by post needs an address"
    if mode != INTRA and not name:
        return "name", "the addressee's name is needed"
    return None


class Directory(Protocol):
    """The directory copy (repository.DirectoryRepository): a user (models.User) or an office
    (models.Office), or None when the copy does not know it."""

    def find_user(self, user_id: str | None): ...

    def find_office(self, code: str | None): ...


@dataclass(frozen=True)
class Addressee:
    """An addressee as the dispatch records it."""

    position: int
    mode: str
    copy: bool
    name: str
    user: str | None = None
    office: str | None = None
    email: str | None = None
    address: str | None = None
    postal_mode: str | None = None
    article_number: str | None = None


def plan_addressees(recipients: list[dict], default_mode: str, directory: Directory) -> list[Addressee]:
    """Each recipient resolved against the directory: a named officer must be active, an office known.
    Raises AddresseeRefused naming the field of every one that is not."""
    fields, planned, seen = {}, [], set()
    for index, recipient in enumerate(recipients):
        mode = mode_of(recipient.get("mode"), default_mode, recipient.get("user"), recipient.get("office"))
        name, office = recipient.get("name"), recipient.get("office")
        if mode == INTRA and recipient.get("user"):
            user = directory.find_user(recipient["user"])
            if user is None or not user.active:
                fields[f"recipients.{index}.user"] = "deactivated" if user else "unknown"
                continue
            office, name = user.office_code, name or f"{user.name_en} ({user.designation_en})"
        elif mode == INTRA:
            known = directory.find_office(office)
            if known is None:
                fields[f"recipients.{index}.office"] = "unknown"
                continue
            name = name or known.name_en
        key = (mode, recipient.get("user") if mode == INTRA else None, office if mode == INTRA else None,
               recipient.get("email") if mode == EMAIL else None, recipient.get("address") if mode == POST else None)
        if key in seen:
            fields[f"recipients.{index}"] = "listed twice"
            continue
        seen.add(key)
        planned.append(Addressee(
            position=index + 1, mode=mode, copy=bool(recipient.get("for_information")), name=name,
            user=recipient.get("user") if mode == INTRA else None, office=office if mode == INTRA else None,
            email=recipient.get("email") if mode == EMAIL else None,
            address=recipient.get("address") if mode == POST else None,
            postal_mode=recipient.get("postal_mode") if mode == POST else None,
            article_number=recipient.get("article_number") if mode == POST else None,
        ))
    if fields:
        raise AddresseeRefused("some addressees cannot be sent the letter", fields=fields)
    return planned


def check_signed_pdf(addressees: list[Addressee], signed_pdf_key: str | None) -> None:
    """A letter that travels as a PDF (inside the system or by email) is issued once it is signed."""
    if signed_pdf_key is None and any(a.mode in NEEDS_SIGNED_PDF for a in addressees):
        raise DraftNotSigned("sign the approved draft before issuing it inside the system or by email")


def first_status(mode: str) -> str:
    return POSTED if mode == POST else SENT


class DispatchState(Protocol):
    status: str
    receipt_id: str | None
    receipt_number: str | None
    received_at: datetime | None
    opened_at: datetime | None
    delivered_at: datetime | None
    failure: str | None


def receipt_arrived(dispatch: DispatchState, receipt_id: str, receipt_number: str, at: datetime) -> None:
    """The addressee office diarised the letter as a receipt."""
    dispatch.receipt_id, dispatch.receipt_number, dispatch.received_at = receipt_id, receipt_number, at
    if dispatch.status == SENT:
        dispatch.status = RECEIVED


def receipt_opened(dispatch: DispatchState, at: datetime) -> None:
    if dispatch.opened_at is None:
        dispatch.opened_at = at
    if dispatch.status in (SENT, RECEIVED):
        dispatch.status = OPENED


def email_delivered(dispatch: DispatchState, at: datetime) -> None:
    if dispatch.status == SENT:
        dispatch.status, dispatch.delivered_at = DELIVERED, at


def email_bounced(dispatch: DispatchState, reason: str) -> None:
    """A bounce is final: the dispatch stays on the file as bounced, with the server's reason."""
    dispatch.status, dispatch.failure = BOUNCED, reason


def email_fate_unknown(dispatch: DispatchState, reason: str) -> None:
    """The connection broke before the server answered: the email may have arrived; it is not resent."""
    dispatch.failure = reason


def posted(dispatch: DispatchState, mode: str, postal_mode: str | None, article_number: str | None) -> None:
    """The dispatch section records how a letter by post left (Speed Post, registered ...) and its article number."""
    if mode != POST:
        raise NotByPost("only a letter by post has a postal mode and an article number")
    dispatch.postal_mode = postal_mode or dispatch.postal_mode
    dispatch.article_number = article_number or dispatch.article_number
