"""The desk's published contract: its routes described, health public, assets within budget, metrics."""
import re

import requests

from desk.web import PageEntrypoint
from eoffice_common.testing import promtool_check


def routes_of(container):
    routes = set()
    for extension in container.entrypoints:
        if isinstance(extension, PageEntrypoint):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", extension.url)
            routes |= {(method, path, not extension.signed_in) for method in extension.method.split(",")}
    return routes


def test_the_openapi_document_describes_every_route_and_no_other(desk_system):
    document = requests.get(f"{desk_system['url']}/openapi.json").json()
    documented = {
        (method.upper(), path, operation.get("security") == [])
        for path, item in document["paths"].items() for method, operation in item.items()
    }
    assert documented == routes_of(desk_system["container"])


def test_health_is_public_and_pages_send_strangers_to_sign_in(desk_system):
    url = desk_system["url"]
    assert requests.get(f"{url}/health/live").json() == {"status": "ok"}
    assert requests.get(f"{url}/health/ready").json() == {"database": "ok", "broker": "ok"}
    response = requests.get(f"{url}/files/new", allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == "/sign-in?next=/files/new"
    assert requests.get(f"{url}/notifications/unread-count", headers={"Accept": "application/json"}).status_code == 401


def test_pages_forbid_other_origins_and_assets_are_cached(browser):
    b = browser()
    page = b.get("/sign-in")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "http" not in policy
    assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Content-Type-Options"] == "nosniff"
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert len(assets) == 2
    for asset in assets:
        response = b.get(asset)
        assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]
    assert "http://" not in page.text and "https://" not in page.text
    assert b.get("/static/..%2Fservice.py").status_code == 404


def test_metrics_count_sign_ins_and_forms_and_pass_promtool(browser, desk_system):
    b = browser()
    b.get("/sign-in")
    b.post("/sign-in", {"user_id": "clerk.jhs", "password": "nope"})
    b.sign_in("clerk.jhs")
    b.post("/diarise", {"kind": "physical", "delivery_mode": "post", "sender_name": "A", "subject": "x"})
    body = requests.get(f"http://127.0.0.1:{desk_system['config']['desk']['METRICS_PORT']}/metrics").text
    ok, output = promtool_check(body)
    assert ok, output
    assert 'eoffice_desk_sign_ins_total{outcome="refused"} ' in body
    assert 'eoffice_desk_forms_total{form="diarise",outcome="done"} ' in body
    assert 'eoffice_entrypoint_calls_total{entrypoint="inbox",outcome="ok",service="desk"}' in body
