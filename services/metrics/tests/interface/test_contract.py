"""The service's published contract: OpenAPI document, health, Prometheus exposition."""
import re
from datetime import datetime, timezone

import requests

from eoffice_common.testing import promtool_check
from eoffice_common.web import HttpEntrypoint
from metrics.domain import week_of


def routes_of_service(container):
    routes = set()
    for extension in container.entrypoints:
        if isinstance(extension, HttpEntrypoint):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", extension.url)
            routes |= {(method, path) for method in extension.method.split(",")}
    return routes


def test_the_openapi_document_describes_every_route_and_no_other(metrics_container, client):
    document = requests.get(f"{client.base_url}/openapi.json").json()
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert documented == routes_of_service(metrics_container)
    public = {(m.upper(), p) for p, item in document["paths"].items() for m, op in item.items() if op.get("security") == []}
    assert public == {(e.method, e.url) for e in metrics_container.entrypoints if isinstance(e, HttpEntrypoint) and e.public}


def test_health_endpoints_are_public(client):
    assert requests.get(f"{client.base_url}/health/live").json() == {"status": "ok"}
    assert requests.get(f"{client.base_url}/health/ready").json() == {"database": "ok", "broker": "ok"}


def test_gauges_per_district_and_department_pass_promtool(client, events, events_factory, metrics_config, metrics_db, wait):
    events.publish([
        events_factory.office("COLL-JHS", "JHS", "REV", "ज़िलाधिकारी कार्यालय, झाँसी"),
        events_factory.office("TRY-JLN", "JLN", "TRS", "ज़िला कोषागार, जालौन", district_name_hi="जालौन"),
        events_factory.user("clerk.jhs", "COLL-JHS"),
        events_factory.make("file_created", {"file_id": "f-1", "kind": "electronic", "created_by": "clerk.jhs"}),
        events_factory.make("receipt_diarised", {"receipt_id": "r-1", "kind": "physical"}, office="TRY-JLN", actor="sto.jln", district="JLN"),
    ])
    week = week_of(datetime.now(timezone.utc))
    assert wait(lambda: metrics_db.scalar("SELECT count(*) FROM unit_scores WHERE level = 'district' AND week = :w", w=week) == 2)
    body = requests.get(f"http://127.0.0.1:{metrics_config['METRICS_PORT']}/metrics").text
    ok, output = promtool_check(body)
    assert ok, output
    assert 'eoffice_district_pending_items{district="JLN"} 1.0' in body
    assert 'eoffice_department_pending_items{department="REV"} 1.0' in body
    assert re.search(r'eoffice_district_score\{district="JHS"\} \d', body)
    assert re.search(r'eoffice_department_pending_old_items\{department="TRS"\} 0', body)
    assert re.search(r'eoffice_events_consumed_total\{event_type="file_created",outcome="applied",service="metrics"\} \d', body)
    assert "eoffice_scoreboard_backlog 0.0" in body and "eoffice_facts_awaiting_directory 0.0" in body
    assert "eoffice_consumer_batch_events_bucket" in body
    labels = set(re.findall(r'^eoffice_(?:district|department)_\w+\{(\w+)=', body, re.M))
    assert labels == {"district", "department"}  # bounded: no user, file or office labels


def test_nameko_run_finds_this_service_and_no_other():
    from nameko.cli.run import import_service

    from metrics.service import MetricsService

    assert import_service("metrics.service") == [MetricsService]  # what `make run` and the image start
