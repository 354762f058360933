"""The desk's copy of the directory: kept from dak's events, filled from dak's snapshot when empty."""
import copy

from sqlalchemy import create_engine, text

from dak.directory import import_master
from desk.cli import set_demo_passwords, set_password
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


def test_set_demo_passwords_completes_a_copy_the_directory_events_have_only_part_filled(desk_system, demo_master):
    url = desk_system["databases"]["desk"]
    run_sql(url, "DELETE FROM accounts")
    run_sql(url, "DELETE FROM users WHERE id LIKE 'to.%'")  # their user_recorded not arrived yet
    engine = StandaloneEngine(url)
    assert set_demo_passwords(engine, desk_system["config"]["desk"]) == len(demo_master["users"])
    engine.engine.dispose()
    assert run_sql(url, "SELECT count(*) FROM accounts WHERE user_id LIKE 'to.%' AND password_hash LIKE '$argon2id$%'")[0][0] == 4


def test_starting_the_demo_again_keeps_a_password_someone_changed(browser, desk_system):
    url = desk_system["databases"]["desk"]
    engine = StandaloneEngine(url)
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        set_password(uow.session, "so.jhs", "मेरा-नया-पासवर्ड")
        uow.commit()
    assert set_demo_passwords(engine, desk_system["config"]["desk"]) == 0  # what `make run` does at each start
    b = browser()
    b.sign_in("so.jhs", "मेरा-नया-पासवर्ड")
    assert set_demo_passwords(engine, desk_system["config"]["desk"], reset=True) > 0  # `--reset` asked for it
    engine.engine.dispose()
    browser().sign_in("so.jhs")


def test_the_send_dialog_finds_spelling_variants_and_lists_own_office_and_district_first(browser):
    """ज़िलाधिकारी finds every DM and ADM: the sender's own office first, then its district, each with office and district."""
    b = browser()
    b.sign_in("clerk.jhs")
    for typed in ("ज़िलाधिकारी", "जिलाधिकारी"):  # nukta or none
        people = b.get("/people", params={"q": typed}, headers={"Accept": "application/json"}).json()["people"]
        ids = [p["id"] for p in people]
        assert ids[:2] in (["dm.jhs", "adm.jhs"], ["adm.jhs", "dm.jhs"]) and {"dm.lko", "adm.llp", "dm.jln"} <= set(ids), typed
        dm = people[ids.index("dm.jhs")]
        assert (dm["place"], dm["own_office"], dm["own_district"]) == ("ज़िलाधिकारी कार्यालय, झाँसी", True, True)
        lucknow = people[ids.index("dm.lko")]
        assert "लखनऊ" in lucknow["place"] and not lucknow["own_district"]
    sto = b.get("/people", params={"q": "कोषाधिकारी"}, headers={"Accept": "application/json"}).json()["people"]
    assert [p["id"] for p in sto][:2] in (["sto.jhs", "to.jhs"], ["to.jhs", "sto.jhs"])  # Jhansi's treasury, not Lucknow's
    assert [p["id"] for p in b.get("/people", params={"q": "झांसी अनुभाग"}, headers={"Accept": "application/json"}).json()["people"]] == ["so.jhs"]
    dialog = b.get("/people", params={"q": "section officer"}, headers={"Accept": "application/json"}).json()["people"]
    assert dialog[0]["id"] == "so.jhs" and all(p["office"] != "COLL-JHS" for p in dialog[1:])


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
