"""The TAP 1.1 service under ``/tap`` (DaCHS-style layout) and its start-up.

``/tap`` (a pointer page), ``/tap/sync``, ``/tap/async`` (UWS 1.1 job list and jobs),
``/tap/capabilities``, ``/tap/availability``, ``/tap/tables`` (and ``/tap/tables/{name}``)
and ``/tap/examples`` (with ``/tap/examples/<id>.xml``, the sample source lists its upload
examples declare).  :func:`startup` materialises TAP_SCHEMA from the catalogue, creates the
query gate and binds the asynchronous job type to the service context.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import Receive, Scope, Send

from tap.capabilities import capabilities_document, capabilities_xml
from tap.examples import VOTABLE_MEDIA_TYPE, XHTML_MEDIA_TYPE, examples_document, load_examples, sample_votable
from tap.execution import PLANS_KEY, PlanCache
from tap.jobs import tap_job_type
from tap.pages import base_page
from tap.sync import sync_query
from tap.tap_schema import tap_schema_tables
from tap.throttle import GATE_KEY, QueryGate
from tap.vosi_tables import find_table, standalone_table, tableset
from tap.xml import XML_MEDIA_TYPE, xml_bytes
from vo_service.context import ServiceContext, get_context
from vo_service.faults import NotFoundFault
from vo_service.services import ServiceLink, VosiDocuments
from vo_service.settings import Settings
from vo_service.uws import JobService, uws_routes
from vo_service.vosi_availability import availability_response

ASYNC_KEY = "tap.async"
JOBS_KEY = "tap"


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
    """``/tap/async``: the UWS routes built at start-up for this service context.

    The job type's worker needs the context (store, catalogue, settings), which exists only
    once the application has started; the routes answer through the router kept there.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx: ServiceContext = scope["state"]["ctx"]
        router: Router = ctx.extras[ASYNC_KEY]
        await router(scope, receive, send)


def routes() -> list[BaseRoute]:
    jobs = AsyncJobs()
    return [
        Route("/", home, methods=["GET", "HEAD"]),
        Route("/sync", sync_query, methods=["GET", "POST"]),
        Route("/async", jobs),
        Route("/async/{rest:path}", jobs),
        Route("/capabilities", capabilities, methods=["GET", "HEAD"]),
        Route("/availability", availability, methods=["GET", "HEAD"]),
        Route("/tables", tables, methods=["GET", "HEAD"]),
        Route("/tables/{name:path}", table, methods=["GET", "HEAD"]),
        Route("/examples", examples, methods=["GET", "HEAD"]),
        Route("/examples/{name}", example_sample, methods=["GET", "HEAD"]),
    ]


def services(settings: Settings) -> list[ServiceLink]:
    return [ServiceLink(title=f"{settings.title} TAP service", standard="TAP 1.1",
                        standard_id="ivo://ivoa.net/std/TAP", url=tap_url(settings))]


def vosi_documents(ctx: ServiceContext) -> VosiDocuments:
    """The VOSI capabilities and full tables documents, for the registry record."""
    settings = ctx.settings
    return VosiDocuments(capabilities_document(settings, tap_url(settings)).capability,
                         tableset(ctx.catalogue, detail=True))


def startup(ctx: ServiceContext) -> None:
    """TAP_SCHEMA rows from the catalogue, the query gate, the plan cache, the async job type and routes."""
    for name, data in tap_schema_tables(ctx.catalogue).items():
        ctx.store.replace_table(name, data)
    ctx.extras[GATE_KEY] = QueryGate(ctx.settings.limits.max_concurrent_queries)
    ctx.extras[PLANS_KEY] = PlanCache()
    service = ctx.jobs.get(JOBS_KEY)
    if service is None:
        service = JobService.from_settings(ctx.settings)
        service.start()
        ctx.jobs[JOBS_KEY] = service
    job_type = tap_job_type(ctx)
    bound: JobService = service
    ctx.extras[ASYNC_KEY] = Router(
        routes=uws_routes(lambda request: bound, job_type, base_path="/async", render_fault=None)
    )


__all__ = ["routes", "services", "startup", "vosi_documents"]
