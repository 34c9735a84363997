"""HTTP endpoints of the cone search, mounted at ``/scs``.

- ``/scs/scs.xml`` and ``/scs/targets``: the whole observation log; ``/scs/exo`` and
  ``/scs/astero``: one channel each (GET and POST, SCS 1.03 §2 and SCS 1.1);
- ``/scs/capabilities`` and ``/scs/availability``: VOSI 1.1.

Errors of a search are SCS error documents with HTTP 200 (SCS 1.03 §2 item 3), never DALI
faults.  Small responses are built in one worker-thread call; large ones stream.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cone.capabilities import CONESEARCH_STANDARD_ID
from cone.profile import load_profile
from cone.service import MOUNT, ConeService, endpoint_url
from vo_service.access import Viewer
from vo_service.context import ServiceContext, get_context, get_viewer
from vo_service.faults import ServiceFault
from vo_service.faults_render import FaultRenderer, scs_fault_response
from vo_service.params import DaliParams, RequestLimits, request_params
from vo_service.responses import buffer_or_stream
from vo_service.services import ProtocolService, Runtime, ServiceLink, VosiDocuments, bind
from vo_service.settings import Settings
from vo_service.store.base import Store, StoreError
from vo_service.vosi_availability import availability_response
from vo_service.votable.errors import scs_error_votable

log = logging.getLogger(__name__)

#: Responses up to this size are sent whole; bigger ones stream.
BUFFERED_BYTES = 512 * 1024
XML_MEDIA_TYPE = "text/xml"


def _answer(service: ConeService, store: Store, viewer: Viewer, catalogue: str, params: DaliParams) -> Response:
    """Run the search up to its first rows (in a worker thread) and build the response."""
    chunks, media_type = service.respond(store, viewer, catalogue, params)
    try:
        return buffer_or_stream(chunks, media_type, limit=BUFFERED_BYTES)
    except (StoreError, ServiceFault) as exc:
        return Response(scs_error_votable(f"The search failed: {exc}"), media_type=XML_MEDIA_TYPE)
    except Exception:
        log.exception("cone search failed")
        return Response(scs_error_votable("Internal error while searching; it has been logged."),
                        media_type=XML_MEDIA_TYPE)


async def capabilities(request: Request, service: ConeService) -> Response:
    """VOSI capabilities (VOSI 1.1 §3.1) of the cone searches."""
    return Response(service.capabilities, media_type=XML_MEDIA_TYPE)


async def availability(request: Request) -> Response:
    """VOSI availability (VOSI 1.1 §3.2)."""
    return await availability_response(request, "corot.targets", "cone-search service")


def warm_up(service: ConeService, store: Store) -> None:
    """Answer each endpoint's VOSI test query once, so that the first user does not pay for
    the lazy start of the array libraries and the building of the default documents."""
    for spec in service.profile.catalogues:
        sample = spec.test_query
        try:
            params = DaliParams([("RA", repr(sample.ra)), ("DEC", repr(sample.dec)), ("SR", repr(sample.sr))])
            chunks, _ = service.respond(store, Viewer(), spec.name, params)
            for _ in chunks:
                pass
        except (StoreError, ServiceFault) as exc:
            log.warning("cone search warm-up failed for %s: %s", spec.name, exc)


class ConeSearch(ProtocolService):
    """The cone searches of ``resources/scs/scs.toml``; the runtime is the prepared
    :class:`ConeService` (column sets, descriptors, capabilities)."""

    prefix = MOUNT

    def __init__(self) -> None:
        self.runtime: Runtime[ConeService] = Runtime("The cone-search service is starting; try again in a moment")

    def _search(self, catalogue: str) -> Callable[[Request], Awaitable[Response]]:
        async def search(request: Request) -> Response:
            ctx = get_context(request)
            service = self.runtime.get()
            params = await request_params(request, RequestLimits.of(ctx.settings.limits))
            return await ctx.cpu_lane.run(_answer, service, ctx.store, get_viewer(request), catalogue, params)

        search.__name__ = f"scs_{catalogue}"
        return search

    def routes(self) -> list[BaseRoute]:
        """One route per endpoint path of ``resources/scs/scs.toml``, plus VOSI."""
        profile = load_profile()
        found: list[BaseRoute] = []
        for spec in profile.catalogues:
            for path in spec.paths:
                found.append(Route(f"/{path}", self._search(spec.name), methods=["GET", "POST"]))
        found.append(Route("/capabilities", bind(self.runtime, capabilities), methods=["GET"]))
        found.append(Route("/availability", availability, methods=["GET"]))
        return found

    def links(self, settings: Settings) -> list[ServiceLink]:
        return [ServiceLink(title=spec.title, standard="SCS 1.03", standard_id=CONESEARCH_STANDARD_ID,
                            url=endpoint_url(settings, spec.paths[0]))
                for spec in load_profile().catalogues]

    def fault_documents(self, settings: Settings) -> dict[str, FaultRenderer]:
        """Requests refused before the search (too large, malformed) get the SCS error document."""
        return {"": scs_fault_response}

    def start(self, ctx: ServiceContext) -> None:
        """Build the column sets, descriptors and capabilities once, before the first request,
        and have the store hold the searched tables ready for cone queries."""
        service = ConeService.build(ctx.settings, ctx.catalogue, ctx.store)
        for table in sorted({endpoint.table.name for endpoint in service.endpoints.values()}):
            ctx.store.preload(table)
        warm_up(service, ctx.store)
        self.runtime.set(service)

    def vosi(self, ctx: ServiceContext) -> VosiDocuments:
        """The VOSI capabilities document, for the registry records of the cone searches."""
        return VosiDocuments(self.runtime.get().capability_models)

    def stop(self, ctx: ServiceContext) -> None:
        self.runtime.set(None)


__all__ = ["ConeSearch", "availability", "capabilities", "warm_up"]
