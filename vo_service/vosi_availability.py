"""VOSI availability (VOSI 1.1 §3.2), one implementation for every service.

A service is available when the archive database answers a probe on the table it serves;
``upSince`` is the start of the process.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from vo_models.vosi.availability.models import Availability

from vo_service.context import ServiceContext, get_context

XML_MEDIA_TYPE = "text/xml"


def availability_document(available: bool, up_since: datetime, note: str) -> bytes:
    """The VOSI availability document."""
    document = Availability(available=available, up_since=up_since.astimezone(UTC), note=[note])
    xml = document.to_xml(encoding="UTF-8", xml_declaration=True)
    return xml if isinstance(xml, bytes) else xml.encode("utf-8")


def _probe(ctx: ServiceContext, table: str) -> str | None:
    """None when the store answers on ``table``, else the reason it does not."""
    try:
        ctx.store.count(table)
    except Exception as exc:  # any failure of the probe means "not available"
        return str(exc)
    return None


async def availability_response(request: Request, table: str, service_name: str) -> Response:
    """Answer a VOSI availability request for the service reading ``table``."""
    ctx = get_context(request)
    failure = await run_in_threadpool(_probe, ctx, table)
    note = (f"The {service_name} is accepting requests." if failure is None
            else f"The archive database is unavailable: {failure}")
    body = availability_document(failure is None, datetime.fromtimestamp(ctx.started_at, UTC), note)
    return Response(body, media_type=XML_MEDIA_TYPE)


__all__ = ["availability_document", "availability_response"]
