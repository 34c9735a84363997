"""Fuzzing the cone search, SSA, DataLink, SODA and product endpoints through the ASGI app.

Whatever the parameters, each protocol answers with its own kind of document — a result,
or the error document its standard prescribes — never an internal error, never a
traceback: SCS errors are VOTables with HTTP 200 (SCS 1.03 §2), SSA errors DALI VOTables
with a 4xx, SODA errors ``<Code>Error: text`` with a 4xx (SODA 1.0 §5.2), DataLink errors
rows of its table, missing products 404.
"""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from starlette.testclient import TestClient

FUZZ = settings(max_examples=250, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
NS = {"v": "http://www.ivoa.net/xml/VOTable/v1.3"}

VALUES = [
    "", " ", "0", "-0", "1", "0.1", "10", "102.07", "-3.1", "90", "-90", "91", "360", "361", "-1", "1e308",
    "-1e308", "nan", "NaN", "inf", "-Inf", "+Inf", "1,2", "1 2", "1/2", "2/1", "/", "1/", "/2", "a", "ICRS",
    "102,-3;ICRS", "102,-3;GALACTIC", "2010", "2010-02-30", "2009-01-01T00:00", "2010/2009", "55000 55010",
    "55010 55000", "-Inf +Inf", "6e-7 8e-7", "red", "white,blue", "votable", "fits", "csv", "metadata",
    "application/fits", "application/x-votable+xml;serialization=binary2", "text/csv", "image/png", "ALL",
    "queryData", "getCapabilities", "LRa01", "lra01", "SRc02", "XXa9", "exo", "astero", "102890318", "'; DROP",
    "\x00", "\ufffd", "%", "%%", "ivo://corot.vo/corot?x", "ivo://other/x", "1" * 400,
]
NAMES = ["RA", "DEC", "SR", "VERB", "MAXREC", "RESPONSEFORMAT", "POS", "SIZE", "BAND", "TIME", "FORMAT",
         "REQUEST", "VERSION", "COLLECTION", "TARGETNAME", "PUBDID", "RUN", "CHANNEL", "COROTID", "VMAG",
         "PRODUCT_TYPE", "ID", "COLOUR", "ra", "Pos", "UNKNOWN"]

parameters = st.lists(st.tuples(st.sampled_from(NAMES), st.one_of(st.sampled_from(VALUES), st.text(max_size=30))),
                      max_size=6)


def _no_traceback(content: bytes) -> None:
    assert b"Traceback" not in content and b'File "' not in content


def _query_status(content: bytes) -> list[str]:
    root = etree.fromstring(content)
    return [str(info.get("value")) for info in root.iterfind(".//v:INFO[@name='QUERY_STATUS']", NS)]


@FUZZ
@given(params=parameters, path=st.sampled_from(["scs.xml", "targets", "exo", "astero"]))
def test_cone_search_answers_a_votable_with_status_200(client: TestClient, params: list[tuple[str, str]],
                                                        path: str) -> None:
    response = client.get(f"/scs/{path}", params=tuple(params))
    _no_traceback(response.content)
    assert response.status_code == 200
    statuses = _query_status(response.content)
    assert statuses and statuses[0] in {"OK", "ERROR"}
    if statuses[0] == "ERROR":
        root = etree.fromstring(response.content)
        assert root.find("v:INFO[@name='Error']", NS) is not None


@FUZZ
@given(params=parameters)
def test_ssa_answers_a_dali_document(client: TestClient, params: list[tuple[str, str]]) -> None:
    response = client.get("/ssa/ssap.xml", params=[("REQUEST", "queryData"), *params])
    _no_traceback(response.content)
    assert response.status_code in {200, 400}, response.text[:300]
    statuses = _query_status(response.content)
    assert statuses
    assert (statuses[0] == "ERROR") == (response.status_code == 400)


@FUZZ
@given(params=parameters)
def test_soda_answers_a_cutout_or_a_soda_error(client: TestClient, params: list[tuple[str, str]]) -> None:
    response = client.get("/ssa/soda", params=tuple(params))
    _no_traceback(response.content)
    assert response.status_code in {200, 204, 400, 404}, response.text[:300]
    if response.status_code in {400, 404}:
        assert response.headers["content-type"].startswith("text/plain")
        code = response.text.split(":", 1)[0]
        assert code.endswith(("Error", "Fault", "NotSupported")), response.text[:200]


@FUZZ
@given(ids=st.lists(st.one_of(st.sampled_from(VALUES), st.text(max_size=40)), max_size=4))
def test_datalink_answers_a_links_table(client: TestClient, ids: list[str]) -> None:
    response = client.get("/ssa/datalink", params=[("ID", value) for value in ids])
    _no_traceback(response.content)
    assert response.status_code in {200, 400}, response.text[:300]
    assert _query_status(response.content)


@FUZZ
@given(name=st.one_of(st.sampled_from(VALUES), st.text(min_size=1, max_size=40)),
       kind=st.sampled_from(["products/{}.fits", "products/{}.vot", "products/{}.csv", "preview/{}.png"]))
def test_unknown_products_are_not_found(client: TestClient, name: str, kind: str) -> None:
    response = client.get("/ssa/" + kind.format(quote(name, safe="")))
    _no_traceback(response.content)
    assert response.status_code in {400, 404}, (name, response.status_code)
