"""The organisation directory: imported from YAML or CSV, announced by events, tokens issued from it."""
import copy
import csv
import json

import jwt
import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import select

from dak.cli import main as dak_cli
from dak.directory import import_master, load_master
from dak.models import User
from eoffice_common.auth import TokenKeysMissing
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.tables import outbox
from eoffice_common.testing import TEST_JWT_PRIVATE_KEY, TEST_JWT_PUBLIC_KEY, truncate_all


def run_import(url, master, republish=False):
    engine = StandaloneEngine(url)
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        changed = import_master(uow, master, republish=republish)
        uow.commit()
    with engine.engine.connect() as conn:
        events = [json.loads(row.envelope) for row in conn.execute(select(outbox.c.envelope).order_by(outbox.c.seq))]
        users = {u.id: u for u in conn.execute(select(User))}
    engine.engine.dispose()
    return changed, events, users


def test_an_import_announces_only_what_changed(dak_database, demo_master):
    truncate_all(dak_database)
    changed, events, users = run_import(dak_database, demo_master)
    assert changed == {"offices": len(demo_master["offices"]), "users": len(demo_master["users"])}
    recorded = {e["data"]["user_id"]: e for e in events if e["type"] == "user_recorded"}
    assert recorded["dm.jhs"]["data"]["designation_hi"] == "ज़िलाधिकारी"
    assert recorded["dm.jhs"]["district"] == "JHS"
    office = next(e for e in events if e["type"] == "office_recorded" and e["data"]["office"] == "COLL-JHS")
    assert office["data"]["department"] == "REV" and office["data"]["sections"]

    before = len(events)
    again = copy.deepcopy(demo_master)
    leaver = again["users"].pop(next(i for i, u in enumerate(again["users"]) if u["id"] == "asst.jhs"))
    next(u for u in again["users"] if u["id"] == "so.jhs")["mobile"] = "+919999900001"
    changed, events, users = run_import(dak_database, again)
    new_events = events[before:]
    assert changed == {"offices": 0, "users": 2}
    assert sorted(e["data"]["user_id"] for e in new_events) == ["asst.jhs", "so.jhs"]
    assert users[leaver["id"]].active is False
    assert next(e for e in new_events if e["data"]["user_id"] == "asst.jhs")["data"]["active"] is False


def test_a_folder_of_csv_files_is_a_master_too(tmp_path, dak_database, demo_master):
    truncate_all(dak_database)
    with open(tmp_path / "state.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(demo_master["state"]))
        writer.writeheader()
        writer.writerow(demo_master["state"])
    for entity in ("districts", "departments", "offices", "sections", "users"):
        rows = demo_master[entity]
        with open(tmp_path / f"{entity}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: ";".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in row.items()})
    master = load_master(str(tmp_path))
    assert master["users"][0]["roles"] == demo_master["users"][0]["roles"]
    _, _, users = run_import(dak_database, master)
    assert len(users) == len(demo_master["users"])
    assert users["dm.jhs"].name_hi == next(u for u in demo_master["users"] if u["id"] == "dm.jhs")["name_hi"]


def test_the_cli_issues_a_token_carrying_the_users_office_and_roles(dak_db, monkeypatch, capsys):
    monkeypatch.setenv("DAK_DB_URL", dak_db)
    monkeypatch.setenv("JWT_PRIVATE_KEY", TEST_JWT_PRIVATE_KEY)
    assert dak_cli(["token", "admin.jhs"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), TEST_JWT_PUBLIC_KEY, algorithms=["EdDSA"], issuer="eoffice")
    assert (claims["sub"], claims["office"]) == ("admin.jhs", "COLL-JHS")
    assert "admin" in claims["roles"]


def test_the_cli_issues_no_token_without_a_private_key(dak_db, monkeypatch):
    monkeypatch.setenv("DAK_DB_URL", dak_db)
    monkeypatch.delenv("JWT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("EOFFICE_EMBEDDED", raising=False)
    with pytest.raises(TokenKeysMissing, match="JWT_PRIVATE_KEY is not set"):
        dak_cli(["token", "admin.jhs"])


def test_new_consumers_can_bootstrap_from_a_snapshot(dak_container):
    with entrypoint_hook(dak_container, "directory_snapshot") as snapshot:
        directory = snapshot()
    assert {o["office"] for o in directory["offices"]} >= {"COLL-JHS", "TRY-LKO"}
    assert next(u for u in directory["users"] if u["user_id"] == "dm.jhs")["district"] == "JHS"
