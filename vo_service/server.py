"""The HTTP server of the service: one uvicorn configuration for ``corot-vo serve`` and the tests.

DALI 1.1 §3 lets clients send every parameter by GET, and pyvo and TOPCAT send long ADQL
queries that way at times.  The request line and headers are read by h11, which buffers at
most ``h11_max_incomplete_event_size`` bytes of them (16 KiB by default); the service sets
it to ``settings.limits.request_max_head_bytes`` (1 MiB by default), so such GET requests
are served.  h11 checks its buffer only while a head is incomplete, so the application
(:class:`~vo_service.middleware.RequestHeadLimitMiddleware`) makes the limit exact.

Beyond the limit h11 refuses the request before the application sees it, and uvicorn would
answer a bare ``400 Invalid HTTP request received.``.  :class:`VOHttpProtocol` answers
instead with 414 (request line too long) or 431 (headers too large), carrying the error
document of the standard of the requested path (the application's
:class:`~vo_service.faults_render.FaultDocuments`): a DALI error VOTable, an SCS error
VOTable, SODA text or an OAI-PMH error.  It then reads and discards the rest of the request
for a moment before closing, so that the client, still sending, reads the answer instead
of a connection reset.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import unquote

import h11
import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

from vo_service.faults import ServiceFault
from vo_service.faults_render import FaultDocuments
from vo_service.middleware import headers_too_large, uri_too_long
from vo_service.settings import Settings

#: Seconds the refused request's remaining bytes are read (and dropped) before closing.
LINGER_S = 5.0


class _Connection(h11.Connection):
    """h11's server connection, remembering why it refused the client's data."""

    refusal: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.refusal = exc
            raise


def _requested_path(head: bytes) -> str:
    """The path of a (possibly truncated) request line."""
    line = head.split(b"\r\n", 1)[0]
    target = line.split(b" ")[1] if line.count(b" ") >= 1 else b"/"
    return unquote(target.split(b"?", 1)[0].decode("latin-1")) or "/"


def refusal_fault(head: bytes, limit: int) -> ServiceFault:
    """Why a request whose head exceeds ``limit`` bytes is refused: its URL or its headers."""
    return uri_too_long(limit) if b"\r\n" not in head[: limit + 2] else headers_too_large(limit)


class VOHttpProtocol(H11Protocol):
    """uvicorn's h11 protocol, answering over-long requests with standard error documents."""

    documents: ClassVar[FaultDocuments] = FaultDocuments()
    head_limit: ClassVar[int] = 16 * 1024  # h11's default

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _Connection(h11.SERVER, max_incomplete_event_size=self.head_limit)
        self._lingering = False

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # the rest of a refused request
        super().data_received(data)

    def eof_received(self) -> None:
        if self._lingering:
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        refusal = self.conn.refusal if isinstance(self.conn, _Connection) else None
        if refusal is None or refusal.error_status_hint != 431:
            super().send_400_response(msg)
            return
        head, _ = self.conn.trailing_data
        fault = refusal_fault(head, self.head_limit)
        response = self.documents.render(_requested_path(head), fault)
        self.logger.info("refused a request: %s", fault.message)
        headers = [(name, value) for name, value in response.raw_headers
                   if name.lower() not in (b"content-length", b"connection")]
        headers += [(b"content-length", str(len(response.body)).encode()), (b"connection", b"close")]
        self.transport.write(self.conn.send(h11.Response(status_code=fault.status_code, headers=headers)) or b"")
        self.transport.write(self.conn.send(h11.Data(data=bytes(response.body))) or b"")
        self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
        self._lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)


def protocol_class(documents: FaultDocuments, head_limit: int) -> type[VOHttpProtocol]:
    """The protocol class for one application and its limit."""
    return type("ServiceHttpProtocol", (VOHttpProtocol,), {"documents": documents, "head_limit": head_limit})


def uvicorn_config(app: Starlette, settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    """The uvicorn configuration serving ``app`` (built by ``create_app(settings)``)."""
    documents = getattr(app.state, "fault_documents", None)
    limit = settings.limits.request_max_head_bytes
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        http=protocol_class(documents if isinstance(documents, FaultDocuments) else FaultDocuments(), limit),
        h11_max_incomplete_event_size=limit,
    )


__all__ = ["LINGER_S", "VOHttpProtocol", "protocol_class", "refusal_fault", "uvicorn_config"]
