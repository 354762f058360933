import os
from datetime import datetime, timezone

import pytest
import requests
import yaml
from sqlalchemy import create_engine, text

from eoffice_common.auth import Principal, issue_token
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.testing import REPO_ROOT, TEST_JWT_KEYS, TEST_JWT_PRIVATE_KEY, free_port, truncate_all
from files import directory
from files.cli import DEMO_HEADS, seed_heads
from files.service import FilesService

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The demo organisation master dak imports; read as a file so that files' tests need no dak code.
DEMO_MASTER = os.path.join(REPO_ROOT, "services", "dak", "dak", "demo", "organisation.yml")

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def directory_events(master):
    """The office_recorded and user_recorded data dak announces for a master."""
    districts = {d["code"]: d for d in master["districts"]}
    departments = {d["code"]: d for d in master["departments"]}
    offices = []
    for o in master["offices"]:
        district, department = districts[o["district"]], departments[o["department"]]
        offices.append({
            "office": o["code"], "district": o["district"], "name_en": o["name_en"], "name_hi": o["name_hi"],
            "department": o["department"], "department_name_en": department["name_en"], "department_name_hi": department["name_hi"],
            "district_name_en": district["name_en"], "district_name_hi": district["name_hi"], "state": master["state"]["code"],
            "sections": [{"code": s["code"], "name_en": s["name_en"], "name_hi": s["name_hi"]} for s in master["sections"] if s["office"] == o["code"]],
        })
    district_of = {o["code"]: o["district"] for o in master["offices"]}
    users = [{
        "user_id": u["id"], "office": u["office"], "district": district_of[u["office"]], "name_en": u["name_en"],
        "name_hi": u["name_hi"], "designation_en": u["designation_en"], "designation_hi": u["designation_hi"],
        "section": u.get("section"), "email": u.get("email"), "mobile": u.get("mobile"),
        "reporting_officer": u.get("reporting_officer"), "roles": list(u.get("roles") or []), "clearance": u.get("clearance"),
        "language": u.get("language") or "en", "active": True,
    } for u in master["users"]]
    return {"offices": offices, "users": users}


@pytest.fixture(scope="session")
def demo_master():
    with open(DEMO_MASTER, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="session")
def demo_directory(demo_master):
    return directory_events(demo_master)


@pytest.fixture(scope="session")
def files_database(migrated_database):
    return migrated_database(SERVICE_DIR, "files")


@pytest.fixture
def files_db(files_database, demo_directory):
    """The files database, emptied, with the demo directory copied in and the demo heads seeded."""
    truncate_all(files_database)
    with open(DEMO_HEADS, encoding="utf-8") as handle:
        heads = yaml.safe_load(handle)["heads"]
    engine = StandaloneEngine(files_database)
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        directory.record_snapshot(uow.session, demo_directory)
        seed_heads(uow.session, heads, "test", datetime.now(timezone.utc))
        uow.commit()
    engine.engine.dispose()
    return files_database


@pytest.fixture
def files_config(rabbit_config, s3_config, files_db):
    return {
        **rabbit_config,
        **s3_config,
        "DB_URL": files_db,
        **TEST_JWT_KEYS,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
        "METRICS_PORT": free_port(),
        "MAX_DOCUMENT_BYTES": 64 * 1024,
        "max_workers": 20,
    }


@pytest.fixture
def files_container(container_factory, files_config):
    container = container_factory(FilesService, files_config)
    container.start()
    return container


class Registry:
    """HTTP client of the running files service, acting as a given user of the demo directory."""

    def __init__(self, base_url, demo_master, db_url):
        self.base_url = base_url
        self.db_url = db_url
        self.users = {u["id"]: u for u in demo_master["users"]}

    def token(self, user_id):
        user = self.users.get(user_id, {"office": "COLL-JHS", "roles": ["clerk"], "name_en": user_id})
        return issue_token(TEST_JWT_PRIVATE_KEY, Principal(user_id, user["office"], tuple(user["roles"]), user["name_en"]))

    def request(self, method, path, user, **kwargs):
        headers = {"Authorization": f"Bearer {self.token(user)}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.base_url}{path}", headers=headers, timeout=30, **kwargs)

    def get(self, path, user, **kwargs):
        return self.request("GET", path, user, **kwargs)

    def post(self, path, user, **kwargs):
        return self.request("POST", path, user, **kwargs)

    def put(self, path, user, **kwargs):
        return self.request("PUT", path, user, **kwargs)

    def delete(self, path, user, **kwargs):
        return self.request("DELETE", path, user, **kwargs)

    def head_id(self, user, code="N-11016"):
        heads = self.get("/heads", user).json()["heads"]
        return next(h["id"] for h in heads if h["code"] == code)

    def create(self, user="clerk.jhs", **fields):
        body = {"subject": "भूमि अभिलेख में नाम संशोधन", **fields}
        if "file_number" in body:
            body.setdefault("numbering", "non_sfs")
        else:
            body.setdefault("head_id", self.head_id(user))
        response = self.post("/files", user, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def send(self, file_id, by, to, **fields):
        response = self.post(f"/files/{file_id}/send", by, json={"to": to, **fields})
        assert response.status_code == 200, response.text
        return response.json()

    def sql(self, statement, **params):
        engine = create_engine(self.db_url)
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            rows = result.all() if result.returns_rows else result.rowcount
        engine.dispose()
        return rows


@pytest.fixture
def registry(files_container, files_config, demo_master):
    return Registry(f"http://{files_config['WEB_SERVER_ADDRESS']}", demo_master, files_config["DB_URL"])


@pytest.fixture
def pdf():
    return PDF


@pytest.fixture
def png():
    return PNG
