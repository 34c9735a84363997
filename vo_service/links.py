"""Public URLs by which one service package links to another's resources.

Service packages never import each other (the design's one-way arrows); a link across
packages — a DataLink ``access_url`` in a TAP or ObsCore row, a DataLink service descriptor
in a cone-search answer — is a URL the core resolves from ``settings.base_url``, stated here
once.  The package serving the resource mounts its route from the same statement.
"""

from __future__ import annotations

from vo_service.settings import Settings

#: Path of the DataLink {links} endpoint of the CoRoT products (DataLink 1.1 §2.1), under base_url.
DATALINK_PATH = "/ssa/datalink"


def datalink_url(settings: Settings) -> str:
    """Absolute URL of the DataLink {links} endpoint; its ``ID`` parameter takes a publisher DID."""
    return f"{settings.base_url}{DATALINK_PATH}"


__all__ = ["DATALINK_PATH", "datalink_url"]
