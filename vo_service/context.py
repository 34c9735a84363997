"""The typed service context built once per application by the lifespan.

Handlers read it from ``request.state.ctx``; nothing lives in module globals.  It holds what
every service uses (settings, metadata catalogue, store, light-curve reader, CPU lane) and
the mounted service objects, each of which keeps its own typed runtime
(:mod:`vo_service.services`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TypeVar

from starlette.requests import Request

from vo_service.access import Viewer
from vo_service.concurrency import CpuLane
from vo_service.lightcurves import LightCurveReader
from vo_service.metadata import Catalogue
from vo_service.services import ProtocolService, ServiceLink
from vo_service.settings import Settings
from vo_service.store.base import Store

S = TypeVar("S", bound=ProtocolService)


@dataclass
class ServiceContext:
    """Everything a request handler may need."""

    settings: Settings
    catalogue: Catalogue
    store: Store
    #: reads the time series of an archived light-curve file (the archive's N2 reader).
    light_curves: LightCurveReader
    #: the mounted protocol services, in mount order.
    services: tuple[ProtocolService, ...] = ()
    #: the endpoints of every service, for the landing page.
    links: tuple[ServiceLink, ...] = ()
    #: whether the sky viewer (Aladin Lite) can be served, for the landing page.
    sky_view: bool = False
    started_at: float = field(default_factory=time.time)
    #: worker threads for short CPU-bound answers (cone searches, SSA queries).
    cpu_lane: CpuLane = field(init=False)

    def __post_init__(self) -> None:
        self.cpu_lane = CpuLane(self.settings.limits.cpu_lane_threads)

    def service(self, kind: type[S]) -> S:
        """The mounted service of class ``kind`` (LookupError if none is mounted)."""
        for service in self.services:
            if isinstance(service, kind):
                return service
        raise LookupError(f"no {kind.__name__} is mounted")


def get_context(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.state.ctx
    return ctx


def get_viewer(request: Request) -> Viewer:
    viewer: Viewer = getattr(request.state, "viewer", None) or Viewer()
    return viewer


__all__ = ["ServiceContext", "get_context", "get_viewer"]
