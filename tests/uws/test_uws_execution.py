"""Running jobs: WAIT blocking (§2.2.1.2), ABORT (§2.2.3.6), execution duration (§2.1.4),
and the worker pool under load."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tests.uws.uws_support import NS, UWSHarness


def timed(call: Callable[[], object]) -> tuple[object, float]:
    start = time.monotonic()
    value = call()
    return value, time.monotonic() - start


def test_wait_returns_when_the_job_finishes(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "gate", "phase": "RUN"})
    uws.wait_for(job_id, {"EXECUTING"})
    threading.Timer(0.3, uws.control.gate.set).start()
    root, elapsed = timed(lambda: uws.job_xml(job_id, WAIT="4"))
    assert root.findtext("uws:phase", namespaces=NS) == "COMPLETED"  # type: ignore[attr-defined]
    assert 0.2 < elapsed < 3


def test_wait_with_phase_returns_at_once_if_the_phase_differs(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write"})
    root, elapsed = timed(lambda: uws.job_xml(job_id, WAIT="4", PHASE="EXECUTING"))
    assert root.findtext("uws:phase", namespaces=NS) == "PENDING"  # type: ignore[attr-defined]
    assert elapsed < 1


def test_wait_returns_at_once_for_finished_jobs(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write", "phase": "RUN"})
    uws.wait_for(job_id, {"COMPLETED"})
    _, elapsed = timed(lambda: uws.job_xml(job_id, WAIT="-1"))
    assert elapsed < 1


def test_wait_honours_its_timeout_on_a_pending_job(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write"})
    root, elapsed = timed(lambda: uws.job_xml(job_id, wait="1"))
    assert root.findtext("uws:phase", namespaces=NS) == "PENDING"  # type: ignore[attr-defined]
    assert 0.9 <= elapsed < 3
    _, elapsed = timed(lambda: uws.job_xml(job_id, WAIT="0"))
    assert elapsed < 0.5
    assert uws.client.get(f"/jobs/{job_id}", params={"WAIT": "soon"}).status_code == 400
    assert uws.client.get(f"/jobs/{job_id}", params={"WAIT": "1", "PHASE": "NOPE"}).status_code == 400


def test_wait_is_capped_by_the_service_maximum(harness_factory) -> None:  # type: ignore[no-untyped-def]
    uws = harness_factory(max_wait=0.5)
    job_id = uws.create({"mode": "write"})
    _, elapsed = timed(lambda: uws.job_xml(job_id, WAIT="-1"))
    assert 0.4 <= elapsed < 2
    _, elapsed = timed(lambda: uws.job_xml(job_id, WAIT="3600"))
    assert 0.4 <= elapsed < 2


def test_wait_wakes_on_a_phase_change_made_by_another_client(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "write"})
    statuses: list[int] = []

    def abort() -> None:
        url = f"/jobs/{job_id}/phase"
        statuses.append(uws.client.post(url, data={"PHASE": "ABORT"}, follow_redirects=False).status_code)

    other_client = threading.Timer(0.3, abort)
    other_client.start()
    root, elapsed = timed(lambda: uws.job_xml(job_id, WAIT="4"))
    other_client.join()
    assert statuses == [303]
    assert root.findtext("uws:phase", namespaces=NS) == "ABORTED"  # type: ignore[attr-defined]
    assert elapsed < 3


def test_abort_interrupts_a_running_worker(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "interrupt", "phase": "RUN"})
    uws.wait_for(job_id, {"EXECUTING"})
    response = uws.client.post(f"/jobs/{job_id}/phase", data={"PHASE": "ABORT"}, follow_redirects=False)
    assert response.status_code == 303
    assert uws.phase(job_id) == "ABORTED"
    deadline = time.monotonic() + 5
    while job_id not in uws.control.interrupted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert uws.control.interrupted == [job_id]
    time.sleep(0.1)
    root = uws.job_xml(job_id)
    assert root.findtext("uws:phase", namespaces=NS) == "ABORTED"
    assert root.find("uws:errorSummary", NS) is None
    assert root.findtext("uws:endTime", namespaces=NS)


def test_results_made_before_an_abort_are_kept(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "partial", "phase": "RUN"})
    uws.wait_for(job_id, {"EXECUTING"})
    deadline = time.monotonic() + 5
    while not uws.service.files.result_path(job_id, "partial").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    uws.client.post(f"/jobs/{job_id}/phase", data={"PHASE": "ABORT"})
    assert uws.phase(job_id) == "ABORTED"
    deadline = time.monotonic() + 5
    ids: list[str | None] = []
    while not ids and time.monotonic() < deadline:
        ids = [item.get("id") for item in uws.job_xml(job_id).findall("uws:results/uws:result", NS)]
        time.sleep(0.01)
    assert ids == ["partial"]
    assert uws.client.get(f"/jobs/{job_id}/results/partial").text == "first part"


def test_execution_duration_timeout_ends_in_error(uws: UWSHarness) -> None:
    for mode in ("sleep", "interrupt"):
        job_id = uws.create({"mode": mode, "seconds": "30"})
        uws.client.post(f"/jobs/{job_id}/executionduration", data={"EXECUTIONDURATION": "1"})
        start = time.monotonic()
        uws.run(job_id)
        assert uws.wait_for(job_id, {"ERROR", "COMPLETED", "ABORTED"}) == "ERROR", mode
        assert 0.8 < time.monotonic() - start < 5
        summary = uws.job_xml(job_id).find("uws:errorSummary", NS)
        assert summary is not None
        assert summary.findtext("uws:message", namespaces=NS) == (
            "The job exceeded its execution duration of 1 s and was stopped"
        )
        assert summary.get("type") == "transient"
        assert b"execution duration" in uws.client.get(f"/jobs/{job_id}/error").content


def test_deleting_a_running_job_stops_it(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "interrupt", "phase": "RUN"})
    uws.wait_for(job_id, {"EXECUTING"})
    assert uws.client.delete(f"/jobs/{job_id}", follow_redirects=False).status_code == 303
    deadline = time.monotonic() + 5
    while job_id not in uws.control.interrupted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert uws.control.interrupted == [job_id]
    assert uws.client.get(f"/jobs/{job_id}").status_code == 404


def test_a_pool_of_two_runs_two_jobs_at_a_time(harness_factory) -> None:  # type: ignore[no-untyped-def]
    uws = harness_factory(worker_threads=2)
    jobs = [uws.create({"mode": "gate", "phase": "RUN"}) for _ in range(5)]
    deadline = time.monotonic() + 5
    while len(uws.control.started) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    phases = [uws.phase(job_id) for job_id in jobs]
    assert sorted(phases) == ["EXECUTING", "EXECUTING", "QUEUED", "QUEUED", "QUEUED"]
    queued = [job_id for job_id, phase in zip(jobs, phases, strict=True) if phase == "QUEUED"]
    uws.client.post(f"/jobs/{queued[0]}/phase", data={"PHASE": "ABORT"})
    uws.control.gate.set()
    final = {job_id: uws.wait_for(job_id, {"COMPLETED", "ABORTED", "ERROR"}) for job_id in jobs}
    assert final == {job_id: "ABORTED" if job_id == queued[0] else "COMPLETED" for job_id in jobs}
    assert uws.control.max_running == 2
    assert queued[0] not in uws.control.started
    for job_id in jobs:
        if job_id != queued[0]:
            assert uws.client.get(f"/jobs/{job_id}/results/result").text == job_id


def test_run_twice_starts_the_job_once(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "gate"})
    uws.run(job_id)
    uws.run(job_id)
    uws.wait_for(job_id, {"EXECUTING"})
    uws.run(job_id)
    uws.control.gate.set()
    assert uws.wait_for(job_id, {"COMPLETED"}) == "COMPLETED"
    assert uws.control.started == [job_id]
