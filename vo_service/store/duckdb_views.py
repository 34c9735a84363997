"""Views the DuckDB store defines over the archive tables (ObsCore and friends).

They depend on the settings (access URLs and publisher DIDs carry the base URL and the
IVOA authority), so they are (re)created each time the store is opened.
"""

from __future__ import annotations

from vo_service.settings import Settings


def view_definitions(settings: Settings) -> dict[str, str]:
    """Qualified view name → SELECT statement."""
    return {}


__all__ = ["view_definitions"]
