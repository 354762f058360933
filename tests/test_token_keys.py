"""Each service as deployed (its own config.yml, an environment without keys, not the embedded
`make run`) refuses to start: there is no default key, so none published to forge tokens with."""
import os

import pytest
import yaml

from dak.service import DakService
from desk.service import DeskService
from eoffice_common.auth import TokenKeyError
from eoffice_common.config import load_config
from eoffice_common.testing import REPO_ROOT, free_port
from files.service import FilesService
from metrics.service import MetricsService
from notify.service import NotifyService
from signing.service import SigningService

SERVICES = {"dak": DakService, "files": FilesService, "signing": SigningService, "notify": NotifyService,
            "metrics": MetricsService, "desk": DeskService}


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_started_without_keys_outside_make_run_refuses_to_start(
    name, monkeypatch, tmp_path, container_factory, rabbit_config, s3_config,
):
    for variable in ("JWT_PUBLIC_KEY", "JWT_PRIVATE_KEY", "JWT_SECRET", "EOFFICE_EMBEDDED"):
        monkeypatch.delenv(variable, raising=False)
    config = load_config(os.path.join(REPO_ROOT, "services", name, "config.yml"))
    container = container_factory(SERVICES[name], {
        **config, **rabbit_config, **s3_config, "DB_URL": f"sqlite:///{tmp_path}/{name}.db", "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}", "METRICS_PORT": 0,
    })
    with pytest.raises(TokenKeyError, match="is not set"):
        container.start()


def test_compose_and_kubernetes_give_the_private_key_to_the_desk_alone():
    with open(os.path.join(REPO_ROOT, "deploy", "compose.yml"), encoding="utf-8") as handle:
        compose = yaml.safe_load(handle)["services"]
    environments = {name: spec.get("environment", {}) for name, spec in compose.items()}
    assert all("JWT_PUBLIC_KEY" in environments[name] for name in SERVICES)
    assert {name for name, env in environments.items() if "JWT_PRIVATE_KEY" in env} == {"desk"}

    holders = set()
    for name in SERVICES:
        with open(os.path.join(REPO_ROOT, "deploy", "k8s", f"{name}.yaml"), encoding="utf-8") as handle:
            for manifest in yaml.safe_load_all(handle):
                if manifest["kind"] != "Deployment":
                    continue
                pod = manifest["spec"]["template"]["spec"]
                for container in pod.get("initContainers", []) + pod["containers"]:
                    assert all(source.get("secretRef", {}).get("name") != "eoffice-token-signing-key"
                               for source in container.get("envFrom", []))
                    if any(variable["name"] == "JWT_PRIVATE_KEY" for variable in container.get("env", [])):
                        holders.add(name)
    assert holders == {"desk"}
