"""The one place where faults become HTTP responses: the error document of each standard.

DALI services answer the DALI error VOTable (DALI 1.1 §4.2) with the fault's status; the
parts of the URL space whose standard says otherwise declare their document in
:class:`FaultDocuments`: Simple Cone Search (SCS 1.03 §2.3: an error VOTable, HTTP 200),
SODA (SODA 1.0 §5.2: ``text/plain`` starting with an error code) and OAI-PMH (its
``<error code>``, HTTP 200, built by the registry package).

Requests the routing refuses (an unknown path: 404; a method the resource does not serve:
405, with ``Allow``) below the mount of a protocol service answer the same documents, with
the routing's status; elsewhere (HiPS, pages) they stay plain text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Scope

from vo_service.faults import FatalFault, MethodNotAllowedFault, NotFoundFault, ServiceFault
from vo_service.votable.errors import error_votable, fault_text, scs_error_votable

log = logging.getLogger(__name__)

VOTABLE_MEDIA_TYPE = "application/x-votable+xml"


def fault_response(fault: ServiceFault, status_code: int | None = None) -> Response:
    """DALI 1.1 §5.2 error document with the fault's HTTP status."""
    return Response(
        error_votable(fault),
        status_code=status_code or fault.status_code,
        media_type=VOTABLE_MEDIA_TYPE,
        headers=fault.headers,
    )


#: An endpoint family's error document for a fault; None leaves it to the DALI document.
FaultRenderer = Callable[[ServiceFault], Response | None]


def scs_fault_response(fault: ServiceFault) -> Response:
    """SCS 1.03 §2.3: the error VOTable (``INFO name="Error"``) with HTTP 200."""
    return Response(scs_error_votable(fault), media_type="text/xml")


#: SODA 1.0 §5.2 error codes by HTTP status.
_SODA_CODES = {401: "AuthenticationError", 403: "AuthorizationError", 429: "ServiceUnavailable",
               503: "ServiceUnavailable"}


def soda_fault_response(fault: ServiceFault) -> Response:
    """SODA 1.0 §5.2: ``text/plain`` starting with the error code, with the fault's status."""
    status = fault.status_code
    code = _SODA_CODES.get(status, "UsageError" if 400 <= status < 500 else "Error")
    return PlainTextResponse(f"{code}: {fault_text(fault)}\n", status_code=status, headers=fault.headers)


def _under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or below it."""
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


@dataclass(frozen=True)
class FaultDocuments:
    """Which error document each part of the URL space answers with (DALI by default)."""

    #: (path prefix, renderer), longest prefix first.
    renderers: tuple[tuple[str, FaultRenderer], ...] = ()
    #: Mount prefixes whose unknown paths and methods answer error documents too.
    protocols: tuple[str, ...] = ()

    @classmethod
    def of(cls, renderers: Mapping[str, FaultRenderer], protocols: Sequence[str] = ()) -> FaultDocuments:
        return cls(tuple(sorted(renderers.items(), key=lambda item: -len(item[0]))), tuple(protocols))

    def routes_documented(self, path: str) -> bool:
        """Whether a 404 or 405 of the routing on ``path`` answers an error document."""
        return any(_under(path, prefix) for prefix in self.protocols)

    def render(self, path: str, fault: ServiceFault) -> Response:
        for prefix, renderer in self.renderers:
            if _under(path, prefix):
                response = renderer(fault)
                if response is not None:
                    return response
                break
        return fault_response(fault)


def _documents(request: Request) -> FaultDocuments:
    app = request.scope.get("app")
    documents = getattr(getattr(app, "state", None), "fault_documents", None)
    return documents if isinstance(documents, FaultDocuments) else FaultDocuments()


async def handle_fault(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceFault)
    return _documents(request).render(request.url.path, exc)


def allowed_methods(request: Request) -> list[str]:
    """The methods the routes matching the request's path serve, together: Starlette's 405
    names only the first route of the path, where GET and POST can be two routes."""
    methods: set[str] = set()

    def walk(routes: Sequence[BaseRoute], scope: Scope) -> None:
        for route in routes:
            match, child = route.matches(scope)
            if match == Match.NONE:
                continue
            if isinstance(route, Mount):
                walk(route.routes, {**scope, **child})
            elif isinstance(route, Route) and route.methods:
                methods.update(route.methods)
            elif isinstance(route, Route):  # an ASGI application routing by itself
                walk(getattr(route.app, "routes", ()), {**scope, **child})

    router = getattr(request.scope.get("app"), "router", None)
    if isinstance(router, Router):
        # from the top again: the mounts the request went through have moved its root path
        scope = request.scope
        walk(router.routes, {**scope, "root_path": scope.get("app_root_path", scope.get("root_path", ""))})
    return sorted(methods)


def routing_fault(request: Request, exc: HTTPException) -> ServiceFault | None:
    """The fault of a request the routing refused (404, 405), None for other statuses."""
    path = quote(request.url.path, safe="/:@!$&'()*+,;=-._~")
    if exc.status_code == 404:
        return NotFoundFault(f"There is no resource at {path}")
    if exc.status_code == 405:
        allow = ", ".join(allowed_methods(request)) or (exc.headers or {}).get("Allow", "")
        return MethodNotAllowedFault(f"{quote(request.method, safe='')} is not allowed on {path}",
                                     allow=allow, hint=f"use {allow}" if allow else None)
    return None


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    documents = _documents(request)
    fault = routing_fault(request, exc) if documents.routes_documented(request.url.path) else None
    if fault is not None:
        # The document of the path's standard, with the routing's status (some standards answer
        # their own errors with HTTP 200, but this request reached no endpoint of theirs).
        response = documents.render(request.url.path, fault)
        response.status_code = exc.status_code
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        response.headers.update(fault.headers)
        return response
    detail = exc.detail if isinstance(exc.detail, str) else "error"
    return PlainTextResponse(f"{exc.status_code} {detail}: {request.url.path}\n", status_code=exc.status_code,
                             headers=dict(exc.headers or {}))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """Never a traceback on the wire: log it, answer a generic DALI error."""
    log.exception("unhandled error on %s", request.url.path)
    fault = FatalFault("Internal error while processing the request; it has been logged.")
    return _documents(request).render(request.url.path, fault)


__all__ = [
    "VOTABLE_MEDIA_TYPE",
    "FaultDocuments",
    "FaultRenderer",
    "allowed_methods",
    "fault_response",
    "handle_fault",
    "handle_http_exception",
    "handle_unexpected",
    "routing_fault",
    "scs_fault_response",
    "soda_fault_response",
]
