"""The TAP 1.1 service under ``/tap`` (DaCHS-style layout) and its start-up.

``/tap`` (a pointer page), ``/tap/sync``, ``/tap/async`` (UWS 1.1 job list and jobs),
``/tap/capabilities``, ``/tap/availability``, ``/tap/tables`` (and ``/tap/tables/{name}``)
and ``/tap/examples`` (with ``/tap/examples/<id>.xml``, the sample source lists its upload
examples declare).  :meth:`TapService.start` materialises TAP_SCHEMA from the catalogue,
creates the query gate, the plan cache and the job service, and binds the asynchronous job
type to them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import Receive, Scope, Send

from tap.capabilities import capabilities_document, capabilities_xml
from tap.examples import VOTABLE_MEDIA_TYPE, XHTML_MEDIA_TYPE, examples_document, load_examples, sample_votable
from tap.execution import PlanCache, warm_up
from tap.jobs import tap_job_type
from tap.pages import base_page
from tap.runtime import TapRuntime
from tap.sync import sync_query
from tap.tap_schema import tap_schema_tables
from tap.throttle import QueryGate
from tap.vosi_tables import find_table, standalone_table, tableset
from tap.xml import XML_MEDIA_TYPE, xml_bytes
from vo_service.context import ServiceContext, get_context
from vo_service.faults import NotFoundFault
from vo_service.services import ProtocolService, Runtime, ServiceLink, VosiDocuments, bind
from vo_service.settings import Settings
from vo_service.uws import JobService, uws_routes
from vo_service.vosi_availability import availability_response

STARTING = "The TAP service is starting; try again in a moment"


def tap_url(settings: Settings) -> str:
    return f"{settings.base_url}/tap"


def _xml(body: bytes) -> Response:
    return Response(body, media_type=XML_MEDIA_TYPE)


async def capabilities(request: Request) -> Response:
    """VOSI capabilities (VOSI 1.1 §3.1) with the TAPRegExt TAP capability."""
    settings = get_context(request).settings
    return _xml(capabilities_xml(settings, tap_url(settings)))


async def availability(request: Request) -> Response:
    """VOSI availability (VOSI 1.1 §3.2)."""
    return await availability_response(request, "TAP_SCHEMA.tables", "TAP service")


async def tables(request: Request) -> Response:
    """VOSI tables (VOSI 1.1 §3.4); ``detail=min`` lists the tables without their columns."""
    detail = {k.lower(): v for k, v in request.query_params.items()}.get("detail", "max").strip().lower()
    document = tableset(get_context(request).catalogue, detail=detail != "min")
    return _xml(xml_bytes(document))


async def table(request: Request) -> Response:
    """One table with its columns (VOSI 1.1 §3.4, ``/tables/{schema.table}``)."""
    catalogue = get_context(request).catalogue
    name = request.path_params["name"]
    found = find_table(catalogue, name)
    if found is None:
        raise NotFoundFault(f"No table {name!r} in this service; see /tap/tables for the list")
    document = standalone_table(catalogue, found)
    return _xml(xml_bytes(document))


async def examples(request: Request) -> Response:
    """The DALI examples document (DALI 1.1 §2.3)."""
    settings = get_context(request).settings
    body = examples_document(load_examples(), title=settings.title, tap_url=tap_url(settings))
    return Response(body, media_type=XHTML_MEDIA_TYPE)


async def example_sample(request: Request) -> Response:
    """A sample source list the upload examples declare (``/tap/examples/<id>.xml``)."""
    name = request.path_params["name"]
    sample = load_examples().sample(name)
    if sample is None:
        raise NotFoundFault(f"No sample source list {name!r}; the examples at /tap/examples link the ones served")
    return Response(sample_votable(sample), media_type=VOTABLE_MEDIA_TYPE)


async def home(request: Request) -> Response:
    """The service's root resource: a human-readable pointer page (TAP 1.1 §2)."""
    settings = get_context(request).settings
    return Response(base_page(settings.title, tap_url(settings)), media_type="text/html")


class AsyncJobs:
    """``/tap/async``: the UWS routes built at start-up for the running service.

    The job type's worker needs the context (store, catalogue, settings) and the service's
    runtime, which exist only once the application has started; until then the routes
    answer 503.
    """

    def __init__(self, router: Runtime[Router]) -> None:
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.router.get()(scope, receive, send)

    @property
    def routes(self) -> list[BaseRoute]:
        """The job routes once started (they state the ``Allow`` header of a 405)."""
        return list(self.router.get().routes) if self.router.started else []


class TapService(ProtocolService):
    """The TAP service: TAP_SCHEMA, the query gate, the plan cache and the asynchronous jobs."""

    prefix = "/tap"

    def __init__(self) -> None:
        self.runtime: Runtime[TapRuntime] = Runtime(STARTING)
        self.async_router: Runtime[Router] = Runtime(STARTING)

    def routes(self) -> list[BaseRoute]:
        jobs = AsyncJobs(self.async_router)
        return [
            Route("/", home, methods=["GET", "HEAD"]),
            Route("/sync", bind(self.runtime, sync_query), methods=["GET", "POST"]),
            Route("/async", jobs),
            Route("/async/{rest:path}", jobs),
            Route("/capabilities", capabilities, methods=["GET", "HEAD"]),
            Route("/availability", availability, methods=["GET", "HEAD"]),
            Route("/tables", tables, methods=["GET", "HEAD"]),
            Route("/tables/{name:path}", table, methods=["GET", "HEAD"]),
            Route("/examples", examples, methods=["GET", "HEAD"]),
            Route("/examples/{name}", example_sample, methods=["GET", "HEAD"]),
        ]

    def links(self, settings: Settings) -> list[ServiceLink]:
        return [ServiceLink(title=f"{settings.title} TAP service", standard="TAP 1.1",
                            standard_id="ivo://ivoa.net/std/TAP", url=tap_url(settings))]

    def start(self, ctx: ServiceContext) -> None:
        """TAP_SCHEMA rows from the catalogue, the query gate, the plan cache, the job service,
        the async job type and its routes; a warm-up query or two."""
        for name, data in tap_schema_tables(ctx.catalogue).items():
            ctx.store.replace_table(name, data)
        warm_up(ctx.catalogue, ctx.store, timeout=ctx.settings.limits.sync_timeout_s)
        jobs = JobService.from_settings(ctx.settings)
        jobs.start()
        runtime = TapRuntime(QueryGate(ctx.settings.limits.max_concurrent_queries), PlanCache(), jobs)
        job_type = tap_job_type(ctx, runtime)
        self.async_router.set(Router(
            routes=uws_routes(lambda request: jobs, job_type, base_path="/async", render_fault=None)
        ))
        self.runtime.set(runtime)

    def vosi(self, ctx: ServiceContext) -> VosiDocuments:
        """The VOSI capabilities and full tables documents, for the registry record."""
        settings = ctx.settings
        return VosiDocuments(capabilities_document(settings, tap_url(settings)).capability,
                             tableset(ctx.catalogue, detail=True))

    def stop(self, ctx: ServiceContext) -> None:
        """Stop the job service (running jobs are cancelled by it)."""
        if self.runtime.started:
            self.runtime.get().jobs.close()
        self.runtime.set(None)
        self.async_router.set(None)


__all__ = ["TapService", "tap_url"]
