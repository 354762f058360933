"""An empty directory copy in files is filled from dak's RPC snapshot (`files sync-directory`)."""
from sqlalchemy import create_engine, text

from eoffice_common.engine import StandaloneEngine
from files.cli import sync_directory


def test_files_copies_the_whole_directory_from_dak(eoffice, demo_master):
    url = eoffice.databases["files"]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM users"))
        conn.execute(text("DELETE FROM offices"))
    standalone = StandaloneEngine(url)
    try:
        counts = sync_directory(eoffice.configs["files"], standalone)
    finally:
        standalone.engine.dispose()
    assert counts == {"offices": len(demo_master["offices"]), "users": len(demo_master["users"])}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name_hi, reporting_officer_id, roles FROM users WHERE id = 'so.jhs'")).one() == (
            "राजेश कुमार त्रिपाठी", "adm.jhs", ["officer"],
        )
        assert conn.execute(text("SELECT district_code FROM offices WHERE code = 'TRY-LLP'")).scalar() == "LLP"
    engine.dispose()
