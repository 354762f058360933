"""The desk's use cases run on fakes: the services answer from memory as dak, files, signing, notify
and metrics would (each route a fixed answer, a function of the request, or a refusal), and keep what
was written to them; the desk's own store is a few dicts. No broker, no database, no HTTP."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import pytest

from desk.domain import SignedIn
from desk.exceptions import ServiceFailure, ServiceUnavailable
from desk.models import Office, User
from desk.usecases import Desk

TODAY = date(2026, 12, 8)
RECORDED = datetime(2026, 12, 1, tzinfo=timezone.utc)
SO = SignedIn("h", "so.jhs", "COLL-JHS", ("officer",), "Rajesh Kumar Tripathi", "राजेश कुमार त्रिपाठी", "Section Officer",
              "अनुभाग अधिकारी", "hi", "csrf-1")
ADMIN = SignedIn("h", "admin.jhs", "COLL-JHS", ("admin",), "Vinod Kumar", "विनोद कुमार", "System Administrator",
                 "सिस्टम प्रशासक", "en", "csrf-2")


@dataclass(frozen=True)
class Written:
    """A request that changes something, as a service received it."""

    service: str
    method: str
    path: str
    body: object = None
    files: object = None


class FakeServices:
    """The services client (clients.ServiceCalls) over a table of routes: `answer(method, service, path,
    answer)` where the answer is what the service returns (a dict), a function of the call's keyword
    arguments, or a ServiceFailure it raises. A route not in the table is a 404 of that service; a
    service marked `away` is unreachable."""

    def __init__(self):
        self.routes = {}
        self.away = set()
        self.written: list[Written] = []
        self.reads: list[tuple[str, str, dict | None]] = []

    def answer(self, method, service, path, answer):
        self.routes[(method, service, path)] = answer
        return self

    def json(self, service, method, path, **kwargs):
        if service in self.away:
            raise ServiceUnavailable(service, f"{service} is not reachable: ConnectionError")
        if method == "GET":
            self.reads.append((service, path, kwargs.get("params")))
        else:
            self.written.append(Written(service, method, path, kwargs.get("json", kwargs.get("data")), kwargs.get("files")))
        answer = self.routes.get((method, service, path))
        if answer is None:
            raise ServiceFailure(service, 404, "not_found", f"{method} {path} was not found")
        if isinstance(answer, ServiceFailure):
            raise answer
        return answer(**kwargs) if callable(answer) else answer

    def request(self, service, method, path, **kwargs):
        return self.json(service, method, path, **kwargs)

    def get(self, service, path, **kwargs):
        return self.json(service, "GET", path, **kwargs)

    def post(self, service, path, **kwargs):
        return self.json(service, "POST", path, **kwargs)

    def put(self, service, path, **kwargs):
        return self.json(service, "PUT", path, **kwargs)

    def posted(self, service=None):
        return [w for w in self.written if service in (None, w.service)]


@dataclass
class FakeStore:
    """The desk's own tables as repository.DeskStore reads them."""

    users: dict = field(default_factory=dict)
    offices: dict = field(default_factory=dict)
    away: dict = field(default_factory=dict)  # absent user id: (charge, acting user)
    deadlines: dict = field(default_factory=dict)
    password_hashes: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)  # id hash: (user id, csrf token, times)
    languages: dict = field(default_factory=dict)

    def add_office(self, code, district, name_en, name_hi, district_name_en, district_name_hi):
        self.offices[code] = Office(code=code, district=district, name_en=name_en, name_hi=name_hi,
                                    district_name_en=district_name_en, district_name_hi=district_name_hi, recorded_at=RECORDED)

    def add_user(self, user_id, office, name_en, name_hi, designation_en, designation_hi, roles=("officer",)):
        self.users[user_id] = User(id=user_id, office=office, district=self.offices[office].district, name_en=name_en,
                                   name_hi=name_hi, designation_en=designation_en, designation_hi=designation_hi,
                                   roles=list(roles), active=True, recorded_at=RECORDED)

    def people(self, user_ids):
        return {u.id: {"id": u.id, "name_en": u.name_en, "name_hi": u.name_hi, "designation_en": u.designation_en,
                       "designation_hi": u.designation_hi} for u in self.users.values() if u.id in set(user_ids)}

    def deadlines_of(self, receipt_ids):
        return {r: self.deadlines[r] for r in receipt_ids if r in self.deadlines}

    def district_of(self, office_code):
        office = self.offices.get(office_code)
        return office.district if office else None

    def people_by_id(self, user_ids):
        return [(self.users[u], self.offices[self.users[u].office]) for u in user_ids if u in self.users]

    def find_people(self, query, office, district, limit):
        words = [w.lower() for w in re.split(r"\s+", query) if w]
        found = [(u, self.offices[u.office]) for u in self.users.values()
                 if all(w in f"{u.name_en} {u.name_hi} {u.designation_en} {u.designation_hi}".lower() for w in words)]
        found.sort(key=lambda pair: (pair[0].office != office, pair[1].district != district, pair[1].name_en, pair[0].name_en))
        return found[:limit]

    def away_on(self, user_ids, day):
        return {u: self.away[u] for u in user_ids if u in self.away and self.away[u][0].from_date <= day <= self.away[u][0].to_date}

    def fill_directory_if_empty(self, snapshot):
        if not self.users:
            for office in snapshot()["offices"]:
                self.add_office(office["office"], office["district"], office["name_en"], office["name_hi"],
                                office.get("district_name_en"), office.get("district_name_hi"))
            for user in snapshot()["users"]:
                self.add_user(user["user_id"], user["office"], user["name_en"], user["name_hi"], user["designation_en"],
                              user["designation_hi"], user["roles"])

    def user(self, user_id):
        user = self.users.get(user_id)
        return user if user is not None and user.active else None

    def password_hash(self, user_id):
        return self.password_hashes.get(user_id)

    def start_session(self, id_hash, user_id, csrf_token, times, now):
        self.sessions = {h: s for h, s in self.sessions.items() if s[2].expires_at >= now}
        self.sessions[id_hash] = (user_id, csrf_token, times)

    def end_session(self, id_hash):
        self.sessions.pop(id_hash, None)

    def choose_language(self, user_id, language, now):
        self.languages[user_id] = language

    def all_offices(self):
        return sorted(self.offices.values(), key=lambda o: o.code)


@pytest.fixture
def store():
    store = FakeStore()
    store.add_office("COLL-JHS", "JHS", "Collectorate Jhansi", "कलेक्ट्रेट झाँसी", "Jhansi", "झाँसी")
    store.add_office("COLL-LKO", "LKO", "Collectorate Lucknow", "कलेक्ट्रेट लखनऊ", "Lucknow", "लखनऊ")
    store.add_user("so.jhs", "COLL-JHS", "Rajesh Kumar Tripathi", "राजेश कुमार त्रिपाठी", "Section Officer", "अनुभाग अधिकारी")
    store.add_user("adm.jhs", "COLL-JHS", "Sunita Verma", "सुनीता वर्मा", "Additional District Magistrate", "अपर ज़िलाधिकारी")
    store.add_user("dm.jhs", "COLL-JHS", "Ravi Kumar Sharma", "रवि कुमार शर्मा", "District Magistrate", "ज़िलाधिकारी")
    store.add_user("dm.lko", "COLL-LKO", "Ravi Kumar Sharma", "रवि कुमार शर्मा", "District Magistrate", "ज़िलाधिकारी")
    store.add_user("diarist.jhs", "COLL-JHS", "Ramesh Chandra Kushwaha", "रमेश चन्द्र कुशवाहा", "Diary Clerk", "डायरी लिपिक", ("clerk",))
    return store


@pytest.fixture
def services():
    return FakeServices()


@pytest.fixture
def desk(services, store):
    return Desk(services, store, today=lambda: TODAY)
