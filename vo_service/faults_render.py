"""The one place where faults become HTTP responses (DALI error documents)."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from vo_service.faults import FatalFault, ServiceFault, ThrottledFault
from vo_service.votable.errors import error_votable

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


async def handle_fault(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceFault)
    return fault_response(exc)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "error"
    return PlainTextResponse(f"{exc.status_code} {detail}: {request.url.path}\n", status_code=exc.status_code,
                             headers=dict(exc.headers or {}))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """Never a traceback on the wire: log it, answer a generic DALI error."""
    log.exception("unhandled error on %s", request.url.path)
    return fault_response(FatalFault("Internal error while processing the request; it has been logged."))


__all__ = ["VOTABLE_MEDIA_TYPE", "fault_response", "handle_fault", "handle_http_exception", "handle_unexpected"]
