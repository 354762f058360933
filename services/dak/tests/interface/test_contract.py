"""The service's published contract: OpenAPI document, health, Prometheus exposition."""
import re

import requests

from eoffice_common.testing import idempotent_routes, operations_taking_idempotency_key, promtool_check
from eoffice_common.web import HttpEntrypoint


def routes_of_service(container):
    routes = set()
    for extension in container.entrypoints:
        if isinstance(extension, HttpEntrypoint):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", extension.url)
            routes |= {(method, path) for method in extension.method.split(",")}
    return routes


def test_the_openapi_document_describes_every_route_and_no_other(dak_container, desk):
    document = requests.get(f"{desk.base_url}/openapi.json").json()
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert documented == routes_of_service(dak_container)
    public = {(m.upper(), p) for p, item in document["paths"].items() for m, op in item.items() if op.get("security") == []}
    assert public == {(e.method, e.url) for e in dak_container.entrypoints if isinstance(e, HttpEntrypoint) and e.public}


def test_every_idempotent_route_documents_the_idempotency_key_and_no_other(dak_container, desk):
    document = requests.get(f"{desk.base_url}/openapi.json").json()
    assert operations_taking_idempotency_key(document) == idempotent_routes(dak_container) != set()


def test_health_endpoints_are_public(desk):
    assert requests.get(f"{desk.base_url}/health/live").json() == {"status": "ok"}
    assert requests.get(f"{desk.base_url}/health/ready").json() == {"database": "ok", "broker": "ok"}


def test_metrics_carry_domain_counters_and_pass_promtool(desk, dak_config):
    desk.diarise()
    body = requests.get(f"http://127.0.0.1:{dak_config['METRICS_PORT']}/metrics").text
    ok, output = promtool_check(body)
    assert ok, output
    assert 'eoffice_dak_receipts_diarised_total{channel="form",kind="physical"}' in body
    assert 'eoffice_entrypoint_calls_total{entrypoint="diarise",outcome="ok",service="dak"}' in body
    assert 'eoffice_outbox_backlog_events{service="dak"}' in body
