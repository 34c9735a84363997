"""What every protocol package tells the core about itself.

A protocol package exposes ``routes() -> list[BaseRoute]`` (mounted by ``vo_service.app``
under its prefix) and ``services(settings) -> list[ServiceLink]`` (listed on the landing
page and, later, in registry records).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceLink:
    """A service endpoint as users and registries see it."""

    title: str
    standard: str  # human name, e.g. "TAP 1.1"
    standard_id: str  # e.g. ivo://ivoa.net/std/TAP
    url: str


__all__ = ["ServiceLink"]
