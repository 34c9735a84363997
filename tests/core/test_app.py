"""The server skeleton through HTTP: landing page, health, identity, error paths."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.conftest import COI_AUTH


def _count(html: str, label: str) -> int:
    match = re.search(r"<b>([\d,]+)</b> " + label, html)
    assert match, label
    return int(match.group(1).replace(",", ""))


def test_landing_page_lists_collection_and_services(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert _count(html, "target observations") > 1000
    assert _count(html, "light curves") > 10
    assert "LRa01" in html and "IRa01" in html


def test_proprietary_products_only_counted_for_their_group(client: TestClient) -> None:
    anonymous = _count(client.get("/").text, "light curves")
    coi = _count(client.get("/", headers=COI_AUTH).text, "light curves")
    assert coi > anonymous


def test_bad_credentials_are_refused(client: TestClient) -> None:
    response = client.get("/", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert "Invalid credentials" in response.text
    assert client.get("/", headers={"Authorization": "Basic !!!"}).status_code == 401


def test_health_reports_ready(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["targets"] > 0


def test_unknown_path_is_a_plain_404(client: TestClient) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert "Traceback" not in response.text


def test_every_response_carries_a_request_id_and_cors(client: TestClient) -> None:
    response = client.get("/health", headers={"Origin": "http://example.org"})
    assert re.fullmatch(r"[0-9a-f]{12}", response.headers["x-request-id"])
    assert response.headers["access-control-allow-origin"] == "*"
