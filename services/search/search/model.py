"""Who may read what the index holds: dak's and files' rules, computed from what their events said.

A caller is a user in an office (their token). Each indexed document gets the set of *grants* that
let someone read it, each naming what they open to read it:
- `u:<user>`: that user, wherever posted;
- `o:<office>`: anyone in that office;
- `u:<user>|o:<office>`: that user while posted in that office (a rule of both an item and the file
  it is in: named by one, in the office of the other).
A caller holding any grant of a document sees it, its snippet and its place in counts and facets;
nobody else does, so a search answers exactly what dak and files would open."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

RECEIPT, FILE = "receipt", "file"
RESTRICTED = frozenset({"secret", "top_secret"})
CLASSIFICATIONS = ("normal", "confidential", "secret", "top_secret")


def user_grant(user: str) -> str:
    return f"u:{user}"


def office_grant(office: str) -> str:
    return f"o:{office}"


def posted_grant(user: str, office: str) -> str:
    return f"u:{user}|o:{office}"


def grants_of_caller(user: str, office: str) -> tuple[str, str, str]:
    return user_grant(user), office_grant(office), posted_grant(user, office)


@dataclass
class Item:
    """A receipt or a file as the events described it. `readers` are those named by the rules:
    a receipt's creator and everyone it was sent to (dak); a file's creator and everyone it was
    sent, returned, pulled back or transferred to, so its owner and custodian too (files)."""

    kind: str
    id: str
    office: str | None = None
    classification: str | None = None
    number: str | None = None
    subject: str | None = None
    district: str | None = None
    dated: date | None = None
    readers: set[str] = field(default_factory=set)

    @property
    def known(self) -> bool:
        """Whether its creating event has arrived (until then nobody is granted anything by it)."""
        return self.classification is not None and self.office is not None


@dataclass(frozen=True)
class Link:
    """A receipt put in a file's correspondence (files' `receipt_linked`)."""

    receipt_id: str
    file_id: str
    linked_by: str
    linked_at: datetime
    correspondence_id: str | None = None


@dataclass(frozen=True)
class Handover:
    """Someone who received a file at a time (a send, return, pull back or transfer)."""

    file_id: str
    user: str
    at: datetime


def found_item(item_kind: str, item_id: str, source: str) -> tuple[str, str]:
    """What a result lists once, however many of its documents matched: a receipt (its subject line and
    scans), a file's own subject, a note, a draft, or an item of a file's correspondence (its details and
    documents). Sources are `subject`, `scan:<n>`, `note:<id>`, `draft:<id>`, `correspondence:<id>` and
    `correspondence:<id>:<n>`."""
    if item_kind == RECEIPT or source == "subject":
        return item_kind, item_id
    kind, within = source.split(":")[:2]
    return kind, within


# A grant and what it opens: ("receipt" | "file", id).
Grants = dict[str, tuple[str, str]]


def item_grants(item: Item) -> set[str]:
    """Who may open the item itself: its named readers; and its office unless Secret or Top Secret."""
    if not item.known:
        return set()
    grants = {user_grant(user) for user in item.readers}
    if item.classification not in RESTRICTED:
        grants.add(office_grant(item.office))
    return grants


def receipt_in_file_grants(receipt: Item, file: Item, link: Link, handovers: list[Handover]) -> set[str]:
    """Who may read a receipt through a file it is in (files' README, "Classification travels"):
    whoever may open the file, and, unless the receipt is Normal, also may read the receipt there:
    those dak cleared, the officer who put it in, whoever received the file after it went in, and
    (Confidential) the officers of the receipt's office."""
    if not receipt.known or not file.known:
        return set()
    may_open_file = item_grants(file)
    if receipt.classification == "normal":
        return may_open_file
    named = set(receipt.readers) | {link.linked_by}
    named |= {handover.user for handover in handovers if handover.file_id == file.id and handover.at > link.linked_at}
    receipt_office = receipt.office if receipt.classification not in RESTRICTED else None
    file_users = {user for user in file.readers}
    file_office = file.office if file.classification not in RESTRICTED else None
    # (named in the file or in its office) and (named for the receipt or in the receipt's office)
    grants = {user_grant(user) for user in file_users & named}
    if receipt_office:
        grants |= {posted_grant(user, receipt_office) for user in file_users}
    if file_office:
        grants |= {posted_grant(user, file_office) for user in named}
        if file_office == receipt_office:
            grants.add(office_grant(file_office))
    return grants


def grants_of_receipt_document(receipt: Item, links: list[tuple[Link, Item]], handovers: list[Handover]) -> Grants:
    """A receipt's scan or subject: read as the receipt where dak allows, else through each file it is in."""
    grants: Grants = {}
    for link, file in links:
        for grant in receipt_in_file_grants(receipt, file, link, handovers):
            grants.setdefault(grant, (FILE, file.id))
    for grant in item_grants(receipt):
        grants[grant] = (RECEIPT, receipt.id)
    return grants


def grants_of_file_document(file: Item) -> Grants:
    """A file's subject, a green note, an approved draft: whoever may open the file."""
    return {grant: (FILE, file.id) for grant in item_grants(file)}
