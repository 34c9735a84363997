"""The typed service context built once per application by the lifespan.

Handlers read it from ``request.state.ctx``; nothing lives in module globals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from vo_service.access import Viewer
from vo_service.concurrency import CpuLane
from vo_service.lightcurves import LightCurveReader
from vo_service.metadata import Catalogue
from vo_service.settings import Settings
from vo_service.store.duckdb_store import DuckDBStore

if TYPE_CHECKING:
    from vo_service.uws.service import JobService


@dataclass
class ServiceContext:
    """Everything a request handler may need."""

    settings: Settings
    catalogue: Catalogue
    store: DuckDBStore
    #: reads the time series of an archived light-curve file (the archive's N2 reader).
    light_curves: LightCurveReader
    jobs: dict[str, JobService] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    extras: dict[str, Any] = field(default_factory=dict)
    #: worker threads for short CPU-bound answers (cone searches, SSA queries).
    cpu_lane: CpuLane = field(init=False)

    def __post_init__(self) -> None:
        self.cpu_lane = CpuLane(self.settings.limits.cpu_lane_threads)


def get_context(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.state.ctx
    return ctx


def get_viewer(request: Request) -> Viewer:
    viewer: Viewer = getattr(request.state, "viewer", None) or Viewer()
    return viewer


__all__ = ["ServiceContext", "get_context", "get_viewer"]
