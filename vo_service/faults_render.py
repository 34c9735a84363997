"""The one place where faults become HTTP responses: the error document of each standard.

DALI services answer the DALI error VOTable (DALI 1.1 §4.2) with the fault's status; the
parts of the URL space whose standard says otherwise declare their document in
:class:`FaultDocuments`: Simple Cone Search (SCS 1.03 §2.3: an error VOTable, HTTP 200),
SODA (SODA 1.0 §5.2: ``text/plain`` starting with an error code) and OAI-PMH (its
``<error code>``, HTTP 200, built by the registry package).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from vo_service.faults import FatalFault, ServiceFault, ThrottledFault
from vo_service.votable.errors import error_votable, fault_text, scs_error_votable

log = logging.getLogger(__name__)

VOTABLE_MEDIA_TYPE = "application/x-votable+xml"


def fault_response(fault: ServiceFault, status_code: int | None = None) -> Response:
    """DALI 1.1 §5.2 error document with the fault's HTTP status."""
    headers = {}
    if isinstance(fault, ThrottledFault):
        headers["Retry-After"] = str(fault.retry_after)
    return Response(
        error_votable(fault),
        status_code=status_code or fault.status_code,
        media_type=VOTABLE_MEDIA_TYPE,
        headers=headers,
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
    headers = {"Retry-After": str(fault.retry_after)} if isinstance(fault, ThrottledFault) else None
    return PlainTextResponse(f"{code}: {fault_text(fault)}\n", status_code=status, headers=headers)


@dataclass(frozen=True)
class FaultDocuments:
    """Which error document each part of the URL space answers with (DALI by default)."""

    #: (path prefix, renderer), longest prefix first.
    renderers: tuple[tuple[str, FaultRenderer], ...] = ()

    @classmethod
    def of(cls, renderers: Mapping[str, FaultRenderer]) -> FaultDocuments:
        return cls(tuple(sorted(renderers.items(), key=lambda item: -len(item[0]))))

    def render(self, path: str, fault: ServiceFault) -> Response:
        for prefix, renderer in self.renderers:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
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


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
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
    "fault_response",
    "handle_fault",
    "handle_http_exception",
    "handle_unexpected",
    "scs_fault_response",
    "soda_fault_response",
]
