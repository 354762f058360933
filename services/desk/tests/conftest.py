"""The desk running beside the real dak (each a nameko container on the test vhost, each with its own
PostgreSQL database), the demo directory imported into dak and copied into the desk by its events,
and a browser-like client: cookies, the CSRF token of the last page, forms posted as a browser does."""
import os
import re
import time
from html import unescape
from urllib.parse import urlsplit

import pytest
import requests
from nameko.containers import get_container_cls
from sqlalchemy import create_engine, func, select

from dak.cli import DEMO_MASTER
from dak.directory import import_master, load_master
from dak.service import DakService
from desk.cli import set_demo_passwords
from desk.models import User
from desk.service import DeskService
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.tables import outbox
from eoffice_common.testing import REPO_ROOT, TEST_JWT_KEYS, DatabaseSnapshot, bucket_config, free_port

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DAK_DIR = os.path.join(REPO_ROOT, "services", "dak")

PDF = b"%PDF-1.4\n% \xe0\xa4\xaa\xe0\xa4\xa4\xe0\xa5\x8d\xe0\xa4\xb0\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def demo_master():
    return load_master(DEMO_MASTER)


@pytest.fixture(scope="session")
def desk_databases(migrated_database):
    return {"desk": migrated_database(SERVICE_DIR, "desk"), "dak": migrated_database(DAK_DIR, "desk_dak")}


RECEIPT_LINK = re.compile(r"/receipts/([0-9a-f-]{36})")

def count_rows(url, model):
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(model)).scalar()
    engine.dispose()
    return count


def wait_for(predicate, timeout=20, what="the condition", interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"{what} did not hold within {timeout}s")


@pytest.fixture
def desk_config(rabbit_config, s3_config, desk_databases, directory_templates):
    for name, url in desk_databases.items():
        directory_templates[name].restore(url)
    return _configs(rabbit_config, s3_config, desk_databases)


def _configs(rabbit_config, s3_config, desk_databases):
    dak_address = f"127.0.0.1:{free_port()}"
    base = {**rabbit_config, **s3_config, **TEST_JWT_KEYS, "max_workers": 8}
    return {
        "dak": {**base, "DB_URL": desk_databases["dak"], "WEB_SERVER_ADDRESS": dak_address, "METRICS_PORT": 0,
                "MAX_DOCUMENT_BYTES": 256 * 1024},
        "desk": {
            **base, "DB_URL": desk_databases["desk"], "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
            "METRICS_PORT": free_port(), "DAK_URL": f"http://{dak_address}",
            # Not running in these tests: pages that need them show so.
            "FILES_URL": f"http://127.0.0.1:{free_port()}", "SIGNING_URL": f"http://127.0.0.1:{free_port()}",
            "NOTIFY_URL": f"http://127.0.0.1:{free_port()}", "METRICS_URL": f"http://127.0.0.1:{free_port()}",
            "SESSION_TTL_SECONDS": 3600, "SESSION_IDLE_SECONDS": 600, "SESSION_COOKIE_SECURE": "false",
            "MAX_UPLOAD_BYTES": 2 * 1024 * 1024,
        },
    }


@pytest.fixture(scope="session")
def directory_templates(migrated_database, vhost_pipeline, request, s3_endpoint, demo_master):
    """Snapshots of dak's and the desk's databases as a test starts from: the demo directory imported
    into dak and copied into the desk by dak's events (on the real broker, once a session), every demo
    user's password set to the demo password. Each test's databases are put back to them."""
    templates = {"desk": migrated_database(SERVICE_DIR, "desk_template"), "dak": migrated_database(DAK_DIR, "desk_dak_template")}
    uri = urlsplit(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        config = _configs({"AMQP_URI": f"{uri.scheme}://{uri.netloc}/{vhost}"}, bucket_config(s3_endpoint), templates)
        containers = []

        def make_container(service, config):
            containers.append(get_container_cls(config)(service, config))
            return containers[-1]

        try:
            _start_with_directory(make_container, config, templates, demo_master)
            wait_for(lambda: count_rows(templates["dak"], outbox) == 0, what="dak's outbox emptied")
        finally:
            for container in containers:
                container.stop()
    return {name: DatabaseSnapshot(url) for name, url in templates.items()}


@pytest.fixture
def desk_system(container_factory, desk_config, desk_databases):
    """desk and dak running on databases put back to the directory templates: the directory in dak and
    in the desk, every demo user's password set to the demo password."""
    desk_container = container_factory(DeskService, desk_config["desk"])
    desk_container.start()
    container_factory(DakService, desk_config["dak"]).start()
    return {"url": f"http://{desk_config['desk']['WEB_SERVER_ADDRESS']}", "container": desk_container,
            "config": desk_config, "databases": desk_databases}


def start_dak_with_directory(container_factory, dak_config, dak_database, demo_master):
    """dak with the demo directory imported; its relay publishes it to the queues that exist by then."""
    engine = StandaloneEngine(dak_database)
    with UnitOfWork(engine, actor="directory-import", correlation_id=None) as uow:
        import_master(uow, demo_master)
        uow.commit()
    engine.engine.dispose()
    container_factory(DakService, dak_config).start()


def _start_with_directory(container_factory, desk_config, desk_databases, demo_master):
    # The desk first: its queues must exist when dak's relay publishes the directory.
    container_factory(DeskService, desk_config["desk"]).start()
    start_dak_with_directory(container_factory, desk_config["dak"], desk_databases["dak"], demo_master)
    wait_for(lambda: count_rows(desk_databases["desk"], User) == len(demo_master["users"]), what="the directory reaching the desk")
    desk_engine = StandaloneEngine(desk_databases["desk"])
    set_demo_passwords(desk_engine, desk_config["desk"])
    desk_engine.engine.dispose()


class Browser:
    """A browser without JavaScript: keeps cookies, and posts forms with the last page's CSRF token."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.http = requests.Session()
        self.csrf = None
        self.last = None

    def get(self, path, **kwargs):
        response = self.http.get(self.base_url + path, timeout=30, **kwargs)
        self._remember(response)
        return response

    def post(self, path, data=None, files=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.csrf
        response = self.http.post(self.base_url + path, data=data, files=files, timeout=30, **kwargs)
        self._remember(response)
        return response

    def _remember(self, response):
        self.last = response
        found = CSRF.search(response.text) if response.headers.get("Content-Type", "").startswith("text/html") else None
        if found:
            self.csrf = unescape(found.group(1))

    def sign_in(self, user_id, password="eoffice-demo"):
        self.get("/sign-in")
        response = self.post("/sign-in", {"user_id": user_id, "password": password})
        assert response.url.endswith("/inbox"), response.text[:500]
        return response


@pytest.fixture
def browser_for():
    """`browser_for(base_url)`: a new browser without JavaScript on a running desk."""
    made = []

    def make(base_url):
        made.append(Browser(base_url))
        return made[-1]

    yield make
    for b in made:
        b.http.close()


@pytest.fixture
def browser(desk_system, browser_for):
    """`browser()`: a new browser on the desk of `desk_system`."""
    return lambda: browser_for(desk_system["url"])


@pytest.fixture
def pdf():
    return PDF


@pytest.fixture
def png():
    return PNG
