"""schemathesis over every service's OpenAPI document, on the running services with a real token and
real ids: each operation gets EXAMPLES generated requests (a fixed seed), and every answer must be no
server error, a status the document lists for the operation, of a documented type and schema."""
import json
import uuid
from datetime import date

import pytest
import requests
import schemathesis
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Per operation and mode (and, where it has path parameters, once more with made-up ids): 10 reach every
# operation in both modes, about 2,800 requests over the five services; 25 took 2.3 times as long.
EXAMPLES = 10
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# No PKCS#11 token is set up for this run (an outside system): signing's documented 503 for it is
# the right answer, still checked against its document.
ABSENT_OUTSIDE_SYSTEMS = {(503, "token_unavailable")}
CHECKS_WHEN_ABSENT = CHECKS[1:]
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HEAD = {"main_code": "N-11", "main_name_en": "Land Revenue", "main_name_hi": "भू-राजस्व", "sub_code": "016",
        "sub_name_en": "Pensions", "sub_name_hi": "पेंशन", "section_label": "REV", "department_label": "COLL-JHS"}
CALLER = "clerk.jhs"  # the clerk a receipt is sent to, who files it, notes and drafts


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def seed(office):
    """A receipt with a scan put into a file, a note, a draft, a document and a certificate: the ids
    the path parameters take, so that generated requests reach real objects."""
    fields = {"delivery_mode": "post", "sender": {"name": "सुनीता देवी"}, "subject": "पेंशन हेतु आवेदन", "send": {"to": [CALLER]}}
    receipt = ok(office.call("dak", "POST", "/receipts", "diarist.jhs", data={"receipt": json.dumps(fields, ensure_ascii=False)},
                             files=[("scans", ("आवेदन.pdf", PDF, "application/pdf"))]), 201)["receipt"]
    ok(office.call("files", "POST", "/heads", "admin.jhs", json=HEAD), 201)
    head = next(h for h in ok(office.call("files", "GET", "/heads", CALLER))["heads"] if h["code"] == "N-11016")
    file = ok(office.call("files", "POST", "/files", CALLER, json={"head_id": head["id"], "subject": "पेंशन"}), 201)
    ok(office.call("dak", "POST", f"/receipts/{receipt['id']}/put-in-file", CALLER, json={"file_id": file["id"]}))
    item = ok(office.call("files", "POST", f"/files/{file['id']}/correspondence", CALLER,
                          data={"item": json.dumps({"title": "संलग्नक"})}, files=[("documents", ("a.pdf", PDF, "application/pdf"))]), 201)
    note = ok(office.call("files", "POST", f"/files/{file['id']}/notes", CALLER, json={"text": "प्रस्तुत।"}), 201)
    ok(office.call("files", "POST", f"/files/{file['id']}/notes/{note['id']}/confirm", CALLER))
    draft = ok(office.call("files", "POST", f"/files/{file['id']}/drafts", CALLER, json={"subject": "उत्तर", "content": "स्वीकृत"}), 201)
    pem = office.esign_certificate.public_bytes(serialization.Encoding.PEM).decode()
    certificate = ok(office.call("signing", "POST", "/certificates", CALLER, json={"source": "esign", "certificate": pem}), 201)
    notification = office.wait_for(lambda: ok(office.call("notify", "GET", "/notifications", CALLER))["notifications"],
                                   what="a notification for the clerk")[0]
    return {
        "receipt_id": receipt["id"], "position": 1, "user_id": CALLER,
        "file_id": file["id"], "item_id": item["id"], "note_id": note["id"], "draft_id": draft["id"], "version": 1,
        "certificate_id": certificate["id"], "kind": "note", "document_id": note["id"],
        "notification_id": notification["id"], "letter_id": 1,
        "week": "{0}-W{1:02d}".format(*date.today().isocalendar()), "level": "office", "unit": "COLL-JHS",
    }


@pytest.fixture(scope="module")
def whole_office(module_whole_office):
    """The five services, started once for this module: each fuzz run only adds to what is there, and
    every answer, whatever the state, must be one its document lists."""
    return module_whole_office


@pytest.fixture(scope="module")
def ids(whole_office):
    return seed(whole_office)


@pytest.mark.parametrize("service", ["dak", "files", "signing", "notify", "metrics"])
def test_every_operation_answers_as_its_document_says(whole_office, ids, service):
    url = whole_office.urls[service]
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    headers = {"Authorization": f"Bearer {whole_office.token(CALLER)}"}
    examples, failures, keys_used = 0, {}, set()
    # A stream of server-sent events never ends: notify's own tests read it.
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [operation for operation in operations if not _streams_events(operation)]
    runs = [(operation, mode, True) for operation in operations for mode in MODES]
    # Once more with made-up path parameters: ids of nothing, and values that are no ids at all.
    runs += [(operation, GenerationMode.NEGATIVE, False) for operation in operations if operation.path_parameters]
    for operation, mode, real_ids in runs:
        fixed = {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids} if real_ids else {}

        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case):
            nonlocal examples
            examples += 1
            # A key sent again with another request is answered 422 idempotency_key_reused, as the
            # IdempotencyKey parameter documents (tested by each service's idempotency tests); here a
            # generated key is used once, so each operation is checked against its own document.
            key = next((name for name in case.headers or {} if name.lower() == "idempotency-key"), None)
            if key is not None:
                if case.headers[key] in keys_used:
                    case.headers[key] = uuid.uuid4().hex
                keys_used.add(case.headers[key])
            try:
                response = case.call(base_url=url, headers=headers, timeout=30)
                case.validate_response(response, checks=CHECKS_WHEN_ABSENT if _outside_system_absent(response) else CHECKS)
            except (Exception, FailureGroup) as failure:  # every operation is run whatever another one did
                failures.setdefault(f"{operation.label} ({mode.value}{'' if real_ids else ', made-up ids'})", f"{failure}"[:1500])

        try:
            run()
        except Unsatisfiable:  # negative mode, for an operation that takes nothing that could be invalid
            assert mode is GenerationMode.NEGATIVE
    print(f"\nschemathesis {service}: {len(operations)} operations, {examples} examples, {len(failures)} failing")
    assert not failures, "\n\n".join(f"{label}: {failure}" for label, failure in failures.items())


def _outside_system_absent(response):
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and (response.status_code, body.get("error")) in ABSENT_OUTSIDE_SYSTEMS


def _streams_events(operation):
    return any("text/event-stream" in answer.get("content", {}) for answer in operation.definition.raw["responses"].values())


def test_every_protected_operation_documents_401_and_each_body_413(whole_office):
    for service, url in whole_office.urls.items():
        served = requests.get(f"{url}/openapi.json", timeout=30).json()
        protected_by_default = bool(served.get("security"))
        for path, item in served["paths"].items():
            for method, operation in item.items():
                if method not in ("get", "put", "post", "delete", "patch"):
                    continue
                if operation.get("security", protected_by_default):
                    assert "401" in operation["responses"], f"{service} {method} {path}"
                if "requestBody" in operation:
                    assert {"413", "422"} <= set(operation["responses"]), f"{service} {method} {path}"
