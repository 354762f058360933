"""What common answers is documented on every operation that can get it, and a service's own word wins."""
from eoffice_common.web import openapi_document

DOCUMENT = """
openapi: 3.1.0
info: {title: t, version: '1'}
security: [{bearerAuth: []}]
components:
  parameters:
    Page: {name: page, in: query, schema: {type: integer}}
paths:
  /health/live:
    get:
      security: []
      responses: {'200': {description: up}}
  /notes:
    get:
      parameters: [{$ref: '#/components/parameters/Page'}]
      responses: {'200': {description: notes}}
    post:
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses:
        '201': {description: written}
        '400': {description: the service's own words}
  /notes/{id}/scan:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    put:
      requestBody: {content: {multipart/form-data: {schema: {type: object}}}}
      responses: {'200': {description: stored}}
"""


def statuses(document, path, method):
    return sorted(document["paths"][path][method]["responses"])


def test_each_operation_lists_the_refusals_common_gives_it(tmp_path):
    source = tmp_path / "openapi.yaml"
    source.write_text(DOCUMENT)
    document = openapi_document(str(source))
    assert statuses(document, "/health/live", "get") == ["200"]
    assert statuses(document, "/notes", "get") == ["200", "400", "401", "422"]
    assert statuses(document, "/notes", "post") == ["201", "400", "401", "413", "422"]
    assert document["paths"]["/notes"]["post"]["responses"]["400"] == {"description": "the service's own words"}
    assert statuses(document, "/notes/{id}/scan", "put") == ["200", "400", "401", "413", "422"]
    scan_400 = document["paths"]["/notes/{id}/scan"]["put"]["responses"]["400"]
    assert scan_400["description"].startswith("`nul_character`") and "malformed_json" not in scan_400["description"]
    assert scan_400["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert document["components"]["schemas"]["Error"]["required"] == ["error", "message"]
