"""`dak` on the command line, run from anywhere: relative paths of config.yml are the repository's."""
import os
import subprocess
import sys

import jwt

from eoffice_common.testing import REPO_ROOT, TEST_JWT_PRIVATE_KEY, TEST_JWT_PUBLIC_KEY

DAK = os.path.join(os.path.dirname(sys.executable), "dak")


def dak(*args, cwd, database):
    # A relative SQLite path, as config.yml's default is: `make run` runs dak from the repository's root.
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "DAK_DB_URL": f"sqlite:///{os.path.relpath(database, REPO_ROOT)}",
           "JWT_PRIVATE_KEY": TEST_JWT_PRIVATE_KEY}
    return subprocess.run([DAK, *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_a_token_is_issued_from_any_directory(tmp_path):
    database = tmp_path / "dak.db"
    for command in (["migrate"], ["import-directory"]):
        assert dak(*command, cwd=REPO_ROOT, database=database).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    issued = dak("token", "dm.jhs", cwd=elsewhere, database=database)

    assert issued.returncode == 0, issued.stderr
    assert jwt.decode(issued.stdout.strip(), TEST_JWT_PUBLIC_KEY, algorithms=["EdDSA"])["sub"] == "dm.jhs"


def test_an_unknown_user_or_a_missing_database_is_said_without_a_traceback(tmp_path):
    database = tmp_path / "dak.db"
    assert dak("migrate", cwd=tmp_path, database=database).returncode == 0

    unknown = dak("token", "nobody", cwd=tmp_path, database=database)
    missing = dak("token", "dm.jhs", cwd=tmp_path, database=tmp_path / "no-such-folder" / "dak.db")

    assert (unknown.returncode, unknown.stderr.strip()) == (1, "dak token: user nobody is not in the directory")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.startswith("dak token: cannot read the directory in sqlite:///") and "make run" in missing.stderr
