"""The one store interface every protocol package talks to.

Protocol code describes what it wants either as a structured :class:`Query` (SCS, SSA,
DataLink, the archive pages) or, for TAP, as SQL produced by the ADQL translator for the
store's :attr:`Store.dialect`.  Either way results come back as a stream of Arrow record
batches, so no response path has to hold a whole result in memory.

Access control is part of the interface: every call takes the :class:`Viewer`, and the
store applies :mod:`vo_service.access` rules to access-controlled tables itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa

from vo_service.access import Viewer
from vo_service.metadata import Catalogue, TableMeta


class StoreError(Exception):
    """A query the backend could not run (bad SQL, type error...): a usage problem."""


class ArchiveInUse(StoreError):
    """Another process holds the archive database open for writing (embedded stores)."""

    def __init__(self, path: str, pid: int | None) -> None:
        holder = f"process {pid}" if pid is not None else "another process"
        super().__init__(f"the archive {path} is in use by {holder}")
        self.path = path
        self.pid = pid


class QueryTimeout(StoreError):
    """The query ran past its execution-time limit and was interrupted."""


@dataclass(frozen=True)
class Cone:
    """Positions within ``radius`` degrees of (ra, dec), ICRS; uses the HEALPix index."""

    ra: float
    dec: float
    radius: float


@dataclass(frozen=True)
class Between:
    """``low <= column <= high``; either bound may be None (open)."""

    column: str
    low: Any = None
    high: Any = None


@dataclass(frozen=True)
class Equals:
    """``column IN values`` (a single value is a one-element tuple)."""

    column: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class IntervalOverlap:
    """Rows whose interval [low_column, high_column] overlaps [low, high] (None = open)."""

    low_column: str
    high_column: str
    low: Any = None
    high: Any = None


@dataclass(frozen=True)
class Like:
    """SQL LIKE pattern match (``%`` and ``_``), optionally case-insensitive."""

    column: str
    pattern: str
    case_insensitive: bool = True


Predicate = Cone | Between | Equals | IntervalOverlap | Like


@dataclass(frozen=True)
class Query:
    """A structured, dialect-free query over one declared table."""

    table: str
    columns: tuple[str, ...]
    where: tuple[Predicate, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    limit: int | None = None


class Interruptible(Protocol):
    """A running statement that can be stopped from another thread (a cancelled UWS job)."""

    def interrupt(self) -> None: ...


@runtime_checkable
class Store(Protocol):
    """What every backend offers (DuckDB embedded by default; PostgreSQL+pgSphere later)."""

    #: SQL dialect name, used by the ADQL translator to pick its output dialect.
    dialect: str
    #: The metadata catalogue the backend materialises.
    catalogue: Catalogue

    def select(
        self, query: Query, viewer: Viewer, *, batch_size: int = 10_000, timeout: float | None = None
    ) -> Iterator[pa.RecordBatch]:
        """Run a structured query, applying the access policy; stream the rows."""
        ...

    def stream_sql(
        self,
        sql: str,
        params: Sequence[Any] = (),
        *,
        batch_size: int = 10_000,
        timeout: float | None = None,
        uploads: dict[str, pa.Table] | None = None,
        on_cursor: Callable[[Interruptible], object] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """Run dialect SQL (from a translator) with bound parameters; stream the rows.

        ``uploads`` are registered as temporary relations named ``tap_upload_<name>``
        for the duration of the query (TAP 1.1 §2.5.2); ``on_cursor`` receives the running
        statement before it starts, so that a cancelled job can interrupt it.
        """
        ...

    def relation_sql(self, table: TableMeta, viewer: Viewer) -> str:
        """SQL text of the relation a translator must read for ``table`` as ``viewer``.

        For access-controlled tables this is a filtered relation, so that nothing outside
        the policy is reachable from ADQL.
        """
        ...

    @property
    def data_version(self) -> int:
        """A number that changes whenever a write commits: what cached results are keyed by."""
        ...

    def preload(self, table: str) -> bool:
        """Prepare ``table`` for latency-sensitive cone queries (the embedded store holds
        tables up to ``Limits.resident_rows`` in memory); True if it did."""
        ...

    def count(self, table: str, viewer: Viewer | None = None) -> int:
        """Number of rows of a declared table (visible to ``viewer`` when given)."""
        ...

    def product_file(self, product_id: str, viewer: Viewer) -> dict[str, Any] | None:
        """The lightcurves row (including the internal ``file_path``) if visible, else None."""
        ...

    def replace_table(self, name: str, table: pa.Table) -> None:
        """(Re)create a derived table (TAP_SCHEMA.*) from Arrow data, in one transaction."""
        ...

    def transaction(self) -> AbstractContextManager[Any]:
        """An all-or-nothing write scope used by the ingester."""
        ...

    def close(self) -> None: ...


def declared_tables(catalogue: Catalogue) -> list[TableMeta]:
    """Tables a backend must materialise (everything but TAP_SCHEMA and views)."""
    return [t for t in catalogue.tables() if t.type == "table" and t.schema_name.lower() != "tap_schema"]


def archive_empty(store: Store) -> bool:
    """True when the archive holds no targets, light curves or datasets (for anyone)."""
    return all(store.count(t) == 0 for t in ("corot.targets", "corot.lightcurves", "corot.datasets"))


__all__ = [
    "ArchiveInUse",
    "Between",
    "Cone",
    "Equals",
    "Interruptible",
    "IntervalOverlap",
    "Like",
    "Predicate",
    "Query",
    "QueryTimeout",
    "Store",
    "StoreError",
    "archive_empty",
    "declared_tables",
]
