"""Helpers of the UWS tests: a dummy job type, a tiny Starlette app, XSD validation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount
from starlette.testclient import TestClient

from vo_service.access import Viewer
from vo_service.faults import ServiceFault, TransientFault, UsageFault
from vo_service.uws import (
    JobFiles,
    JobInfo,
    JobParameters,
    JobService,
    JobServiceConfig,
    JobType,
    ResultInfo,
    ResultSink,
    SqliteJobStore,
    uws_routes,
)

XSD_DIR = Path(__file__).parent / "xsd"
UWS_NS = "http://www.ivoa.net/xml/UWS/v1.0"
NS = {"uws": UWS_NS, "xlink": "http://www.w3.org/1999/xlink"}
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
MODES = {"write", "sleep", "interrupt", "partial", "gate", "usage", "transient", "crash", "upload", "big"}


class _LocalSchemas(etree.Resolver):  # type: ignore[misc]  # lxml has no stubs here
    """Serve the XLink schema the UWS schema imports from the local copy."""

    def resolve(self, system_url, public_id, context):  # type: ignore[no-untyped-def]
        if system_url.endswith("xlink.xsd"):
            return self.resolve_filename(str(XSD_DIR / "xlink.xsd"), context)
        return None


@cache
def uws_schema() -> etree.XMLSchema:
    """The official UWS 1.1 schema, with its XLink import served from ``xsd/``."""
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSchemas())
    return etree.XMLSchema(etree.parse(str(XSD_DIR / "UWS-v1.1.xsd"), parser))


def validate_uws(document: bytes) -> etree._Element:
    """Parse a UWS document and validate it against the official UWS 1.1 schema."""
    root = etree.fromstring(document)
    uws_schema().assertValid(root)
    return root


class FakeClock:
    """A settable UTC clock for creation and destruction times."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **delta: float) -> None:
        with self._lock:
            self.now += timedelta(**delta)


@dataclass
class Controller:
    """Lets tests steer the dummy worker and observe what it did."""

    gate: threading.Event = field(default_factory=threading.Event)
    reject_at_run: bool = False
    running: int = 0
    max_running: int = 0
    interrupted: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, job_id: str) -> None:
        with self.lock:
            self.started.append(job_id)
            self.running += 1
            self.max_running = max(self.max_running, self.running)

    def leave(self) -> None:
        with self.lock:
            self.running -= 1


def make_worker(control: Controller) -> Callable[[JobInfo, JobParameters, ResultSink], list[ResultInfo]]:
    def worker(job: JobInfo, params: JobParameters, sink: ResultSink) -> list[ResultInfo]:
        control.enter(job.job_id)
        try:
            return _work(control, job, params, sink)
        finally:
            control.leave()

    return worker


def _work(control: Controller, job: JobInfo, params: JobParameters, sink: ResultSink) -> list[ResultInfo]:
    mode = params.get("mode", "write")
    cancellation = job.cancellation
    if mode == "write":
        text = params.get("text", "hello") or ""
        with sink.open(mime_type="text/plain") as out:
            out.write(text.encode())
        sink.set_rows("result", 1)
        return sink.results
    if mode == "big":
        chunk = b"0123456789abcdef" * 4096
        with sink.open(mime_type="application/octet-stream") as out:
            for _ in range(32):
                cancellation.check()
                out.write(chunk)
        return sink.results
    if mode == "upload":
        content = job.inline_file(params.get("source", "table") or "table").read_bytes()
        with sink.open("copy", mime_type="application/xml") as out:
            out.write(content)
        return sink.results
    if mode == "sleep":
        if cancellation.wait(float(params.get("seconds", "30") or 30)):
            cancellation.check()
        with sink.open(mime_type="text/plain") as out:
            out.write(b"slept")
        return sink.results
    if mode == "partial":
        with sink.open("partial", mime_type="text/plain") as out:
            out.write(b"first part")
        while True:
            cancellation.check()
            time.sleep(0.01)
    if mode == "interrupt":
        released = threading.Event()
        cancellation.on_cancel(released.set)
        if released.wait(30):
            control.interrupted.append(job.job_id)
            raise RuntimeError("query interrupted")
        return []
    if mode == "gate":
        while not control.gate.wait(0.01):
            cancellation.check()
        with sink.open(mime_type="text/plain") as out:
            out.write(job.job_id.encode())
        return sink.results
    if mode == "usage":
        raise UsageFault("The dummy query is wrong")
    if mode == "transient":
        raise TransientFault("The dummy store is busy")
    raise RuntimeError("secret internal detail at /srv/secret/path")


def render_error(fault: ServiceFault) -> tuple[bytes, str]:
    element = ElementTree.Element("error", {"status": str(fault.status_code)})
    element.text = fault.message
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True), "application/xml"


def make_job_type(control: Controller, **overrides: object) -> JobType:
    def validate(params: JobParameters) -> None:
        mode = params.get("mode", "write")
        if mode not in MODES:
            raise UsageFault(f"Unknown mode {mode!r}")
        if control.reject_at_run and params.get("reject") == "yes":
            raise UsageFault("Rejected when run")

    options: dict[str, object] = {
        "name": "dummy",
        "worker": make_worker(control),
        "validate": validate,
        "render_error": render_error,
        "default_execution_duration": 600,
        "max_execution_duration": 7200,
        "destruction_interval": timedelta(days=7),
        "max_destruction_interval": timedelta(days=30),
        "max_upload_bytes": 64 * 1024,
    }
    options.update(overrides)
    return JobType(**options)  # type: ignore[arg-type]


def header_viewer(request: Request) -> Viewer:
    user = request.headers.get("x-test-user")
    return Viewer(user=user) if user else Viewer.anonymous_viewer()


@dataclass
class UWSHarness:
    """A running job service, its dummy job type and a client for its routes."""

    service: JobService
    job_type: JobType
    control: Controller
    client: TestClient
    clock: FakeClock
    tmp_path: Path
    base: str = "/jobs"

    def create(self, data: dict[str, str] | None = None, *, user: str | None = None, **kwargs: object) -> str:
        """POST a new job; return its identifier."""
        headers = {"X-Test-User": user} if user else {}
        response = self.client.post(
            self.base,
            data=data or {},
            headers=headers,
            follow_redirects=False,
            **kwargs,  # type: ignore[arg-type]
        )
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        assert location.startswith(f"http://testserver{self.base}/")
        return location.rsplit("/", 1)[1]

    def phase(self, job_id: str, user: str | None = None) -> str:
        headers = {"X-Test-User": user} if user else {}
        response = self.client.get(f"{self.base}/{job_id}/phase", headers=headers)
        assert response.status_code == 200, response.text
        return response.text

    def run(self, job_id: str) -> None:
        response = self.client.post(f"{self.base}/{job_id}/phase", data={"PHASE": "RUN"}, follow_redirects=False)
        assert response.status_code == 303, response.text

    def wait_for(self, job_id: str, phases: set[str], timeout: float = 10.0) -> str:
        """Poll until the job reaches one of ``phases``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            phase = self.phase(job_id)
            if phase in phases:
                return phase
            time.sleep(0.01)
        raise AssertionError(f"job {job_id} stuck in {self.phase(job_id)}")

    def job_xml(self, job_id: str, **params: str) -> etree._Element:
        response = self.client.get(f"{self.base}/{job_id}", params=params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/xml")
        return validate_uws(response.content)


def build_service(tmp_path: Path, clock: FakeClock, **config: float) -> JobService:
    service = JobService(
        SqliteJobStore(tmp_path / "jobs.sqlite"),
        JobFiles(tmp_path / "results"),
        config=JobServiceConfig(**config),  # type: ignore[arg-type]
        clock=clock,
    )
    service.start(background_sweep=False)
    return service


def build_app(service: JobService, job_type: JobType, base: str = "/jobs", *, mount: bool = False) -> Starlette:
    routes: list[BaseRoute]
    if mount:
        routes = [Mount(base, routes=uws_routes(lambda _request: service, job_type, viewer_getter=header_viewer))]
    else:
        routes = uws_routes(lambda _request: service, job_type, base_path=base, viewer_getter=header_viewer)
    return Starlette(routes=routes)
