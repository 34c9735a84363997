"""The application factory: the only module that knows every protocol package.

``create_app(settings)`` builds everything: one service object per protocol package
(:class:`~vo_service.services.ProtocolService`), mounted under its prefix.  The lifespan
opens the store, yields the typed :class:`ServiceContext` that handlers read from
``request.state.ctx`` and drives the services' start, VOSI documents, ready and stop.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Mount

from archive.n2fits import read_series
from cone.routes import ConeSearch
from hips.routes import HipsNode
from registry.routes import PublishingRegistry
from ssa.routes import SpectralAccess
from tap.routes import TapService
from vo_service.context import ServiceContext
from vo_service.faults import ServiceFault
from vo_service.faults_render import FaultDocuments, handle_fault, handle_http_exception, handle_unexpected
from vo_service.metadata import load_catalogue
from vo_service.middleware import IdentityMiddleware, RequestHeadLimitMiddleware, RequestLogMiddleware
from vo_service.services import ProtocolService, links_of
from vo_service.settings import Settings
from vo_service.store.factory import open_store
from vo_service.web import pages

log = logging.getLogger(__name__)


def protocol_services() -> list[ProtocolService]:
    """A fresh service object of every protocol package, in mount order."""
    return [TapService(), ConeSearch(), SpectralAccess(), HipsNode(), PublishingRegistry()]


def _routes(services: Sequence[ProtocolService]) -> list[BaseRoute]:
    mounts: list[BaseRoute] = [Mount(service.prefix, routes=service.routes()) for service in services]
    return [*pages.routes(), *mounts]


def fault_documents(settings: Settings, services: Sequence[ProtocolService]) -> FaultDocuments:
    """The error document of each protocol's standard, by path (DALI elsewhere)."""
    return FaultDocuments.of({f"{service.prefix}{path}": renderer for service in services
                              for path, renderer in service.fault_documents(settings).items()},
                             protocols=[service.prefix for service in services if service.routing_errors])


def build_context(settings: Settings, services: Sequence[ProtocolService] = ()) -> ServiceContext:
    """Open the store and everything derived from the metadata (used by the lifespan)."""
    catalogue = load_catalogue()
    store = open_store(settings, catalogue)
    return ServiceContext(settings=settings, catalogue=catalogue, store=store, light_curves=read_series,
                          services=tuple(services), links=links_of(services, settings))


def start_services(ctx: ServiceContext) -> None:
    """Start every service, gather their VOSI documents, then tell them all is ready."""
    for service in ctx.services:
        service.start(ctx)
    documents = {service.prefix: found for service in ctx.services if (found := service.vosi(ctx)) is not None}
    for service in ctx.services:
        service.ready(ctx, documents)


def stop_services(ctx: ServiceContext) -> None:
    """Stop the services in reverse order, then close the store."""
    try:
        for service in reversed(ctx.services):
            service.stop(ctx)
    finally:
        ctx.store.close()


def create_app(settings: Settings) -> Starlette:
    """A fully wired ASGI application for ``settings``."""

    services = protocol_services()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        ctx = build_context(settings, services)
        start_services(ctx)
        log.info("service starting", extra={"base_url": settings.base_url, "data_dir": str(settings.data_dir)})
        try:
            yield {"ctx": ctx}
        finally:
            stop_services(ctx)

    documents = fault_documents(settings, services)
    middleware = [
        Middleware(RequestLogMiddleware),
        Middleware(RequestHeadLimitMiddleware, limit=settings.limits.request_max_head_bytes, render=documents.render),
        Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
                   allow_headers=["*"], expose_headers=["ETag", "Last-Modified", "Content-Length"]),
        Middleware(IdentityMiddleware, users=settings.users),
    ]
    exception_handlers: dict[Any, Any] = {
        ServiceFault: handle_fault,
        HTTPException: handle_http_exception,
        Exception: handle_unexpected,
    }
    app = Starlette(
        routes=_routes(services), middleware=middleware, exception_handlers=exception_handlers, lifespan=lifespan
    )
    app.state.fault_documents = documents
    return app


__all__ = ["build_context", "create_app", "fault_documents", "protocol_services", "start_services", "stop_services"]
