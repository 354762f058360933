"""Every service's migrations build exactly the schema its models declare, on PostgreSQL and on the
embedded SQLite; the outbox change (0002) keeps the events still waiting while it drops those
already published, both ways; and files' 0004 gives the receipts already in files who may read them."""
import importlib
import json
import os
import uuid
from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from eoffice_common.migrations import downgrade, upgrade
from eoffice_common.tables import PLUMBING
from eoffice_common.testing import REPO_ROOT, create_database

SERVICES = ("dak", "desk", "files", "metrics", "notify", "signing")


def service_dir(service):
    return os.path.join(REPO_ROOT, "services", service)


def database(kind, name, tmp_path):
    return create_database(f"eoffice_test_migrations_{name}") if kind == "postgresql" else f"sqlite:///{tmp_path / name}.db"


def differences(url, service):
    metadata = importlib.import_module(f"{service}.models").Base.metadata
    engine = create_engine(url)
    with engine.connect() as conn:
        found = compare_metadata(MigrationContext.configure(conn), [metadata, PLUMBING])
    engine.dispose()
    return found


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
@pytest.mark.parametrize("service", SERVICES)
def test_the_migrations_build_what_the_models_declare(service, kind, tmp_path):
    url = database(kind, service, tmp_path)
    upgrade(service_dir(service), url, "0001")
    assert any("published_at" in repr(difference) for difference in differences(url, service))
    upgrade(service_dir(service), url)
    assert differences(url, service) == []


def outbox_row(seq, published):
    return {"seq": seq, "event_id": str(uuid.uuid4()), "event_type": "file_sent", "aggregate_type": "file",
            "aggregate_id": "f-1", "envelope": '{"subject": "पेंशन स्वीकृति"}', "created_at": datetime.now(timezone.utc),
            "published_at": datetime.now(timezone.utc) if published else None}


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_the_outbox_keeps_waiting_events_and_drops_published_ones(kind, tmp_path):
    url = database(kind, "outbox", tmp_path)
    upgrade(service_dir("files"), url, "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO outbox VALUES (:seq, :event_id, :event_type, :aggregate_type, :aggregate_id, "
                          ":envelope, :created_at, :published_at)"),
                     [outbox_row(1, True), outbox_row(2, False), outbox_row(3, True), outbox_row(4, False)])

    upgrade(service_dir("files"), url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT seq, envelope FROM outbox ORDER BY seq")).all() == [
            (2, '{"subject": "पेंशन स्वीकृति"}'), (4, '{"subject": "पेंशन स्वीकृति"}')]

    downgrade(service_dir("files"), url, "0001")
    inspector = inspect(engine)
    assert "published_at" in {column["name"] for column in inspector.get_columns("outbox")}
    assert "ix_outbox_unpublished" in {index["name"] for index in inspector.get_indexes("outbox")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT seq FROM outbox WHERE published_at IS NULL ORDER BY seq")).scalars().all() == [2, 4]
    engine.dispose()


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_receipts_already_in_files_are_readable_by_who_put_them_in_and_who_received_the_file_after(kind, tmp_path):
    from files.model import CorrespondenceItem, File, Movement

    url = database(kind, "files_0004", tmp_path)
    upgrade(service_dir("files"), url, "0003")
    engine = create_engine(url)
    at = [datetime(2026, 11, day, 10, tzinfo=timezone.utc) for day in (1, 2, 3, 4)]
    with engine.begin() as conn:
        conn.execute(File.__table__.insert(), {
            "id": "f-1", "office_code": "COLL-JHS", "district_code": "JHS", "numbering": "non_sfs", "base_number": "MISC/1",
            "file_number": "MISC/1", "number_key": "misc/1", "computer_number": 1, "subject": "पेंशन", "subject_search": "पेंशन",
            "kind": "electronic", "classification": "normal", "status": "open", "custodian_id": "clerk.jhs", "owner_id": "clerk.jhs",
            "created_by": "clerk.jhs", "version": 3, "volume": 1, "last_paragraph": 0, "audit_seq": 1, "created_at": at[0], "updated_at": at[0]})
        conn.execute(Movement.__table__.insert(), [
            {"id": 1, "file_id": "f-1", "action": "send", "from_user": "clerk.jhs", "to_user": "so.jhs", "priority": "normal", "sent_at": at[1], "is_current": False},
            {"id": 2, "file_id": "f-1", "action": "return", "from_user": "so.jhs", "to_user": "clerk.jhs", "priority": "normal", "sent_at": at[2], "is_current": True}])
        item = {"file_id": "f-1", "title": "गोपनीय", "classification": "secret", "added_by": "clerk.jhs"}
        conn.execute(CorrespondenceItem.__table__.insert(), [
            {**item, "id": "c-1", "position": 1, "kind": "receipt", "receipt_id": "r-1", "added_at": at[3]},
            {**item, "id": "c-2", "position": 2, "kind": "document", "receipt_id": None, "added_at": at[3]}])

    upgrade(service_dir("files"), url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, receipt_office, cleared, linked_after_movement FROM correspondence ORDER BY id")).all()
    engine.dispose()
    cleared = [json.loads(c) if isinstance(c, str) else c for _, _, c, _ in rows]
    assert [(r[0], r[1], r[3]) for r in rows] == [("c-1", "COLL-JHS", 2), ("c-2", None, None)]
    assert cleared == [["clerk.jhs"], None]
