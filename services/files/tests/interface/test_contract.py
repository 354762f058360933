"""The service's published contract: OpenAPI document, health, Prometheus exposition."""
import re

import requests
from jsonschema import Draft202012Validator

from eoffice_common.testing import idempotent_routes, operations_taking_idempotency_key, promtool_check
from eoffice_common.web import HttpEntrypoint


def routes_of_service(container):
    routes = set()
    for extension in container.entrypoints:
        if isinstance(extension, HttpEntrypoint):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", extension.url)
            routes |= {(method, path) for method in extension.method.split(",")}
    return routes


def test_the_openapi_document_describes_every_route_and_no_other(files_container, registry):
    document = requests.get(f"{registry.base_url}/openapi.json").json()
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item if method != "parameters"}
    assert documented == routes_of_service(files_container)
    public = {(m.upper(), p) for p, item in document["paths"].items() for m, op in item.items() if m != "parameters" and op.get("security") == []}
    assert public == {(e.method, e.url) for e in files_container.entrypoints if isinstance(e, HttpEntrypoint) and e.public}


def test_every_idempotent_route_documents_the_idempotency_key_and_no_other(files_container, registry):
    document = requests.get(f"{registry.base_url}/openapi.json").json()
    assert operations_taking_idempotency_key(document) == idempotent_routes(files_container) != set()


def answer_validator(document, path, method, status):
    """The JSON Schema of an operation's answer, its references resolved in the document."""
    schema = document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})


def test_the_heads_answers_agree_with_their_schema(registry):
    document = requests.get(f"{registry.base_url}/openapi.json").json()
    listed = registry.get("/heads", "clerk.jhs")
    assert listed.status_code == 200 and listed.json()["heads"]
    assert list(answer_validator(document, "/heads", "get", "200").iter_errors(listed.json())) == []
    head = {"main_code": "N-12", "main_name_en": "Land Acquisition", "main_name_hi": "भूमि अधिग्रहण", "sub_code": "003",
            "sub_name_en": "Compensation", "sub_name_hi": "प्रतिकर", "section_label": "REV", "department_label": "COLL-JHS"}
    added = registry.post("/heads", "admin.jhs", json=head)
    assert added.status_code == 201, added.text
    assert list(answer_validator(document, "/heads", "post", "201").iter_errors(added.json())) == []


def test_health_endpoints_are_public(registry):
    assert requests.get(f"{registry.base_url}/health/live").json() == {"status": "ok"}
    assert requests.get(f"{registry.base_url}/health/ready").json() == {"database": "ok", "broker": "ok"}


def test_metrics_carry_domain_counters_and_pass_promtool(registry, files_config):
    file = registry.create()
    registry.send(file["id"], "clerk.jhs", "so.jhs")
    body = requests.get(f"http://127.0.0.1:{files_config['METRICS_PORT']}/metrics").text
    ok, output = promtool_check(body)
    assert ok, output
    assert 'eoffice_files_created_total{kind="electronic",numbering="sfs"}' in body
    assert 'eoffice_files_movements_total{action="send"}' in body
    assert 'eoffice_entrypoint_calls_total{entrypoint="send",outcome="ok",service="files"}' in body
    assert 'eoffice_outbox_backlog_events{service="files"}' in body
