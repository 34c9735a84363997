"""Open the configured store (one place, used by the app and the CLI)."""

from __future__ import annotations

from vo_service.metadata import Catalogue, load_catalogue
from vo_service.settings import Settings
from vo_service.store.base import StoreError
from vo_service.store.duckdb_store import DuckDBStore
from vo_service.store.duckdb_views import view_definitions


def open_store(settings: Settings, catalogue: Catalogue | None = None) -> DuckDBStore:
    """The embedded DuckDB store of ``settings.data_dir``, with its views.

    Raises :class:`StoreError` (one line) when the directory cannot be created and
    :class:`~vo_service.store.base.ArchiveInUse` when another process holds the archive.
    """
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"data directory {settings.data_dir}: cannot create it: {exc.strerror or exc}") from None
    return DuckDBStore(settings.database_path, catalogue or load_catalogue(), views=view_definitions(settings),
                       resident_rows=settings.limits.resident_rows)


__all__ = ["open_store"]
