"""Two ways the service starts in real life: with an empty copy of the directory next to a running
dak (filled through dak.directory_snapshot()), and on SQLite as `make run` starts it."""
import os

import requests

from dak.cli import DEMO_MASTER
from dak.directory import import_master, load_master
from dak.service import DakService
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.testing import TEST_JWT_KEYS, free_port, truncate_all
from metrics import cli
from metrics.service import MetricsService


def test_an_empty_directory_is_filled_from_dak(
    container_factory, rabbit_config, s3_config, migrated_database, service_dir, metrics_db, make_service_config, wait
):
    dak_url = migrated_database(os.path.join(service_dir, "..", "dak"), "metrics_dak")
    truncate_all(dak_url)
    engine = StandaloneEngine(dak_url)
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        import_master(uow, load_master(DEMO_MASTER))
        uow.commit()
    engine.engine.dispose()
    dak = container_factory(DakService, {
        **rabbit_config, **s3_config, "DB_URL": dak_url, **TEST_JWT_KEYS,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}", "METRICS_PORT": 0,
        # dak's relay cannot reach the broker: its directory events never arrive, only the snapshot
        "OUTBOX_AMQP_URI": f"pyamqp://guest:guest@127.0.0.1:{free_port()}/",
    })
    dak.start()
    metrics = container_factory(MetricsService, make_service_config(rabbit_config, metrics_db.url, DIRECTORY_BOOTSTRAP=True))
    metrics.start()
    assert wait(lambda: metrics_db.scalar("SELECT count(*) FROM users") == 59, timeout=30)
    assert metrics_db.scalar("SELECT count(*) FROM offices") == 16
    assert metrics_db.scalar("SELECT name_hi FROM offices WHERE code = 'COLL-JHS'") == "ज़िलाधिकारी कार्यालय, झाँसी"
    assert metrics_db.scalar("SELECT department_name_hi FROM offices WHERE code = 'TRY-JHS'") == "वित्त (कोषागार)"
    assert metrics_db.scalar("SELECT count(*) FROM processed_events") == 0


def test_make_run_works_on_sqlite(container_factory, rabbit_config, tmp_path, monkeypatch, events_factory, make_service_config, make_client, wait):
    url = f"sqlite:///{tmp_path}/metrics.db"
    monkeypatch.setenv("METRICS_DB_URL", url)
    assert cli.main(["migrate"]) == 0
    config = make_service_config(rabbit_config, url)
    container = container_factory(MetricsService, config)
    container.start()
    publisher = events_factory(config["AMQP_URI"])
    make = events_factory.make
    publisher.publish([
        events_factory.office("COLL-JHS", "JHS", "REV", "ज़िलाधिकारी कार्यालय, झाँसी"),
        events_factory.user("clerk.jhs", "COLL-JHS"),
        events_factory.user("so.jhs", "COLL-JHS"),
        make("file_created", {"file_id": "f-1", "kind": "electronic", "created_by": "clerk.jhs"}),
        make("file_sent", {"file_id": "f-1", "to_user": "so.jhs"}),
        make("document_signed", {"signer": "so.jhs", "document_kind": "note", "file_id": "f-1"}, office="", actor="so.jhs"),
    ])
    publisher.close()
    client = make_client(f"http://{config['WEB_SERVER_ADDRESS']}")

    def scored():
        response = client.get("/scoreboard/office/COLL-JHS/explain")
        return response.status_code == 200 and response.json()

    explained = wait(scored)
    assert explained and explained["name_hi"] == "ज़िलाधिकारी कार्यालय, झाँसी"
    components = {c["component"]: c for c in explained["components"]}
    assert components["e_file_share"]["raw"] == 1.0 and components["movements_per_active_user"]["numerator"] == 1
    pendency = client.get("/mis/pendency").json()["rows"]
    assert [(r["holder"], r["item_type"], r["total"]) for r in pendency] == [("so.jhs", "file", 1)]
    assert requests.get(f"{client.base_url}/health/ready").json() == {"database": "ok", "broker": "ok"}
    assert cli.main(["recompute", "--all"]) == 0
    assert client.get("/scoreboard/office/COLL-JHS/explain").json()["score"] == explained["score"]
