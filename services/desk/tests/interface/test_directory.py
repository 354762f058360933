"""The desk's copy of the directory: kept from dak's events, filled from dak's snapshot when empty."""
import copy

from sqlalchemy import create_engine, text

from dak.directory import import_master
from desk.cli import set_demo_passwords
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine


def run_sql(url, statement):
    engine = create_engine(url)
    with engine.begin() as conn:
        result = conn.execute(text(statement))
        rows = result.all() if result.returns_rows else None
    engine.dispose()
    return rows


def test_an_empty_copy_is_filled_from_daks_snapshot_at_sign_in(browser, desk_system):
    run_sql(desk_system["databases"]["desk"], "DELETE FROM users")
    b = browser()
    b.sign_in("so.jhs")
    rows = run_sql(desk_system["databases"]["desk"], "SELECT name_hi, designation_hi FROM users WHERE id = 'so.jhs'")
    assert rows == [("राजेश कुमार त्रिपाठी", "अनुभाग अधिकारी")]


def test_set_demo_passwords_fills_an_empty_copy_over_rpc(desk_system, demo_master):
    url = desk_system["databases"]["desk"]
    run_sql(url, "DELETE FROM accounts")
    run_sql(url, "DELETE FROM users")
    engine = StandaloneEngine(url)
    assert set_demo_passwords(engine, desk_system["config"]["desk"]) == len(demo_master["users"])
    engine.engine.dispose()
    assert run_sql(url, "SELECT count(*) FROM accounts WHERE password_hash LIKE '$argon2id$%'")[0][0] == len(demo_master["users"])


def test_a_user_who_leaves_the_directory_is_signed_out_everywhere(browser, desk_system, demo_master):
    b = browser()
    b.sign_in("clerk.jhs")
    master = copy.deepcopy(demo_master)
    master["users"] = [u for u in master["users"] if u["id"] != "clerk.jhs"]
    engine = StandaloneEngine(desk_system["config"]["dak"]["DB_URL"])
    with UnitOfWork(engine, actor="directory-import", correlation_id=None) as uow:
        import_master(uow, master)
        uow.commit()
    engine.engine.dispose()
    url = desk_system["databases"]["desk"]
    for _ in range(200):
        if run_sql(url, "SELECT active FROM users WHERE id = 'clerk.jhs'") == [(False,)]:
            break
        __import__("time").sleep(0.05)
    assert run_sql(url, "SELECT count(*) FROM sessions WHERE user_id = 'clerk.jhs'") == [(0,)]
    assert b.get("/inbox").url.endswith("/sign-in?next=/inbox")
    again = browser()
    again.get("/sign-in")
    assert again.post("/sign-in", {"user_id": "clerk.jhs", "password": "eoffice-demo"}).status_code == 401
