"""A generic IVOA UWS 1.1 job system: TAP async queries and archive orders are job types.

* :mod:`~vo_service.uws.models`: job records and their UWS XML views (vo-models).
* :mod:`~vo_service.uws.transitions`: the execution-phase table.
* :mod:`~vo_service.uws.store`: persistence (SQLite, in-memory) and job files.
* :mod:`~vo_service.uws.runner`: the worker thread pool, cancellation, result sinks.
* :mod:`~vo_service.uws.jobtype`: what a UWS application plugs in.
* :mod:`~vo_service.uws.service`: the protocol logic (framework-free).
* :mod:`~vo_service.uws.signals`: waking blocked WAIT requests on phase changes.
* :mod:`~vo_service.uws.routes`: the REST binding as Starlette routes.
"""

from vo_service.uws.jobtype import ErrorRenderer, JobType, ParameterValidator, Worker
from vo_service.uws.models import (
    ErrorInfo,
    Job,
    JobParameter,
    JobParameters,
    JobRef,
    ResultInfo,
)
from vo_service.uws.routes import plain_fault_response, request_viewer, uws_routes
from vo_service.uws.runner import (
    Cancellation,
    CancelReason,
    JobCancelled,
    JobInfo,
    JobRunner,
    ResultSink,
)
from vo_service.uws.service import (
    RESTART_MESSAGE,
    SHUTDOWN_MESSAGE,
    JobService,
    JobServiceConfig,
    Upload,
)
from vo_service.uws.store import JobFiles, JobFilter, JobStore, MemoryJobStore, SqliteJobStore
from vo_service.uws.transitions import PhaseAction, PhaseConflictFault

__all__ = [
    "RESTART_MESSAGE",
    "SHUTDOWN_MESSAGE",
    "CancelReason",
    "Cancellation",
    "ErrorInfo",
    "ErrorRenderer",
    "Job",
    "JobCancelled",
    "JobFiles",
    "JobFilter",
    "JobInfo",
    "JobParameter",
    "JobParameters",
    "JobRef",
    "JobRunner",
    "JobService",
    "JobServiceConfig",
    "JobStore",
    "JobType",
    "MemoryJobStore",
    "ParameterValidator",
    "PhaseAction",
    "PhaseConflictFault",
    "ResultInfo",
    "ResultSink",
    "SqliteJobStore",
    "Upload",
    "Worker",
    "plain_fault_response",
    "request_viewer",
    "uws_routes",
]
