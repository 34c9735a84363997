"""The REST binding of UWS 1.1 (§2.2) as Starlette routes, for one job type.

``uws_routes(service_getter, job_type)`` returns the routes of one job list
(``/{jobs}`` in the standard) and everything below it.  Mount them under the base
path, e.g. ``Mount("/tap/async", routes=uws_routes(get_jobs, tap_job_type))``, or
pass ``base_path="/tap/async"`` and add them to the application's routes directly,
which also answers ``/tap/async`` without a trailing-slash redirect.

Resources (§2.2.1): the job list (GET, POST to create), ``/{job}`` (GET with optional
WAIT/PHASE blocking, DELETE, POST with ACTION=DELETE or parameter changes), and
``phase``, ``executionduration``, ``destruction``, ``quote``, ``error``, ``results``,
``results/{id}``, ``parameters`` (GET, POST while PENDING), ``parameters/{name}``
(inline uploads, §2.2.3.1.1) and ``owner``.  Every state change answers 303 See Other
(§2.2.3); unknown jobs give 404, requests the phase forbids 403 (§2.2), bad values 400.

Errors: endpoints raise :mod:`vo_service.faults`.  With the default ``render_fault``
they are answered here as ``text/plain`` with the fault's status; the application may
pass its own renderer (e.g. the DALI VOTable error), or ``render_fault=None`` to let
the faults propagate to its global exception handler.

The viewer (for ownership) comes from ``viewer_getter``; by default it is
``request.state.viewer`` when the authentication layer has set it, else anonymous.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import ParamSpec, TypeVar

from pydantic_xml import BaseXmlModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from vo_models.uws.types import ExecutionPhase

from vo_service.access import Viewer
from vo_service.faults import ServiceFault, UsageFault
from vo_service.params import reading_params, request_params
from vo_service.uws.jobtype import JobType
from vo_service.uws.models import JobParameters, job_list_xml_model, utc
from vo_service.uws.service import JobService, Upload
from vo_service.uws.transitions import PhaseAction
from vo_service.uws.xml_models import UWS_MEDIA_TYPE, xml_bytes

ServiceGetter = Callable[[Request], JobService]
ViewerGetter = Callable[[Request], Viewer]
FaultRenderer = Callable[[Request, ServiceFault], Response]
Endpoint = Callable[[Request], Awaitable[Response]]

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: Job-control parameters of the creation POST (UWS 1.1 §2.2.3.1) that are not job
#: parameters: PHASE=RUN starts the job, RUNID sets its runId (§2.1.9, DALI RUNID).
_CONTROL_NAMES = frozenset({"phase", "runid"})

def plain_fault_response(request: Request, fault: ServiceFault) -> Response:
    """The default fault rendering: the message as text/plain with the fault's status."""
    return PlainTextResponse(fault.message, status_code=fault.status_code, headers=fault.headers)


def request_viewer(request: Request) -> Viewer:
    """``request.state.viewer`` if the authentication layer set one, else anonymous."""
    viewer = getattr(request.state, "viewer", None)
    return viewer if isinstance(viewer, Viewer) else Viewer.anonymous_viewer()


def uws_routes(
    service_getter: ServiceGetter,
    job_type: JobType,
    *,
    base_path: str = "",
    viewer_getter: ViewerGetter = request_viewer,
    render_fault: FaultRenderer | None = plain_fault_response,
) -> list[BaseRoute]:
    """The UWS 1.1 REST binding for ``job_type`` (see the module documentation)."""
    endpoints = _Endpoints(service_getter, job_type, base_path.rstrip("/"), viewer_getter)
    guard = partial(_guarded, render_fault=render_fault)
    root = endpoints.base_path or "/"
    job = f"{endpoints.base_path}/{{job_id}}"
    name = job_type.name
    return [
        Route(root, guard(endpoints.job_list), methods=["GET"], name=f"{name}:jobs"),
        Route(root, guard(endpoints.create), methods=["POST"], name=f"{name}:create"),
        Route(job, guard(endpoints.job), methods=["GET"], name=f"{name}:job"),
        Route(job, guard(endpoints.delete), methods=["DELETE"], name=f"{name}:delete"),
        Route(job, guard(endpoints.post_job), methods=["POST"], name=f"{name}:post"),
        Route(f"{job}/phase", guard(endpoints.phase), methods=["GET", "POST"], name=f"{name}:phase"),
        Route(
            f"{job}/executionduration",
            guard(endpoints.execution_duration),
            methods=["GET", "POST"],
            name=f"{name}:executionduration",
        ),
        Route(
            f"{job}/destruction",
            guard(endpoints.destruction),
            methods=["GET", "POST"],
            name=f"{name}:destruction",
        ),
        Route(f"{job}/quote", guard(endpoints.quote), methods=["GET"], name=f"{name}:quote"),
        Route(f"{job}/error", guard(endpoints.error), methods=["GET"], name=f"{name}:error"),
        Route(f"{job}/results", guard(endpoints.results), methods=["GET"], name=f"{name}:results"),
        Route(f"{job}/results/{{result_id}}", guard(endpoints.result), methods=["GET"], name=f"{name}:result"),
        Route(
            f"{job}/parameters",
            guard(endpoints.parameters),
            methods=["GET", "POST"],
            name=f"{name}:parameters",
        ),
        Route(
            f"{job}/parameters/{{name}}",
            guard(endpoints.parameter),
            methods=["GET"],
            name=f"{name}:parameter",
        ),
        Route(f"{job}/owner", guard(endpoints.owner), methods=["GET"], name=f"{name}:owner"),
    ]


def _guarded(endpoint: Endpoint, *, render_fault: FaultRenderer | None) -> Endpoint:
    if render_fault is None:
        return endpoint

    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ServiceFault as fault:
            return render_fault(request, fault)

    guarded.__name__ = endpoint.__name__
    guarded.__doc__ = endpoint.__doc__
    return guarded


@dataclass
class _Posted:
    """What a POST carried: parameters in order (names lower-cased) and file parts."""

    pairs: list[tuple[str, str]]
    uploads: list[Upload]

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]

    def single(self, name: str) -> str | None:
        """The value of a control parameter that may be given at most once."""
        values = list(dict.fromkeys(self.values(name)))
        if len(values) > 1:
            raise UsageFault(f"{name.upper()} was given more than once with different values")
        return values[0] if values else None

    def required(self, name: str) -> str:
        value = self.single(name)
        if value is None:
            raise UsageFault(f"Missing parameter {name.upper()}")
        return value

    def job_parameters(self) -> JobParameters:
        return JobParameters.from_pairs((key, value) for key, value in self.pairs if key not in _CONTROL_NAMES)


class _Endpoints:
    def __init__(
        self, service_getter: ServiceGetter, job_type: JobType, base_path: str, viewer_getter: ViewerGetter
    ) -> None:
        self.service_getter = service_getter
        self.job_type = job_type
        self.base_path = base_path
        self.viewer_getter = viewer_getter

    # Helpers --------------------------------------------------------------------------

    def jobs_url(self, request: Request) -> str:
        """The absolute URL of the job list, from the request (honours mounts)."""
        scope = dict(request.scope)
        scope["path"] = scope.get("root_path", "") + self.base_path
        scope["query_string"] = b""
        return str(URL(scope=scope)).rstrip("/")

    def job_url(self, request: Request, job_id: str) -> str:
        return f"{self.jobs_url(request)}/{job_id}"

    def redirect_to_job(self, request: Request, job_id: str) -> Response:
        return RedirectResponse(self.job_url(request, job_id), status_code=303)

    @staticmethod
    async def call(function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """Run a (blocking, disk-touching) service call off the event loop."""
        return await run_in_threadpool(function, *args, **kwargs)

    @asynccontextmanager
    async def read_post(self, request: Request, *, with_files: bool) -> AsyncIterator[_Posted]:
        """Query-string then form parameters, names lower-cased; files while in the block.

        Read by the one DALI parameter reader, under the request limits of the job type;
        the parsed form, and the temporary files of its uploads, are closed on exit.
        """
        limits = replace(self.job_type.request_limits, max_upload_bytes=self.job_type.max_upload_bytes)
        async with reading_params(request, limits, files=with_files) as (params, files):
            pairs = [(key.lower(), value) for key, value in params.pairs()]
            yield _Posted(pairs, [Upload(key, upload.file) for key, upload in files.items()])

    def service(self, request: Request) -> JobService:
        return self.service_getter(request)

    def viewer(self, request: Request) -> Viewer:
        return self.viewer_getter(request)

    async def apply_phase(self, request: Request, job_id: str, value: str | None) -> None:
        if value is not None:
            action = PhaseAction.parse(value)
            await self.call(self.service(request).set_phase, self.job_type, job_id, self.viewer(request), action)

    # The job list (§2.2.2.1, §2.2.3.1) ------------------------------------------------

    async def job_list(self, request: Request) -> Response:
        """GET /{jobs}: the viewer's jobs, filtered by PHASE, AFTER and LAST."""
        params = await request_params(request, self.job_type.request_limits)
        phases = [_parse_phase(value) for value in params.all("phase")]
        afters = [_parse_instant(value, "AFTER") for value in params.all("after")]
        lasts = [_parse_last(value) for value in params.all("last")]
        refs = await self.call(
            self.service(request).list_jobs,
            self.job_type,
            self.viewer(request),
            phases=phases,
            after=max(afters) if afters else None,
            last=min(lasts) if lasts else None,
        )
        jobs_url = self.jobs_url(request)
        document = job_list_xml_model((ref, f"{jobs_url}/{ref.job_id}") for ref in refs)
        return _xml(document)

    async def create(self, request: Request) -> Response:
        """POST /{jobs}: create a job from the posted parameters, 303 to it (§2.2.3.1)."""
        async with self.read_post(request, with_files=True) as posted:
            phase = posted.single("phase")
            action = None if phase is None else PhaseAction.parse(phase)
            job = await self.call(
                self.service(request).create,
                self.job_type,
                self.viewer(request),
                posted.job_parameters(),
                uploads=posted.uploads,
                run_id=posted.single("runid"),
            )
        if action is not None:
            await self.call(self.service(request).set_phase, self.job_type, job.job_id, self.viewer(request), action)
        return self.redirect_to_job(request, job.job_id)

    # One job (§2.2.2.2, §2.2.3.2) -----------------------------------------------------

    async def job(self, request: Request) -> Response:
        """GET /{jobs}/{job}: the job document; WAIT (and PHASE) make it block (§2.2.1.2)."""
        job_id = request.path_params["job_id"]
        service = self.service(request)
        params = await request_params(request, self.job_type.request_limits)
        wait = params.single("WAIT")
        if wait is not None:
            timeout = _parse_wait(wait)
            phase_text = params.single("PHASE")
            phase = _parse_phase(phase_text) if phase_text is not None else None
            job = await service.wait(self.job_type, job_id, self.viewer(request), timeout=timeout, phase=phase)
        else:
            job = await self.call(service.get, self.job_type, job_id, self.viewer(request))
        return _xml(job.to_xml_model(self.job_url(request, job_id)))

    async def delete(self, request: Request) -> Response:
        """DELETE /{jobs}/{job}: destroy the job, 303 to the job list (§2.2.3.2)."""
        job_id = request.path_params["job_id"]
        await self.call(self.service(request).delete, self.job_type, job_id, self.viewer(request))
        return RedirectResponse(self.jobs_url(request), status_code=303)

    async def post_job(self, request: Request) -> Response:
        """POST /{jobs}/{job}: ACTION=DELETE destroys (§2.2.3.2); else sets parameters (§2.1.11)."""
        job_id = request.path_params["job_id"]
        async with self.read_post(request, with_files=True) as posted:
            action = posted.single("action")
            if action is not None:
                if action.strip().upper() != "DELETE":
                    raise UsageFault(f"Invalid ACTION {action!r}: the only action is DELETE")
                await self.call(self.service(request).delete, self.job_type, job_id, self.viewer(request))
                return RedirectResponse(self.jobs_url(request), status_code=303)
            await self.update_parameters(request, job_id, posted)
        return self.redirect_to_job(request, job_id)

    async def update_parameters(self, request: Request, job_id: str, posted: _Posted) -> None:
        changes = posted.job_parameters()
        run_id = posted.single("runid")
        if len(changes) or posted.uploads or run_id is not None:
            await self.call(
                self.service(request).update_parameters,
                self.job_type,
                job_id,
                self.viewer(request),
                changes,
                uploads=posted.uploads,
                run_id=run_id,
            )
        await self.apply_phase(request, job_id, posted.single("phase"))

    # Job properties (§2.2.1, §2.2.3.3–§2.2.3.6) -------------------------------------

    async def phase(self, request: Request) -> Response:
        """GET: the phase as text; POST PHASE=RUN|ABORT, 303 to the job."""
        job_id = request.path_params["job_id"]
        if request.method == "POST":
            async with self.read_post(request, with_files=False) as posted:
                value = posted.required("phase")
            await self.apply_phase(request, job_id, value)
            return self.redirect_to_job(request, job_id)
        job = await self.call(self.service(request).get, self.job_type, job_id, self.viewer(request))
        return PlainTextResponse(job.phase.value)

    async def execution_duration(self, request: Request) -> Response:
        """GET: seconds as text; POST EXECUTIONDURATION=n, 303 to the job."""
        job_id = request.path_params["job_id"]
        service = self.service(request)
        if request.method == "POST":
            async with self.read_post(request, with_files=False) as posted:
                seconds = _parse_duration(posted.required("executionduration"))
            await self.call(service.set_execution_duration, self.job_type, job_id, self.viewer(request), seconds)
            return self.redirect_to_job(request, job_id)
        job = await self.call(service.get, self.job_type, job_id, self.viewer(request))
        return PlainTextResponse(str(job.execution_duration))

    async def destruction(self, request: Request) -> Response:
        """GET: ISO 8601 instant or empty; POST DESTRUCTION=instant, 303 to the job."""
        job_id = request.path_params["job_id"]
        service = self.service(request)
        if request.method == "POST":
            async with self.read_post(request, with_files=False) as posted:
                when = _parse_instant(posted.required("destruction"), "DESTRUCTION")
            await self.call(service.set_destruction, self.job_type, job_id, self.viewer(request), when)
            return self.redirect_to_job(request, job_id)
        job = await self.call(service.get, self.job_type, job_id, self.viewer(request))
        return PlainTextResponse(_iso_text(job.destruction))

    async def quote(self, request: Request) -> Response:
        """GET: the quote as ISO 8601, empty for "don't know" (§2.1.6)."""
        job = await self.call(
            self.service(request).get, self.job_type, request.path_params["job_id"], self.viewer(request)
        )
        return PlainTextResponse(_iso_text(job.quote))

    async def owner(self, request: Request) -> Response:
        """GET: the owner's identifier, empty for anonymous jobs (§2.1.8)."""
        job = await self.call(
            self.service(request).get, self.job_type, request.path_params["job_id"], self.viewer(request)
        )
        return PlainTextResponse(job.owner or "")

    async def error(self, request: Request) -> Response:
        """GET: the stored error document, or the error message as text (§2.2.2.5)."""
        error, path = await self.call(
            self.service(request).error_detail,
            self.job_type,
            request.path_params["job_id"],
            self.viewer(request),
        )
        if path is not None and error.detail_media_type is not None:
            return FileResponse(path, media_type=error.detail_media_type)
        return PlainTextResponse(error.message)

    async def results(self, request: Request) -> Response:
        """GET: ``<uws:results>`` (§2.2.2.3)."""
        job_id = request.path_params["job_id"]
        job = await self.call(self.service(request).get, self.job_type, job_id, self.viewer(request))
        return _xml(job.results_xml_model(self.job_url(request, job_id)))

    async def result(self, request: Request) -> Response:
        """GET: one result, streamed from its file with its media type."""
        info, path = await self.call(
            self.service(request).result_file,
            self.job_type,
            request.path_params["job_id"],
            self.viewer(request),
            request.path_params["result_id"],
        )
        if path is None or info.href is not None:
            return RedirectResponse(info.href or "", status_code=303)
        return FileResponse(path, media_type=info.mime_type)

    async def parameters(self, request: Request) -> Response:
        """GET: ``<uws:parameters>`` (§2.2.2.4); POST: change parameters while PENDING."""
        job_id = request.path_params["job_id"]
        if request.method == "POST":
            async with self.read_post(request, with_files=True) as posted:
                await self.update_parameters(request, job_id, posted)
            return self.redirect_to_job(request, job_id)
        job = await self.call(self.service(request).get, self.job_type, job_id, self.viewer(request))
        return _xml(job.parameters.to_xml_model(self.job_url(request, job_id)))

    async def parameter(self, request: Request) -> Response:
        """GET: the content of an inline upload (§2.2.3.1.1)."""
        path = await self.call(
            self.service(request).inline_parameter,
            self.job_type,
            request.path_params["job_id"],
            self.viewer(request),
            request.path_params["name"],
        )
        return FileResponse(path, media_type="application/octet-stream")


def _xml(model: BaseXmlModel) -> Response:
    return Response(xml_bytes(model), media_type=UWS_MEDIA_TYPE)


def _parse_phase(value: str) -> ExecutionPhase:
    try:
        return ExecutionPhase(value.strip().upper())
    except ValueError:
        raise UsageFault(f"Invalid PHASE {value!r}: not a UWS execution phase") from None


def _parse_instant(value: str, name: str) -> datetime:
    """An ISO 8601 instant; UTC if it carries no zone (UWS 1.1 §2.2.1)."""
    try:
        return utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        raise UsageFault(f"Invalid {name} {value!r}: expected an ISO 8601 date and time") from None


def _parse_last(value: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        number = 0
    if number <= 0:
        raise UsageFault(f"Invalid LAST {value!r}: expected an integer greater than 0")
    return number


def _parse_wait(value: str) -> float | None:
    """WAIT=n seconds; -1 (any negative) blocks as long as the service allows (§2.2.1.2)."""
    try:
        seconds = int(value.strip())
    except ValueError:
        raise UsageFault(f"Invalid WAIT {value!r}: expected an integer number of seconds") from None
    return None if seconds < 0 else float(seconds)


def _parse_duration(value: str) -> int:
    try:
        seconds = int(value.strip())
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise UsageFault(f"Invalid EXECUTIONDURATION {value!r}: expected a non-negative integer of seconds")
    return seconds


def _iso_text(value: datetime | None) -> str:
    """An instant as UWS 1.1 §2.2.1 writes it (``T`` separator, ``Z``), or ''."""
    if value is None:
        return ""
    return utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


__all__ = [
    "FaultRenderer",
    "ServiceGetter",
    "ViewerGetter",
    "plain_fault_response",
    "request_viewer",
    "uws_routes",
]
