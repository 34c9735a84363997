"""Hostile parameter values against the real uvicorn server: huge numeric literals, malformed
bodies and encodings.  Never a 5xx, never bare text where a standard error document is due."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from lxml import etree

from tests.hostile.documents import (
    ENDPOINTS,
    VOTABLE_NS,
    Endpoint,
    assert_standard_answer,
    dali_error,
    oai_error,
    scs_error,
)

pytestmark = pytest.mark.interop
IDS = [endpoint.name for endpoint in ENDPOINTS]
HUGE = "1" + "0" * 5000


@pytest.fixture(scope="module")
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        yield client


LITERALS = [
    (f"SELECT {HUGE} FROM corot.targets", "Integer literal", 8),
    (f"SELECT -{HUGE} FROM corot.targets", "Integer literal", 9),
    (f"SELECT {HUGE}.5 FROM corot.targets", "Numeric literal", 8),
    (f"SELECT 1e{HUGE} FROM corot.targets", "Numeric literal", 8),
    (f"SELECT 0x{'f' * 5000} FROM corot.targets", "Hexadecimal literal", 8),
    (f"SELECT TOP {HUGE} ra FROM corot.targets", "TOP value", 12),
    (f"SELECT ra FROM corot.targets OFFSET {HUGE}", "OFFSET value", 37),
    (f"SELECT ra FROM corot.targets WHERE corot_id = {HUGE}", "Integer literal", 47),
    (f"SELECT ra FROM corot.targets WHERE corot_id IN (1, {HUGE})", "Integer literal", 52),
]


@pytest.mark.parametrize(("query", "what", "column"), LITERALS, ids=[f"{w}-{c}" for _, w, c in LITERALS])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_huge_adql_literals_are_positioned_errors(http: httpx.Client, query: str, what: str, column: int,
                                                  method: str) -> None:
    params = {"LANG": "ADQL", "QUERY": query}
    response = http.get("/tap/sync", params=params) if method == "GET" else http.post("/tap/sync", data=params)
    message = dali_error(response, 400)
    assert what in message and "out of range" in message
    assert f"(line 1, column {column})" in message
    assert len(message) < 500  # the literal is abridged, not echoed whole


def test_huge_literal_in_an_async_job_is_a_job_error(http: httpx.Client) -> None:
    response = http.post("/tap/async", data={"LANG": "ADQL", "QUERY": LITERALS[0][0], "PHASE": "RUN"},
                         follow_redirects=False)
    assert response.status_code == 303
    job = response.headers["location"]
    try:
        deadline = time.monotonic() + 60
        while (phase := http.get(f"{job}/phase").text) not in {"ERROR", "COMPLETED"}:
            assert time.monotonic() < deadline, phase
            time.sleep(0.2)
        assert phase == "ERROR"
        assert "Integer literal" in dali_error(http.get(f"{job}/error"), 200)
    finally:
        http.delete(job)


@pytest.mark.parametrize("value", [HUGE, "9" * 30, "-" + HUGE, "1e5", " 7 ", "\x00", "٣"])
def test_maxrec_values(http: httpx.Client, value: str) -> None:
    """MAXREC is read the same way by TAP, SCS and SSA: a non-negative integer (capped), else
    each service's error document."""
    valid = value.strip().isascii() and value.strip().isdigit()
    tap = http.post("/tap/sync", data={"LANG": "ADQL", "QUERY": "SELECT TOP 1 ra FROM corot.targets",
                                       "MAXREC": value})
    scs = http.get("/scs/scs.xml", params={"RA": "100.9", "DEC": "-1.06", "SR": "0.1", "MAXREC": value})
    ssa = http.get("/ssa/ssap.xml", params={"REQUEST": "queryData", "MAXREC": value})
    if valid:
        for response in (tap, scs, ssa):
            assert response.status_code == 200, response.text[:500]
            assert b"<TABLE" in response.content
    else:
        assert "MAXREC" in dali_error(tap, 400)
        assert "MAXREC" in scs_error(scs)
        assert "MAXREC" in dali_error(ssa, 400)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_multipart_without_boundary(http: httpx.Client, endpoint: Endpoint) -> None:
    response = http.post(endpoint.path, content=b"--x\r\n\r\n", headers={"content-type": "multipart/form-data"})
    assert "not a well-formed form" in endpoint.error(response, 400)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_truncated_multipart(http: httpx.Client, endpoint: Endpoint) -> None:
    body = b'--b\r\nContent-Disposition: form-data; name="A"\r\n\r\n' + b"x" * 100
    response = http.post(endpoint.path, content=body, headers={"content-type": "multipart/form-data; boundary=b"})
    assert_standard_answer(endpoint, response)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("raw", [b"%FF%FE=%C3%28", b"A=%00%00", b"%=%%&&==&", b"\xff\xfe=\x00"])
def test_undecodable_forms(http: httpx.Client, endpoint: Endpoint, raw: bytes) -> None:
    """Bytes that are not UTF-8, NULs, broken percent escapes: read, never a 5xx."""
    base = "&".join(f"{name}={value}" for name, value in endpoint.params).encode()
    response = http.post(endpoint.path, content=base + b"&" + raw,
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert_standard_answer(endpoint, response)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_undecodable_query_strings(live_server: str, endpoint: Endpoint) -> None:
    base = "&".join(f"{name}={value}" for name, value in endpoint.params)
    with httpx.Client(base_url=live_server, timeout=60) as client:
        response = client.get(f"{endpoint.path}?{base}&%FF%FE=%C3%28&B=%00")
    assert_standard_answer(endpoint, response)


RESPONSEFORMATS = ["votable;;serialization", "votable;serialization=fits", "application/json",
                   "votable;" + "x=1;" * 20_000, "text/xml;charset=\x00", "text/xml;content=\r\nX-A: b", "votable;é=1"]


@pytest.mark.parametrize("value", RESPONSEFORMATS)
def test_responseformat_values(http: httpx.Client, value: str) -> None:
    """RESPONSEFORMAT is read the same way by the VOTable-only services (SCS, DataLink) and by
    TAP: each refuses what it does not write in its own document."""
    tap = http.post("/tap/sync", data={"LANG": "ADQL", "QUERY": "SELECT TOP 1 ra FROM corot.targets",
                                       "RESPONSEFORMAT": value})
    assert "RESPONSEFORMAT" in dali_error(tap, 400)
    scs = http.post("/scs/scs.xml", data={"RA": "100.9", "DEC": "-1.06", "SR": "0.1", "RESPONSEFORMAT": value})
    links = http.post("/ssa/datalink", data={"ID": "ivo://corot.vo/corot?x", "RESPONSEFORMAT": value})
    if value.startswith("votable;x=1"):  # parameters unknown to a VOTable-only service are ignored
        assert scs.status_code == links.status_code == 200
        assert b"<TABLE" in scs.content and b"<TABLE" in links.content
        return
    assert "RESPONSEFORMAT" in scs_error(scs)
    assert "RESPONSEFORMAT" in dali_error(links, 400)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\ufffe", "\ud800"])
def test_control_characters_in_every_parameter(http: httpx.Client, endpoint: Endpoint, char: str) -> None:
    """Characters XML cannot carry, in each parameter in turn: the answers echo parameters
    and messages into XML documents, never a 5xx."""
    for index in range(len(endpoint.params)):
        params = [(name, value + char if position == index else value)
                  for position, (name, value) in enumerate(endpoint.params)]
        body = "&".join(f"{name}={quote(value, safe='', errors='surrogatepass')}" for name, value in params)
        response = http.post(endpoint.path, content=body.encode(),
                             headers={"content-type": "application/x-www-form-urlencoded"})
        assert_standard_answer(endpoint, response)


def test_oai_arguments_xml_cannot_carry(http: httpx.Client) -> None:
    response = http.get("/registry/oai.xml", params={"verb": "GetRecord", "identifier": "ivo://corot.vo\x01",
                                                     "metadataPrefix": "ivo_vor"})
    assert "characters XML cannot carry" in oai_error(response)


def test_nul_in_adql(http: httpx.Client) -> None:
    response = http.post("/tap/sync", data={"LANG": "ADQL", "QUERY": "SELECT ra FROM corot.targets\x00"})
    assert "NUL" in dali_error(response, 400)


def test_repeated_parameters_are_case_insensitive(http: httpx.Client) -> None:
    """lang and LANG, query and QUERY are one parameter everywhere; conflicting values are refused."""
    response = http.post("/tap/sync", content=b"lang=ADQL&LANG=ADQL&query=SELECT+1&QUERY=SELECT+2",
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert "QUERY was given 2 different values" in dali_error(response, 400)
    response = http.get("/scs/scs.xml", params=[("ra", "100.9"), ("RA", "101"), ("dec", "0"), ("sr", "0.1")])
    assert "RA was given 2 different values" in scs_error(response)
    response = http.get("/ssa/ssap.xml", params=[("request", "queryData"), ("pos", "1,1"), ("POS", "2,2")])
    assert "POS was given 2 different values" in dali_error(response, 400)


def test_error_documents_are_valid_votables(http: httpx.Client) -> None:
    response = http.get("/tap/sync", params={"LANG": "ADQL", "QUERY": LITERALS[0][0]})
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{VOTABLE_NS['v']}}}VOTABLE"


@pytest.fixture
def pending_job(http: httpx.Client) -> Iterator[str]:
    response = http.post("/tap/async", data={"LANG": "ADQL", "QUERY": "SELECT TOP 1 ra FROM corot.targets"},
                         follow_redirects=False)
    assert response.status_code == 303
    yield response.headers["location"]
    http.delete(response.headers["location"])


@pytest.mark.parametrize(("resource", "params", "status", "fragment"), [
    ("", {"WAIT": HUGE}, 400, "Invalid WAIT"),
    ("", {"WAIT": "1", "PHASE": "\x01"}, 400, "Invalid PHASE"),
    ("/executionduration", {"EXECUTIONDURATION": HUGE}, 400, "Invalid EXECUTIONDURATION"),
    ("/destruction", {"DESTRUCTION": HUGE}, 400, "Invalid DESTRUCTION"),
    ("/phase", {"PHASE": "RUN\x00"}, 400, "PHASE"),
    ("/parameters", {"QUERY": "x" * (4 * 1024 * 1024 + 1)}, 413, "limit of 4194304 bytes"),
    ("/phase", {f"P{index}": "1" for index in range(100_001)}, 413, "more than 100000 parameters"),
])
def test_uws_job_resources(http: httpx.Client, pending_job: str, resource: str, params: dict[str, str],
                           status: int, fragment: str) -> None:
    """The job's own resources read their parameters with the same reader and limits (UWS 1.1 §2.2)."""
    if resource:
        response = http.post(f"{pending_job}{resource}", data=params, follow_redirects=False)
    else:
        response = http.get(pending_job, params=params)
    assert fragment in dali_error(response, status)


def test_uws_job_list_filters(http: httpx.Client) -> None:
    assert "Invalid LAST" in dali_error(http.get("/tap/async", params={"LAST": "-" + HUGE}), 400)
    response = http.get("/tap/async", params={"LAST": HUGE})
    assert response.status_code == 200 or "Invalid LAST" in dali_error(response, 400)
