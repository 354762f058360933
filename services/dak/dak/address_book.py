"""Rules of an office's address book: who a correspondent is (their name and organisation, however
spelt), and what a diarised letter's sender block adds to what the book knows."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from eoffice_common.search import search_form

SENDER_FIELDS = ("name", "designation", "organisation", "address", "state", "pincode", "email", "mobile")
# Who adds and edits their office's correspondents by hand: those who diarise and issue its letters.
KEEPERS = frozenset({"clerk", "officer"})


@dataclass(frozen=True)
class Entry:
    """A correspondent as a clerk or officer writes them into the book (SENDER_FIELDS)."""

    name: str
    designation: str | None = None
    organisation: str | None = None
    address: str | None = None
    state: str | None = None
    pincode: str | None = None
    email: str | None = None
    mobile: str | None = None

    @property
    def key(self) -> str:
        return correspondent_key(self.name, self.organisation)

    def fields(self) -> dict[str, str | None]:
        return {name: value or None for name, value in asdict(self).items()}


def keeps_the_book(roles) -> bool:
    return bool(KEEPERS.intersection(roles))


def correspondent_key(name: str, organisation: str | None) -> str:
    """The same correspondent, whatever the case, spacing or Hindi spelling variant."""
    return f"{search_form(name)}|{search_form(organisation or '')}"[:600]


def sender_block(fields: dict) -> dict:
    """A receipt's sender block (its sender_* fields) as a correspondent's fields."""
    return {name: fields.get(f"sender_{name}") for name in SENDER_FIELDS}


def search_text(entry: dict) -> str:
    return search_form(" ".join(filter(None, (entry.get("name"), entry.get("designation"), entry.get("organisation"),
                                              entry.get("email"), entry.get("address")))))


def acknowledgement(fields: dict) -> dict | None:
    """Where and what the sender of a diarised letter is told (its ReceiptDiarised.acknowledge_to):
    their email and mobile, when the letter gives either."""
    email, mobile = fields.get("sender_email"), fields.get("sender_mobile")
    if not (email or mobile):
        return None
    return {"email": email, "mobile": mobile, "name": fields.get("sender_name"), "subject": fields.get("subject")}
