"""Fixtures for scenarios that cross services: each service runs in its own nameko container on one
RabbitMQ vhost, with its own PostgreSQL database, all sharing one S3 bucket (as in production).

`eoffice` starts dak and files, imports the demo directory into dak and waits until files has
received it through dak's events; `eoffice.token(user)` makes a bearer token for a demo user.
`whole_office` runs all five services, with a test CA and an eSign provider (the outside systems), for the scenario that follows a letter from the diary to the scoreboard."""
import os
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import create_engine, func, select

from dak.cli import DEMO_MASTER
from dak.directory import import_master, load_master
from dak.service import DakService
from eoffice_common.auth import Principal, issue_token
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.testing import REPO_ROOT, TEST_JWT_KEYS, TEST_JWT_PRIVATE_KEY, free_port, truncate_all
from files.models import User as FilesUser
from files.service import FilesService
from metrics.service import MetricsService
from notify.service import NotifyService
from signing.service import SigningService
from signing.testing import FakeESignProvider

SERVICE_DIRS = {
    name: os.path.join(REPO_ROOT, "services", name) for name in ("dak", "files", "signing", "notify", "metrics")
}


@pytest.fixture(scope="session")
def demo_master():
    return load_master(DEMO_MASTER)


@pytest.fixture(scope="session")
def cross_databases(migrated_database):
    """eoffice_test_x_<service>: databases of their own, apart from each service's own test databases."""
    return {name: migrated_database(path, f"x_{name}") for name, path in SERVICE_DIRS.items()}


def _configs(rabbit_config, s3_config, cross_databases):
    for url in cross_databases.values():
        truncate_all(url)

    def make(name, **overrides):
        return {
            **rabbit_config, **s3_config, "DB_URL": cross_databases[name], **TEST_JWT_KEYS,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}", "METRICS_PORT": 0, "max_workers": 20, **overrides,
        }

    return make


@pytest.fixture
def service_config(rabbit_config, s3_config, cross_databases):
    """`service_config(name)`: a container config for one service, on the shared vhost and bucket."""
    return _configs(rabbit_config, s3_config, cross_databases)


class System:
    """The running services, and a way to call them as a demo user."""

    def __init__(self, configs, databases, demo_master):
        self.configs = configs
        self.urls = {name: f"http://{config['WEB_SERVER_ADDRESS']}" for name, config in configs.items()}
        self.databases = databases
        self.users = {u["id"]: u for u in demo_master["users"]}

    def token(self, user_id):
        user = self.users[user_id]
        return issue_token(TEST_JWT_PRIVATE_KEY, Principal(user_id, user["office"], tuple(user["roles"]), user["name_en"]))

    def call(self, service, method, path, user, **kwargs):
        headers = {"Authorization": f"Bearer {self.token(user)}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.urls[service]}{path}", headers=headers, timeout=30, **kwargs)

    def wait_for(self, predicate, timeout=20, what="the condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.1)
        raise AssertionError(f"{what} did not hold within {timeout}s")


def _count(url, model):
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(model)).scalar()
    engine.dispose()
    return count


@pytest.fixture
def eoffice(container_factory, service_config, cross_databases, demo_master):
    """dak and files running; the demo directory imported into dak and copied into files by its events."""
    configs = {"dak": service_config("dak"), "files": service_config("files")}
    system = _start_with_directory(
        container_factory, {"dak": DakService, "files": FilesService}, configs, cross_databases, demo_master
    )
    system.wait_for(lambda: _count(cross_databases["files"], FilesUser) == len(demo_master["users"]), what="the directory reaching files")
    return system


def _start_with_directory(container_factory, services, configs, cross_databases, demo_master):
    for name, service in services.items():
        container_factory(service, configs[name]).start()
    engine = StandaloneEngine(cross_databases["dak"])
    with UnitOfWork(engine, actor="directory-import", correlation_id=None) as uow:
        import_master(uow, demo_master)
        uow.commit()
    engine.engine.dispose()
    return System(configs, cross_databases, demo_master)


@pytest.fixture
def certifying_authority(tmp_path):
    """A CA that issues officers' eSign certificates, as a licensed CA does."""
    return _certifying_authority(tmp_path)


def _certifying_authority(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    now = datetime.now(timezone.utc)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Scenario CA")])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))

    def issue(common_name, user_id):
        officer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.USER_ID, user_id)])
        officer_certificate = (
            x509.CertificateBuilder().subject_name(subject)
            .issuer_name(name).public_key(officer_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=90))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(key, hashes.SHA256())
        )
        return officer_key, officer_certificate

    return SimpleNamespace(ca_file=str(ca_file), issue=issue)


@pytest.fixture
def whole_office(container_factory, service_config, cross_databases, demo_master, certifying_authority):
    yield from _whole_office(container_factory, service_config, cross_databases, demo_master, certifying_authority)


@pytest.fixture(scope="module")
def module_whole_office(module_container_factory, module_rabbit_config, module_s3_config, cross_databases, demo_master,
                        tmp_path_factory):
    """`whole_office` started once for a module whose tests each work on objects of their own."""
    yield from _whole_office(module_container_factory, _configs(module_rabbit_config, module_s3_config, cross_databases),
                             cross_databases, demo_master, _certifying_authority(tmp_path_factory.mktemp("ca")))


def _whole_office(container_factory, service_config, cross_databases, demo_master, certifying_authority):
    clerk = next(u for u in demo_master["users"] if u["id"] == "clerk.jhs")
    key, certificate = certifying_authority.issue(clerk["name_en"], clerk["id"])
    esign = FakeESignProvider(key, certificate)
    configs = {
        "dak": service_config("dak"),
        "files": service_config("files"),
        "signing": service_config(
            "signing", TRUSTED_CA_FILES=certifying_authority.ca_file, ESIGN_URL=esign.url, ESIGN_API_KEY=esign.api_key,
        ),
        "notify": service_config("notify"),
        "metrics": service_config("metrics", SCORE_EVERY_SECONDS=0.5),
    }
    services = {"dak": DakService, "files": FilesService, "signing": SigningService, "notify": NotifyService, "metrics": MetricsService}
    system = _start_with_directory(container_factory, services, configs, cross_databases, demo_master)
    system.esign_certificate = certificate
    system.wait_for(lambda: _count(cross_databases["files"], FilesUser) == len(demo_master["users"]), what="the directory reaching files")
    yield system
    esign.close()
