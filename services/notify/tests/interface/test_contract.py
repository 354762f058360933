"""The service's published contract: OpenAPI document, health, Prometheus exposition, schema."""
import re

import requests
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from eoffice_common.tables import PLUMBING
from eoffice_common.testing import free_port, idempotent_routes, operations_taking_idempotency_key, promtool_check
from eoffice_common.web import HttpEntrypoint
from notify.models import Base


def routes_of_service(container):
    routes = set()
    for extension in container.entrypoints:
        if isinstance(extension, HttpEntrypoint):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", extension.url)
            routes |= {(method, path) for method in extension.method.split(",")}
    return routes


def test_the_openapi_document_describes_every_route_and_no_other(notify):
    document = requests.get(f"{notify.base_url}/openapi.json").json()
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert documented == routes_of_service(notify)
    public = {(m.upper(), p) for p, item in document["paths"].items() for m, op in item.items() if op.get("security") == []}
    assert public == {(e.method, e.url) for e in notify.entrypoints if isinstance(e, HttpEntrypoint) and e.public}


def test_every_idempotent_route_documents_the_idempotency_key_and_no_other(notify):
    document = requests.get(f"{notify.base_url}/openapi.json").json()
    assert operations_taking_idempotency_key(document) == idempotent_routes(notify) != set()


def test_health_endpoints_are_public(notify):
    assert requests.get(f"{notify.base_url}/health/live").json() == {"status": "ok"}
    assert requests.get(f"{notify.base_url}/health/ready").json() == {"database": "ok", "broker": "ok"}


def scrape(port):
    return requests.get(f"http://127.0.0.1:{port}/metrics").text


def sample(body, name, **labels):
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    match = re.search(rf"^{re.escape(name)}{{{re.escape(wanted)}}} (\S+)$", body, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_sent_and_failed_by_channel_latency_and_backlog(start_notify, directory, publish, helpers,
                                                                       mail_drop):
    port = free_port()
    start_notify(METRICS_PORT=port)
    directory()
    before = scrape(port)
    mail_drop.stop()
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs"))
    assert helpers.wait_until(lambda: sample(scrape(port), "eoffice_notify_failed_total", channel="email", failure="transient")
                              > sample(before, "eoffice_notify_failed_total", channel="email", failure="transient"))
    waiting = scrape(port)
    assert sample(waiting, "eoffice_notify_backlog", channel="email", state="held") + \
        sample(waiting, "eoffice_notify_backlog", channel="email", state="due") + \
        sample(waiting, "eoffice_notify_backlog", channel="email", state="sending") == 1
    mail_drop.start()
    mail_drop.wait_for(1)
    assert helpers.wait_until(lambda: sample(scrape(port), "eoffice_notify_sent_total", channel="email")
                              == sample(before, "eoffice_notify_sent_total", channel="email") + 1)
    body = scrape(port)
    ok, output = promtool_check(body)
    assert ok, output
    assert sample(body, "eoffice_notify_sent_total", channel="inapp") >= sample(before, "eoffice_notify_sent_total", channel="inapp") + 1
    assert sample(body, "eoffice_notify_delivery_latency_seconds_count", channel="email") >= 1
    assert 'eoffice_notify_delivery_latency_seconds_bucket{channel="inapp",le="1.0"}' in body
    assert sample(body, "eoffice_notify_backlog", channel="email", state="held") == 0
    assert "eoffice_notify_reminders_due 0.0" in body
    assert 'eoffice_events_consumed_total{event_type="file_sent",outcome="applied",service="notify"}' in body
    assert 'eoffice_outbox_backlog_events{service="notify"}' in body


def test_the_migration_creates_exactly_the_tables_of_the_models(db):
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), [Base.metadata, PLUMBING])
    assert differences == []
