"""Job types: what a particular UWS application (TAP async, archive orders...) plugs in.

UWS 1.1 §1.3 leaves the job description language and the results to each application
of the pattern; a :class:`JobType` is that contract on the implementation side: how to
check parameters, what to run, how to name results and render errors, and the limits
on execution duration (§2.1.4) and destruction time (§2.1.5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from vo_service.faults import ServiceFault
from vo_service.params import RequestLimits
from vo_service.settings import Limits
from vo_service.uws.models import JobParameters, ResultInfo, is_safe_identifier, utc
from vo_service.uws.runner import JobInfo, ResultSink


class Worker(Protocol):
    """The function that does a job's work, on a pool thread.

    It streams each result into ``sink`` and returns the results (usually
    ``sink.results``, perhaps with row counts added through ``sink.set_rows``).  It must
    check ``job.cancellation`` or register an interrupt on it.  To fail with a message
    the user can act on it raises a :class:`~vo_service.faults.ServiceFault`.
    """

    def __call__(self, job: JobInfo, params: JobParameters, sink: ResultSink) -> list[ResultInfo]: ...


#: Checks the parameters of a job at creation, on update and at PHASE=RUN; raises
#: :class:`~vo_service.faults.UsageFault` with a helpful message when they are invalid.
ParameterValidator = Callable[[JobParameters], None]

#: Renders the error document served at ``{job}/error`` (UWS 1.1 §2.2.2.5): returns the
#: document bytes and their media type.  For TAP this is the DALI VOTable error.
ErrorRenderer = Callable[[ServiceFault], tuple[bytes, str]]


@dataclass(frozen=True)
class JobType:
    """One application of UWS; every job belongs to exactly one job type.

    Durations are in seconds; a ``max_execution_duration`` of 0 allows unlimited runs.
    ``default_result_id`` is the identifier :meth:`ResultSink.open` uses when none is
    given; TAP 1.1 §2.2.3 requires the query result at ``results/result``.
    """

    name: str
    worker: Worker
    validate: ParameterValidator | None = None
    render_error: ErrorRenderer | None = None
    default_result_id: str = "result"
    default_execution_duration: int = 600
    max_execution_duration: int = 7_200
    destruction_interval: timedelta = timedelta(days=7)
    max_destruction_interval: timedelta = timedelta(days=30)
    max_upload_bytes: int = 32 * 1024 * 1024
    #: what one request creating or changing a job may carry (besides its uploads)
    request_limits: RequestLimits = field(default_factory=RequestLimits)

    def __post_init__(self) -> None:
        if not is_safe_identifier(self.name):
            raise ValueError(f"unsafe job type name {self.name!r}")
        if not is_safe_identifier(self.default_result_id):
            raise ValueError(f"unsafe result identifier {self.default_result_id!r}")
        if self.default_execution_duration < 0 or self.max_execution_duration < 0:
            raise ValueError("execution durations cannot be negative")
        if self.max_destruction_interval < self.destruction_interval:
            raise ValueError("the maximum destruction interval is shorter than the default")

    @classmethod
    def from_limits(
        cls,
        name: str,
        worker: Worker,
        limits: Limits,
        *,
        validate: ParameterValidator | None = None,
        render_error: ErrorRenderer | None = None,
        default_result_id: str = "result",
    ) -> JobType:
        """A job type with the operator's limits from the service settings."""
        lifetime = timedelta(days=limits.job_destruction_days)
        return cls(
            name=name,
            worker=worker,
            validate=validate,
            render_error=render_error,
            default_result_id=default_result_id,
            default_execution_duration=limits.async_duration_default_s,
            max_execution_duration=limits.async_duration_max_s,
            destruction_interval=lifetime,
            max_destruction_interval=max(lifetime, timedelta(days=30)),
            max_upload_bytes=limits.upload_max_bytes,
            request_limits=RequestLimits.of(limits),
        )

    def initial_execution_duration(self) -> int:
        return self.clamp_execution_duration(self.default_execution_duration)

    def clamp_execution_duration(self, seconds: int) -> int:
        """The execution duration the service grants for a request (UWS 1.1 §2.2.3.4).

        0 asks for unlimited time, which a limited service replaces by its maximum.
        """
        if seconds < 0:
            raise ValueError("negative execution duration")
        if self.max_execution_duration == 0:
            return seconds
        if seconds == 0:
            return self.max_execution_duration
        return min(seconds, self.max_execution_duration)

    def initial_destruction(self, creation_time: datetime) -> datetime:
        return utc(creation_time) + self.destruction_interval

    def clamp_destruction(self, requested: datetime, creation_time: datetime) -> datetime:
        """The destruction time granted for a request (UWS 1.1 §2.2.3.3).

        No later than ``max_destruction_interval`` after creation; earlier is allowed.
        """
        return min(utc(requested), utc(creation_time) + self.max_destruction_interval)


__all__ = ["ErrorRenderer", "JobType", "ParameterValidator", "Worker"]
