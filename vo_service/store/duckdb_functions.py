"""Scalar functions the ADQL translator needs beyond DuckDB's own, as vectorised Python UDFs.

ADQL geometry (ADQL 2.1 §4.2) that plain SQL cannot express well — point-in-polygon, the
relations between circles and polygons, polygon areas and centroids, the ``BOX`` corners,
STC-S regions — and the catalogue UDFs of the IVOA UDF catalogue that need a library
(HEALPix, word matching, histograms).  Each function takes and returns Arrow arrays (DuckDB
``type="arrow"`` UDFs); the geometry itself is :mod:`vo_service.spatial`, pure numpy.

Geometry values are DuckDB ``DOUBLE[]`` lists in DALI order: a point is ``[ra, dec]``, a
circle ``[ra, dec, radius]``, a polygon ``[ra1, dec1, ra2, dec2, ...]``, all in degrees.

Every function name carries the ``corot_`` prefix so that nothing here can shadow or be
confused with a DuckDB built-in; the translator is the only caller.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from duckdb import sqltypes as t
from duckdb.func import FunctionNullHandling, PythonUDFType

from vo_service.spatial import (
    MAX_HEALPIX_ORDER,
    GeometryError,
    box_polygon,
    geometry_relation,
    healpix_centres,
    healpix_index,
    points_in_polygons,
    polygon_area,
    polygon_centroid,
    polygon_vertices,
    stcs_shape,
    unit_vectors,
    within_hemisphere,
)
from vo_service.spatial.sphere import quiet as _quiet

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


# -- text and statistics --------------------------------------------------------------------
_WORD = re.compile(r"[a-z0-9]+")


def has_word(haystack: str, needle: str) -> bool:
    """ivo_hasword: every word of ``needle`` occurs as a word of ``haystack`` (ASCII, any case)."""
    words = set(_WORD.findall(haystack.lower()))
    wanted = _WORD.findall(needle.lower())
    return bool(wanted) and all(word in words for word in wanted)


@_quiet
def histogram(values: npt.ArrayLike, lower: float, upper: float, nbins: int) -> list[int]:
    """ivo_histogram: underflow, ``nbins`` equal bins over [lower, upper), overflow (NULL is underflow)."""
    data = np.asarray(values, dtype=np.float64)
    counts = np.zeros(nbins + 2, dtype=np.int64)
    if nbins <= 0 or not upper > lower:
        return [int(c) for c in counts]
    valid = ~np.isnan(data)
    counts[0] += int(np.count_nonzero(~valid))
    data = data[valid]
    index = np.floor((data - lower) / (upper - lower) * nbins).astype(np.int64) + 1
    index = np.clip(index, 0, nbins + 1)
    counts += np.bincount(index, minlength=nbins + 2)
    return [int(c) for c in counts]


# -- Arrow adapters ---------------------------------------------------------------------------
# All functions are registered with null_handling="special": they receive NULLs and return
# NULL themselves, also for inputs they cannot handle (an order beyond 29, a polygon beyond a
# hemisphere), which DuckDB's default null handling would refuse.
def _nulls(*arrays: Any) -> BoolArray:
    mask = np.zeros(len(arrays[0]), dtype=bool)
    for array in arrays:
        mask |= np.asarray(pa.array(array).is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return mask


def _floats(array: Any) -> FloatArray:
    return np.asarray(pa.array(array).to_numpy(zero_copy_only=False), dtype=np.float64)


def _integers(array: Any) -> npt.NDArray[np.int64]:
    return np.asarray(pa.array(array).fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _lists(array: Any) -> list[list[float] | None]:
    return [None if row is None or any(v is None for v in row) else row for row in array.to_pylist()]


def _per_row(compute: Callable[..., Any], result_type: pa.DataType, *columns: Any) -> pa.Array:
    """Apply ``compute`` row by row; NULL parts, or shapes it cannot handle, give NULL."""
    rows = [col.to_pylist() for col in columns]
    out: list[Any] = []
    for values in zip(*rows, strict=True):
        if any(v is None or (isinstance(v, list) and any(x is None for x in v)) for v in values):
            out.append(None)
            continue
        try:
            out.append(compute(*values))
        except (GeometryError, ValueError, IndexError, ZeroDivisionError):
            out.append(None)
    return pa.array(out, type=result_type)


@_quiet
def _udf_polygon_contains(polygons: Any, ra: Any, dec: Any) -> pa.Array:
    flat_lists = _lists(polygons)
    ra_values, dec_values = _floats(ra), _floats(dec)
    result = np.zeros(len(flat_lists), dtype=bool)
    valid = np.array([p is not None and len(p) >= 6 and len(p) % 2 == 0 for p in flat_lists], dtype=bool)
    # Group rows by polygon so that a constant polygon is one vectorised test.
    groups: dict[tuple[float, ...], list[int]] = {}
    for index, flat in enumerate(flat_lists):
        if valid[index] and flat is not None:
            groups.setdefault(tuple(flat), []).append(index)
    too_large = np.zeros(len(flat_lists), dtype=bool)
    for polygon, indices in groups.items():
        rows = np.asarray(indices)
        vertices = polygon_vertices(polygon)
        if not within_hemisphere(vertices):
            too_large[rows] = True
            continue
        points = unit_vectors(ra_values[rows], dec_values[rows])
        result[rows] = points_in_polygons(vertices[None], points)
    mask = ~valid | too_large | np.isnan(ra_values) | np.isnan(dec_values)
    return pa.array(result, mask=mask)


@_quiet
def _udf_box(ra: Any, dec: Any, width: Any, height: Any) -> pa.Array:
    corners = box_polygon(_floats(ra), _floats(dec), _floats(width), _floats(height))
    mask = _nulls(ra, dec, width, height)
    return pa.array(
        [None if missing else row for row, missing in zip(corners.tolist(), mask.tolist(), strict=True)],
        type=pa.list_(pa.float64()),
    )


def _udf_relation(relation: str) -> Callable[..., pa.Array]:
    def apply(kind_a: Any, a: Any, kind_b: Any, b: Any) -> pa.Array:
        return _per_row(
            lambda ka, va, kb, vb: geometry_relation(relation, ka, va, kb, vb), pa.bool_(), kind_a, a, kind_b, b
        )

    return apply


@_quiet
def _udf_polygon_area(polygons: Any) -> pa.Array:
    return _per_row(polygon_area, pa.float64(), polygons)


@_quiet
def _udf_polygon_centroid(polygons: Any) -> pa.Array:
    return _per_row(lambda p: list(polygon_centroid(p)), pa.list_(pa.float64()), polygons)


@_quiet
def _udf_healpix_index(order: Any, ra: Any, dec: Any) -> pa.Array:
    orders = _integers(order)
    ra_values, dec_values = _floats(ra), _floats(dec)
    result = np.zeros(len(orders), dtype=np.int64)
    bad = (orders < 0) | (orders > MAX_HEALPIX_ORDER) | ~np.isfinite(ra_values) | ~np.isfinite(dec_values)
    bad |= np.abs(np.nan_to_num(dec_values)) > 90
    for value in np.unique(orders[~bad]):
        rows = np.flatnonzero((orders == value) & ~bad)
        result[rows] = healpix_index(ra_values[rows], dec_values[rows], int(value))
    return pa.array(result, mask=bad)


@_quiet
def _udf_healpix_center(order: Any, index: Any) -> pa.Array:
    orders = _integers(order)
    indices = _integers(index)
    bad = (orders < 0) | (orders > MAX_HEALPIX_ORDER) | (indices < 0)
    limits = 12 * np.left_shift(np.int64(1), 2 * np.clip(orders, 0, MAX_HEALPIX_ORDER))
    bad |= indices >= limits
    out: list[list[float] | None] = [None] * len(orders)
    for value in np.unique(orders[~bad]):
        rows = np.flatnonzero((orders == value) & ~bad)
        lon_deg, lat_deg = healpix_centres(indices[rows], int(value))
        for row, a, d in zip(rows.tolist(), lon_deg.tolist(), lat_deg.tolist(), strict=True):
            out[row] = [a, d]
    return pa.array(out, type=pa.list_(pa.float64()))


def _stcs_or_none(text: str) -> tuple[str, list[float]] | None:
    try:
        return stcs_shape(text)
    except GeometryError:
        return None


def _udf_stcs_kind(regions: Any) -> pa.Array:
    shapes = [None if text is None else _stcs_or_none(text) for text in regions.to_pylist()]
    return pa.array([None if s is None else s[0] for s in shapes], type=pa.string())


def _udf_stcs_values(regions: Any) -> pa.Array:
    shapes = [None if text is None else _stcs_or_none(text) for text in regions.to_pylist()]
    return pa.array([None if s is None else s[1] for s in shapes], type=pa.list_(pa.float64()))


def _udf_hasword(haystack: Any, needle: Any) -> pa.Array:
    return _per_row(lambda h, w: int(has_word(h, w)), pa.int32(), haystack, needle)


@_quiet
def _udf_histogram(values: Any, lower: Any, upper: Any, nbins: Any) -> pa.Array:
    out: list[list[int] | None] = []
    for row, low, high, bins in zip(
        values.to_pylist(), lower.to_pylist(), upper.to_pylist(), nbins.to_pylist(), strict=True
    ):
        if low is None or high is None or bins is None or not 0 <= bins <= 100_000:
            out.append(None)
            continue
        data = [np.nan if v is None else v for v in (row or [])]
        out.append(histogram(data, float(low), float(high), int(bins)))
    return pa.array(out, type=pa.list_(pa.int64()))


def register_functions(conn: duckdb.DuckDBPyConnection) -> None:
    """Register every ``corot_*`` function on ``conn`` (idempotent per connection)."""
    doubles = duckdb.list_type(t.DOUBLE)
    bigints = duckdb.list_type(t.BIGINT)
    definitions: list[tuple[str, Callable[..., pa.Array], list[Any], Any]] = [
        ("corot_polygon_contains", _udf_polygon_contains, [doubles, t.DOUBLE, t.DOUBLE], t.BOOLEAN),
        ("corot_box", _udf_box, [t.DOUBLE, t.DOUBLE, t.DOUBLE, t.DOUBLE], doubles),
        ("corot_geom_contains", _udf_relation("contains"), [t.VARCHAR, doubles, t.VARCHAR, doubles], t.BOOLEAN),
        ("corot_geom_intersects", _udf_relation("intersects"), [t.VARCHAR, doubles, t.VARCHAR, doubles], t.BOOLEAN),
        ("corot_polygon_area", _udf_polygon_area, [doubles], t.DOUBLE),
        ("corot_polygon_centroid", _udf_polygon_centroid, [doubles], doubles),
        ("corot_healpix_index", _udf_healpix_index, [t.INTEGER, t.DOUBLE, t.DOUBLE], t.BIGINT),
        ("corot_healpix_center", _udf_healpix_center, [t.INTEGER, t.BIGINT], doubles),
        ("corot_hasword", _udf_hasword, [t.VARCHAR, t.VARCHAR], t.INTEGER),
        ("corot_stcs_kind", _udf_stcs_kind, [t.VARCHAR], t.VARCHAR),
        ("corot_stcs_values", _udf_stcs_values, [t.VARCHAR], doubles),
        ("corot_histogram", _udf_histogram, [doubles, t.DOUBLE, t.DOUBLE, t.INTEGER], bigints),
    ]
    for name, function, parameters, return_type in definitions:
        with contextlib.suppress(duckdb.InvalidInputException, duckdb.CatalogException):
            conn.remove_function(name)
        conn.create_function(
            name,
            function,
            parameters,
            return_type,
            type=PythonUDFType.ARROW,
            null_handling=FunctionNullHandling.SPECIAL,
        )


__all__ = ["has_word", "histogram", "register_functions"]
