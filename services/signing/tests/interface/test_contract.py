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


def test_the_openapi_document_describes_every_route_and_no_other(signing_container, office):
    document = requests.get(f"{office.base_url}/openapi.json").json()
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert documented == routes_of_service(signing_container)
    public = {(m.upper(), p) for p, item in document["paths"].items() for m, op in item.items() if op.get("security") == []}
    assert public == {(e.method, e.url) for e in signing_container.entrypoints if isinstance(e, HttpEntrypoint) and e.public}


def test_every_idempotent_route_documents_the_idempotency_key_and_no_other(signing_container, office):
    document = requests.get(f"{office.base_url}/openapi.json").json()
    assert operations_taking_idempotency_key(document) == idempotent_routes(signing_container) != set()


def test_health_is_public_and_everything_else_needs_a_token(office):
    assert requests.get(f"{office.base_url}/health/live").json() == {"status": "ok"}
    assert requests.get(f"{office.base_url}/health/ready").json() == {"database": "ok", "broker": "ok"}
    response = requests.post(f"{office.base_url}/verify", data=b"%PDF-1.7")
    assert (response.status_code, response.json()["error"]) == (401, "token_missing")


def test_metrics_carry_signing_counters_and_pass_promtool(office, signing_config):
    note_id = office.confirm_note("dm.jhs", "टिप्पणी")
    assert office.register_dsc("dm.jhs").status_code == 201
    assert office.sign("note", note_id, "dm.jhs").status_code == 201
    office.get(f"/documents/note/{note_id}/verification", "dm.jhs")
    body = requests.get(f"http://127.0.0.1:{signing_config['METRICS_PORT']}/metrics").text
    ok, output = promtool_check(body)
    assert ok, output
    assert 'eoffice_signing_signatures_total{method="dsc",outcome="signed"}' in body
    assert 'eoffice_signing_verifications_total{result="valid",source="document"}' in body
    assert 'eoffice_signing_certificates_total{event="registered",source="dsc"}' in body
    assert 'eoffice_entrypoint_calls_total{entrypoint="sign",outcome="ok",service="signing"}' in body


JSON_TYPES = {"object": dict, "array": list, "string": str, "integer": int, "number": (int, float), "boolean": bool, "null": type(None)}


def schema_violations(value, schema, document, path="$"):
    """Where `value` breaks `schema` (the OpenAPI 3.1 keywords this document uses: $ref, type,
    enum, const, properties, items)."""
    while "$ref" in schema:
        schema = referenced(document, schema["$ref"])
    if "type" in schema:
        allowed = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(isinstance(value, JSON_TYPES[t]) and not (t in ("integer", "number") and isinstance(value, bool)) for t in allowed):
            return [f"{path}: {value!r} is not {allowed}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: {value!r} not in {schema['enum']}"]
    if "const" in schema and value != schema["const"]:
        return [f"{path}: {value!r} is not {schema['const']!r}"]
    problems = []
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                problems += schema_violations(value[key], sub, document, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += schema_violations(item, schema["items"], document, f"{path}[{index}]")
    return problems


def referenced(document, reference):
    node = document
    for part in reference.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_verification_answers_match_their_schema_signed_or_not(office):
    document = requests.get(f"{office.base_url}/openapi.json").json()
    schema = document["paths"]["/documents/{kind}/{document_id}/verification"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    unsigned = office.confirm_note("dm.jhs", "अहस्ताक्षरित टिप्पणी")
    answer = office.get(f"/documents/note/{unsigned}/verification", "dm.jhs").json()
    assert answer["document"]["content_sha256"] is None
    assert schema_violations(answer, schema, document) == []
    assert office.register_dsc("dm.jhs").status_code == 201
    signed = office.confirm_note("dm.jhs", "हस्ताक्षरित टिप्पणी")
    assert office.sign("note", signed, "dm.jhs").status_code == 201
    answer = office.get(f"/documents/note/{signed}/verification", "dm.jhs").json()
    assert answer["valid"] is True and schema_violations(answer, schema, document) == []
