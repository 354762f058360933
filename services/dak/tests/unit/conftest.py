"""dak's in-memory unit of work for use-case tests: repositories that keep copies, as a database
would, so that a change a use case forgets to save is not seen again."""
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from dak import acting
from dak.address_book import SENDER_FIELDS, Entry, correspondent_key, search_text
from dak.exceptions import ChargeNotFound, CorrespondentNotFound, ReceiptNotFound, UnknownUser
from dak.letters import Colleague
from dak.model import Diarist, Receipt
from eoffice_common.fakes import FakeUnitOfWork
from eoffice_common.search import search_words


def _stored(receipt: Receipt) -> Receipt:
    kept = deepcopy(receipt)
    kept.collect_events()
    kept.opened_now.clear()
    return kept


class FakeReceipts:
    def __init__(self):
        self.stored: dict[str, Receipt] = {}
        self.serials: Counter = Counter()

    def add(self, receipt: Receipt) -> None:
        self.serials[(receipt.office_code, receipt.year)] += 1
        receipt.number(self.serials[(receipt.office_code, receipt.year)])
        self.stored[receipt.id] = _stored(receipt)

    def save(self, receipt: Receipt) -> None:
        assert receipt.id in self.stored, "save() is for a stored receipt"
        self.stored[receipt.id] = _stored(receipt)

    def get(self, receipt_id: str, for_update: bool = False) -> Receipt:
        if receipt_id not in self.stored:
            raise ReceiptNotFound(f"receipt {receipt_id} was not found")
        return deepcopy(self.stored[receipt_id])

    def held_by(self, user_id: str) -> list[Receipt]:
        held = [r for r in self.stored.values() if r.holder_id == user_id and r.status == "open"]
        return [deepcopy(r) for r in sorted(held, key=lambda r: r.created_at)]

    def in_file(self, file_id: str) -> list[Receipt]:
        return [deepcopy(r) for r in sorted(self.stored.values(), key=lambda r: r.created_at) if r.file_id == file_id]

    def duplicates_of(self, sender_organisation, letter_number, letter_date) -> list[str]:
        if not (sender_organisation and letter_number and letter_date):
            return []
        return [r.receipt_number for r in self.stored.values()
                if (r.sender_organisation or "").lower() == sender_organisation.lower()
                and (r.letter_number or "").lower() == letter_number.lower() and r.letter_date == letter_date]

    def for_dispatch(self, dispatch_id: str) -> str | None:
        return next((r.id for r in self.stored.values() if r.source_dispatch_id == dispatch_id), None)

    def referenced_scan_keys(self) -> set[str]:
        return {scan.key for r in self.stored.values() for scan in r.scans}

    def number_of(self, receipt_id: str) -> str:
        return self.stored[receipt_id].receipt_number


@dataclass(frozen=True)
class Officer:
    id: str
    office_code: str
    district_code: str
    active: bool = True
    roles: tuple[str, ...] = ("clerk",)
    section_code: str | None = None
    name_en: str = "Officer"
    name_hi: str = "अधिकारी"
    designation_en: str = "Section Officer"
    designation_hi: str = "अनुभाग अधिकारी"
    email: str | None = None
    reporting_officer_id: str | None = None
    clearance: str = "normal"


OFFICES = {"COLL-JHS": SimpleNamespace(code="COLL-JHS", district_code="JHS", name_en="Collectorate, Jhansi", name_hi="ज़िलाधिकारी कार्यालय, झाँसी"),
           "COLL-LLP": SimpleNamespace(code="COLL-LLP", district_code="LLP", name_en="Collectorate, Lalitpur", name_hi="ज़िलाधिकारी कार्यालय, ललितपुर")}


class FakeDirectory:
    def __init__(self, *officers: Officer):
        self.officers = {officer.id: officer for officer in officers}

    def diarist(self, user_id: str) -> Diarist:
        officer = self.officers.get(user_id)
        if officer is None or not officer.active:
            raise UnknownUser(f"user {user_id} is not in the directory")
        return Diarist(officer.id, officer.office_code, officer.district_code)

    def active_user_ids(self, user_ids) -> set[str]:
        return {user_id for user_id in user_ids if user_id in self.officers and self.officers[user_id].active}

    def active_clearances(self, user_ids) -> dict[str, str]:
        return {user_id: self.officers[user_id].clearance for user_id in self.active_user_ids(user_ids)}

    def person(self, user_id: str) -> Officer | None:
        return self.officers.get(user_id)

    def office(self, code: str):
        return OFFICES.get(code)

    def colleagues_in(self, office_code: str) -> list[Colleague]:
        return [Colleague(o.id, o.office_code, o.section_code, o.roles, o.reporting_officer_id)
                for o in self.officers.values() if o.office_code == office_code and o.active]

    def officer(self, user_id: str | None) -> acting.Officer | None:
        officer = self.officers.get(user_id) if user_id else None
        return None if officer is None else acting.Officer(officer.id, officer.office_code, officer.roles, officer.active)


class FakeActingCharges:
    def __init__(self):
        self.stored: dict[str, object] = {}

    def add(self, charge) -> None:
        self.stored[charge.id] = charge

    def get(self, charge_id: str, for_update: bool = False):
        if charge_id not in self.stored:
            raise ChargeNotFound(f"acting charge {charge_id} was not found")
        return self.stored[charge_id]

    def overlaps(self, absent_user, from_date, to_date) -> bool:
        return any(c.absent_user == absent_user and c.ended_at is None and c.from_date <= to_date and c.to_date >= from_date
                   for c in self.stored.values())

    def acting_for(self, user_ids, day) -> dict[str, str]:
        return {c.absent_user: c.acting_user for c in self.stored.values() if c.absent_user in set(user_ids) and c.in_force_on(day)}


class FakeAddressBook:
    """The office's correspondents by id, each under (office, correspondent_key), and its acknowledgement setting."""

    def __init__(self):
        self.correspondents: dict[int, SimpleNamespace] = {}
        self.acknowledges: dict[str, bool] = {}

    def remember(self, office_code: str, entry: dict, at) -> None:
        key = correspondent_key(entry["name"], entry.get("organisation"))
        known = self.holder_of(office_code, key)
        if known is None:
            known = self._store(SimpleNamespace(office_code=office_code, key=key, letters=0, last_letter_at=None,
                                                **dict.fromkeys(SENDER_FIELDS)))
        stored = self.correspondents[known]
        vars(stored).update({k: v for k, v in entry.items() if v}, letters=stored.letters + 1, last_letter_at=at)

    def holder_of(self, office_code: str, key: str) -> int | None:
        return next((i for i, e in self.correspondents.items() if (e.office_code, e.key) == (office_code, key)), None)

    def get(self, office_code: str, correspondent_id: int, for_update: bool = False) -> SimpleNamespace:
        stored = self.correspondents.get(correspondent_id)
        if stored is None or stored.office_code != office_code:
            raise CorrespondentNotFound(f"correspondent {correspondent_id} is not in the office's address book")
        return deepcopy(stored)

    def add(self, office_code: str, entry: Entry) -> SimpleNamespace:
        added = self._store(SimpleNamespace(office_code=office_code, key=entry.key, letters=0, last_letter_at=None, **entry.fields()))
        return deepcopy(self.correspondents[added])

    def change(self, stored: SimpleNamespace, entry: Entry) -> SimpleNamespace:
        changed = SimpleNamespace(**{**vars(stored), **entry.fields(), "key": entry.key})
        self.correspondents[stored.id] = deepcopy(changed)
        return changed

    def find(self, office_code: str, text: str | None, limit: int) -> list[SimpleNamespace]:
        words = search_words(text or "")
        found = [e for e in self.correspondents.values() if e.office_code == office_code
                 and all(word in search_text(vars(e)) for word in words)]
        return [deepcopy(e) for e in sorted(found, key=lambda e: (-e.letters, e.name))[:limit]]

    def _store(self, entry: SimpleNamespace) -> int:
        entry.id = len(self.correspondents) + 1
        self.correspondents[entry.id] = entry
        return entry.id

    def acknowledges_senders(self, office_code: str) -> bool:
        return self.acknowledges.get(office_code, True)

    def set_acknowledgements(self, office_code: str, enabled: bool) -> None:
        self.acknowledges[office_code] = enabled


JHANSI = ("COLL-JHS", "JHS")
LALITPUR = ("COLL-LLP", "LLP")


class FakeDakUnitOfWork(FakeUnitOfWork):
    def __init__(self, actor: str = "diarist.jhs"):
        super().__init__(actor)
        self.receipts = FakeReceipts()
        self.acting_charges = FakeActingCharges()
        self.address_book = FakeAddressBook()
        self.directory = FakeDirectory(
            Officer("diarist.jhs", *JHANSI), Officer("so.jhs", *JHANSI, clearance="secret"), Officer("clerk.jhs", *JHANSI),
            Officer("adm.jhs", *JHANSI, clearance="secret"),
            Officer("dm.jhs", *JHANSI, roles=("officer",), name_en="Ravi Kumar Sharma", name_hi="रवि कुमार शर्मा",
                    designation_en="District Magistrate", designation_hi="ज़िलाधिकारी", email="dm.jhs@up.example.in",
                    clearance="top_secret"),
            Officer("retired.jhs", *JHANSI, active=False),
            Officer("diarist.llp", *LALITPUR, section_code="COLL-LLP-CR"), Officer("dm.llp", *LALITPUR, roles=("officer",)),

        )


@pytest.fixture
def uow():
    return FakeDakUnitOfWork()


@pytest.fixture(scope="session")
def new_uow():
    """Makes a fresh unit of work: for tests that need one per example."""
    return FakeDakUnitOfWork
