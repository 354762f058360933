"""The whole system for the browser tests: dak, files, notify, metrics and the desk as nameko containers
on the test vhost, signing under `nameko run` in a process of its own (it loads the SoftHSM2 module,
which reads its token configuration once per process), each service with its own PostgreSQL database,
all sharing the S3 bucket; and Debian's Chromium driven by Playwright in a child process."""
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import requests
import yaml
from sqlalchemy import func, select

from dak.directory import import_master
from desk.cli import set_demo_passwords
from desk.models import User
from desk.service import DeskService
from eoffice_common.auth import Principal, issue_token
from eoffice_common.config import load_config
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.testing import (
    REPO_ROOT,
    TEST_JWT_KEYS,
    TEST_JWT_PRIVATE_KEY,
    free_port,
    truncate_all,
    wait_for_http,
)
from files.cli import DEMO_HEADS, seed_heads
from files.service import FilesService
from metrics.service import MetricsService
from notify.service import NotifyService

from ..conftest import start_dak_with_directory, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
SCREENSHOTS = os.path.join(REPO_ROOT, "artifacts", "screenshots")
TOKEN_LABEL = "eoffice-desk-test"
# Not all digits: signing reads PKCS11_PIN through YAML, which would make "2468" a number (reported).
PIN = "pin-2468"
# Officers with a DSC key on the test token, in their directory names (the CA issues in that name).
DSC_HOLDERS = {"so.jhs": "Rajesh Kumar Tripathi", "clerk.jhs": "Pooja Yadav"}
SERVICES = ("files", "signing", "notify", "metrics")


@pytest.fixture(scope="session")
def token(tmp_path_factory):
    root = tmp_path_factory.mktemp("desk-pki")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    subprocess.run(
        [sys.executable, os.path.join(HERE, "make_token.py"), str(root), TOKEN_LABEL, PIN,
         *(f"{user}={name}" for user, name in DSC_HOLDERS.items())],
        env={**os.environ, "SOFTHSM2_CONF": str(conf)}, check=True,
    )
    return SimpleNamespace(conf=str(conf), ca_file=str(root / "ca.pem"))


@pytest.fixture(scope="session")
def system_databases(migrated_database, desk_databases):
    made = {name: migrated_database(os.path.join(REPO_ROOT, "services", name), f"desk_x_{name}") for name in SERVICES}
    return {**desk_databases, **made}


class Signing:
    """The signing service under `nameko run`, in its own process."""

    def __init__(self, rabbit_config, s3_config, db_url, token, log_path):
        self.port = free_port()
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ, "PYTHONWARNINGS": "ignore", "LOG_LEVEL": "WARNING", "AMQP_URI": rabbit_config["AMQP_URI"],
            "SIGNING_HTTP_ADDRESS": f"127.0.0.1:{self.port}", "SIGNING_METRICS_PORT": "0", "SIGNING_DB_URL": db_url,
            "S3_ENDPOINT_URL": s3_config["S3_ENDPOINT_URL"], "S3_BUCKET": s3_config["S3_BUCKET"],
            "S3_ACCESS_KEY": s3_config["S3_ACCESS_KEY"], "S3_SECRET_KEY": s3_config["S3_SECRET_KEY"],
            **TEST_JWT_KEYS, "SOFTHSM2_CONF": token.conf, "PKCS11_TOKEN_LABEL": TOKEN_LABEL,
            "PKCS11_PIN": PIN, "SIGNING_TRUSTED_CA_FILES": token.ca_file, "SIGNING_MAX_WORKERS": "5",
        }
        self.process = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "nameko"), "run", "--config", "services/signing/config.yml", "signing.service"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(log_path, "wb"),
        )
        wait_for_http(f"{self.url}/health/live", timeout=60)

    def log_tail(self, lines=15):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def bearer(demo_master, user_id):
    user = next(u for u in demo_master["users"] if u["id"] == user_id)
    return {"Authorization": "Bearer " + issue_token(TEST_JWT_PRIVATE_KEY, Principal(user_id, user["office"], tuple(user["roles"]), user["name_en"]))}


@pytest.fixture(scope="module")
def eoffice(module_container_factory, module_rabbit_config, module_s3_config, system_databases, demo_master, token,
            tmp_path_factory):
    """Every service running; the directory imported into dak and copied by everyone; the demo heads
    seeded; demo passwords set; the DSC keys of the test token registered by their holders.
    Started once for a module (half a minute on a busy machine): its tests share it, each working on
    receipts and files of its own."""
    container_factory, rabbit_config, s3_config = module_container_factory, module_rabbit_config, module_s3_config
    for url in system_databases.values():
        truncate_all(url)
    # Few workers: several services share one PostgreSQL with other developers' tests.
    base = {**rabbit_config, **s3_config, **TEST_JWT_KEYS, "METRICS_PORT": 0, "max_workers": 5}
    address = {name: f"127.0.0.1:{free_port()}" for name in ("dak", "files", "notify", "metrics", "desk")}
    signing = Signing(rabbit_config, s3_config, system_databases["signing"], token,
                      tmp_path_factory.mktemp("signing") / "signing.log")
    try:
        urls = {name: f"http://{a}" for name, a in address.items()}
        urls["signing"] = signing.url
        config = {
            name: {**load_config(os.path.join(REPO_ROOT, "services", name, "config.yml")), **base,
                   "DB_URL": system_databases[name], "WEB_SERVER_ADDRESS": address[name]}
            for name in address
        }
        config["desk"].update({f"{name.upper()}_URL": urls[name] for name in ("dak", "files", "signing", "notify", "metrics")})
        config["notify"].update({"STREAM_KEEPALIVE_SECONDS": 2, "SENDER_POLL_SECONDS": 0.2, "SCHEDULER_POLL_SECONDS": 1})
        config["metrics"].update({"DIRECTORY_BOOTSTRAP": False, "SCORE_EVERY_SECONDS": 1})
        for name, service in (("desk", DeskService), ("files", FilesService), ("notify", NotifyService), ("metrics", MetricsService)):
            container_factory(service, config[name]).start()
        start_dak_with_directory(container_factory, config["dak"], system_databases["dak"], demo_master)

        files_engine = StandaloneEngine(system_databases["files"])
        with open(DEMO_HEADS, encoding="utf-8") as handle:
            heads = yaml.safe_load(handle)["heads"]
        with UnitOfWork(files_engine, actor="test", correlation_id=None) as uow:
            seed_heads(uow.session, heads, "admin.jhs", datetime.now(timezone.utc))
            uow.commit()
        files_engine.engine.dispose()

        desk_engine = StandaloneEngine(system_databases["desk"])
        wait_for(lambda: _count_users(desk_engine) == len(demo_master["users"]), timeout=30, interval=0.2, what="the directory reaching the desk")
        set_demo_passwords(desk_engine, config["desk"])
        desk_engine.engine.dispose()

        refusals = []

        def register(user_id):
            response = requests.post(f"{signing.url}/certificates", json={"source": "dsc", "key_label": user_id},
                                     headers=bearer(demo_master, user_id), timeout=30)
            refusals.append(response.text)
            if response.status_code == 404 and len(refusals) == 5:
                # signing's process may have bound its queues only after dak first announced the
                # directory (events reach only queues that exist): announce it once more.
                dak_engine = StandaloneEngine(system_databases["dak"])
                with UnitOfWork(dak_engine, actor="directory-import", correlation_id=None) as uow:
                    import_master(uow, demo_master, republish=True)
                    uow.commit()
                dak_engine.engine.dispose()
            return response.status_code == 201

        for user_id in ("so.jhs",):  # clerk.jhs registers theirs on the desk's page in a test
            try:
                wait_for(lambda: register(user_id), timeout=30, interval=0.2, what=f"{user_id}'s DSC being registered")
            except AssertionError as exc:
                raise AssertionError(f"{exc}; signing answered {refusals[-1]}; its log ends:\n{signing.log_tail()}") from exc
        wait_for(lambda: requests.get(f"{urls['notify']}/preferences", headers=bearer(demo_master, "so.jhs")).ok,
                 timeout=30, interval=0.2, what="notify answering")
        yield SimpleNamespace(urls=urls, desk=urls["desk"], databases=system_databases, demo_master=demo_master)
    finally:
        signing.stop()


def _count_users(engine):
    with engine.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(User)).scalar()


class Chromium:
    """Pages of a headless Chromium in a child process; `page(name)` gives one to call methods on."""

    def __init__(self):
        env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
        self.process = subprocess.Popen(
            [sys.executable, "-W", "ignore", os.path.join(HERE, "driver.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env, text=True, encoding="utf-8",
        )

    def call(self, page, op, *args, **kwargs):
        self.process.stdin.write(json.dumps({"page": page, "op": op, "args": list(args), "kwargs": kwargs}, ensure_ascii=False) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the browser driver stopped")
        answer = json.loads(line)
        if not answer["ok"]:
            raise AssertionError(f"{page}.{op}{tuple(args)}: {answer['error']}")
        return answer["value"]

    def page(self, name, width=1366, height=900, locale="hi-IN"):
        self.call(name, "new_page", viewport={"width": width, "height": height}, locale=locale)
        return Page(self, name)

    def close(self):
        # End of input closes the browser; a driver stuck on a step (or on an answer nobody reads
        # after a failure) is killed rather than waited for.
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Page:
    def __init__(self, chromium, name):
        self.chromium = chromium
        self.name = name

    def __getattr__(self, op):
        return lambda *args, **kwargs: self.chromium.call(self.name, op, *args, **kwargs)

    def url(self):
        return self.evaluate("location.href")

    def shoot(self, label):
        """Screenshots at phone (360×740) and desktop (1366×900) width under artifacts/screenshots/."""
        os.makedirs(SCREENSHOTS, exist_ok=True)
        for name, width, height in (("phone", 360, 740), ("desktop", 1366, 900)):
            self.set_viewport_size({"width": width, "height": height})
            self.screenshot(path=os.path.join(SCREENSHOTS, f"{label}-{name}.png"), full_page=True)
        self.set_viewport_size({"width": 1366, "height": 900})


@pytest.fixture(scope="session")
def launched_chromiums():
    launched = []
    yield launched
    for browser in launched:
        browser.close()


@pytest.fixture
def chromium(launched_chromiums):
    """The session's Chromium (launched once, again only if its driver stopped); each test's pages
    are closed after it, cookies and all."""
    if not launched_chromiums or launched_chromiums[-1].process.poll() is not None:
        launched_chromiums.append(Chromium())
    browser = launched_chromiums[-1]
    yield browser
    browser.call(None, "close_pages")
