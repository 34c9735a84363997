"""What the running TAP service holds, built at start-up by :class:`tap.routes.TapService`."""

from __future__ import annotations

from dataclasses import dataclass

from tap.execution import PlanCache
from tap.throttle import QueryGate
from vo_service.uws import JobService


@dataclass
class TapRuntime:
    """The query gate (``limits.max_concurrent_queries``), the plan cache and the UWS job
    service of the asynchronous queries (TAP 1.1 §2.2)."""

    gate: QueryGate
    plans: PlanCache
    jobs: JobService


__all__ = ["TapRuntime"]
