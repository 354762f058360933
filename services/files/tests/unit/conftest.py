"""Use cases run on the files unit of work in memory: repositories over dicts and the rows each file
holds in its collections, as the SQL repositories would give them back. No broker, no database."""
from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from datetime import datetime
from types import SimpleNamespace

import pytest

from eoffice_common.auth import Principal
from eoffice_common.errors import NotFound
from eoffice_common.fakes import FakeUnitOfWork
from files import domain
from files.exceptions import (
    CorrespondenceNotFound,
    DraftNotFound,
    FileNotFound,
    NoteNotFound,
    UnknownHead,
    UnknownOffice,
    UnknownUser,
)
from files.model import File
from files.models import FileHead, Office, User
from files.usecases import files

OFFICE = "COLL-JHS"


class FakeFiles:
    def __init__(self, uow):
        self._uow = uow
        self.rows: dict[str, File] = {}
        self._movement_ids = itertools.count(1)
        self._computer_numbers = itertools.count(1001)
        self._serials = Counter()
        self.removed_links = []

    def get(self, file_id, for_update=False):
        file = self.find(file_id, for_update)
        if file is None:
            raise FileNotFound(f"file {file_id} was not found")
        return file

    def find(self, file_id, for_update=False):
        file = self.rows.get(file_id)
        if file is None:
            return None
        file.current = next((m for m in file.movements if m.is_current), None)
        file.yellow_notes = [n for n in file.notes if n.status == domain.YELLOW and n.author == file.custodian_id]
        return self._uow.track(file)

    def add(self, file):
        self.rows[file.id] = file
        self._uow.track(file)

    def held_or_owned_by(self, user_id):
        return [self.find(f.id) for f in sorted(self.rows.values(), key=lambda f: f.id) if user_id in (f.custodian_id, f.owner_id)]

    def held_by(self, user_id):
        return [self.find(f.id) for f in sorted(self.rows.values(), key=lambda f: f.id)
                if f.custodian_id == user_id and f.status != domain.CLOSED]

    def next_movement_id(self):
        return next(self._movement_ids)

    def get_to_move(self, file_id):
        return self.get(file_id, for_update=True)

    def next_computer_number(self):
        return next(self._computer_numbers)

    def next_file_serial(self, head_id, year):
        return self._next(("file", head_id, year))

    def next_issue_serial(self, office_code, year):
        return self._next(("issue", office_code, year))

    def _next(self, key):
        self._serials[key] += 1
        return self._serials[key]

    def number_taken(self, office_code, number):
        return any(f.office_code == office_code and f.number_key == domain.number_key(number) for f in self.rows.values())

    def next_volume(self, root_id):
        return max(f.volume for f in self.rows.values() if f.id == root_id or (f.parent_file_id == root_id and f.relation == "volume")) + 1

    def next_part(self, parent_id):
        return max((f.part for f in self.rows.values() if f.parent_file_id == parent_id and f.relation == "part"), default=0) + 1

    def related(self, file):
        root = file.parent_file_id if file.relation == "volume" else file.id
        return [f for f in self.rows.values() if f.id != file.id and root in (f.id, f.parent_file_id)]

    def attached_to(self, file_id, for_update=False):
        return [self.find(f.id) for f in sorted(self.rows.values(), key=lambda f: f.id) if f.attached_to_file_id == file_id]

    def has_attachments(self, file_id):
        return any(f.attached_to_file_id == file_id for f in self.rows.values())

    def _links(self):
        return [link for f in self.rows.values() for link in f.links if link not in self.removed_links]

    def linked_with(self, file_id):
        return [self.rows[link.linked_file_id if link.file_id == file_id else link.file_id]
                for link in self._links() if file_id in (link.file_id, link.linked_file_id)]

    def link_between(self, file_id, other_id):
        return next((link for link in self._links() if {link.file_id, link.linked_file_id} == {file_id, other_id}), None)

    def remove_link(self, link):
        self.removed_links.append(link)

    def was_sent_to(self, file_id, user_id):
        return any(m.to_user == user_id for m in self.rows[file_id].movements)

    def last_movement_to(self, file_id, user_id):
        return max((m.id for m in self.rows[file_id].movements if m.to_user == user_id), default=None)

    def custodian_at(self, file, moment: datetime):
        earlier = [m for m in file.movements if m.sent_at <= moment]
        return earlier[-1].to_user if earlier else file.created_by

    def movements_of(self, file_id):
        return list(self.rows[file_id].movements)

    def counted_movements(self, file_id):
        return sum(m.action in domain.COUNTED_MOVES for m in self.rows[file_id].movements)

    def audit_records(self, file_id):
        return [domain.AuditRecord(e.seq, e.action, e.actor, e.at, json.loads(e.details), e.prev_hash, e.hash)
                for e in self.rows[file_id].audit_entries]


def in_file(row, file_id, missing):
    if row is None or row.file_id != file_id:
        raise missing
    return row


class FakeNotes:
    def __init__(self, files: FakeFiles):
        self._files = files
        self.removed = []

    def _all(self):
        return [n for f in self._files.rows.values() for n in f.notes if n not in self.removed]

    def get(self, file_id, note_id):
        return in_file(self.find(note_id), file_id, NoteNotFound(f"note {note_id} is not in file {file_id}"))

    def find(self, note_id):
        return next((n for n in self._all() if n.id == note_id), None)

    def remove(self, note):
        self.removed.append(note)

    def of_file(self, file_id):
        return [n for n in self._all() if n.file_id == file_id]

    def readable_by(self, file_id, viewer):
        mine = [n for n in self._all() if n.file_id == file_id and (n.status == domain.GREEN or n.author == viewer)]
        return sorted(mine, key=lambda n: (n.status != domain.GREEN, n.first_paragraph or 0))


class FakeCorrespondence:
    def __init__(self, files: FakeFiles):
        self._files = files

    def _items(self, file_id):
        """By the item's file, as the table is read: a merged part's items name the main file."""
        return sorted((i for f in self._files.rows.values() for i in f.correspondence if i.file_id == file_id), key=lambda i: i.position)

    def items_of(self, file_id):
        return self._items(file_id)

    def ids(self, file_id):
        return {i.id for i in self._items(file_id)}

    def next_position(self, file_id):
        return max((i.position for i in self._items(file_id)), default=0) + 1

    def receipts_in(self, file_id):
        return [i for i in self._items(file_id) if i.kind == "receipt"]

    def of_file(self, file_id):
        return [(i, list(i.documents)) for i in self._items(file_id)]

    def document(self, file_id, item_id, position):
        item = next((i for i in self._items(file_id) if i.id == item_id), None)
        if item is None:
            raise CorrespondenceNotFound(f"correspondence {item_id} is not in file {file_id}")
        return item, next(d for d in item.documents if d.position == position)

    def referenced_keys(self):
        return {d.key for f in self._files.rows.values() for i in f.correspondence for d in i.documents}


class FakeDrafts:
    def __init__(self, files: FakeFiles):
        self._files = files
        self._comment_ids = itertools.count(1)

    def _all(self):
        return [d for f in self._files.rows.values() for d in f.drafts]

    def get(self, file_id, draft_id):
        return in_file(self.find(draft_id), file_id, DraftNotFound(f"draft {draft_id} is not in file {file_id}"))

    def find(self, draft_id):
        return next((d for d in self._all() if d.id == draft_id), None)

    def of_file(self, file_id):
        return list(self._files.rows[file_id].drafts)

    def versions(self, draft_id):
        return list(self.find(draft_id).versions)

    def version(self, draft_id, version):
        found = next((v for v in self.find(draft_id).versions if v.version == version), None)
        if found is None:
            raise DraftNotFound(f"draft {draft_id} has no version {version}", reason="version_not_found")
        return found

    def comments(self, draft_id):
        return list(self.find(draft_id).comments)

    def next_comment_id(self):
        return next(self._comment_ids)



class FakeDispatches:
    def __init__(self, files):
        self._files = files

    def _all(self):
        return [d for file in self._files.rows.values() for d in file.dispatches]

    def get(self, dispatch_id):
        return next((d for d in self._all() if d.id == dispatch_id), None)

    def of_draft(self, draft_id):
        return sorted((d for d in self._all() if d.draft_id == draft_id), key=lambda d: d.position)

    def register(self, office_code, query):
        drafts = {d.id: d for file in self._files.rows.values() for d in file.drafts}
        rows = [(d, drafts[d.draft_id], self._files.rows[d.file_id]) for d in self._all() if d.office_code == office_code]
        return rows, len(rows)


class FakeDirectory:
    def __init__(self):
        self.users: dict[str, User] = {}
        self.offices: dict[str, Office] = {}
        self.charges: list[tuple] = []
        self.ended: set[str] = set()
        self.heads: list[FileHead] = []

    def user(self, user_id):
        user = self.users.get(user_id)
        if user is None or not user.active:
            raise UnknownUser(f"user {user_id} is not in the directory")
        return user

    def find_user(self, user_id):
        return self.users.get(user_id)

    def find_office(self, code):
        return self.offices.get(code)

    def reporting_officer_of(self, user_id):
        return getattr(self.users.get(user_id), "reporting_officer_id", None)

    def record_acting_charge(self, charge_id, absent_user, acting_user, from_date, to_date, ended):
        """As the repository keeps them: an ended charge stays ended."""
        charge = (absent_user, acting_user, from_date, to_date)
        if ended:
            self.ended.add(charge_id)
        self.charges = [c for c in self.charges if c != charge] + ([] if charge_id in self.ended else [charge])

    def acting_for(self, user_id, day):
        """The officer acting for `user_id` on `day`: charges are (absent, acting, first day, last day)."""
        return next((acting for absent, acting, start, end in self.charges if absent == user_id and start <= day <= end), None)

    def people_and_acting(self, user_ids, addressee, day):
        acting = self.acting_for(addressee, day)
        return self.people(set(user_ids) | {acting}), acting

    def office(self, code):
        if code not in self.offices:
            raise UnknownOffice(f"office {code} is not in the directory")
        return self.offices[code]

    def people(self, user_ids):
        return {u: self.users[u] for u in user_ids if u in self.users}

    def heads_of(self, office_code):
        return [h for h in self.heads if h.office_code == office_code]

    def head(self, head_id, office_code):
        head = next((h for h in self.heads if h.id == head_id and h.office_code == office_code and h.active), None)
        if head is None:
            raise UnknownHead(f"head {head_id} is not a head of {office_code}")
        return head

    def head_exists(self, office_code, main_code, sub_code):
        return any((h.office_code, h.main_code, h.sub_code) == (office_code, main_code, sub_code) for h in self.heads)

    def add_head(self, head):
        head.id = len(self.heads) + 1
        self.heads.append(head)


class FakeFilesUnitOfWork(FakeUnitOfWork):
    def __init__(self):
        super().__init__()
        self.files = FakeFiles(self)
        self.notes = FakeNotes(self.files)
        self.correspondence = FakeCorrespondence(self.files)
        self.drafts = FakeDrafts(self.files)
        self.dispatches = FakeDispatches(self.files)
        self.directory = FakeDirectory()


class FakeStore:
    """The document store: what was put and copied, by key."""

    prefix = "files/documents/"

    def __init__(self, existing=()):
        self.objects = dict.fromkeys(existing, b"scan")

    def check(self, data, filename):
        """Every upload is accepted here; the real store's checks have their own tests."""

    def put(self, data, filename):
        sha = hashlib.sha256(data).hexdigest()
        key = f"{self.prefix}{sha}.pdf"
        self.objects[key] = data
        return SimpleNamespace(key=key, sha256=sha, size=len(data), content_type="application/pdf")

    def copy(self, source, key):
        if source not in self.objects:
            raise NotFound(f"{source} is not in the store")
        self.objects[key] = self.objects[source]

    def unreferenced(self, referenced, grace):
        return [key for key in self.objects if key not in referenced]

    def delete(self, key):
        del self.objects[key]


def officer(user_id):
    """The caller `user_id` of the Jhansi collectorate, with the roles the directory gives them."""
    roles = next(person[4] for person in PEOPLE if person[0] == user_id)
    return Principal(user_id, OFFICE, roles, user_id)

# As the demo organisation clears them; everyone else is cleared for normal files only.
CLEARANCES = {"dm.jhs": "top_secret", "adm.jhs": "secret", "so.jhs": "secret", "cm.jhs": "secret"}
# (id, name in Hindi, designation, reporting officer, roles)
PEOPLE = [
    ("clerk.jhs", "राम कुमार", "Dealing Assistant", "so.jhs", ("clerk",)),
    ("so.jhs", "सीता देवी", "Section Officer", "adm.jhs", ("officer",)),
    ("adm.jhs", "अमित सिंह", "Additional District Magistrate", "dm.jhs", ("officer",)),
    ("dm.jhs", "प्रिया शर्मा", "District Magistrate", None, ("officer",)),
    ("cm.jhs", "मोहन लाल", "City Magistrate", "dm.jhs", ("officer",)),
    ("admin.jhs", "सुरेश यादव", "System Administrator", None, ("admin",)),
]


@pytest.fixture
def uow():
    """A fake unit of work holding the Jhansi collectorate, its officers and one SFS head."""
    unit = FakeFilesUnitOfWork()
    unit.directory.offices[OFFICE] = Office(
        code=OFFICE, district_code="JHS", name_en="Collectorate Jhansi", name_hi="कलेक्ट्रेट झाँसी", department_code="REV",
        department_name_en="Revenue", department_name_hi="राजस्व", district_name_en="Jhansi", district_name_hi="झाँसी",
        state_code="UP", sections=[{"code": "REV-1", "name_en": "Revenue I", "name_hi": "राजस्व प्रथम"}],
    )
    for user_id, name_hi, designation, reports_to, roles in PEOPLE:
        unit.directory.users[user_id] = User(
            id=user_id, office_code=OFFICE, district_code="JHS", name_en=user_id, name_hi=name_hi, designation_en=designation,
            designation_hi="अधिकारी", section_code="REV-1", reporting_officer_id=reports_to, roles=list(roles), active=True,
            clearance=CLEARANCES.get(user_id, "normal"),
        )
    unit.directory.add_head(FileHead(
        office_code=OFFICE, main_code="N-11", main_name_en="Land Revenue", main_name_hi="भू-राजस्व", sub_code="016",
        sub_name_en="Mutation", sub_name_hi="नामांतरण", section_label="REV", department_label="JHS", active=True,
        created_by="admin.jhs",
    ))
    return unit


@pytest.fixture
def new_file(uow):
    """make(creator, **fields): a new SFS file of `creator`, its creation committed."""

    def make(creator="clerk.jhs", subject="भूमि नामांतरण प्रकरण", **fields):
        status, body = files.create_file(files.CreateFile(officer(creator), subject=subject, head_id=1, **fields), uow)
        assert status == 201
        return uow.files.rows[body["id"]]

    return make


@pytest.fixture
def caller():
    return officer


@pytest.fixture
def store():
    return FakeStore()
