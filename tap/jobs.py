"""Asynchronous TAP queries: the TAP job type of the generic UWS service (TAP 1.1 §2.2).

The worker checks the job's parameters when the job runs (TAP 1.1 §2.3: requirements are
enforced at execution, so a job may be created empty and filled in later), loads the
uploads (``param:`` references point to the job's inline parameters), plans the query,
waits for a free query slot and streams the result into ``results/result``.  The query is
interrupted when the job is aborted or its execution duration runs out.  A failure makes
the job ERROR with a DALI error document at ``{job}/error`` (TAP 1.1 §4.4).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pyarrow as pa

from tap.execution import encode_result, run_batches
from tap.params import query_request
from tap.runtime import TapRuntime
from tap.uploads import file_source, load_uploads
from vo_service.access import Viewer
from vo_service.context import ServiceContext
from vo_service.faults import ServiceFault
from vo_service.links import datalink_url
from vo_service.params import DaliParams
from vo_service.settings import Settings
from vo_service.store.base import Interruptible, StoreError
from vo_service.uws import Cancellation, JobInfo, JobParameters, JobType, ResultInfo, ResultSink
from vo_service.votable.errors import error_votable
from vo_service.votable.formats import VOTABLE_MEDIA_TYPE
from vo_service.votable.writer import prime

JOB_TYPE_NAME = "tap"

#: Seconds between interrupts of a cancelled job's query, until it has stopped.
INTERRUPT_INTERVAL_S = 0.05


def viewer_for(settings: Settings, owner: str | None) -> Viewer:
    """The access-layer identity of a job's owner (its groups come from the settings)."""
    if owner is None:
        return Viewer()
    groups = settings.users.get(owner, {}).get("groups", [])
    return Viewer(user=owner, groups=frozenset(str(g) for g in groups))


def render_error(fault: ServiceFault) -> tuple[bytes, str]:
    """The DALI error document served at ``{job}/error`` (TAP 1.1 §4.4, DALI 1.1 §5.2)."""
    return error_votable(fault), VOTABLE_MEDIA_TYPE


class _FailureWatch:
    """Passes batches through and remembers a fault, which the writer reports in-band.

    An asynchronous job must end in ERROR rather than deliver a result whose table was cut
    short by a failure, so the worker re-raises it once the document is written.
    """

    def __init__(self, batches: Iterator[pa.RecordBatch]) -> None:
        self.batches = batches
        self.fault: ServiceFault | None = None

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        try:
            yield from self.batches
        except ServiceFault as fault:
            self.fault = fault
            raise


class _Interrupter:
    """Stops the job's query once the job is cancelled (aborted, timed out, shut down).

    A cancellation may arrive just before the database starts executing, when an
    interrupt would be lost; so, once cancelled, the cursor is interrupted repeatedly
    until the worker reports that the query has stopped.
    """

    def __init__(self, cancellation: Cancellation, job_id: str) -> None:
        self.cursor: Interruptible | None = None
        self.stopped = threading.Event()
        self.job_id = job_id
        cancellation.on_cancel(self._cancelled)

    def attach(self, cursor: Interruptible) -> None:
        self.cursor = cursor

    def _cancelled(self) -> None:
        threading.Thread(target=self._interrupt, name=f"tap-interrupt-{self.job_id}", daemon=True).start()

    def _interrupt(self) -> None:
        while not self.stopped.is_set():
            cursor = self.cursor
            if cursor is not None:
                try:
                    cursor.interrupt()
                except Exception:  # a closed cursor: the query is over
                    return
            self.stopped.wait(INTERRUPT_INTERVAL_S)


class TapWorker:
    """Runs one TAP job (see the module documentation); bound to the service context and
    the running TAP service (its plan cache and query gate)."""

    def __init__(self, ctx: ServiceContext, runtime: TapRuntime) -> None:
        self.ctx = ctx
        self.runtime = runtime

    def __call__(self, job: JobInfo, params: JobParameters, sink: ResultSink) -> list[ResultInfo]:
        settings = self.ctx.settings
        request = query_request(DaliParams((p.name, p.value) for p in params), settings.limits)
        uploads = load_uploads(request.uploads, file_source(job.parameter_files), settings.limits)
        plan = self.runtime.plans.plan(request.query, self.ctx.catalogue, self.ctx.store,
                                       viewer_for(settings, job.owner), request.maxrec, uploads)
        job.cancellation.check()
        gate = self.runtime.gate
        while not gate.acquire_waiting(lambda: job.cancellation.cancelled):
            job.cancellation.check()  # waiting stops only when the job is cancelled: this raises
        interrupter = _Interrupter(job.cancellation, job.job_id)
        try:
            watch = _FailureWatch(run_batches(
                plan, self.ctx.store, timeout=job.cancellation.remaining(), on_cursor=interrupter.attach,
            ))
            chunks = prime(encode_result(plan, request, iter(watch),
                                         datalink_url=datalink_url(settings)))
            with sink.open(mime_type=request.output.media_type) as result:
                for chunk in chunks:
                    result.write(chunk)
                job.cancellation.check()
                if watch.fault is not None:
                    raise watch.fault
        except (ServiceFault, StoreError):
            # The store's time limit and the job's deadline are the same instant: report the
            # job's execution duration (UWS) whichever of the two noticed first.
            job.cancellation.check()
            raise
        finally:
            interrupter.stopped.set()
            gate.release()
        return sink.results


def tap_job_type(ctx: ServiceContext, runtime: TapRuntime) -> JobType:
    """The TAP job type with the operator's limits (TAPRegExt executionDuration, retention)."""
    return JobType.from_limits(
        JOB_TYPE_NAME, TapWorker(ctx, runtime), ctx.settings.limits, render_error=render_error,
        default_result_id="result",
    )


__all__ = ["JOB_TYPE_NAME", "TapWorker", "render_error", "tap_job_type", "viewer_for"]
