"""What every protocol package tells the core about itself.

A protocol package exposes ``routes() -> list[BaseRoute]`` (mounted by ``vo_service.app``
under its prefix) and ``services(settings) -> list[ServiceLink]`` (listed on the landing
page), and may expose the hooks ``startup(ctx)``/``shutdown(ctx)``,
``vosi_documents(ctx) -> VosiDocuments`` (what the service says about itself, copied into
its registry records) and ``ready(ctx)`` (run once every service has started and stated
its VOSI documents, which the app keeps in ``ctx.extras[VOSI_KEY]`` by mount point).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vo_models.voresource.models import Capability

from vo_service.vo_models_ext import TableSet

#: ``ctx.extras`` key of the VOSI documents of the mounted services, by mount point.
VOSI_KEY = "vosi"


@dataclass(frozen=True)
class VosiDocuments:
    """A service's capabilities and, when it has one, its table set: the models of its VOSI
    capabilities and tables documents."""

    capabilities: Sequence[Capability]
    tables: TableSet | None = None


@dataclass(frozen=True)
class ServiceLink:
    """A service endpoint as users and registries see it."""

    title: str
    standard: str  # human name, e.g. "TAP 1.1"
    standard_id: str  # e.g. ivo://ivoa.net/std/TAP
    url: str


__all__ = ["VOSI_KEY", "ServiceLink", "VosiDocuments"]
