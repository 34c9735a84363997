"""The worker runner: outcome mapping, cancellation, deadlines and result sinks."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from vo_service.faults import TimeoutFault, TransientFault, UsageFault
from vo_service.uws.models import JobParameters, ResultInfo
from vo_service.uws.runner import (
    INTERNAL_ERROR_MESSAGE,
    Cancellation,
    Cancelled,
    CancelReason,
    Completed,
    Failed,
    JobCancelled,
    JobInfo,
    JobRunner,
    ResultSink,
    run_worker,
)


def job_info(cancellation: Cancellation | None = None) -> JobInfo:
    return JobInfo(
        job_id="j1",
        job_type="dummy",
        owner=None,
        run_id=None,
        creation_time=datetime(2024, 1, 1, tzinfo=UTC),
        execution_duration=10,
        cancellation=cancellation or Cancellation(),
    )


def test_a_normal_run_completes_with_checked_results(tmp_path: Path) -> None:
    def worker(job: JobInfo, params: JobParameters, sink: ResultSink) -> list[ResultInfo]:
        with sink.open(mime_type="text/plain") as out:
            out.write(params.get("text", "").encode())  # type: ignore[union-attr]
        sink.set_rows("result", 7)
        return [*sink.results, sink.add_reference("more", "http://elsewhere/x", "text/html")]

    sink = ResultSink(tmp_path)
    outcome = run_worker(worker, job_info(), JobParameters.from_pairs([("TEXT", "hello")]), sink)
    assert isinstance(outcome, Completed)
    assert outcome.results == (
        ResultInfo("result", "text/plain", size=5, rows=7),
        ResultInfo("more", "text/html", href="http://elsewhere/x"),
    )
    assert (tmp_path / "result").read_bytes() == b"hello"


@pytest.mark.parametrize(
    ("fault", "uws_type"),
    [(UsageFault("bad column"), "fatal"), (TransientFault("busy"), "transient"), (TimeoutFault("slow"), "transient")],
)
def test_service_faults_keep_message_and_type(tmp_path: Path, fault: Exception, uws_type: str) -> None:
    def worker(job: JobInfo, params: JobParameters, sink: ResultSink) -> list[ResultInfo]:
        raise fault

    outcome = run_worker(worker, job_info(), JobParameters(), ResultSink(tmp_path))
    assert isinstance(outcome, Failed)
    assert outcome.fault is fault
    assert outcome.fault.uws_type == uws_type


def test_other_exceptions_become_an_internal_error_without_details(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def worker(job: JobInfo, params: JobParameters, sink: ResultSink) -> list[ResultInfo]:
        raise KeyError("password=hunter2")

    outcome = run_worker(worker, job_info(), JobParameters(), ResultSink(tmp_path))
    assert isinstance(outcome, Failed)
    assert outcome.fault.message == INTERNAL_ERROR_MESSAGE
    assert outcome.fault.uws_type == "fatal"
    assert "hunter2" not in outcome.fault.message
    assert "hunter2" in caplog.text  # the operator still sees the cause in the log


def test_results_that_were_not_written_are_an_internal_error(tmp_path: Path) -> None:
    def worker(job: JobInfo, params: JobParameters, sink: ResultSink) -> list[ResultInfo]:
        return [ResultInfo("result", "text/plain")]

    outcome = run_worker(worker, job_info(), JobParameters(), ResultSink(tmp_path))
    assert isinstance(outcome, Failed)
    assert outcome.fault.message == INTERNAL_ERROR_MESSAGE


def test_a_failed_write_leaves_no_result(tmp_path: Path) -> None:
    sink = ResultSink(tmp_path, default_result_id="table")

    def write_half() -> None:
        with sink.open() as out:
            out.write(b"half a table")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_half()
    assert sink.results == []
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="unsafe"):
        sink.path("../escape")


def test_cancellation_after_partial_results_keeps_them(tmp_path: Path) -> None:
    cancellation = Cancellation()

    def worker(job: JobInfo, params: JobParameters, sink: ResultSink) -> list[ResultInfo]:
        with sink.open("part1", "text/plain") as out:
            out.write(b"1")
        job.cancellation.cancel(CancelReason.ABORT)
        job.cancellation.check()
        return sink.results

    outcome = run_worker(worker, job_info(cancellation), JobParameters(), ResultSink(tmp_path))
    assert isinstance(outcome, Cancelled)
    assert outcome.reason is CancelReason.ABORT
    assert [item.result_id for item in outcome.results] == ["part1"]


def test_an_exception_caused_by_an_interrupt_counts_as_cancelled(tmp_path: Path) -> None:
    cancellation = Cancellation()

    def worker(job: JobInfo, params: JobParameters, sink: ResultSink) -> list[ResultInfo]:
        interrupted = threading.Event()
        job.cancellation.on_cancel(interrupted.set)
        threading.Timer(0.05, job.cancellation.cancel, (CancelReason.TIMEOUT,)).start()
        assert interrupted.wait(5)
        raise RuntimeError("INTERRUPT Error: Interrupted!")

    outcome = run_worker(worker, job_info(cancellation), JobParameters(), ResultSink(tmp_path))
    assert outcome == Cancelled(CancelReason.TIMEOUT, ())


def test_cancellation_callbacks() -> None:
    cancellation = Cancellation()
    calls: list[str] = []
    unregister = cancellation.on_cancel(lambda: calls.append("a"))
    cancellation.on_cancel(lambda: calls.append("b"))
    cancellation.on_cancel(lambda: 1 / 0)  # a failing interrupt does not stop the others
    unregister()
    assert cancellation.cancel(CancelReason.ABORT)
    assert not cancellation.cancel(CancelReason.TIMEOUT)
    assert cancellation.reason is CancelReason.ABORT
    assert calls == ["b"]
    cancellation.on_cancel(lambda: calls.append("late"))
    assert calls == ["b", "late"]
    with pytest.raises(JobCancelled) as caught:
        cancellation.check()
    assert caught.value.reason is CancelReason.ABORT


def test_deadline_fires_the_expiry_hook_then_cancels() -> None:
    cancellation = Cancellation()
    events: list[str] = []
    interrupted = threading.Event()

    def interrupt() -> None:
        events.append("interrupt")
        interrupted.set()

    cancellation.on_cancel(interrupt)
    assert cancellation.remaining() is None
    cancellation.arm(0.05, lambda: events.append("expired"))
    remaining = cancellation.remaining()
    assert remaining is not None
    assert 0 < remaining <= 0.05
    assert interrupted.wait(5)
    assert events == ["expired", "interrupt"]
    assert cancellation.reason is CancelReason.TIMEOUT


def test_check_notices_a_passed_deadline_before_the_timer() -> None:
    cancellation = Cancellation()
    cancellation.arm(0.0)
    time.sleep(0.01)
    with pytest.raises(JobCancelled) as caught:
        cancellation.check()
    assert caught.value.reason is CancelReason.TIMEOUT


def test_disarm_stops_the_deadline() -> None:
    cancellation = Cancellation()
    cancellation.arm(0.05)
    cancellation.disarm()
    assert not cancellation.wait(0.15)


def test_runner_limits_concurrency_and_cancels_queued_tasks() -> None:
    runner = JobRunner(max_workers=2)
    release = threading.Event()
    running: list[str] = []
    lock = threading.Lock()

    def task(name: str, cancellation: Cancellation) -> None:
        with lock:
            running.append(name)
        while not release.wait(0.01):
            if cancellation.cancelled:
                return

    try:
        for name in ("a", "b", "c"):
            runner.submit(name, partial(task, name))
        deadline = time.monotonic() + 5
        while len(running) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        assert sorted(running) == ["a", "b"]
        assert sorted(runner.active()) == ["a", "b", "c"]
        assert runner.cancel("c")
        assert not runner.cancel("nobody")
        assert sorted(runner.active()) == ["a", "b"]
        release.set()
        deadline = time.monotonic() + 5
        while runner.active() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert runner.active() == []
        assert sorted(running) == ["a", "b"]
    finally:
        runner.shutdown(timeout=1)


def test_runner_shutdown_cancels_running_tasks() -> None:
    runner = JobRunner(max_workers=1)
    seen: list[CancelReason | None] = []
    started = threading.Event()

    def task(cancellation: Cancellation) -> None:
        started.set()
        cancellation.wait(10)
        seen.append(cancellation.reason)

    runner.submit("a", task)
    assert started.wait(5)
    assert runner.shutdown(timeout=5) == ["a"]
    assert seen == [CancelReason.SHUTDOWN]
    with pytest.raises(ValueError, match="at least one"):
        JobRunner(0)
