"""The desk's repository (desk.repository and its DeskStore) on both databases it runs on: PostgreSQL
(tests and production) and SQLite (`make run`). The Send dialog's search (LIKE on folded text), the
directory copy's upserts and the sign-in counts must come out the same on both."""
import os
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from desk import repository
from desk.models import ReceiptDeadline, Session
from desk.repository import DeskStore
from eoffice_common.db import Store
from eoffice_common.events import Envelope
from eoffice_common.testing import empty, repository_database

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T0 = datetime(2026, 12, 7, 4, 30, tzinfo=timezone.utc)
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


def office(code, district, name_en, name_hi, district_name_hi):
    return {"office": code, "district": district, "name_en": name_en, "name_hi": name_hi,
            "district_name_en": None, "district_name_hi": district_name_hi}


def user(user_id, office_code, name_en, name_hi, designation_en, designation_hi, active=True, language="hi"):
    return {"user_id": user_id, "office": office_code, "district": office_code[-3:], "name_en": name_en, "name_hi": name_hi,
            "designation_en": designation_en, "designation_hi": designation_hi, "roles": ["officer"], "language": language,
            "active": active, "email": f"{user_id}@up.example.in"}


OFFICES = [
    office("COLL-JHS", "JHS", "Collectorate Jhansi", "ज़िलाधिकारी कार्यालय, झाँसी", "झाँसी"),
    office("TEH-JHS", "JHS", "Tehsil Jhansi", "तहसील झाँसी", "झाँसी"),
    office("COLL-LKO", "LKO", "Collectorate Lucknow", "ज़िलाधिकारी कार्यालय, लखनऊ", "लखनऊ"),
]
USERS = [
    user("dm.jhs", "COLL-JHS", "Asha Verma", "आशा वर्मा", "District Magistrate", "ज़िलाधिकारी"),
    user("adm.jhs", "COLL-JHS", "Vikas Singh", "विकास सिंह", "Additional District Magistrate", "अपर ज़िलाधिकारी"),
    user("clerk.jhs", "COLL-JHS", "Sunita Devi", "सुनीता देवी", "Clerk", "लिपिक", language="en"),
    user("sdm.jhs", "TEH-JHS", "Mohan Lal", "मोहन लाल", "Sub-Divisional Magistrate", "उप ज़िलाधिकारी"),
    user("dm.lko", "COLL-LKO", "Ravi Kumar", "रवि कुमार", "District Magistrate", "ज़िलाधिकारी"),
    user("old.jhs", "COLL-JHS", "Ram Prasad", "राम प्रसाद", "District Magistrate", "ज़िलाधिकारी", active=False),
]
SNAPSHOT = {"taken_at": T0.isoformat(), "offices": OFFICES, "users": USERS}


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def migrated(request, tmp_path_factory):
    # PostgreSQL set to India's time zone: timestamps still come back in UTC (UtcDateTime)
    with repository_database(request.param, SERVICE_DIR, "desk", tmp_path_factory, postgresql_options="?options=-c%20timezone%3DAsia/Kolkata") as database:
        yield database


@pytest.fixture
def db(migrated):
    """What the desk's entrypoints hand DeskStore (eoffice_common.db.Store), on a database emptied after each test."""
    engine, tables = migrated
    yield Store(engine, "tester", None, "desk", "desk")
    empty(engine, tables)


@pytest.fixture
def store(db):
    """DeskStore over the demo directory of SNAPSHOT."""
    store = DeskStore(db)
    store.fill_directory_if_empty(lambda: SNAPSHOT)
    return store


def times(created_at, ttl=HOUR):
    return SimpleNamespace(created_at=created_at, last_seen_at=created_at, expires_at=created_at + ttl)


def sessions(db):
    with db.read() as session:
        return sorted(session.execute(select(Session.id_hash)).scalars())


def test_the_directory_is_filled_once_and_read_back_in_both_languages(db):
    store = DeskStore(db)
    store.fill_directory_if_empty(lambda: SNAPSHOT)
    store.fill_directory_if_empty(lambda: pytest.fail("the directory is not empty: no snapshot needed"))
    assert store.people(["dm.jhs", "nobody", None]) == {"dm.jhs": {
        "id": "dm.jhs", "name_en": "Asha Verma", "name_hi": "आशा वर्मा", "designation_en": "District Magistrate",
        "designation_hi": "ज़िलाधिकारी"}}
    assert store.people([None, ""]) == {}
    assert (store.district_of("TEH-JHS"), store.district_of("NONE")) == ("JHS", None)
    assert [(o.code, o.name_hi) for o in store.all_offices()] == [(o["office"], o["name_hi"]) for o in sorted(OFFICES, key=lambda o: o["office"])]
    assert (store.user("dm.jhs").roles, store.user("old.jhs"), store.user("nobody")) == (["officer"], None, None)
    with db.read() as session:
        assert repository.count_users(session) == len(USERS)
        assert [u.id for u in repository.active_users(session)] == ["adm.jhs", "clerk.jhs", "dm.jhs", "dm.lko", "sdm.jhs"]
        assert set(repository.offices_by_code(session)) == {"COLL-JHS", "TEH-JHS", "COLL-LKO"}


@pytest.mark.parametrize("query, found", [
    # Hindi without the nukta finds ज़िलाधिकारी; the caller's office first, then the district, then the rest
    ("जिलाधिकारी", ["dm.jhs", "adm.jhs", "sdm.jhs", "dm.lko"]),
    ("ज़िलाधिकारी लखनऊ", ["dm.lko"]),  # every word, in the user's or their office's names
    ("झाँसी", []),  # only in office names: at least one word must be the user's own
    ("DISTRICT magistrate", ["dm.jhs", "adm.jhs", "dm.lko"]),
    ("%", []), ("_", []),  # typed literally, not as LIKE wildcards
])
def test_people_are_found_by_every_word_nearest_first(store, query, found):
    assert [u.id for u, _ in store.find_people(query, "COLL-JHS", "JHS", 10)] == found


def test_the_nearest_people_come_first_up_to_the_limit_and_by_id_in_the_order_asked(store):
    assert [(u.id, o.code) for u, o in store.find_people("", "TEH-JHS", "JHS", 3)] == [
        ("sdm.jhs", "TEH-JHS"), ("dm.jhs", "COLL-JHS"), ("clerk.jhs", "COLL-JHS")]
    assert [(u.id, o.name_hi) for u, o in store.people_by_id(["dm.lko", "old.jhs", "nobody", "dm.jhs"])] == [
        ("dm.lko", "ज़िलाधिकारी कार्यालय, लखनऊ"), ("dm.jhs", "ज़िलाधिकारी कार्यालय, झाँसी")]


def envelope(event_type, data, occurred_at):
    return Envelope(id=f"ev-{occurred_at.isoformat()}", type=event_type, schema_version=1, occurred_at=occurred_at.isoformat(),
                    actor="system", office="COLL-JHS", district="JHS", correlation_id=None, aggregate_type="user",
                    aggregate_id=data.get("user_id", data.get("office")), data=data)


def test_a_user_who_leaves_is_signed_out_everywhere_and_an_older_record_changes_nothing(db, store):
    for id_hash, user_id in (("h-dm-1", "dm.jhs"), ("h-dm-2", "dm.jhs"), ("h-adm", "adm.jhs")):
        store.start_session(id_hash, user_id, "csrf", times(T0), T0)
    gone = {**USERS[0], "active": False}
    with db.unit_of_work() as uow:
        repository.record_directory_event(uow.session, envelope("user_recorded", gone, T0 - MINUTE))  # older than the snapshot
        uow.commit()
    assert sessions(db) == ["h-adm", "h-dm-1", "h-dm-2"] and store.user("dm.jhs") is not None
    with db.unit_of_work() as uow:
        repository.record_directory_event(uow.session, envelope("user_recorded", gone, T0 + MINUTE))
        repository.record_directory_event(uow.session, envelope(
            "office_recorded", {**OFFICES[1], "name_hi": "तहसील सदर, झाँसी"}, T0 + MINUTE))
        uow.commit()
    assert sessions(db) == ["h-adm"] and store.user("dm.jhs") is None
    assert [u.id for u, _ in store.find_people("सदर", "COLL-JHS", "JHS", 10)] == []  # an office name alone is not enough
    assert [u.id for u, _ in store.find_people("सदर मोहन", "COLL-JHS", "JHS", 10)] == ["sdm.jhs"]
    with db.unit_of_work() as uow:  # a snapshot signs out whoever it finds inactive
        repository.record_directory_snapshot(uow.session, {**SNAPSHOT, "taken_at": (T0 + HOUR).isoformat(),
                                                           "users": [{**USERS[1], "active": False}]})
        uow.commit()
    assert sessions(db) == []


def test_a_session_is_read_with_its_user_and_chosen_language_and_ends(db, store):
    store.start_session("h-old", "clerk.jhs", "csrf-old", times(T0 - 2 * HOUR), T0 - 2 * HOUR)
    store.start_session("h-1", "clerk.jhs", "csrf-1", times(T0), T0)  # ends those expired by now
    assert sessions(db) == ["h-1"]
    with db.engine.connect() as connection:
        row = repository.signed_in(connection, "h-1")
        assert (row.id, row.name_hi, row.designation_hi, row.roles, row.directory_language, row.chosen_language,
                row.csrf_token, row.expires_at) == ("clerk.jhs", "सुनीता देवी", "लिपिक", ["officer"], "en", None, "csrf-1", T0 + HOUR)
        assert repository.signed_in(connection, "h-unknown") is None
    with db.engine.begin() as connection:
        repository.touch_session(connection, "h-1", T0 + MINUTE)
    store.choose_language("clerk.jhs", "hi", T0 + MINUTE)
    with db.engine.connect() as connection:
        row = repository.signed_in(connection, "h-1")
        assert (row.last_seen_at, row.chosen_language) == (T0 + MINUTE, "hi")
    store.choose_language("clerk.jhs", "en", T0 + 2 * MINUTE)
    assert store.password_hash("clerk.jhs") is None and store.password_hash("nobody") is None
    with db.unit_of_work() as uow:
        account = repository.account_of(uow.session, "clerk.jhs")
        assert account.language == "en"
        account.password_hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
        uow.commit()
    assert store.password_hash("clerk.jhs") == "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
    store.start_session("h-2", "clerk.jhs", "csrf-2", times(T0, ttl=MINUTE), T0)
    store.end_session("h-1")
    assert sessions(db) == ["h-2"]
    with db.unit_of_work() as uow:
        assert repository.end_expired_sessions(uow.session, T0 + 2 * MINUTE) == 1
        uow.commit()
    assert sessions(db) == []


def test_sign_in_attempts_count_others_within_the_window_and_are_forgotten(db):
    with db.unit_of_work() as uow:
        mine = repository.start_sign_in_attempt(uow.session, {"account": "a", "address": "x"}, T0)
        others = repository.start_sign_in_attempt(uow.session, {"account": "a", "address": "y"}, T0 + MINUTE)
        repository.start_sign_in_attempt(uow.session, {"account": "a"}, T0 - HOUR)
        uow.commit()
    assert len(set(mine + others)) == 4

    def attempts(scope, key, own_ids=()):
        with db.read() as session:
            return sorted(repository.other_attempts(session, scope, key, T0 - 30 * MINUTE, list(own_ids)))

    assert attempts("account", "a", mine) == [T0 + MINUTE] and attempts("account", "a") == [T0, T0 + MINUTE]
    assert attempts("address", "x", mine) == [] and attempts("address", "y", mine) == [T0 + MINUTE]
    with db.unit_of_work() as uow:
        repository.end_old_sign_in_attempts(uow.session, T0 - 30 * MINUTE)
        repository.forget_sign_in_attempts(uow.session, others)
        uow.commit()
    with db.read() as session:
        assert sorted(repository.other_attempts(session, "account", "a", T0 - 2 * HOUR, [])) == [T0]
    with db.unit_of_work() as uow:  # a right password: the account starts afresh, the address keeps its count
        repository.forget_sign_in_attempts(uow.session, [], account_key="a")
        uow.commit()
    assert attempts("account", "a") == [] and attempts("address", "x") == [T0]


def test_an_acting_charge_marks_the_absent_officer_away_until_it_ends(db, store):
    charge = {"charge_id": "c-1", "absent_user": "dm.jhs", "acting_user": "adm.jhs", "from_date": "2026-12-01",
              "to_date": "2026-12-10"}
    with db.unit_of_work() as uow:
        repository.record_acting_charge(uow.session, charge, ended=False)
        repository.record_acting_charge(uow.session, {**charge, "charge_id": "c-2", "absent_user": "sdm.jhs"}, ended=False)
        uow.commit()
    away = store.away_on(["dm.jhs", "sdm.jhs", "clerk.jhs", None], date(2026, 12, 10))
    assert {absent: (c.from_date, c.to_date, acting.name_hi) for absent, (c, acting) in away.items()} == {
        "dm.jhs": (date(2026, 12, 1), date(2026, 12, 10), "विकास सिंह"), "sdm.jhs": (date(2026, 12, 1), date(2026, 12, 10), "विकास सिंह")}
    assert store.away_on(["dm.jhs"], date(2026, 12, 11)) == {} and store.away_on([None], date(2026, 12, 5)) == {}
    with db.unit_of_work() as uow:
        repository.record_acting_charge(uow.session, charge, ended=True)
        uow.commit()
    with db.unit_of_work() as uow:  # the set, redelivered after the end, changes nothing
        repository.record_acting_charge(uow.session, {**charge, "to_date": "2026-12-20"}, ended=False)
        uow.commit()
    assert set(store.away_on(["dm.jhs", "sdm.jhs"], date(2026, 12, 5))) == {"sdm.jhs"}


def test_a_receipts_deadline_is_its_last_hand_overs(db, store):
    sent = {"receipt_id": "R-1", "from_user": "clerk.jhs", "to_user": "adm.jhs", "priority": "urgent", "due_date": "2026-12-10"}
    with db.unit_of_work() as uow:
        assert repository.record_receipt_sent(uow.session, sent, T0) is True
        uow.commit()
    with db.unit_of_work() as uow:
        assert repository.record_receipt_sent(uow.session, {**sent, "to_user": "dm.jhs"}, T0 - MINUTE) is False  # older
        assert repository.record_receipt_sent(uow.session, {**sent, "receipt_id": "R-2", "priority": None, "due_date": None}, T0)
        uow.commit()
    assert store.deadlines_of(["R-1", "R-2", "R-3"]) == {
        "R-1": {"priority": "urgent", "due_date": date(2026, 12, 10), "sent_at": T0.isoformat(), "from_user": "clerk.jhs"},
        "R-2": {"priority": "normal", "due_date": None, "sent_at": T0.isoformat(), "from_user": "clerk.jhs"}}
    with db.unit_of_work() as uow:
        assert repository.record_receipt_sent(uow.session, {**sent, "from_user": "adm.jhs", "to_user": "dm.jhs",
                                                             "priority": "most_immediate"}, T0 + MINUTE)
        uow.commit()
    assert store.deadlines_of(["R-1"])["R-1"]["priority"] == "most_immediate" and store.deadlines_of([]) == {}
    with db.read() as session:
        assert session.get(ReceiptDeadline, "R-1").holder == "dm.jhs"
