"""/tap/async: TAP queries as UWS 1.1 jobs (TAP 1.1 §2.2), validated against the UWS schema."""

from __future__ import annotations

import time
from typing import Any

from lxml import etree
from starlette.testclient import TestClient

from tests.conftest import COI_AUTH
from tests.tap.conftest import Tuner, tap_runtime
from tests.tap.helpers import error_message, infos, table_of, votable, votable_bytes
from tests.tap.xmlschemas import assert_valid

UWS = {"uws": "http://www.ivoa.net/xml/UWS/v1.0", "xlink": "http://www.w3.org/1999/xlink"}
SLOW_QUERY = "SELECT COUNT(*) AS n FROM corot.targets AS a, corot.targets AS b, corot.targets AS c"


def create(client: TestClient, headers: dict[str, str] | None = None, files: dict[str, Any] | None = None,
           **params: str) -> str:
    response = client.post("/tap/async", data=params, files=files, headers=headers, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"].removeprefix("http://testserver")


def wait(client: TestClient, job: str, headers: dict[str, str] | None = None, timeout: float = 20) -> etree._Element:
    """The job document once the job has left the active phases."""
    deadline = time.monotonic() + timeout
    while True:
        root = assert_valid(client.get(job, params={"WAIT": "5"}, headers=headers).content)
        phase = root.findtext("uws:phase", namespaces=UWS)
        if phase not in ("PENDING", "QUEUED", "EXECUTING") or time.monotonic() > deadline:
            return root


def phase_of(root: etree._Element) -> str:
    return str(root.findtext("uws:phase", namespaces=UWS))


def test_job_runs_and_delivers_results_result(client: TestClient) -> None:
    job = create(client, LANG="ADQL", QUERY="SELECT TOP 4 corot_id, vmag FROM corot.targets", PHASE="RUN")
    root = wait(client, job)
    assert phase_of(root) == "COMPLETED"
    result = root.find("uws:results/uws:result", UWS)
    assert result.get("id") == "result"
    assert result.get("{http://www.w3.org/1999/xlink}href") == f"http://testserver{job}/results/result"
    response = client.get(f"{job}/results/result")
    assert response.headers["content-type"].startswith("application/x-votable+xml")
    assert len(table_of(response)) == 4
    assert_valid(client.get(f"{job}/results").content)
    assert_valid(client.get("/tap/async").content)


def test_parameters_may_come_later_and_in_any_case(client: TestClient) -> None:
    job = create(client)
    assert phase_of(assert_valid(client.get(job).content)) == "PENDING"
    client.post(f"{job}/parameters", data={"query": "SELECT run_code FROM corot.runs", "MaxRec": "3"})
    client.post(f"{job}/parameters", data={"lang": "ADQL-2.1", "responseformat": "votable/td"})
    params = assert_valid(client.get(f"{job}/parameters").content)
    assert {p.get("id") for p in params.findall("uws:parameter", UWS)} >= {"query", "maxrec", "lang"}
    assert client.post(f"{job}/phase", data={"PHASE": "RUN"}, follow_redirects=False).status_code == 303
    assert phase_of(wait(client, job)) == "COMPLETED"
    response = client.get(f"{job}/results/result")
    assert response.headers["content-type"].startswith("application/x-votable+xml;serialization=TABLEDATA")
    document = votable(response.content)
    assert len(document.get_first_table().array) == 3
    assert infos(document)[-1][:2] == ("QUERY_STATUS", "OVERFLOW")


def test_bad_query_makes_an_error_job_with_a_dali_document(client: TestClient) -> None:
    job = create(client, LANG="ADQL", QUERY="SELECT nope FROM corot.targets", PHASE="RUN")
    root = wait(client, job)
    assert phase_of(root) == "ERROR"
    summary = root.find("uws:errorSummary", UWS)
    assert summary.get("type") == "fatal" and summary.get("hasDetail") == "true"
    assert "nope" in summary.findtext("uws:message", namespaces=UWS)
    error = client.get(f"{job}/error")
    assert error.status_code == 200
    assert "nope" in error_message(error)


def test_missing_parameters_fail_when_run(client: TestClient) -> None:
    job = create(client, QUERY="SELECT 1 FROM corot.runs")
    client.post(f"{job}/phase", data={"PHASE": "RUN"})
    root = wait(client, job)
    assert phase_of(root) == "ERROR"
    assert "LANG" in root.findtext("uws:errorSummary/uws:message", namespaces=UWS)


def test_abort_interrupts_the_query(client: TestClient) -> None:
    job = create(client, LANG="ADQL", QUERY=SLOW_QUERY, PHASE="RUN")
    started = time.monotonic()
    client.post(f"{job}/phase", data={"PHASE": "ABORT"})
    root = wait(client, job)
    assert phase_of(root) == "ABORTED" and time.monotonic() - started < 10


def test_execution_duration_is_enforced(client: TestClient) -> None:
    job = create(client, LANG="ADQL", QUERY=SLOW_QUERY)
    client.post(f"{job}/executionduration", data={"EXECUTIONDURATION": "1"})
    client.post(f"{job}/phase", data={"PHASE": "RUN"})
    root = wait(client, job)
    assert phase_of(root) == "ERROR"
    assert "execution duration" in root.findtext("uws:errorSummary/uws:message", namespaces=UWS)


def test_inline_upload_in_a_job(client: TestClient) -> None:
    table = votable_bytes({"ra": [100.95417], "dec": [-1.06306]})
    query = ("SELECT p.ra, t.corot_id FROM TAP_UPLOAD.pos AS p JOIN corot.targets AS t "
             "ON DISTANCE(POINT(p.ra, p.dec), POINT(t.ra, t.dec)) < 1.0 / 3600")
    job = create(client, files={"LANG": (None, "ADQL"), "UPLOAD": (None, "pos,param:pos"), "PHASE": (None, "RUN"),
                                "QUERY": (None, query), "pos": ("pos.xml", table, "application/x-votable+xml")})
    assert phase_of(wait(client, job)) == "COMPLETED"
    assert set(table_of(client.get(f"{job}/results/result"))["corot_id"]) == {102708694}


def test_jobs_see_their_owners_rows_and_are_private(client: TestClient) -> None:
    query = "SELECT COUNT(*) AS n FROM ivoa.obscore WHERE data_rights = 'proprietary'"
    job = create(client, headers=COI_AUTH, LANG="ADQL", QUERY=query, PHASE="RUN")
    assert phase_of(wait(client, job, headers=COI_AUTH)) == "COMPLETED"
    assert table_of(client.get(f"{job}/results/result", headers=COI_AUTH))["n"][0] > 0
    assert client.get(job).status_code == 403
    anonymous = create(client, LANG="ADQL", QUERY=query, PHASE="RUN")
    assert phase_of(wait(client, anonymous)) == "COMPLETED"
    assert table_of(client.get(f"{anonymous}/results/result"))["n"][0] == 0


def test_waiting_jobs_share_the_query_slots(client: TestClient, tuned: Tuner) -> None:
    with tuned(max_concurrent_queries=1):
        gate = tap_runtime(client).gate
        assert gate.try_acquire()
        try:
            job = create(client, LANG="ADQL", QUERY="SELECT TOP 1 run_code FROM corot.runs", PHASE="RUN")
            time.sleep(0.3)
            assert phase_of(assert_valid(client.get(job).content)) == "EXECUTING"
        finally:
            gate.release()
        assert phase_of(wait(client, job)) == "COMPLETED"


def test_unknown_job_is_not_found(client: TestClient) -> None:
    assert client.get("/tap/async/nosuchjob").status_code == 404
    assert client.get("/tap/async/nosuchjob/results/result").status_code == 404


def test_job_deletion(client: TestClient) -> None:
    job = create(client, LANG="ADQL", QUERY="SELECT TOP 1 run_code FROM corot.runs")
    response = client.post(job, data={"ACTION": "DELETE"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "http://testserver/tap/async"
    assert client.get(job).status_code == 404
