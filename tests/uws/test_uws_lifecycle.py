"""Destruction (UWS 1.1 §2.1.5), persistence across restarts and service shutdown."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient

from tests.uws.uws_support import NS, Controller, FakeClock, UWSHarness, build_app, build_service, make_job_type
from vo_service.access import Viewer
from vo_service.settings import Settings
from vo_service.uws import RESTART_MESSAGE, SHUTDOWN_MESSAGE, JobParameters, JobService, SqliteJobStore


def finished_job(uws: UWSHarness, text: str = "payload") -> str:
    job_id = uws.create({"mode": "write", "text": text, "phase": "RUN"})
    assert uws.wait_for(job_id, {"COMPLETED"}) == "COMPLETED"
    return job_id


def test_the_sweep_destroys_expired_jobs_and_their_files(uws: UWSHarness) -> None:
    old = finished_job(uws)
    uws.clock.advance(days=3)
    young = finished_job(uws)
    assert uws.service.files.result_path(old, "result").is_file()
    uws.clock.advance(days=4, seconds=1)  # old: 7 days + 1 s; young: 4 days
    assert uws.service.sweep() == [old]
    assert uws.service.store.get(old) is None
    assert not uws.service.files.job_dir(old).exists()
    assert uws.client.get(f"/jobs/{old}").status_code == 404
    assert uws.client.get(f"/jobs/{young}/results/result").text == "payload"


def test_expired_jobs_are_destroyed_on_access(uws: UWSHarness) -> None:
    job_id = finished_job(uws)
    uws.client.post(f"/jobs/{job_id}/destruction", data={"DESTRUCTION": "2024-05-01T13:00:00Z"})
    assert uws.phase(job_id) == "COMPLETED"
    uws.clock.advance(hours=1)
    response = uws.client.get(f"/jobs/{job_id}/results/result")
    assert response.status_code == 404
    assert "destruction time" in response.text
    assert not uws.service.files.job_dir(job_id).exists()
    assert uws.service.store.get(job_id) is None


def test_expired_jobs_leave_the_job_list(uws: UWSHarness) -> None:
    job_id = finished_job(uws)
    uws.clock.advance(days=8)
    assert uws.client.get("/jobs").text.count("jobref") == 0
    assert uws.service.store.get(job_id) is None


def test_the_background_sweep_runs_periodically(harness_factory: Callable[..., UWSHarness]) -> None:
    uws = harness_factory(sweep_interval=0.05)
    uws.service.start()  # the harness started without the background thread
    job_id = finished_job(uws)
    uws.clock.advance(days=8)
    deadline = time.monotonic() + 5
    directory = uws.service.files.job_dir(job_id)
    while (uws.service.store.get(job_id) is not None or directory.exists()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert uws.service.store.get(job_id) is None
    assert not directory.exists()


def test_destroying_a_running_job_aborts_it(uws: UWSHarness) -> None:
    job_id = uws.create({"mode": "interrupt", "phase": "RUN"})
    uws.wait_for(job_id, {"EXECUTING"})
    uws.clock.advance(days=8)
    assert uws.service.sweep() == [job_id]
    deadline = time.monotonic() + 5
    while job_id not in uws.control.interrupted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert uws.control.interrupted == [job_id]


def test_stray_job_directories_are_removed_when_old(uws: UWSHarness) -> None:
    stray = uws.service.files.job_dir("strayjob")
    (stray / "results").mkdir(parents=True)
    (stray / "results" / "result").write_bytes(b"x")
    uws.service.sweep()
    assert stray.exists()  # it could belong to a job being created right now
    old = time.time() - 2 * 3600
    os.utime(stray, (old, old))
    uws.service.sweep()
    assert not stray.exists()


def test_jobs_and_results_survive_a_restart(tmp_path: Path, clock: FakeClock, control: Controller) -> None:
    job_type = make_job_type(control)
    first = build_service(tmp_path, clock)
    client = TestClient(build_app(first, job_type))
    response = client.post("/jobs", data={"mode": "write", "text": "kept", "RUNID": "r1", "phase": "RUN"})
    job_id = response.url.path.rsplit("/", 1)[1]
    pending = client.post("/jobs", data={"mode": "write"}).url.path.rsplit("/", 1)[1]
    running = client.post("/jobs", data={"mode": "interrupt", "phase": "RUN"}).url.path.rsplit("/", 1)[1]
    deadline = time.monotonic() + 5
    while running not in control.started and time.monotonic() < deadline:
        time.sleep(0.01)
    while client.get(f"/jobs/{job_id}/phase").text != "COMPLETED" and time.monotonic() < deadline:
        time.sleep(0.01)
    before = client.get(f"/jobs/{job_id}").content

    # A new service on the same files, as after a crash: the first one never shut down.
    second = build_service(tmp_path, clock)
    try:
        client = TestClient(build_app(second, job_type))
        assert client.get(f"/jobs/{job_id}").content == before
        assert client.get(f"/jobs/{job_id}/results/result").text == "kept"
        assert client.get(f"/jobs/{pending}/phase").text == "PENDING"
        assert client.get(f"/jobs/{running}/phase").text == "ERROR"
        summary = client.get(f"/jobs/{running}").text
        assert RESTART_MESSAGE in summary
        assert 'type="transient"' in summary
        client.post(f"/jobs/{pending}/phase", data={"PHASE": "RUN"})
        deadline = time.monotonic() + 5
        while client.get(f"/jobs/{pending}/phase").text != "COMPLETED" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert client.get(f"/jobs/{pending}/results/result").text == "hello"
    finally:
        first.close()
        second.close()
    # the first service's worker, interrupted at its shutdown, did not overwrite the recovery
    third = SqliteJobStore(tmp_path / "jobs.sqlite")
    try:
        recovered = third.get(running)
        assert recovered is not None
        assert recovered.error is not None
        assert recovered.error.message == RESTART_MESSAGE
    finally:
        third.close()


def test_close_fails_running_jobs_instead_of_leaving_them(
    tmp_path: Path, clock: FakeClock, control: Controller
) -> None:
    job_type = make_job_type(control)
    service = build_service(tmp_path, clock, worker_threads=1)
    viewer = Viewer.anonymous_viewer()
    running = service.create(job_type, viewer, JobParameters.from_pairs([("mode", "interrupt")]), start=True)
    queued = service.create(job_type, viewer, JobParameters.from_pairs([("mode", "write")]), start=True)
    deadline = time.monotonic() + 5
    while running.job_id not in control.started and time.monotonic() < deadline:
        time.sleep(0.01)
    service.close()
    store = SqliteJobStore(tmp_path / "jobs.sqlite")
    try:
        for job_id in (running.job_id, queued.job_id):
            job = store.get(job_id)
            assert job is not None
            assert job.phase.value == "ERROR"
            assert job.error is not None
            assert job.error.message == SHUTDOWN_MESSAGE
    finally:
        store.close()


def test_service_from_settings_uses_the_data_directory(tmp_path: Path, control: Controller) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    service = JobService.from_settings(settings)
    try:
        service.start(background_sweep=False)
        assert service.runner.max_workers == settings.limits.worker_threads == 2
        job_type = make_job_type(control)
        job = service.create(job_type, Viewer(user="u"), JobParameters.from_pairs([("mode", "write")]), start=True)
        deadline = time.monotonic() + 5
        while service.get(job_type, job.job_id, Viewer(user="u")).phase.value != "COMPLETED":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert settings.jobs_path.is_file()
        assert (settings.results_dir / job.job_id / "results" / "result").read_text() == "hello"
        refs = service.list_jobs(job_type, Viewer(user="u"))
        assert [ref.job_id for ref in refs] == [job.job_id]
        assert NS["uws"] == "http://www.ivoa.net/xml/UWS/v1.0"
    finally:
        service.close()
