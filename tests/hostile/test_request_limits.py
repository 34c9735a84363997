"""Request size limits against the real uvicorn server, on every parameter-reading endpoint.

Every limit (number of parameters, size of one value, size of the body, number and size of
uploaded files, length of the URL and headers) is answered with the error document of the
endpoint's standard naming the limit; below the limits, large requests are served.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from tests.hostile.documents import ENDPOINTS, Endpoint, dali_error, long_get, scs_error
from vo_service.settings import Limits

LIMITS = Limits()
pytestmark = pytest.mark.interop
IDS = [endpoint.name for endpoint in ENDPOINTS]


@pytest.fixture(scope="module")
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        yield client


def _form(endpoint: Endpoint, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [*endpoint.params, *extra]


def post_form(http: httpx.Client, path: str, pairs: list[tuple[str, str]]) -> httpx.Response:
    """POST an urlencoded form whose names may repeat."""
    return http.post(path, content=urlencode(pairs), headers={"content-type": "application/x-www-form-urlencoded"})


# -- number of parameters ---------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_too_many_parameters(http: httpx.Client, live_server: str, endpoint: Endpoint, method: str) -> None:
    pad = [("PAD", "1")] * LIMITS.request_max_fields
    if method == "GET":
        response = long_get(live_server, endpoint.path, _form(endpoint, *pad))
    else:
        response = post_form(http, endpoint.path, _form(endpoint, *pad))
    message = endpoint.error(response, 413)
    assert f"more than {LIMITS.request_max_fields} parameters" in message


def test_too_many_multipart_parameters(http: httpx.Client) -> None:
    fields = {"LANG": (None, "ADQL"), "QUERY": (None, "SELECT TOP 1 ra FROM corot.targets")}
    body = httpx.Request("POST", "http://x", files=fields, data={"PAD": ["1"] * LIMITS.request_max_fields})
    response = http.post("/tap/sync", content=body.read(), headers={"content-type": body.headers["content-type"]})
    assert f"more than {LIMITS.request_max_fields} parameters" in dali_error(response, 413)


@pytest.mark.parametrize("path", ["/tap/sync", "/tap/async"])
def test_thousands_of_parameters_are_read(http: httpx.Client, path: str) -> None:
    """TAP sync and UWS job creation read as many parameters as the other DALI endpoints
    (they stopped at Starlette's 1,000 before)."""
    form = [("LANG", "ADQL"), ("QUERY", "SELECT TOP 1 ra FROM corot.targets"), *[("PAD", "1")] * 5000]
    response = post_form(http, path, form)
    if path == "/tap/sync":
        assert response.status_code == 200, response.text[:500]
        assert b"<TABLE" in response.content
    else:
        assert response.status_code == 303, response.text[:500]
        http.delete(response.headers["location"])


# -- size of one value ------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_value_beyond_the_limit(http: httpx.Client, endpoint: Endpoint, encoding: str) -> None:
    value = "x" * (LIMITS.request_max_value_bytes + 1)
    if encoding == "urlencoded":
        response = post_form(http, endpoint.path, _form(endpoint, ("PAD", value)))
    else:
        fields = [(name, (None, text)) for name, text in _form(endpoint, ("PAD", value))]
        response = http.post(endpoint.path, files=fields)
    message = endpoint.error(response, 413)
    assert f"limit of {LIMITS.request_max_value_bytes} bytes" in message


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_megabyte_query_is_read(http: httpx.Client, encoding: str) -> None:
    """A QUERY of 1.5 MB (below request_max_value_bytes) is read, however it is POSTed, and
    refused by the ADQL parser with its own limit in a DALI error; 90 kB of ADQL run."""
    for size, status in ((1_500_000, 400), (90_000, 200)):
        query = "SELECT TOP 1 ra FROM corot.targets -- " + "x" * size
        if encoding == "urlencoded":
            response = http.post("/tap/sync", data={"LANG": "ADQL", "QUERY": query})
        else:
            response = http.post("/tap/sync", files={"LANG": (None, "ADQL"), "QUERY": (None, query)})
        if status == 400:
            assert f"The query is too long ({len(query)} characters, at most 100000)" in dali_error(response, 400)
        else:
            assert response.status_code == 200, response.text[:500]
            assert b"<TABLE" in response.content


# -- size of the body -------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not e.name.startswith("tap")],
                         ids=[e.name for e in ENDPOINTS if not e.name.startswith("tap")])
def test_body_beyond_the_limit(http: httpx.Client, endpoint: Endpoint) -> None:
    """Declared by Content-Length: refused before the body is read."""
    pad = [("PAD", "y" * 1000)] * (LIMITS.request_max_form_bytes // 1000 + 1)
    response = post_form(http, endpoint.path, _form(endpoint, *pad))
    message = endpoint.error(response, 413)
    assert f"limit of {LIMITS.request_max_form_bytes} bytes" in message


def test_chunked_body_beyond_the_limit(http: httpx.Client) -> None:
    """Sent without a Content-Length, in chunks: refused once it grows beyond the limit."""
    def chunks() -> Iterator[bytes]:
        yield b"ID=ivo%3A%2F%2Fcorot.vo%2Fcorot%3Fnothing"
        for _ in range(LIMITS.request_max_form_bytes // 65536 + 2):
            yield b"&PAD=" + b"z" * 65531

    response = http.post("/ssa/datalink", content=chunks(),
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert "chunked" in response.request.headers.get("transfer-encoding", "")
    assert f"limit of {LIMITS.request_max_form_bytes} bytes" in dali_error(response, 413)


# -- uploaded files ---------------------------------------------------------------------------


def test_uploads_beyond_the_limit(http: httpx.Client) -> None:
    table = b"x" * (LIMITS.upload_max_bytes + 1)
    response = http.post("/tap/sync", data={"LANG": "ADQL", "QUERY": "SELECT TOP 1 * FROM TAP_UPLOAD.t",
                                            "UPLOAD": "t,param:t"}, files={"t": ("t.xml", table)})
    assert f"limit of {LIMITS.upload_max_bytes} bytes" in dali_error(response, 413)


@pytest.mark.parametrize("path", ["/tap/sync", "/tap/async"])
def test_too_many_files(http: httpx.Client, path: str) -> None:
    files = [(f"f{index}", (f"f{index}.xml", b"<x/>")) for index in range(LIMITS.request_max_files + 1)]
    response = http.post(path, data={"LANG": "ADQL", "QUERY": "SELECT 1"}, files=files)
    assert f"more than {LIMITS.request_max_files} uploaded files" in dali_error(response, 413)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not e.name.startswith("tap")],
                         ids=[e.name for e in ENDPOINTS if not e.name.startswith("tap")])
def test_files_where_none_are_taken(http: httpx.Client, endpoint: Endpoint) -> None:
    response = http.post(endpoint.path, data=dict(endpoint.params), files={"f": ("f.xml", b"<x/>")})
    assert "takes no uploaded files" in endpoint.error(response, 400)


# -- long GET requests ------------------------------------------------------------------------


def test_long_adql_by_get_is_served(live_server: str) -> None:
    """pyvo and TOPCAT send long ADQL by GET at times: 100 kB of query string are served."""
    ids = ", ".join(str(number) for number in range(100_000, 110_000))
    query = f"SELECT TOP 1 ra FROM corot.targets WHERE corot_id NOT IN ({ids})"
    response = long_get(live_server, "/tap/sync", [("LANG", "ADQL"), ("QUERY", query)])
    assert len(urlencode({"QUERY": query})) > 100_000
    assert response.status_code == 200, response.text[:500]
    assert b"<TABLE" in response.content


def test_long_get_values_reach_the_services(live_server: str) -> None:
    """A 100 kB RA or POS is read and refused by the service itself, in its own document."""
    long_number = "1" * 100_000
    response = long_get(live_server, "/scs/scs.xml", [("RA", long_number), ("DEC", "0"), ("SR", "0.1")])
    assert "not a finite number" in scs_error(response)
    assert len(response.content) < 10_000  # the value is quoted abridged
    response = long_get(live_server, "/ssa/ssap.xml", [("REQUEST", "queryData"), ("POS", f"{long_number},0")])
    assert "out of range" in dali_error(response, 400)
    assert len(response.content) < 10_000


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("beyond", [10, 3_000_000])
def test_url_beyond_the_limit_is_414(live_server: str, endpoint: Endpoint, beyond: int) -> None:
    """Just beyond the limit (the application refuses) and far beyond (the HTTP layer refuses
    before reading it whole): the same answer."""
    pad = "p" * (LIMITS.request_max_head_bytes + beyond)
    response = long_get(live_server, endpoint.path, _form(endpoint, ("PAD", pad)))
    message = endpoint.error(response, 414)
    assert f"URL exceeds the limit of {LIMITS.request_max_head_bytes} bytes" in message
    assert "POST" in message


@pytest.mark.parametrize("beyond", [10, 3_000_000])
def test_headers_beyond_the_limit_are_431(live_server: str, beyond: int) -> None:
    response = long_get(live_server, "/tap/sync", [("LANG", "ADQL"), ("QUERY", "SELECT 1")],
                        headers={"X-Padding": "h" * (LIMITS.request_max_head_bytes + beyond)})
    assert f"headers exceed the limit of {LIMITS.request_max_head_bytes} bytes" in dali_error(response, 431)


def test_server_keeps_serving_after_refusals(http: httpx.Client) -> None:
    response = http.get("/scs/scs.xml", params={"RA": "100.9", "DEC": "-1.06", "SR": "0.1"})
    assert response.status_code == 200
    assert b"<TABLE" in response.content
