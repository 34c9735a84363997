"""ADQL queries whose planning would cost far too much, against the real uvicorn server:
each is a positioned DALI error naming the bound (tap.adql.limits), answered quickly, by
sync and as the error of an async job; never a 500, a RecursionError or a hang."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tap.adql.limits import MAX_FROM_TABLES, MAX_NESTING, MAX_POLYGON_VERTICES, MAX_SELECT_ITEMS
from tests.adql.test_limits import DEEP, largest_accepted
from tests.hostile.documents import dali_error

pytestmark = pytest.mark.interop

#: A generous guard: each of these used to take from 20 s to minutes, or to crash.
SECONDS = 10


def _polygon(vertices: int) -> str:
    corners = ", ".join(f"{100 + math.cos(2 * math.pi * i / vertices):.3f}, "
                        f"{math.sin(2 * math.pi * i / vertices):.3f}" for i in range(vertices))
    return f"SELECT ra FROM corot.targets WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), POLYGON('ICRS', {corners}))"


HOSTILE = {
    "polygon-5000-vertices": (_polygon(5000), f"more than the {MAX_POLYGON_VERTICES} allowed"),
    "select-9000-columns": ("SELECT " + ", ".join(["ra"] * 9000) + " FROM corot.targets",
                            f"more than the {MAX_SELECT_ITEMS} allowed"),
    "5000-nested-parentheses-with-functions": (
        "SELECT " + "ABS(" * 5000 + "ra" + ")" * 5000 + " FROM corot.targets", f"more than {MAX_NESTING} levels"),
    "12000-or-terms": ("SELECT ra FROM corot.targets WHERE " + " OR ".join(["ra=1"] * 12_000),
                       f"more than {MAX_NESTING} levels"),
    "90kB-of-plus-one": ("SELECT ra FROM corot.targets WHERE ra > 1" + "+1" * 45_000,
                         f"more than {MAX_NESTING} levels"),
    "40-tables-joined": ("SELECT t0.ra FROM corot.targets AS t0 " + " ".join(
        f"JOIN corot.targets AS t{i} ON t{i}.corot_id = t0.corot_id" for i in range(1, 40)),
                         f"more than the {MAX_FROM_TABLES} allowed"),
    "2000-nested-subqueries": ("SELECT ra FROM " + "(SELECT ra FROM " * 2000 + "corot.targets" + ") AS t" * 2000,
                               f"more than {MAX_NESTING} levels"),
}


@pytest.fixture(scope="module")
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        yield client


@pytest.mark.parametrize(("query", "fragment"), HOSTILE.values(), ids=HOSTILE.keys())
def test_sync(http: httpx.Client, query: str, fragment: str) -> None:
    start = time.monotonic()
    response = http.post("/tap/sync", data={"LANG": "ADQL", "QUERY": query})
    assert time.monotonic() - start < SECONDS
    message = dali_error(response, 400)
    assert fragment in message and "(line 1, column " in message


def test_parentheses_alone_are_answered(http: httpx.Client) -> None:
    """5,000 nested parentheses around a value make no depth: the query is answered."""
    query = "SELECT TOP 1 ra FROM corot.targets WHERE ra > " + "(" * 5000 + "-1" + ")" * 5000
    start = time.monotonic()
    response = http.post("/tap/sync", data={"LANG": "ADQL", "QUERY": query})
    assert time.monotonic() - start < SECONDS
    assert response.status_code == 200, response.text[:500]
    assert b"<TABLE" in response.content


def test_just_within_the_bounds_is_answered(http: httpx.Client) -> None:
    """The deepest OR chain, the largest polygon and the longest select list allowed run as
    queries, through DuckDB, quickly."""
    for query in ("SELECT TOP 1 ra FROM corot.targets WHERE " + " OR ".join(["ra>=0"] * (MAX_NESTING - 5)),
                  _polygon(MAX_POLYGON_VERTICES).replace("SELECT ra", "SELECT TOP 1 ra"),
                  "SELECT TOP 5 " + ", ".join(["ra"] * MAX_SELECT_ITEMS) + " FROM corot.targets"):
        start = time.monotonic()
        response = http.post("/tap/sync", data={"LANG": "ADQL", "QUERY": query})
        assert time.monotonic() - start < SECONDS
        assert response.status_code == 200, response.text[:500]
        assert b"<TABLE" in response.content


@pytest.mark.parametrize("name", ["polygon-5000-vertices", "90kB-of-plus-one", "select-9000-columns"])
def test_async_job_ends_in_error(http: httpx.Client, name: str) -> None:
    query, fragment = HOSTILE[name]
    response = http.post("/tap/async", data={"LANG": "ADQL", "QUERY": query, "PHASE": "RUN"},
                         follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    job = response.headers["location"]
    try:
        deadline = time.monotonic() + SECONDS
        while (phase := http.get(f"{job}/phase").text) not in {"ERROR", "COMPLETED", "ABORTED"}:
            assert time.monotonic() < deadline, phase
            time.sleep(0.2)
        assert phase == "ERROR"
        message = dali_error(http.get(f"{job}/error"), 200)
        assert fragment in message and "(line 1, column " in message
    finally:
        http.delete(job)


@pytest.mark.parametrize("build", DEEP, ids=[build.__name__ for build in DEEP])
def test_deepest_accepted_queries_run(http: httpx.Client, build: Callable[[int], str]) -> None:
    """Just within the nesting bound, every kind of nesting runs through DuckDB (whose own
    expression depth limit is 1000) and is answered quickly."""
    query = build(largest_accepted(build))
    start = time.monotonic()
    response = http.post("/tap/sync", data={"LANG": "ADQL", "QUERY": query, "MAXREC": "3"})
    assert time.monotonic() - start < SECONDS
    assert response.status_code == 200, response.text[:1000]
    assert b"<TABLE" in response.content
