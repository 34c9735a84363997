"""Running job workers in a thread pool, with cancellation and execution-time limits.

A worker is a plain synchronous function (see :class:`~vo_service.uws.jobtype.Worker`).
It writes its results through a :class:`ResultSink` (files, streamed, constant memory)
and must honour the :class:`Cancellation` it finds on its :class:`JobInfo`: either by
calling :meth:`Cancellation.check` between steps, or by registering an interrupt with
:meth:`Cancellation.on_cancel` (e.g. DuckDB's ``connection.interrupt``) that the runner
calls when the job is aborted (UWS 1.1 §2.2.3.6) or runs past its execution duration
(§2.1.4).

:func:`run_worker` turns whatever the worker does into an :data:`Outcome`; faults of
:mod:`vo_service.faults` keep their message and UWS error type, any other exception
becomes a fatal "internal error" whose traceback goes to the log only.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from vo_service.faults import FatalFault, ServiceFault, UsageFault
from vo_service.uws.models import JobParameters, ResultInfo, is_safe_identifier

if TYPE_CHECKING:
    from vo_service.uws.jobtype import Worker

logger = logging.getLogger(__name__)

#: What a client sees when a worker fails for a reason that is not a service fault.
INTERNAL_ERROR_MESSAGE = "Internal error while running the job"


class CancelReason(Enum):
    """Why a running job was asked to stop."""

    ABORT = "abort"  # PHASE=ABORT, or the job was destroyed (UWS 1.1 §2.1.5)
    TIMEOUT = "timeout"  # the execution duration ran out (UWS 1.1 §2.1.4)
    SHUTDOWN = "shutdown"  # the service is stopping


class JobCancelled(Exception):
    """Raised by :meth:`Cancellation.check` inside a worker whose job was cancelled."""

    def __init__(self, reason: CancelReason) -> None:
        super().__init__(f"job cancelled ({reason.value})")
        self.reason = reason


class Cancellation:
    """The stop signal and deadline of one job run, shared by the worker and the runner."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._reason: CancelReason | None = None
        self._deadline: float | None = None
        self._callbacks: list[Callable[[], object]] = []
        self._timer: threading.Timer | None = None

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    @property
    def reason(self) -> CancelReason | None:
        return self._reason

    @property
    def deadline(self) -> float | None:
        """The :func:`time.monotonic` instant the job must finish by, if limited."""
        return self._deadline

    def remaining(self) -> float | None:
        """Seconds left before the deadline (never negative), or ``None`` if unlimited."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

    def check(self) -> None:
        """Raise :class:`JobCancelled` if the job was cancelled or its deadline passed."""
        if not self.cancelled and self._deadline is not None and time.monotonic() >= self._deadline:
            self.cancel(CancelReason.TIMEOUT)
        if self.cancelled:
            raise JobCancelled(self._reason or CancelReason.ABORT)

    def wait(self, timeout: float | None) -> bool:
        """Sleep up to ``timeout`` seconds, waking early on cancellation; True if cancelled."""
        return self._event.wait(timeout)

    def on_cancel(self, callback: Callable[[], object]) -> Callable[[], None]:
        """Call ``callback`` (from another thread) when the job is cancelled.

        Meant for interrupting blocking calls, e.g. ``cancellation.on_cancel(con.interrupt)``.
        If the job is already cancelled the callback runs at once.  Returns a function
        that unregisters the callback.
        """
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                registered = True
            else:
                registered = False
        if not registered:
            _call_quietly(callback)

        def unregister() -> None:
            with self._lock, suppress(ValueError):
                self._callbacks.remove(callback)

        return unregister

    def cancel(self, reason: CancelReason) -> bool:
        """Signal the worker to stop and run its interrupts; False if already cancelled."""
        with self._lock:
            if self._event.is_set():
                return False
            self._reason = reason
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        for callback in callbacks:
            _call_quietly(callback)
        return True

    def arm(self, seconds: float, on_expiry: Callable[[], object] | None = None) -> None:
        """Start the execution-duration clock: after ``seconds``, cancel with TIMEOUT.

        ``on_expiry`` runs first, so that the service can record the timeout even if
        the worker does not react to the interrupt.
        """

        def expire() -> None:
            if on_expiry is not None and not self.cancelled:
                _call_quietly(on_expiry)
            self.cancel(CancelReason.TIMEOUT)

        timer = threading.Timer(seconds, expire)
        timer.daemon = True
        with self._lock:
            self._deadline = time.monotonic() + seconds
            if self._event.is_set():
                return
            self._timer = timer
        timer.start()

    def disarm(self) -> None:
        """Stop the deadline timer once the run is over."""
        with self._lock:
            timer, self._timer = self._timer, None
            self._callbacks = []
        if timer is not None:
            timer.cancel()


def _call_quietly(callback: Callable[[], object]) -> None:
    try:
        callback()
    except Exception:
        logger.exception("job cancellation callback failed")


@dataclass(frozen=True)
class JobInfo:
    """What a worker may know about the job it runs."""

    job_id: str
    job_type: str
    owner: str | None
    run_id: str | None
    creation_time: datetime
    execution_duration: int
    cancellation: Cancellation
    #: Inline uploads (UWS 1.1 §2.2.3.1.1) by lower-cased parameter name.
    parameter_files: Mapping[str, Path] = field(default_factory=dict)

    def inline_file(self, name: str) -> Path:
        """The stored content of the inline parameter ``name`` (``param:name``)."""
        path = self.parameter_files.get(name.lower())
        if path is None:
            raise UsageFault(f"No inline parameter named {name!r} was uploaded with the job")
        return path


class ResultSink:
    """Where a worker writes its result files, one file per result identifier.

    :meth:`open` streams into a temporary file that becomes visible under its final
    name only when the block ends without error, so a partly written result is never
    listed or served.
    """

    def __init__(self, directory: Path, default_result_id: str = "result") -> None:
        self.directory = directory
        self.default_result_id = default_result_id
        self._results: dict[str, ResultInfo] = {}
        self._lock = threading.Lock()

    def path(self, result_id: str) -> Path:
        if not is_safe_identifier(result_id):
            raise ValueError(f"unsafe result identifier {result_id!r}")
        return self.directory / result_id

    @contextmanager
    def open(self, result_id: str | None = None, mime_type: str = "application/octet-stream") -> Iterator[BinaryIO]:
        """Write the result ``result_id`` (default: the job type's primary result)."""
        name = result_id or self.default_result_id
        final = self.path(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_name(f".{name}.part")
        try:
            with partial.open("wb") as stream:
                yield stream
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        with self._lock:
            self._results[name] = ResultInfo(name, mime_type, size=final.stat().st_size)

    def set_rows(self, result_id: str, rows: int) -> None:
        """Record the row count of a finished table result."""
        with self._lock:
            self._results[result_id] = replace(self._results[result_id], rows=rows)

    def add_reference(self, result_id: str, href: str, mime_type: str) -> ResultInfo:
        """Declare a result that lives elsewhere (UWS 1.1 §2.2.2.3 allows any URI)."""
        info = ResultInfo(result_id, mime_type, href=href)
        with self._lock:
            self._results[result_id] = info
        return info

    @property
    def results(self) -> list[ResultInfo]:
        """Results completed so far, in the order they were finished."""
        with self._lock:
            return list(self._results.values())

    def checked(self, declared: list[ResultInfo]) -> tuple[ResultInfo, ...]:
        """Validate what a worker returned: each stored result must exist as a file.

        The size is always taken from the file, so the ``size`` attribute of the UWS
        result list is exact.
        """
        checked: list[ResultInfo] = []
        seen: set[str] = set()
        for info in declared:
            if info.result_id in seen:
                raise ValueError(f"result {info.result_id!r} declared twice")
            seen.add(info.result_id)
            if info.href is not None:
                checked.append(info)
                continue
            path = self.path(info.result_id)
            if not path.is_file():
                raise ValueError(f"result {info.result_id!r} was declared but not written")
            checked.append(replace(info, size=path.stat().st_size))
        return tuple(checked)


@dataclass(frozen=True)
class Completed:
    """The worker returned normally."""

    results: tuple[ResultInfo, ...]


@dataclass(frozen=True)
class Failed:
    """The worker failed; ``fault`` carries the message and UWS error type to report."""

    fault: ServiceFault


@dataclass(frozen=True)
class Cancelled:
    """The run was cancelled; results finished before that are kept (UWS 1.1 §2.1.4)."""

    reason: CancelReason
    results: tuple[ResultInfo, ...]


Outcome = Completed | Failed | Cancelled


def run_worker(worker: Worker, job: JobInfo, params: JobParameters, sink: ResultSink) -> Outcome:
    """Call ``worker`` and classify the way it ended."""
    cancellation = job.cancellation
    try:
        declared = worker(job, params, sink)
    except JobCancelled as exc:
        return Cancelled(exc.reason, _finished(sink))
    except ServiceFault as fault:
        if cancellation.cancelled:
            return Cancelled(cancellation.reason or CancelReason.ABORT, _finished(sink))
        return Failed(fault)
    except Exception:
        if cancellation.cancelled:
            return Cancelled(cancellation.reason or CancelReason.ABORT, _finished(sink))
        logger.exception("worker of %s job %s failed", job.job_type, job.job_id)
        return Failed(FatalFault(INTERNAL_ERROR_MESSAGE))
    if cancellation.cancelled:
        return Cancelled(cancellation.reason or CancelReason.ABORT, _finished(sink))
    try:
        return Completed(sink.checked(list(declared)))
    except ValueError:
        logger.exception("worker of %s job %s returned bad results", job.job_type, job.job_id)
        return Failed(FatalFault(INTERNAL_ERROR_MESSAGE))


def _finished(sink: ResultSink) -> tuple[ResultInfo, ...]:
    try:
        return sink.checked(sink.results)
    except ValueError:
        return ()


@dataclass
class _Task:
    future: Future[None]
    cancellation: Cancellation


class JobRunner:
    """A fixed pool of worker threads and the cancellation handle of each job in it."""

    def __init__(self, max_workers: int = 2) -> None:
        if max_workers < 1:
            raise ValueError("a job runner needs at least one worker thread")
        self.max_workers = max_workers
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="uws-worker")
        self._tasks: dict[str, _Task] = {}
        self._lock = threading.RLock()  # re-entered by done callbacks of finished futures

    def submit(self, job_id: str, task: Callable[[Cancellation], None]) -> Cancellation:
        """Queue ``task`` for ``job_id``; it runs on a pool thread with its cancellation."""
        cancellation = Cancellation()
        with self._lock:
            future = self._executor.submit(self._run, job_id, task, cancellation)
            self._tasks[job_id] = _Task(future, cancellation)
            future.add_done_callback(lambda _future: self._forget(job_id, cancellation))
        return cancellation

    def _run(self, job_id: str, task: Callable[[Cancellation], None], cancellation: Cancellation) -> None:
        try:
            task(cancellation)
        except Exception:
            logger.exception("job task %s failed", job_id)
        finally:
            cancellation.disarm()

    def _forget(self, job_id: str, cancellation: Cancellation) -> None:
        """Drop the handle of a finished (or never started) task."""
        with self._lock:
            current = self._tasks.get(job_id)
            if current is not None and current.cancellation is cancellation:
                del self._tasks[job_id]

    def cancel(self, job_id: str, reason: CancelReason = CancelReason.ABORT) -> bool:
        """Stop ``job_id`` if it is queued or running here; False if it is not."""
        with self._lock:
            current = self._tasks.get(job_id)
        if current is None:
            return False
        current.future.cancel()
        current.cancellation.cancel(reason)
        return True

    def active(self) -> list[str]:
        """Jobs queued or running in this pool."""
        with self._lock:
            return list(self._tasks)

    def shutdown(self, timeout: float = 5.0) -> list[str]:
        """Cancel everything, wait up to ``timeout`` s; return the jobs that were active."""
        with self._lock:
            tasks = dict(self._tasks)
        for current in tasks.values():
            current.future.cancel()
            current.cancellation.cancel(CancelReason.SHUTDOWN)
        self._executor.shutdown(wait=False, cancel_futures=True)
        # futures cancelled before they started never become "done" for wait()
        started = [current.future for current in tasks.values() if not current.future.cancelled()]
        wait_futures(started, timeout=timeout)
        return list(tasks)


__all__ = [
    "INTERNAL_ERROR_MESSAGE",
    "CancelReason",
    "Cancellation",
    "Cancelled",
    "Completed",
    "Failed",
    "JobCancelled",
    "JobInfo",
    "JobRunner",
    "Outcome",
    "ResultSink",
    "run_worker",
]
