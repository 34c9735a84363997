"""The job stores: the same contract for SQLite and memory; SQLite survives reopening."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from vo_models.uws.types import ErrorType, ExecutionPhase

from vo_service.uws.models import ErrorInfo, Job, JobParameter, JobParameters, ResultInfo
from vo_service.uws.store import JobFiles, JobFilter, JobStore, MemoryJobStore, SqliteJobStore

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
P = ExecutionPhase


def make_job(job_id: str, minutes: int = 0, **changes: object) -> Job:
    job = Job(
        job_id=job_id,
        job_type="dummy",
        owner=None,
        phase=P.PENDING,
        creation_time=T0 + timedelta(minutes=minutes),
        execution_duration=60,
        destruction=T0 + timedelta(days=1, minutes=minutes),
        parameters=JobParameters((JobParameter("query", "SELECT 1"), JobParameter("t", "param:t", by_reference=True))),
    )
    return replace(job, **changes)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    created: JobStore = SqliteJobStore(tmp_path / "jobs.sqlite") if request.param == "sqlite" else MemoryJobStore()
    yield created
    created.close()


def test_add_and_get_keep_every_field(store: JobStore) -> None:
    job = make_job(
        "a1",
        owner="alice",
        run_id="run",
        phase=P.ERROR,
        start_time=T0 + timedelta(seconds=1),
        end_time=T0 + timedelta(seconds=2, microseconds=5),
        quote=T0 + timedelta(hours=1),
        results=(ResultInfo("result", "text/plain", size=3, rows=1), ResultInfo("x", "image/png", href="http://e/x")),
        error=ErrorInfo(ErrorType.TRANSIENT, "busy", "application/xml"),
    )
    store.add(job)
    assert store.get("a1") == job
    assert store.get("missing") is None
    assert isinstance(store, JobStore)


def test_duplicate_ids_are_refused(store: JobStore) -> None:
    store.add(make_job("a1"))
    with pytest.raises(Exception):  # noqa: B017, PT011 - sqlite3.IntegrityError or ValueError
        store.add(make_job("a1"))


def test_save_is_a_compare_and_set_on_the_phase(store: JobStore) -> None:
    job = make_job("a1")
    store.add(job)
    queued = replace(job, phase=P.QUEUED, parameters=JobParameters.from_pairs([("query", "SELECT 2")]))
    assert store.save(queued, expected_phase=P.PENDING)
    assert store.get("a1") == queued
    assert not store.save(replace(job, phase=P.ABORTED), expected_phase=P.PENDING)
    assert store.get("a1") == queued
    finished = replace(queued, phase=P.COMPLETED, results=(ResultInfo("result", "text/plain", size=1),))
    assert store.save(finished)
    assert store.get("a1") == finished
    assert not store.save(make_job("ghost"))


def test_delete_removes_the_job_and_its_children(store: JobStore) -> None:
    store.add(make_job("a1", results=(ResultInfo("result", "text/plain"),)))
    assert store.delete("a1")
    assert store.get("a1") is None
    assert not store.delete("a1")
    store.add(make_job("a1"))
    assert store.get("a1") == make_job("a1")


def test_listing_filters_by_type_owner_phase_time_and_count(store: JobStore) -> None:
    store.add(make_job("p0", 0))
    store.add(make_job("p1", 1, phase=P.COMPLETED))
    store.add(make_job("p2", 2, phase=P.ABORTED, run_id="r"))
    store.add(make_job("p3", 3))
    store.add(make_job("alice", 4, owner="alice"))
    store.add(make_job("other", 5, job_type="other"))

    def ids(**options: object) -> list[str]:
        query = JobFilter("dummy", options.pop("owner", None), **options)  # type: ignore[arg-type]
        return [ref.job_id for ref in store.list_jobs(query)]

    assert ids() == ["p3", "p2", "p1", "p0"]
    assert ids(owner="alice") == ["alice"]
    assert ids(phases=frozenset({P.PENDING})) == ["p3", "p0"]
    assert ids(phases=frozenset({P.ABORTED, P.COMPLETED})) == ["p2", "p1"]
    assert ids(after=T0 + timedelta(minutes=1)) == ["p3", "p2"]
    assert ids(last=2) == ["p3", "p2"]
    assert ids(phases=frozenset({P.PENDING}), last=1) == ["p3"]
    assert ids(after=T0 + timedelta(minutes=3)) == []
    ref = store.list_jobs(JobFilter("dummy", None, phases=frozenset({P.ABORTED})))[0]
    assert (ref.run_id, ref.phase, ref.creation_time) == ("r", P.ABORTED, T0 + timedelta(minutes=2))


def test_phase_and_destruction_queries(store: JobStore) -> None:
    store.add(make_job("a", 0, phase=P.EXECUTING))
    store.add(make_job("b", 1, phase=P.QUEUED))
    store.add(make_job("c", 2, destruction=None))
    assert sorted(store.ids_in_phases([P.EXECUTING, P.QUEUED])) == ["a", "b"]
    assert store.ids_in_phases([]) == []
    assert store.expired_ids(T0 + timedelta(days=1)) == ["a"]
    assert sorted(store.expired_ids(T0 + timedelta(days=2))) == ["a", "b"]


def test_sqlite_store_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "jobs.sqlite"
    first = SqliteJobStore(path)
    job = make_job("a1", phase=P.COMPLETED, results=(ResultInfo("result", "text/plain", size=5, rows=2),))
    first.add(job)
    first.close()
    second = SqliteJobStore(path)
    try:
        assert second.get("a1") == job
        journal = second._db.execute("PRAGMA journal_mode").fetchone()[0]
        assert journal == "wal"
    finally:
        second.close()


def test_job_files_layout_and_removal(tmp_path: Path) -> None:
    files = JobFiles(tmp_path / "results")
    assert files.result_path("job1", "result") == tmp_path / "results" / "job1" / "results" / "result"
    assert files.parameter_path("job1", "t1") == tmp_path / "results" / "job1" / "parameters" / "t1"
    assert files.error_path("job1") == tmp_path / "results" / "job1" / "error"
    for unsafe in ("../x", "a/b", ".."):
        with pytest.raises(ValueError, match="unsafe"):
            files.job_dir(unsafe)
        with pytest.raises(ValueError, match="unsafe"):
            files.result_path("job1", unsafe)
    assert files.job_ids_on_disk() == []
    files.result_path("job1", "result").parent.mkdir(parents=True)
    files.result_path("job1", "result").write_bytes(b"x")
    assert files.job_ids_on_disk() == ["job1"]
    files.remove("job1")
    assert not files.job_dir("job1").exists()
    files.remove("job1")  # removing twice is harmless
