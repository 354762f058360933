"""Moving a file: one custodian at every moment, every move recorded, and who may do what."""
from datetime import datetime

import eventlet
import pytest
from sqlalchemy.orm.attributes import set_committed_value

from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.testing import transactions_begun
from files.domain import IST
from files.exceptions import VersionConflict
from files.repository import FilesUnitOfWork
from files.usecases import utcnow

FILE_EVENTS = ("file_created", "file_sent", "file_opened", "file_pulled_back", "file_parked", "file_unparked", "file_closed", "file_reopened")


def test_a_file_is_sent_opened_and_returned_with_every_move_recorded(registry, event_tap):
    tap = event_tap("files")
    file = registry.create("clerk.jhs")
    sent = registry.send(file["id"], "clerk.jhs", "so.jhs", remarks="कृपया अवलोकन करें", due_date="2099-01-31", priority="urgent")
    assert sent["custodian"]["id"] == "so.jhs"
    assert sent["current_movement"]["remarks"] == "कृपया अवलोकन करें"
    assert sent["current_movement"]["opened_at"] is None
    assert registry.get("/files", "so.jhs").json()["files"][0]["current_movement"]["priority"] == "urgent"

    opened = registry.get(f"/files/{file['id']}", "so.jhs").json()
    assert opened["current_movement"]["opened_at"] is not None
    returned = registry.post(f"/files/{file['id']}/return", "so.jhs", json={"remarks": "अनुमोदित"})
    assert returned.status_code == 200, returned.text
    assert returned.json()["custodian"]["id"] == "clerk.jhs"

    history = registry.get(f"/files/{file['id']}/movements", "dm.jhs").json()
    assert [(m["action"], m["from"]["id"], m["to"]["id"]) for m in history["movements"]] == [
        ("send", "clerk.jhs", "so.jhs"), ("return", "so.jhs", "clerk.jhs"),
    ]
    assert [m["remarks"] for m in history["movements"]] == ["कृपया अवलोकन करें", "अनुमोदित"]  # as stored, read back
    first = history["movements"][0]
    assert (first["due_date"], first["priority"]) == ("2099-01-31", "urgent")
    assert first["to"]["designation_en"] == "Section Officer"
    assert first["sent_at"] and first["opened_at"]

    tap.wait_for_count("file_sent", 2)
    types = [e["type"] for e in tap.events() if e["aggregate_id"] == file["id"]]
    assert types == ["file_created", "file_sent", "file_opened", "file_sent"]
    sent_event = tap.events("file_sent")[0]
    assert (sent_event["office"], sent_event["district"]) == ("COLL-JHS", "JHS")
    assert sent_event["data"]["to_user"] == "so.jhs" and sent_event["data"]["due_date"] == "2099-01-31"
    assert (sent_event["data"]["remarks"], sent_event["data"]["subject"]) == ("कृपया अवलोकन करें", file["subject"])
    assert tap.events("file_sent")[1]["data"]["action"] == "return"


def test_a_send_without_a_recipient_goes_to_the_reporting_officer(registry):
    file = registry.create("clerk.jhs")
    assert registry.post(f"/files/{file['id']}/send", "clerk.jhs", json={}).json()["custodian"]["id"] == "so.jhs"


def test_only_the_custodian_moves_the_file(registry):
    file = registry.create("clerk.jhs")
    registry.send(file["id"], "clerk.jhs", "so.jhs")
    for path, body in [("send", {"to": "dm.jhs"}), ("return", {}), ("park", {})]:
        response = registry.post(f"/files/{file['id']}/{path}", "clerk.jhs", json=body)
        assert (response.status_code, response.json()["error"]) == (403, "not_custodian"), path
    assert registry.get(f"/files/{file['id']}", "dm.jhs").json()["custodian"]["id"] == "so.jhs"


def test_the_sender_pulls_back_an_unopened_file_but_not_an_opened_one(registry, event_tap):
    tap = event_tap("files")
    file = registry.create("clerk.jhs")
    registry.send(file["id"], "clerk.jhs", "so.jhs")
    not_sender = registry.post(f"/files/{file['id']}/pull-back", "dm.jhs")
    assert (not_sender.status_code, not_sender.json()["error"]) == (403, "not_sender")
    pulled = registry.post(f"/files/{file['id']}/pull-back", "clerk.jhs")
    assert pulled.status_code == 200, pulled.text
    assert pulled.json()["custodian"]["id"] == "clerk.jhs"
    assert pulled.json()["current_movement"]["action"] == "pull_back"
    event = tap.wait_for("file_pulled_back")
    assert (event["data"]["by_user"], event["data"]["from_user"]) == ("clerk.jhs", "so.jhs")

    registry.send(file["id"], "clerk.jhs", "so.jhs")
    registry.get(f"/files/{file['id']}", "so.jhs")
    late = registry.post(f"/files/{file['id']}/pull-back", "clerk.jhs")
    assert (late.status_code, late.json()["error"]) == (409, "already_opened")
    moves = registry.get(f"/files/{file['id']}/movements", "clerk.jhs").json()["movements"]
    assert [m["action"] for m in moves] == ["send", "pull_back", "send"]
    assert moves[0]["pulled_back_at"] is not None


@pytest.mark.parametrize("read", ["notes", "correspondence", "document", "drafts", "draft", "draft version"])
def test_reading_a_files_notes_correspondence_or_drafts_counts_as_opening_it(registry, png, read):
    file = registry.create("clerk.jhs")
    attached = registry.post(f"/files/{file['id']}/correspondence", "clerk.jhs", data={"item": '{"title": "स्थल निरीक्षण"}'},
                             files=[("documents", ("site.png", png, "image/png"))]).json()
    draft = registry.post(f"/files/{file['id']}/drafts", "clerk.jhs", json={"subject": "उत्तर", "content": "प्रिय महोदय"}).json()
    registry.send(file["id"], "clerk.jhs", "so.jhs")
    path = {
        "notes": f"/files/{file['id']}/notes", "correspondence": f"/files/{file['id']}/correspondence",
        "document": attached["documents"][0]["url"], "drafts": f"/files/{file['id']}/drafts",
        "draft": f"/files/{file['id']}/drafts/{draft['id']}", "draft version": f"/files/{file['id']}/drafts/{draft['id']}/versions/1",
    }[read]
    assert registry.get(path, "so.jhs").status_code == 200
    late = registry.post(f"/files/{file['id']}/pull-back", "clerk.jhs")
    assert (late.status_code, late.json()["error"]) == (409, "already_opened")


def test_acting_on_a_file_counts_as_opening_it(registry):
    file = registry.create("clerk.jhs")
    registry.send(file["id"], "clerk.jhs", "so.jhs")
    registry.send(file["id"], "so.jhs", "adm.jhs")
    moves = registry.get(f"/files/{file['id']}/movements", "so.jhs").json()["movements"]
    assert moves[0]["opened_at"] is not None and moves[1]["opened_at"] is None


def test_park_unpark_close_and_reopen(registry, event_tap):
    tap = event_tap("files")
    file = registry.create("so.jhs")
    parked = registry.post(f"/files/{file['id']}/park", "so.jhs", json={"remarks": "न्यायालय के निर्णय की प्रतीक्षा"}).json()
    assert parked["status"] == "parked"
    assert [f["id"] for f in registry.get("/files?box=parked", "so.jhs").json()["files"]] == [file["id"]]
    blocked = registry.post(f"/files/{file['id']}/send", "so.jhs", json={"to": "adm.jhs"})
    assert (blocked.status_code, blocked.json()["error"]) == (409, "file_parked")
    assert registry.post(f"/files/{file['id']}/unpark", "so.jhs", json={}).json()["status"] == "open"

    registry.send(file["id"], "so.jhs", "adm.jhs")
    not_owner = registry.post(f"/files/{file['id']}/close", "adm.jhs", json={})
    assert (not_owner.status_code, not_owner.json()["error"]) == (403, "not_owner")
    registry.post(f"/files/{file['id']}/return", "adm.jhs", json={})
    closed = registry.post(f"/files/{file['id']}/close", "so.jhs", json={"remarks": "निस्तारित"}).json()
    assert closed["status"] == "closed" and closed["closed_by"] == "so.jhs"
    assert closed["closed_at"] is not None  # the answer says when, as a GET right after does
    assert closed["closed_at"] == registry.get(f"/files/{file['id']}", "so.jhs").json()["closed_at"]
    assert [f["id"] for f in registry.get("/files?box=closed", "so.jhs").json()["files"]] == [file["id"]]
    assert registry.post(f"/files/{file['id']}/send", "so.jhs", json={"to": "adm.jhs"}).json()["error"] == "file_closed"
    event = tap.wait_for("file_closed")
    assert event["data"]["movement_count"] == 2 and event["data"]["kind"] == "electronic"
    assert registry.post(f"/files/{file['id']}/reopen", "adm.jhs", json={}).json()["error"] == "not_owner"
    assert registry.post(f"/files/{file['id']}/reopen", "so.jhs", json={}).json()["status"] == "open"
    tap.wait_for("file_reopened")
    assert {"file_parked", "file_unparked"} <= {e["type"] for e in tap.events()}


def test_fifty_concurrent_sends_of_one_file_leave_one_custodian(registry):
    file = registry.create("clerk.jhs")
    recipients = ["so.jhs", "adm.jhs", "dm.jhs", "cm.jhs", "asst.jhs"]
    pool = eventlet.GreenPool(50)

    def send(i):
        response = registry.post(f"/files/{file['id']}/send", "clerk.jhs", json={"to": recipients[i % 5], "version": file["version"]})
        return response.status_code, response.json()

    results = list(pool.imap(send, range(50)))
    winners = [body for status, body in results if status == 200]
    assert len(winners) == 1
    assert sorted({(status, body.get("error")) for status, body in results if status != 200}) == [(409, "version_conflict")]
    custodian = winners[0]["custodian"]["id"]
    rows = registry.sql("SELECT custodian_id FROM files WHERE id = :id", id=file["id"])
    assert rows == [(custodian,)]
    moves = registry.sql("SELECT to_user, is_current FROM movements WHERE file_id = :id", id=file["id"])
    assert moves == [(custodian, True)]


def test_of_two_concurrent_sends_without_a_version_the_loser_no_longer_holds_the_file(registry):
    file = registry.create("clerk.jhs")
    pool = eventlet.GreenPool(2)
    results = list(pool.imap(lambda to: registry.post(f"/files/{file['id']}/send", "clerk.jhs", json={"to": to}), ["so.jhs", "adm.jhs"]))
    assert sorted(r.status_code for r in results) == [200, 403]
    assert registry.sql("SELECT count(*) FROM movements WHERE file_id = :id", id=file["id"]) == [(1,)]


def test_a_move_of_a_file_changed_since_it_was_read_is_a_conflict_and_writes_nothing(registry):
    """The version check in the move's UPDATE is the last guard (a writer that slipped past the row lock)."""
    file = registry.create("clerk.jhs")
    registry.send(file["id"], "clerk.jhs", "so.jhs")
    before = registry.sql("SELECT id, is_current, opened_at FROM movements WHERE file_id = :id ORDER BY id", id=file["id"])
    engine = StandaloneEngine(registry.db_url)
    try:
        with FilesUnitOfWork(UnitOfWork(engine, actor="so.jhs", correlation_id=None)) as uow:
            row = uow.files.get(file["id"], for_update=True)
            set_committed_value(row, "version", row.version - 1)  # as read before another writer's change
            row.send("so.jhs", "adm.jhs", uow.directory.people({"adm.jhs"}), uow.files.next_movement_id(), utcnow())  # opens it, then moves it
            with pytest.raises(VersionConflict):
                uow.commit()
    finally:
        engine.engine.dispose()
    assert registry.sql("SELECT id, is_current, opened_at FROM movements WHERE file_id = :id ORDER BY id", id=file["id"]) == before
    assert registry.get(f"/files/{file['id']}", "so.jhs").json()["custodian"]["id"] == "so.jhs"
    assert registry.get(f"/files/{file['id']}/audit/verify", "so.jhs").json()["valid"] is True


def test_the_database_refuses_a_second_current_movement(registry):
    file = registry.create("clerk.jhs")
    registry.send(file["id"], "clerk.jhs", "so.jhs")
    try:
        registry.sql(
            "INSERT INTO movements (file_id, action, from_user, to_user, priority, sent_at, is_current) "
            "VALUES (:id, 'send', 'clerk.jhs', 'adm.jhs', 'normal', now(), true)", id=file["id"],
        )
    except Exception as exc:  # IntegrityError from the partial unique index
        assert "uq_movements_one_current" in str(exc)
    else:
        raise AssertionError("a second current movement was accepted")


def test_an_admin_transfers_every_file_of_an_officer_leaving_to_the_successor(registry, event_tap):
    tap = event_tap("files")
    held = registry.create("so.jhs", subject="पेंशन प्रकरण")
    owned_elsewhere = registry.create("so.jhs")
    registry.send(owned_elsewhere["id"], "so.jhs", "adm.jhs")
    untouched = registry.create("clerk.jhs")
    registry.post(f"/files/{held['id']}/notes", "so.jhs", json={"text": "मसौदा टिप्पणी"})
    not_admin = registry.post("/transfers", "dm.jhs", json={"from_user": "so.jhs", "to_user": "cm.jhs"})
    assert (not_admin.status_code, not_admin.json()["error"]) == (403, "not_admin")
    other_office = registry.post("/transfers", "admin.jln", json={"from_user": "so.jhs", "to_user": "cm.jhs"})
    assert other_office.json()["error"] == "not_admin"

    response = registry.post("/transfers", "admin.jhs", json={"from_user": "so.jhs", "to_user": "cm.jhs", "remarks": "स्थानांतरण"})
    assert response.status_code == 200, response.text
    assert {f["id"] for f in response.json()["files"]} == {held["id"], owned_elsewhere["id"]}
    now_held = registry.get(f"/files/{held['id']}", "cm.jhs").json()
    assert (now_held["custodian"]["id"], now_held["owner"]["id"]) == ("cm.jhs", "cm.jhs")
    assert now_held["current_movement"]["action"] == "transfer"
    elsewhere = registry.get(f"/files/{owned_elsewhere['id']}", "adm.jhs").json()
    assert (elsewhere["custodian"]["id"], elsewhere["owner"]["id"]) == ("adm.jhs", "cm.jhs")
    assert registry.get(f"/files/{untouched['id']}", "clerk.jhs").json()["custodian"]["id"] == "clerk.jhs"
    notes = registry.get(f"/files/{held['id']}/notes", "cm.jhs").json()["notes"]
    assert [(n["status"], n["first_paragraph"]) for n in notes] == [("green", 1)]
    event = tap.wait_for("file_transferred")
    assert (event["aggregate_type"], event["office"], event["district"]) == ("user", "COLL-JHS", "JHS")
    assert set(event["data"]["file_ids"]) == {held["id"], owned_elsewhere["id"]}


def test_the_lists_filter_and_page(registry):
    for i in range(5):
        file = registry.create("clerk.jhs", subject=f"पेंशन प्रकरण {i}", category="पेंशन" if i < 2 else "राजस्व")
        registry.send(file["id"], "clerk.jhs", "so.jhs", priority="most_immediate" if i == 4 else "normal")
    inbox = registry.get("/files?per_page=2", "so.jhs").json()
    assert (inbox["total"], len(inbox["files"])) == (5, 2)
    assert inbox["files"][0]["current_movement"]["priority"] == "most_immediate"
    assert registry.get("/files?category=पेंशन", "so.jhs").json()["total"] == 2
    assert registry.get("/files?unread=true", "so.jhs").json()["total"] == 5
    assert registry.get("/files?box=sent", "clerk.jhs").json()["total"] == 5
    assert registry.get("/files?box=created", "clerk.jhs").json()["total"] == 5
    assert registry.get("/files", "clerk.jhs").json()["total"] == 0
    assert registry.get("/files?q=प्रकरण 3", "so.jhs").json()["total"] == 1


def test_a_database_refusal_other_than_a_concurrent_move_is_a_fault_not_a_conflict(registry):
    """Only a second current movement means the file was moved meanwhile; a broken audit chain (here an
    entry already holding the next number) is a fault to chase, not a 409 the client retries past."""
    file = registry.create("clerk.jhs")
    registry.sql(
        "INSERT INTO audit_log (file_id, seq, action, actor, at, details, hash) VALUES (:id, 2, 'forged', 'x', now(), '{}', 'x')",
        id=file["id"],
    )
    refused = registry.post(f"/files/{file['id']}/send", "clerk.jhs", json={"to": "so.jhs"})
    assert (refused.status_code, refused.json()["error"]) == (500, "internal_error")
    assert registry.sql("SELECT count(*) FROM movements WHERE file_id = :id", id=file["id"]) == [(0,)]


def test_every_action_answers_from_the_transaction_that_committed_it(registry):
    """Once committed, an action's answer must not need the database again: were it gone by then, the
    client would get a 500 for a move that took effect, and a 409 on retrying it."""
    file = registry.create("clerk.jhs")
    path = f"/files/{file['id']}"
    steps = [
        ("send", "POST", f"{path}/send", "clerk.jhs", {"to": "so.jhs"}),
        ("open", "GET", path, "so.jhs", None),
        ("note", "POST", f"{path}/notes", "so.jhs", {"text": "प्रस्ताव अनुमोदन हेतु प्रस्तुत"}),
        ("park", "POST", f"{path}/park", "so.jhs", {}),
        ("unpark", "POST", f"{path}/unpark", "so.jhs", {}),
        ("return", "POST", f"{path}/return", "so.jhs", {}),
    ]
    with transactions_begun() as begun:
        for name, method, target, user, body in steps:
            response = registry.request(method, target, user, json=body, headers={"X-Correlation-ID": f"answer-{name}"})
            assert response.status_code in (200, 201), (name, response.text)
    assert response.json()["custodian"]["id"] == "clerk.jhs"
    assert {key: count for key, count in begun.items() if str(key).startswith("answer-")} == {f"answer-{name}": 1 for name, *_ in steps}


def test_a_secret_file_goes_only_to_an_officer_cleared_for_it_and_a_refusal_writes_nothing(registry, event_tap):
    tap = event_tap("files")
    file = registry.create("so.jhs", subject="गोपनीय जाँच आख्या", classification="secret")
    state = "SELECT custodian_id, version, audit_seq FROM files WHERE id = :id"
    before = registry.sql(state, id=file["id"])
    refused = registry.post(f"/files/{file['id']}/send", "so.jhs", json={"to": "clerk.jhs", "remarks": "अवलोकनार्थ"})
    assert refused.status_code == 422, refused.text
    assert refused.json() | {"message": None} == {
        "error": "recipient_not_cleared", "message": None, "fields": {"to": "not cleared for secret"},
        "recipient": "clerk.jhs", "classification": "secret", "clearance": "normal",
    }
    assert registry.sql(state, id=file["id"]) == before
    assert registry.sql("SELECT count(*) FROM movements WHERE file_id = :id", id=file["id"]) == [(0,)]

    sent = registry.send(file["id"], "so.jhs", "adm.jhs")  # an Additional District Magistrate, cleared for secret
    assert sent["custodian"]["id"] == "adm.jhs"
    tap.wait_for("file_sent")
    assert [e["data"]["to_user"] for e in tap.events("file_sent")] == ["adm.jhs"]


def test_a_file_for_an_officer_away_is_refused_when_whoever_holds_charge_is_not_cleared_for_it(registry):
    today = datetime.now(IST).date()
    registry.sql("INSERT INTO acting_charges (id, absent_user, acting_user, from_date, to_date, ended) "
                 "VALUES ('charge-1', 'adm.jhs', 'clerk.jhs', :day, :day, false)", day=today)
    file = registry.create("so.jhs", classification="confidential")
    refused = registry.post(f"/files/{file['id']}/send", "so.jhs", json={"to": "adm.jhs"})
    assert refused.status_code == 422, refused.text
    assert (refused.json()["error"], refused.json()["recipient"], refused.json()["acting_for"]) == ("recipient_not_cleared", "clerk.jhs", "adm.jhs")
    assert registry.sql("SELECT count(*) FROM movements WHERE file_id = :id", id=file["id"]) == [(0,)]


def test_a_file_is_not_returned_to_a_sender_whose_clearance_was_lowered_meanwhile(registry):
    file = registry.create("so.jhs", classification="secret")
    registry.send(file["id"], "so.jhs", "dm.jhs")
    registry.sql("UPDATE users SET clearance = 'confidential' WHERE id = 'so.jhs'")  # as dak's user_recorded would
    refused = registry.post(f"/files/{file['id']}/return", "dm.jhs", json={})
    assert (refused.status_code, refused.json()["error"]) == (422, "recipient_not_cleared")
    assert registry.sql("SELECT custodian_id FROM files WHERE id = :id", id=file["id"]) == [("dm.jhs",)]
