"""ASGI middleware: request logging with ids, and identity (the access layer's viewer)."""

from __future__ import annotations

import base64
import binascii
import hmac
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vo_service.access import Viewer
from vo_service.faults import HeadersTooLargeFault, ServiceFault, UriTooLongFault

access_log = structlog.get_logger("corot_vo.access")


class RequestLogMiddleware:
    """One structured line per request: id, method, path, status, bytes, duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:12]
        started = time.perf_counter()
        status = 500
        size = 0

        async def send_wrapper(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            access_log.info(
                "request",
                request_id=request_id,
                method=scope.get("method"),
                path=scope.get("path"),
                query=scope.get("query_string", b"").decode("latin-1")[:300],
                status=status,
                bytes=size,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )


class RequestHeadLimitMiddleware:
    """Requests whose URL or headers exceed ``limit`` bytes get 414 or 431 with the error
    document of the path's standard.

    The HTTP layer (:mod:`vo_service.server`) refuses heads far beyond the limit before
    they are read whole; this makes the limit exact for those it could still read.
    """

    def __init__(self, app: ASGIApp, limit: int, render: Callable[[str, ServiceFault], Response]) -> None:
        self.app = app
        self.limit = limit
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            fault = self._refusal(scope)
            if fault is not None:
                response = self.render(scope["path"], fault)
                response.status_code = fault.status_code
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> ServiceFault | None:
        target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
        if target > self.limit:
            return uri_too_long(self.limit)
        if target + sum(len(name) + len(value) + 4 for name, value in scope["headers"]) > self.limit:
            return headers_too_large(self.limit)
        return None


def uri_too_long(limit: int) -> ServiceFault:
    return UriTooLongFault(f"The request URL exceeds the limit of {limit} bytes of this service",
                           hint="send long parameters (an ADQL query, a list of IDs) by HTTP POST instead of GET")


def headers_too_large(limit: int) -> ServiceFault:
    return HeadersTooLargeFault(f"The request headers exceed the limit of {limit} bytes of this service")


class IdentityMiddleware:
    """Resolve ``Authorization`` (Bearer token or HTTP Basic) to a :class:`Viewer`.

    Users come from the settings (``users.<name>.token`` / ``password`` / ``groups``).
    Anonymous requests get the anonymous viewer; bad credentials get a 401.
    """

    def __init__(self, app: ASGIApp, users: Mapping[str, Mapping[str, Any]]) -> None:
        self.app = app
        self.users = users

    def _viewer(self, header: str | None) -> Viewer | None:
        if not header:
            return Viewer()
        scheme, _, value = header.partition(" ")
        for name, spec in self.users.items():
            groups = frozenset(str(g) for g in spec.get("groups", []))
            if scheme.lower() == "bearer" and spec.get("token"):
                if hmac.compare_digest(value.strip().encode(), str(spec["token"]).encode()):
                    return Viewer(user=name, groups=groups)
            elif scheme.lower() == "basic" and spec.get("password"):
                try:
                    user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
                except (binascii.Error, UnicodeDecodeError):
                    return None
                if user == name and hmac.compare_digest(password.encode(), str(spec["password"]).encode()):
                    return Viewer(user=name, groups=groups)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        viewer = self._viewer(Headers(scope=scope).get("authorization"))
        if viewer is None:
            body = b"Invalid credentials: check the user name and token/password."
            await send({
                "type": "http.response.start",
                "status": 401,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"www-authenticate", b'Basic realm="CoRoT VO"')],
            })
            await send({"type": "http.response.body", "body": body})
            return
        scope.setdefault("state", {})["viewer"] = viewer
        await self.app(scope, receive, send)


__all__ = [
    "IdentityMiddleware",
    "RequestHeadLimitMiddleware",
    "RequestLogMiddleware",
    "headers_too_large",
    "uri_too_long",
]
