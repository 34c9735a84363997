"""Unknown paths (404) and methods (405) below the protocol mounts, against the real uvicorn
server: each answers its standard's error document with the routing's status, a 405 with the
methods the resource serves in ``Allow`` (RFC 9110 §15.5.6); HiPS and pages stay plain text."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lxml import etree

from tests.hostile.documents import OAI_NS, VOTABLE_NS, dali_error, soda_error

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


def _allowed(response: httpx.Response) -> set[str]:
    return {method.strip() for method in response.headers["allow"].split(",")}


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("PUT", "/tap/sync", {"GET", "POST"}),
    ("DELETE", "/tap/sync", {"GET", "POST"}),
    ("PUT", "/tap/async", {"GET", "POST"}),
    ("POST", "/tap/capabilities", {"GET"}),
    ("PUT", "/ssa/ssap.xml", {"GET", "POST"}),
    ("DELETE", "/ssa/datalink", {"GET", "POST"}),
])
def test_dali_405(http: httpx.Client, method: str, path: str, allowed: set[str]) -> None:
    response = http.request(method, path)
    message = dali_error(response, 405)
    assert method in message and path in message
    assert allowed <= _allowed(response)
    assert method not in _allowed(response)


@pytest.mark.parametrize("path", ["/tap/nonexistent", "/tap/async/no-such-job/nothing/more", "/ssa/nothing",
                                  "/ssa/datalink/extra", "/tap/%01%FF"])
def test_dali_404(http: httpx.Client, path: str) -> None:
    message = dali_error(http.get(path), 404)
    assert "There is no resource at /" in message


def test_scs_404_and_405(http: httpx.Client) -> None:
    for response, status in ((http.delete("/scs/scs.xml"), 405), (http.get("/scs/nothing"), 404)):
        assert response.status_code == status, response.text[:500]
        assert response.headers["content-type"].startswith("text/xml")
        root = etree.fromstring(response.content)
        errors = root.xpath("/v:VOTABLE/v:INFO[@name='Error']", namespaces=VOTABLE_NS)
        assert len(errors) == 1, response.text[:500]
    assert "GET" in _allowed(http.delete("/scs/scs.xml"))


def test_soda_405(http: httpx.Client) -> None:
    response = http.put("/ssa/soda", content=b"ID=x")
    assert "PUT is not allowed on /ssa/soda" in soda_error(response, 405)
    assert "GET" in _allowed(response)


@pytest.mark.parametrize(("method", "path", "status"), [("PUT", "/registry/oai.xml", 405),
                                                         ("GET", "/registry/nothing", 404)])
def test_oai_pmh(http: httpx.Client, method: str, path: str, status: int) -> None:
    response = http.request(method, path)
    assert response.status_code == status, response.text[:500]
    root = etree.fromstring(response.content)
    errors = root.xpath("/oai:OAI-PMH/oai:error", namespaces=OAI_NS)
    assert len(errors) == 1 and errors[0].get("code"), response.text[:500]
    if status == 405:
        assert {"GET", "POST"} <= _allowed(response)


@pytest.mark.parametrize("path", ["/hips/list/extra/path/nothing", "/nothing-here"])
def test_elsewhere_plain_text(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")


def test_uws_job_405_lists_the_methods_of_every_job_route(http: httpx.Client) -> None:
    response = http.post("/tap/async", data={"LANG": "ADQL", "QUERY": "SELECT TOP 1 ra FROM corot.targets"},
                         follow_redirects=False)
    assert response.status_code == 303
    job = response.headers["location"]
    try:
        refused = http.put(job)
        assert "PUT is not allowed" in dali_error(refused, 405)
        assert {"GET", "POST", "DELETE"} <= _allowed(refused)
        assert {"GET", "POST"} <= _allowed(http.put(f"{job}/phase"))
    finally:
        http.delete(job)
