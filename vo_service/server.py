"""The HTTP server of the service: one uvicorn configuration for ``corot-vo serve`` and the tests.

DALI 1.1 §3 lets clients send every parameter by GET, and pyvo and TOPCAT send long ADQL
queries that way at times: request heads (request line and headers) up to
``settings.limits.request_max_head_bytes`` (1 MiB by default) are served.  Requests are
parsed by httptools (llhttp, in C: a fraction of the CPU time of the pure-Python h11 per
request, which is what a cone search at hundreds of requests per second is made of).
llhttp buffers a head without bound, so :class:`VOHttpProtocol` counts the bytes received
while a head is incomplete and refuses the request once they pass the limit;
:class:`~vo_service.middleware.RequestHeadLimitMiddleware` makes the limit exact for the
heads the parser could still read whole.

Beyond the limit the answer is 414 (request line too long) or 431 (headers too large),
carrying the error document of the standard of the requested path (the application's
:class:`~vo_service.faults_render.FaultDocuments`): a DALI error VOTable, an SCS error
VOTable, SODA text or an OAI-PMH error.  The protocol then reads and discards the rest of
the request for a moment before closing, so that the client, still sending, reads the
answer instead of a connection reset.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import unquote

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from vo_service.faults import ServiceFault
from vo_service.faults_render import FaultDocuments
from vo_service.middleware import headers_too_large, uri_too_long
from vo_service.settings import Settings

#: Seconds the refused request's remaining bytes are read (and dropped) before closing.
LINGER_S = 5.0
#: The longest request target httptools parses (longer ones have their query split off).
PARSE_URL_MAX = 65_535
#: Bytes of a head beyond the limit that the HTTP layer lets through: the method, protocol
#: and line ends the application's exact count leaves out (it counts the target and headers).
HEAD_SLACK = 1024


def _requested_path(head: bytes) -> str:
    """The path of a (possibly truncated) request line."""
    line = head.split(b"\r\n", 1)[0]
    target = line.split(b" ")[1] if line.count(b" ") >= 1 else b"/"
    return unquote(target.split(b"?", 1)[0].decode("latin-1")) or "/"


def refusal_fault(head: bytes, limit: int) -> ServiceFault:
    """Why a request whose head exceeds ``limit`` bytes is refused: its URL or its headers."""
    return uri_too_long(limit) if b"\r\n" not in head[: limit + 2] else headers_too_large(limit)


class VOHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head, answering over-long requests
    with standard error documents."""

    documents: ClassVar[FaultDocuments] = FaultDocuments()
    head_limit: ClassVar[int] = 16 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head = bytearray()  # what arrived of the current head, up to the limit
        self._head_bytes = 0
        self._in_body = False
        self._lingering = False

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # the rest of a refused request
        if not self._in_body:
            self._head_bytes += len(data)
            if len(self._head) <= self.head_limit + 2:
                self._head += data[: self.head_limit + 3 - len(self._head)]
            if self._head_bytes > self.head_limit + HEAD_SLACK:
                self._refuse()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_body = True
        self._head = bytearray()
        # httptools.parse_url takes at most 64 KiB: a longer origin-form target is split at
        # its '?' here and the query string set on the scope before the application runs.
        query = None
        if len(self.url) > PARSE_URL_MAX and self.url.startswith(b"/"):
            path, _, query = bytes(self.url).partition(b"?")
            self.url = path
        super().on_headers_complete()
        if query is not None:
            self.scope["query_string"] = query

    def on_message_complete(self) -> None:
        self._in_body = False
        self._head_bytes = 0
        super().on_message_complete()

    def eof_received(self) -> None:
        if self._lingering:
            self.transport.close()

    def _refuse(self) -> None:
        head = bytes(self._head)
        fault = refusal_fault(head, self.head_limit)
        response = self.documents.render(_requested_path(head), fault)
        self.logger.info("refused a request: %s", fault.message)
        headers = [(name, value) for name, value in response.raw_headers
                   if name.lower() not in (b"content-length", b"connection")]
        headers += [(b"content-length", str(len(response.body)).encode()), (b"connection", b"close")]
        lines = [STATUS_LINE[fault.status_code], *(name + b": " + value + b"\r\n" for name, value in headers), b"\r\n"]
        self.transport.write(b"".join(lines) + bytes(response.body))
        self._lingering = True
        self._head = bytearray()
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
    )


__all__ = ["HEAD_SLACK", "LINGER_S", "VOHttpProtocol", "protocol_class", "refusal_fault", "uvicorn_config"]
