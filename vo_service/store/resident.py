"""Positional tables held in memory, for cone searches at index speed.

DuckDB reads whole row groups (about 120,000 rows) even when the HEALPix ranges of a small
cone select a few hundred rows, and every statement pays its planning cost: a 0.1 degree
cone on a million-row table costs about 5 ms there.  A :class:`ResidentTable` is an Arrow
copy of a positional table sorted by ``_hpx``; a cone becomes a binary search of its
HEALPix ranges, an exact distance test on the candidates, then the other predicates and
the access policy as Arrow kernels on those few rows.  The same rules as the SQL path
apply: SQL's three-valued logic (a null comparison selects nothing), the visibility rule
of :meth:`DuckDBStore._visibility_sql`, LIMIT after filtering.

A query the resident copy cannot answer exactly (no cone, a value Arrow cannot compare
with the column) raises :class:`NotResident`, and the store runs it in SQL instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from vo_service.access import PUBLIC_GROUP, Viewer
from vo_service.metadata import TableMeta
from vo_service.spatial import HPX_COLUMN, angular_distance, cone_ranges
from vo_service.store.base import Between, Cone, Equals, IntervalOverlap, Like, Predicate, Query

#: Columns of the access policy on access-controlled tables (declared in resources/).
ACCESS_COLUMNS = ("access_group", "release_date")


class NotResident(Exception):
    """The resident copy cannot answer this query exactly; run it in the database."""


def haversine_within(
    ra: npt.NDArray[np.float64], dec: npt.NDArray[np.float64], cone: Cone
) -> npt.NDArray[np.bool_]:
    """Positions within the cone: the haversine distance of the SQL path."""
    return np.asarray(angular_distance(cone.ra, cone.dec, ra, dec) <= cone.radius, dtype=np.bool_)


def range_rows(hpx: npt.NDArray[np.int64], ranges: Sequence[tuple[int, int]]) -> npt.NDArray[np.int64]:
    """Row numbers of a sorted ``_hpx`` array that fall in the inclusive ``ranges``."""
    bounds = np.asarray(ranges, dtype=np.int64).reshape(-1, 2)
    starts = np.searchsorted(hpx, bounds[:, 0], side="left")
    ends = np.searchsorted(hpx, bounds[:, 1], side="right")
    lengths = np.maximum(ends - starts, 0)
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    # Row k of range j is starts[j] + k: one arange shifted per range, without a Python loop.
    shifts = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.asarray(np.arange(total, dtype=np.int64) + shifts, dtype=np.int64)


def _true_mask(result: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    """SQL WHERE semantics: only TRUE selects (null is not true)."""
    filled = pc.fill_null(result, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)


def _scalar(value: object, kind: pa.DataType) -> pa.Scalar:
    try:
        return pa.scalar(value).cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise NotResident(f"cannot compare {value!r} with {kind}") from exc


@dataclass(frozen=True)
class ResidentTable:
    """An in-memory copy of one positional table, sorted by ``_hpx``."""

    meta: TableMeta
    data: pa.Table
    hpx: npt.NDArray[np.int64]
    ra: npt.NDArray[np.float64]
    dec: npt.NDArray[np.float64]
    #: data version of the database the copy was taken at (see ``DuckDBStore.data_version``).
    version: int

    @classmethod
    def from_arrow(cls, meta: TableMeta, table: pa.Table, version: int) -> ResidentTable:
        """Wrap ``table`` (declared columns plus ``_hpx``, sorted by ``_hpx``)."""
        if meta.spatial is None:
            raise ValueError(f"{meta.name} has no position")
        table = table.combine_chunks()
        hpx = np.asarray(table.column(HPX_COLUMN).to_numpy(), dtype=np.int64)
        if len(hpx) > 1 and np.any(hpx[1:] < hpx[:-1]):
            raise ValueError(f"{meta.name}: rows are not sorted by {HPX_COLUMN}")
        ra = np.asarray(pc.fill_null(table.column(meta.spatial.ra), np.nan).to_numpy(), dtype=np.float64)
        dec = np.asarray(pc.fill_null(table.column(meta.spatial.dec), np.nan).to_numpy(), dtype=np.float64)
        return cls(meta, table.drop_columns([HPX_COLUMN]), hpx, ra, dec, version)

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes + self.hpx.nbytes + self.ra.nbytes + self.dec.nbytes)

    # -- answering ------------------------------------------------------------------------
    def select(self, query: Query, viewer: Viewer, *, batch_size: int, now: datetime | None = None
               ) -> Iterator[pa.RecordBatch]:
        """The rows of ``query`` as ``viewer`` sees them; NotResident if it needs the database."""
        cones = [p for p in query.where if isinstance(p, Cone)]
        if not cones:
            raise NotResident("no cone to index the query by")
        rows = self._cone_rows(cones[0])
        for pred in query.where:
            if pred is not cones[0] and rows.size:
                rows = rows[self._mask(pred, rows)]
        if self.meta.access_controlled and rows.size:
            rows = rows[self._visible(rows, viewer, now or datetime.now(UTC))]
        if query.order_by and rows.size > 1:
            rows = self._ordered(rows, query.order_by)
        if query.limit is not None:
            rows = rows[: max(0, int(query.limit))]
        names = [self.meta.column(name).name for name in query.columns]
        result = self.data.select(names).take(pa.array(rows, pa.int64()))
        return iter(result.to_batches(max_chunksize=batch_size) or [])

    def _cone_rows(self, cone: Cone) -> npt.NDArray[np.int64]:
        rows = range_rows(self.hpx, cone_ranges(cone.ra, cone.dec, cone.radius))
        if rows.size:
            rows = rows[haversine_within(self.ra[rows], self.dec[rows], cone)]
        return rows

    def _column(self, name: str, rows: npt.NDArray[np.int64]) -> pa.Array:
        try:
            column = self.meta.column(name).name
        except KeyError as exc:
            raise NotResident(f"unknown column {name}") from exc
        return self.data.column(column).take(pa.array(rows, pa.int64()))

    def _mask(self, pred: Predicate, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        try:
            if isinstance(pred, Cone):
                return haversine_within(self.ra[rows], self.dec[rows], pred)
            if isinstance(pred, Equals):
                values = self._column(pred.column, rows)
                if not pred.values:
                    return np.zeros(rows.size, dtype=np.bool_)
                wanted = pa.array([_scalar(v, values.type).as_py() for v in pred.values], values.type)
                return _true_mask(pc.is_in(values, value_set=wanted))
            if isinstance(pred, Between):
                values = self._column(pred.column, rows)
                mask = np.ones(rows.size, dtype=np.bool_)
                if pred.low is not None:
                    mask &= _true_mask(pc.greater_equal(values, _scalar(pred.low, values.type)))
                if pred.high is not None:
                    mask &= _true_mask(pc.less_equal(values, _scalar(pred.high, values.type)))
                return mask
            if isinstance(pred, IntervalOverlap):
                mask = np.ones(rows.size, dtype=np.bool_)
                if pred.high is not None:
                    lows = self._column(pred.low_column, rows)
                    mask &= _true_mask(pc.less_equal(lows, _scalar(pred.high, lows.type)))
                if pred.low is not None:
                    highs = self._column(pred.high_column, rows)
                    mask &= _true_mask(pc.greater_equal(highs, _scalar(pred.low, highs.type)))
                return mask
            if isinstance(pred, Like):
                values = self._column(pred.column, rows)
                if not pa.types.is_string(values.type):
                    raise NotResident("LIKE on a non-text column")
                return _true_mask(pc.match_like(values, pred.pattern, ignore_case=pred.case_insensitive))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            raise NotResident(str(exc)) from exc
        raise NotResident(f"unsupported predicate {pred!r}")

    def _visible(self, rows: npt.NDArray[np.int64], viewer: Viewer, now: datetime) -> npt.NDArray[np.bool_]:
        """``access_group IN (public, viewer groups) OR release_date <= now``, as in SQL."""
        groups = self._column(ACCESS_COLUMNS[0], rows)
        released = self._column(ACCESS_COLUMNS[1], rows)
        member = pc.is_in(groups, value_set=pa.array([PUBLIC_GROUP, *sorted(viewer.groups)], groups.type))
        if pa.types.is_timestamp(released.type):
            kind = released.type
            moment = now.astimezone(UTC).replace(tzinfo=None) if kind.tz is None else now
            past = pc.less_equal(released, pa.scalar(moment, kind))
        else:
            raise NotResident("release dates are not timestamps")
        return _true_mask(pc.or_kleene(member, past))

    def _ordered(self, rows: npt.NDArray[np.int64], order_by: Sequence[tuple[str, bool]]) -> npt.NDArray[np.int64]:
        keys = {f"k{i}": self._column(name, rows) for i, (name, _) in enumerate(order_by)}
        sort_keys = [(f"k{i}", "descending" if desc else "ascending") for i, (_, desc) in enumerate(order_by)]
        order = pc.sort_indices(pa.table(keys), sort_keys=sort_keys)
        return rows[np.asarray(order.to_numpy(), dtype=np.int64)]


__all__ = ["ACCESS_COLUMNS", "NotResident", "ResidentTable", "haversine_within", "range_rows"]
