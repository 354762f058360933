"""Each service as deployed (its own config.yml, an environment without keys, not the embedded
`make run`) refuses to start: there is no default key, so none published to forge tokens with."""
import os

import pytest

from dak.service import DakService
from desk.service import DeskService
from eoffice_common.auth import TokenKeysMissing
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
    with pytest.raises(TokenKeysMissing, match="is not set"):
        container.start()
