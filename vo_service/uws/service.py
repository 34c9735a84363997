"""The UWS job service: the protocol logic of UWS 1.1, free of any web framework.

:class:`JobService` creates, lists, runs, aborts, changes and destroys jobs of any
:class:`~vo_service.uws.jobtype.JobType`, enforcing the phase table of
:mod:`vo_service.uws.transitions`, the ownership rules and the limits of the job type.
It persists through a :class:`~vo_service.uws.store.JobStore`, keeps files in
:class:`~vo_service.uws.store.JobFiles` and runs workers on a
:class:`~vo_service.uws.runner.JobRunner`.

Ownership (UWS 1.1 §2.1.8, §3): a job created by an authenticated viewer belongs to
that user, is listed only for them and refused (403) to anybody else.  Jobs created
anonymously have no owner: like DaCHS, any client may read and control them by their
identifier, and the job list of anonymous clients shows them.

All methods are synchronous and thread-safe except :meth:`JobService.wait`, a
coroutine for the blocking GET of §2.2.1.2 that needs a running asyncio loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Collection
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

from vo_models.uws.types import ErrorType, ExecutionPhase

from vo_service.access import Viewer
from vo_service.faults import (
    ForbiddenFault,
    NotFoundFault,
    PayloadTooLargeFault,
    ServiceFault,
    TimeoutFault,
    TransientFault,
    UsageFault,
)
from vo_service.settings import Settings
from vo_service.uws.jobtype import JobType
from vo_service.uws.models import (
    INLINE_SCHEME,
    ErrorInfo,
    Job,
    JobParameter,
    JobParameters,
    JobRef,
    ResultInfo,
    is_safe_identifier,
    is_xml_text,
    utc,
)
from vo_service.uws.runner import (
    Cancellation,
    Cancelled,
    CancelReason,
    Completed,
    Failed,
    JobInfo,
    JobRunner,
    Outcome,
    ResultSink,
    run_worker,
)
from vo_service.uws.signals import PhaseSignals
from vo_service.uws.store import JobFiles, JobFilter, JobStore, SqliteJobStore
from vo_service.uws.transitions import (
    ACTIVE_PHASES,
    RUNNING_PHASES,
    PhaseAction,
    PhaseConflictFault,
    check_transition,
    phase_for_action,
)

logger = logging.getLogger(__name__)

P = ExecutionPhase

RESTART_MESSAGE = "The service was restarted while the job was running"
SHUTDOWN_MESSAGE = "The service was shut down while the job was running"

#: Phases in which a job has not yet finished and may still be failed.
_UNFINISHED: frozenset[ExecutionPhase] = frozenset({P.PENDING, P.HELD, *RUNNING_PHASES})


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class JobServiceConfig:
    """Operational knobs of the job service (times in seconds)."""

    #: Upper bound of a blocking GET, whatever WAIT asks (UWS 1.1 §2.2.1.2 lets the
    #: server return early; it should answer within usual TCP/proxy timeouts).
    max_wait: float = 60.0
    #: How often expired jobs are destroyed in the background.
    sweep_interval: float = 60.0
    #: Size of the worker thread pool.
    worker_threads: int = 2
    #: How long :meth:`JobService.close` waits for running workers to stop.
    shutdown_timeout: float = 5.0
    #: Job directories without a job record are removed once they are this old.
    orphan_age: float = 3600.0


@dataclass(frozen=True)
class Upload:
    """The content of an inline parameter posted as a multipart file (UWS 1.1 §2.2.3.1.1)."""

    name: str
    stream: BinaryIO


class JobService:
    """UWS 1.1 job management for every job type of the service."""

    def __init__(
        self,
        store: JobStore,
        files: JobFiles,
        *,
        config: JobServiceConfig | None = None,
        runner: JobRunner | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.config = config or JobServiceConfig()
        self.store = store
        self.files = files
        self.runner = runner or JobRunner(self.config.worker_threads)
        self._clock = clock
        self._lock = threading.RLock()
        self._signals = PhaseSignals()
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, *, config: JobServiceConfig | None = None) -> JobService:
        """The service on ``settings.jobs_path`` (SQLite) and ``settings.results_dir``."""
        config = config or JobServiceConfig(worker_threads=settings.limits.worker_threads)
        return cls(SqliteJobStore(settings.jobs_path), JobFiles(settings.results_dir), config=config)

    # Life cycle ---------------------------------------------------------------------

    def start(self, *, background_sweep: bool = True) -> None:
        """Recover from a previous run, then start the periodic destruction sweep.

        Jobs found queued or executing were cut off by a restart: they are set to ERROR
        with :data:`RESTART_MESSAGE` rather than left in a phase nothing will change.
        """
        self.recover_interrupted()
        self.sweep()
        if background_sweep and self._sweeper is None:
            self._sweeper = threading.Thread(target=self._sweep_loop, name="uws-sweeper", daemon=True)
            self._sweeper.start()

    def close(self) -> None:
        """Stop the sweep and the workers; jobs cut off are set to ERROR; close the store."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=self.config.shutdown_timeout)
        for job_id in self.runner.shutdown(self.config.shutdown_timeout):
            self._interrupt(job_id, SHUTDOWN_MESSAGE)
        self.store.close()

    def recover_interrupted(self) -> list[str]:
        """Set every job left QUEUED, EXECUTING or SUSPENDED by a previous run to ERROR."""
        active = set(self.runner.active())
        recovered = []
        for job_id in self.store.ids_in_phases(RUNNING_PHASES):
            if job_id not in active and self._interrupt(job_id, RESTART_MESSAGE):
                recovered.append(job_id)
        return recovered

    def _interrupt(self, job_id: str, message: str) -> bool:
        error = ErrorInfo(ErrorType.TRANSIENT, message)

        def fail(job: Job) -> Job | None:
            if job.phase not in RUNNING_PHASES:
                return None
            return replace(job, phase=P.ERROR, error=error, end_time=self._clock())

        with suppress(NotFoundFault):
            return self._transition(job_id, fail).phase is P.ERROR
        return False

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.config.sweep_interval):
            try:
                self.sweep()
            except Exception:
                logger.exception("UWS destruction sweep failed")

    def sweep(self) -> list[str]:
        """Destroy expired jobs and remove stray job directories; return the destroyed."""
        destroyed = self.destroy_expired()
        self._remove_orphans()
        return destroyed

    def destroy_expired(self) -> list[str]:
        """Destroy every job whose destruction time has come (UWS 1.1 §2.1.5)."""
        expired = self.store.expired_ids(self._clock())
        for job_id in expired:
            self._destroy(job_id)
        return expired

    def _remove_orphans(self) -> None:
        cutoff = time.time() - self.config.orphan_age
        active = set(self.runner.active())
        for job_id in self.files.job_ids_on_disk():
            if job_id in active or self.store.get(job_id) is not None:
                continue
            with suppress(OSError):
                if self.files.job_dir(job_id).stat().st_mtime < cutoff:
                    self.files.remove(job_id)

    # Reading --------------------------------------------------------------------------

    def get(self, job_type: JobType, job_id: str, viewer: Viewer) -> Job:
        """The job, if it exists, is of ``job_type``, and ``viewer`` may see it."""
        job = self.store.get(job_id) if is_safe_identifier(job_id) else None
        if job is None or job.job_type != job_type.name:
            raise NotFoundFault(f"No job {job_id!r} exists in this service; it may have been destroyed")
        if job.destruction is not None and job.destruction <= self._clock():
            self._destroy(job_id)
            raise NotFoundFault(f"Job {job_id!r} has reached its destruction time and no longer exists")
        if job.owner is not None and job.owner != viewer.user:
            raise ForbiddenFault(f"Job {job_id!r} belongs to another user")
        return job

    def list_jobs(
        self,
        job_type: JobType,
        viewer: Viewer,
        *,
        phases: Collection[ExecutionPhase] = (),
        after: datetime | None = None,
        last: int | None = None,
    ) -> list[JobRef]:
        """The job list as UWS 1.1 §2.2.2.1 filters it.

        Only the viewer's own jobs (anonymous jobs for anonymous viewers); ``phases``
        keeps jobs in any of them, and without it ARCHIVED jobs are left out; ``after``
        keeps jobs created later than that instant; ``last`` keeps the N most recent.
        Newest first.
        """
        if last is not None and last <= 0:
            raise UsageFault(f"LAST must be an integer greater than 0, not {last}")
        self.destroy_expired()
        selected = frozenset(phases) if phases else frozenset(P) - {P.ARCHIVED}
        query = JobFilter(job_type.name, viewer.user, selected, None if after is None else utc(after), last)
        return self.store.list_jobs(query)

    async def wait(
        self,
        job_type: JobType,
        job_id: str,
        viewer: Viewer,
        *,
        timeout: float | None,
        phase: ExecutionPhase | None = None,
    ) -> Job:
        """The blocking GET of UWS 1.1 §2.2.1.2.

        Returns the job once its phase changes, or after ``timeout`` seconds (``None``
        or negative: as long as the service allows, :attr:`JobServiceConfig.max_wait`).
        Returns at once if the job is not PENDING, QUEUED or EXECUTING, or if ``phase``
        is given and the job is not in it.
        """
        limit = self.config.max_wait if timeout is None or timeout < 0 else min(timeout, self.config.max_wait)
        with self._signals.subscribe(job_id) as waiter:
            job = await asyncio.to_thread(self.get, job_type, job_id, viewer)
            if limit <= 0 or job.phase not in ACTIVE_PHASES or (phase is not None and job.phase != phase):
                return job
            with suppress(TimeoutError):
                await asyncio.wait_for(waiter.event.wait(), limit)
        return await asyncio.to_thread(self.get, job_type, job_id, viewer)

    def result_file(
        self, job_type: JobType, job_id: str, viewer: Viewer, result_id: str
    ) -> tuple[ResultInfo, Path | None]:
        """A result and its stored file (``None`` when the result lives at its href)."""
        job = self.get(job_type, job_id, viewer)
        info = job.result(result_id)
        if info is None:
            raise NotFoundFault(f"Job {job_id!r} has no result {result_id!r}")
        if info.href is not None:
            return info, None
        path = self.files.result_path(job_id, result_id)
        if not path.is_file():
            raise NotFoundFault(f"The result {result_id!r} of job {job_id!r} is no longer available")
        return info, path

    def error_detail(self, job_type: JobType, job_id: str, viewer: Viewer) -> tuple[ErrorInfo, Path | None]:
        """The job's error summary and its stored error document, if any (§2.2.2.5)."""
        job = self.get(job_type, job_id, viewer)
        if job.error is None:
            raise NotFoundFault(f"Job {job_id!r} has no error")
        path = self.files.error_path(job_id)
        return job.error, path if job.error.has_detail and path.is_file() else None

    def inline_parameter(self, job_type: JobType, job_id: str, viewer: Viewer, name: str) -> Path:
        """The content of an inline parameter upload (UWS 1.1 §2.2.3.1.1)."""
        job = self.get(job_type, job_id, viewer)
        key = name.lower()
        if not any(item.is_inline and item.name == key for item in job.parameters):
            raise NotFoundFault(f"Job {job_id!r} has no uploaded parameter {name!r}")
        path = self.files.parameter_path(job_id, key)
        if not path.is_file():
            raise NotFoundFault(f"The uploaded parameter {name!r} of job {job_id!r} is no longer available")
        return path

    # Changing -------------------------------------------------------------------------

    def create(
        self,
        job_type: JobType,
        viewer: Viewer,
        parameters: JobParameters,
        *,
        uploads: Collection[Upload] = (),
        run_id: str | None = None,
        start: bool = False,
    ) -> Job:
        """Create a PENDING job (UWS 1.1 §2.2.3.1); with ``start``, also PHASE=RUN it.

        ``uploads`` are stored as inline parameters named after their form part and
        referenced as ``param:<name>``.  Invalid parameters (the job type's check)
        raise :class:`~vo_service.faults.UsageFault` and no job is created.
        """
        parameters = _with_inline(parameters, uploads)
        _check_xml_text(parameters, run_id)
        if job_type.validate is not None:
            job_type.validate(parameters)
        now = self._clock()
        job = Job(
            job_id=self._new_id(),
            job_type=job_type.name,
            owner=viewer.user,
            phase=P.PENDING,
            creation_time=now,
            execution_duration=job_type.initial_execution_duration(),
            destruction=job_type.initial_destruction(now),
            run_id=run_id,
            parameters=parameters,
        )
        try:
            self._store_uploads(job_type, job.job_id, uploads)
            self.store.add(job)
        except BaseException:
            self.files.remove(job.job_id)
            raise
        logger.info("created %s job %s", job_type.name, job.job_id)
        if start:
            return self.set_phase(job_type, job.job_id, viewer, PhaseAction.RUN)
        return job

    def update_parameters(
        self,
        job_type: JobType,
        job_id: str,
        viewer: Viewer,
        changes: JobParameters,
        *,
        uploads: Collection[Upload] = (),
        run_id: str | None = None,
    ) -> Job:
        """Change parameters of a PENDING job (UWS 1.1 §2.1.11); each posted name is replaced."""
        changes = _with_inline(changes, uploads)
        _check_xml_text(changes, run_id)
        job = self.get(job_type, job_id, viewer)
        _require_pending(job)
        if job_type.validate is not None:
            job_type.validate(job.parameters.updated(changes))
        self._store_uploads(job_type, job_id, uploads)

        def update(current: Job) -> Job:
            _require_pending(current)
            return replace(
                current,
                parameters=current.parameters.updated(changes),
                run_id=current.run_id if run_id is None else run_id,
            )

        return self._transition(job_id, update)

    def set_phase(self, job_type: JobType, job_id: str, viewer: Viewer, action: PhaseAction) -> Job:
        """PHASE=RUN (§2.2.3.5) or PHASE=ABORT (§2.2.3.6)."""
        job = self.get(job_type, job_id, viewer)
        if action is PhaseAction.ABORT:
            return self._abort(job_id)
        if phase_for_action(job.phase, action) is None:
            return job
        if job_type.validate is not None:
            try:
                job_type.validate(job.parameters)
            except ServiceFault as fault:
                self._fail(job_type, job_id, fault)
                return self.get(job_type, job_id, viewer)

        changed = False

        def queue(current: Job) -> Job | None:
            nonlocal changed
            changed = phase_for_action(current.phase, action) is not None
            return replace(current, phase=P.QUEUED) if changed else None

        queued = self._transition(job_id, queue)
        if changed:
            self.runner.submit(job_id, partial(self._execute, job_type, job_id))
            logger.info("queued %s job %s", job_type.name, job_id)
        return queued

    def _abort(self, job_id: str) -> Job:
        def abort(current: Job) -> Job | None:
            if phase_for_action(current.phase, PhaseAction.ABORT) is None:
                return None
            ended = self._clock() if current.start_time is not None else current.end_time
            return replace(current, phase=P.ABORTED, end_time=ended)

        job = self._transition(job_id, abort)
        self.runner.cancel(job_id, CancelReason.ABORT)
        return job

    def set_execution_duration(self, job_type: JobType, job_id: str, viewer: Viewer, seconds: int) -> Job:
        """Ask for an execution duration (§2.2.3.4); the job type's maximum applies.

        Only before the job starts executing: the running clock is not moved.
        """
        try:
            granted = job_type.clamp_execution_duration(seconds)
        except ValueError:
            raise UsageFault(f"EXECUTIONDURATION must be a non-negative integer, not {seconds}") from None
        self.get(job_type, job_id, viewer)

        def change(current: Job) -> Job:
            if current.phase not in (P.PENDING, P.HELD, P.QUEUED):
                raise PhaseConflictFault(
                    f"The execution duration of a job in phase {current.phase.value} cannot be changed"
                )
            return replace(current, execution_duration=granted)

        return self._transition(job_id, change)

    def set_destruction(self, job_type: JobType, job_id: str, viewer: Viewer, when: datetime) -> Job:
        """Ask for a destruction time (§2.2.3.3); no later than the job type allows."""
        job = self.get(job_type, job_id, viewer)
        granted = job_type.clamp_destruction(when, job.creation_time)
        return self._transition(job_id, lambda current: replace(current, destruction=granted))

    def delete(self, job_type: JobType, job_id: str, viewer: Viewer) -> None:
        """Destroy a job on the client's request (§2.2.3.2)."""
        self.get(job_type, job_id, viewer)
        self._destroy(job_id)

    def _destroy(self, job_id: str) -> None:
        """Abort the job if it runs, forget it and reclaim its files (§2.1.5)."""
        self.runner.cancel(job_id, CancelReason.ABORT)
        with self._lock:
            deleted = self.store.delete(job_id)
        self.files.remove(job_id)
        self._signals.notify(job_id)
        if deleted:
            logger.info("destroyed job %s", job_id)

    # Execution ------------------------------------------------------------------------

    def _execute(self, job_type: JobType, job_id: str, cancellation: Cancellation) -> None:
        """Run one queued job on a pool thread and record how it ended."""

        started = False

        def begin(current: Job) -> Job | None:
            nonlocal started
            started = current.phase is P.QUEUED and not cancellation.cancelled
            return replace(current, phase=P.EXECUTING, start_time=self._clock()) if started else None

        try:
            job = self._transition(job_id, begin)
        except NotFoundFault:
            return
        if not started:
            return
        if job.execution_duration > 0:
            cancellation.arm(job.execution_duration, partial(self._time_out, job_type, job_id))
        info = JobInfo(
            job_id=job.job_id,
            job_type=job.job_type,
            owner=job.owner,
            run_id=job.run_id,
            creation_time=job.creation_time,
            execution_duration=job.execution_duration,
            cancellation=cancellation,
            parameter_files={
                item.name: self.files.parameter_path(job_id, item.name) for item in job.parameters if item.is_inline
            },
        )
        sink = ResultSink(self.files.results_dir(job_id), job_type.default_result_id)
        outcome = run_worker(job_type.worker, info, job.parameters, sink)
        cancellation.disarm()
        self._record(job_type, job_id, outcome)

    def _record(self, job_type: JobType, job_id: str, outcome: Outcome) -> None:
        if isinstance(outcome, Failed):
            self._fail(job_type, job_id, outcome.fault)
            return
        if isinstance(outcome, Cancelled) and outcome.reason is CancelReason.TIMEOUT:
            self._fail(job_type, job_id, self._timeout_fault(job_id), results=outcome.results)
            return
        if isinstance(outcome, Cancelled) and outcome.reason is CancelReason.SHUTDOWN:
            self._fail(job_type, job_id, TransientFault(SHUTDOWN_MESSAGE), results=outcome.results)
            return
        target = P.COMPLETED if isinstance(outcome, Completed) else P.ABORTED
        results = outcome.results

        def finish(current: Job) -> Job | None:
            if current.phase is P.EXECUTING:
                return replace(current, phase=target, results=results, end_time=self._clock())
            if current.phase in (P.ABORTED, P.ERROR) and not current.results and results:
                return replace(current, results=results)  # results made before the abort are kept
            return None

        with suppress(NotFoundFault):
            self._transition(job_id, finish)
        logger.info("%s job %s ended: %s", job_type.name, job_id, target.value)

    def _timeout_fault(self, job_id: str) -> TimeoutFault:
        job = self.store.get(job_id)
        seconds = job.execution_duration if job is not None else 0
        return TimeoutFault(f"The job exceeded its execution duration of {seconds} s and was stopped")

    def _time_out(self, job_type: JobType, job_id: str) -> None:
        """Deadline timer callback: record the timeout before the worker is interrupted."""
        self._fail(job_type, job_id, self._timeout_fault(job_id))

    def _fail(
        self, job_type: JobType, job_id: str, fault: ServiceFault, *, results: tuple[ResultInfo, ...] = ()
    ) -> None:
        """Set an unfinished job to ERROR with ``fault`` as its summary (§2.2.2.5)."""
        with self._lock:
            current = self.store.get(job_id)
            if current is None or current.phase not in _UNFINISHED:
                return
            detail = self._write_error_document(job_type, job_id, fault)
            try:
                error_type = ErrorType(fault.uws_type)
            except ValueError:
                error_type = ErrorType.FATAL
            error = ErrorInfo(error_type, fault.message, detail)

            def fail(job: Job) -> Job | None:
                if job.phase not in _UNFINISHED:
                    return None
                ended = self._clock() if job.start_time is not None else None
                return replace(job, phase=P.ERROR, error=error, end_time=ended, results=job.results or results)

            with suppress(NotFoundFault):
                self._transition(job_id, fail)
        logger.info("%s job %s failed: %s", job_type.name, job_id, fault.message)

    def _write_error_document(self, job_type: JobType, job_id: str, fault: ServiceFault) -> str | None:
        if job_type.render_error is None:
            return None
        try:
            document, media_type = job_type.render_error(fault)
            path = self.files.error_path(job_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            partial_path = path.with_name(".error.part")
            partial_path.write_bytes(document)
            os.replace(partial_path, path)
        except Exception:
            logger.exception("could not store the error document of job %s", job_id)
            return None
        return media_type

    # Helpers --------------------------------------------------------------------------

    def _transition(self, job_id: str, change: Callable[[Job], Job | None]) -> Job:
        """Apply ``change`` to the current job, checking the phase table; None: no change.

        Under the service lock, and saved only if the stored phase is still the one
        ``change`` saw, so a concurrent writer (another process) cannot be overwritten.
        """
        with self._lock:
            for _attempt in range(5):
                job = self.store.get(job_id)
                if job is None:
                    raise NotFoundFault(f"No job {job_id!r} exists in this service; it may have been destroyed")
                new = change(job)
                if new is None:
                    return job
                if new.phase is not job.phase:
                    check_transition(job.phase, new.phase)
                if self.store.save(new, expected_phase=job.phase):
                    if new.phase is not job.phase:
                        self._signals.notify(job_id)
                    return new
        raise TransientFault(f"Job {job_id!r} is being changed concurrently; please retry")

    def _new_id(self) -> str:
        while True:
            job_id = secrets.token_hex(10)
            if self.store.get(job_id) is None:
                return job_id

    def _store_uploads(self, job_type: JobType, job_id: str, uploads: Collection[Upload]) -> None:
        """Copy inline uploads into the job's area, within the job type's size limit."""
        if not uploads:
            return
        directory = self.files.parameters_dir(job_id)
        directory.mkdir(parents=True, exist_ok=True)
        total = 0
        for upload in uploads:
            path = self.files.parameter_path(job_id, upload.name.lower())
            with path.open("wb") as target:
                while chunk := upload.stream.read(1 << 16):
                    total += len(chunk)
                    if total > job_type.max_upload_bytes:
                        raise PayloadTooLargeFault(
                            f"Uploads are limited to {job_type.max_upload_bytes} bytes per request"
                        )
                    target.write(chunk)


def _require_pending(job: Job) -> None:
    if job.phase is not P.PENDING:
        raise PhaseConflictFault(f"Parameters of a job in phase {job.phase.value} cannot be changed")


def _check_xml_text(parameters: JobParameters, run_id: str | None) -> None:
    """Refuse values the job document could not carry (control characters, NUL...)."""
    for item in parameters:
        if not (is_xml_text(item.name) and is_xml_text(item.value)):
            raise UsageFault(f"Parameter {item.name!r} contains characters that XML cannot represent")
    if run_id is not None and not is_xml_text(run_id):
        raise UsageFault("RUNID contains characters that XML cannot represent")


def _with_inline(parameters: JobParameters, uploads: Collection[Upload]) -> JobParameters:
    """Add the ``param:`` references of inline uploads that the parameters lack."""
    names = [upload.name.lower() for upload in uploads]
    for name in names:
        if not is_safe_identifier(name):
            raise UsageFault(f"Invalid name {name!r} for an uploaded parameter")
    if len(set(names)) != len(names):
        raise UsageFault("Each uploaded parameter must have a distinct name")
    inline = [JobParameter(name, INLINE_SCHEME + name, by_reference=True) for name in names]
    kept = tuple(item for item in parameters if item.name not in set(names))
    return JobParameters(kept + tuple(inline))


__all__ = [
    "RESTART_MESSAGE",
    "SHUTDOWN_MESSAGE",
    "JobService",
    "JobServiceConfig",
    "Upload",
]
