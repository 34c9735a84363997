"""The application factory: the only module that knows every protocol package.

``create_app(settings)`` builds everything; the lifespan opens the store and yields the
typed :class:`ServiceContext` that handlers read from ``request.state.ctx``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Mount

import cone.routes as cone_routes
import hips.routes as hips_routes
import registry.routes as registry_routes
import ssa.routes as ssa_routes
import tap.routes as tap_routes
from archive.n2fits import read_series
from vo_service.context import ServiceContext
from vo_service.faults import ServiceFault
from vo_service.faults_render import FaultDocuments, handle_fault, handle_http_exception, handle_unexpected
from vo_service.metadata import load_catalogue
from vo_service.middleware import IdentityMiddleware, RequestHeadLimitMiddleware, RequestLogMiddleware
from vo_service.services import VOSI_KEY
from vo_service.settings import Settings
from vo_service.store.factory import open_store
from vo_service.web import pages

log = logging.getLogger(__name__)


#: Protocol packages and where they are mounted.  Each ``routes`` module exposes
#: ``routes()``, ``services(settings)`` and optional ``startup``/``shutdown``,
#: ``vosi_documents`` and ``ready`` hooks (see :mod:`vo_service.services`), and may state
#: the error documents of its standard by path (``fault_documents(settings)``).
PROTOCOL_MOUNTS: tuple[tuple[str, ModuleType], ...] = (
    ("/tap", tap_routes),
    ("/scs", cone_routes),
    ("/ssa", ssa_routes),
    ("/hips", hips_routes),
    ("/registry", registry_routes),
)


def _protocol_modules() -> list[tuple[str, ModuleType]]:
    return list(PROTOCOL_MOUNTS)


def _routes(modules: list[tuple[str, ModuleType]]) -> list[BaseRoute]:
    mounts: list[BaseRoute] = [Mount(prefix, routes=module.routes()) for prefix, module in modules]
    return [*pages.routes(), *mounts]


def fault_documents(settings: Settings, modules: list[tuple[str, ModuleType]]) -> FaultDocuments:
    """The error document of each protocol's standard, by path (DALI elsewhere)."""
    return FaultDocuments.of({f"{prefix}{path}": renderer for prefix, module in modules
                              if hasattr(module, "fault_documents")
                              for path, renderer in module.fault_documents(settings).items()})


def build_context(settings: Settings) -> ServiceContext:
    """Open the store and everything derived from the metadata (used by the lifespan)."""
    catalogue = load_catalogue()
    store = open_store(settings, catalogue)
    return ServiceContext(settings=settings, catalogue=catalogue, store=store, light_curves=read_series)


def create_app(settings: Settings) -> Starlette:
    """A fully wired ASGI application for ``settings``."""

    modules = _protocol_modules()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        ctx = build_context(settings)
        ctx.extras["services"] = [link for _, module in modules for link in module.services(settings)]
        for _, module in modules:
            startup = getattr(module, "startup", None)
            if startup is not None:
                startup(ctx)
        ctx.extras[VOSI_KEY] = {prefix: module.vosi_documents(ctx) for prefix, module in modules
                                if hasattr(module, "vosi_documents")}
        for _, module in modules:
            ready = getattr(module, "ready", None)
            if ready is not None:
                ready(ctx)
        log.info("service starting", extra={"base_url": settings.base_url, "data_dir": str(settings.data_dir)})
        try:
            yield {"ctx": ctx}
        finally:
            for _, module in modules:
                shutdown = getattr(module, "shutdown", None)
                if shutdown is not None:
                    shutdown(ctx)
            for jobs in ctx.jobs.values():
                jobs.close()
            ctx.store.close()

    documents = fault_documents(settings, modules)
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
        routes=_routes(modules), middleware=middleware, exception_handlers=exception_handlers, lifespan=lifespan
    )
    app.state.fault_documents = documents
    return app


__all__ = ["build_context", "create_app", "fault_documents"]
