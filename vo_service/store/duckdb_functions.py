"""Scalar functions the ADQL translator needs beyond DuckDB's own, as vectorised Python UDFs.

ADQL geometry (ADQL 2.1 §4.2) that plain SQL cannot express well — point-in-polygon, the
relations between circles and polygons, polygon areas and centroids, the ``BOX`` corners —
and the catalogue UDFs of the IVOA UDF catalogue that need a library (HEALPix, word
matching, histograms).  Each function takes and returns Arrow arrays (DuckDB
``type="arrow"`` UDFs) and computes with numpy over whole batches.

Geometry values are DuckDB ``DOUBLE[]`` lists in DALI order: a point is ``[ra, dec]``, a
circle ``[ra, dec, radius]``, a polygon ``[ra1, dec1, ra2, dec2, ...]``, all in degrees.
Polygon edges are great-circle arcs (DALI 1.1 §3.3.6); the polygon is the region on the
side of its centre, which limits polygons to less than a hemisphere.

Every function name carries the ``corot_`` prefix so that nothing here can shadow or be
confused with a DuckDB built-in; the translator is the only caller.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from astropy import units as u
from astropy.coordinates import Latitude, Longitude
from cdshealpix import nested
from duckdb import sqltypes as t
from duckdb.func import FunctionNullHandling, PythonUDFType

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Largest HEALPix order the ivo_healpix_* functions accept (cdshealpix limit).
MAX_HEALPIX_ORDER = 29


class GeometryError(ValueError):
    """A geometry the functions here cannot handle (e.g. a polygon beyond a hemisphere)."""


_F = TypeVar("_F", bound=Callable[..., Any])


def _quiet(function: _F) -> _F:
    """Run with numpy floating-point warnings off: NaN/inf inputs give NaN/NULL results."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# -- vector helpers --------------------------------------------------------------------------
@_quiet
def unit_vectors(ra: npt.ArrayLike, dec: npt.ArrayLike) -> FloatArray:
    """Cartesian unit vectors (..., 3) of positions in degrees."""
    ra_r = np.radians(np.asarray(ra, dtype=np.float64))
    dec_r = np.radians(np.asarray(dec, dtype=np.float64))
    cos_dec = np.cos(dec_r)
    return np.stack([cos_dec * np.cos(ra_r), cos_dec * np.sin(ra_r), np.sin(dec_r)], axis=-1)


@_quiet
def to_radec(vectors: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Positions in degrees (ra in [0, 360)) of (..., 3) vectors (need not be normalised)."""
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    ra = np.asarray(np.mod(np.degrees(np.arctan2(y, x)), 360.0), dtype=np.float64)
    dec = np.asarray(np.degrees(np.arctan2(z, np.hypot(x, y))), dtype=np.float64)
    return ra, dec


def _normalise(vectors: FloatArray) -> FloatArray:
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(vectors / norm, dtype=np.float64)


@_quiet
def angular_separation(a: FloatArray, b: FloatArray) -> FloatArray:
    """Great-circle distance in radians between unit vectors (stable at all separations)."""
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    dot = np.sum(a * b, axis=-1)
    return np.asarray(np.arctan2(cross, dot), dtype=np.float64)


def _tangent_basis(centre: FloatArray) -> tuple[FloatArray, FloatArray]:
    """East and north unit vectors at (..., 3) unit vectors ``centre``."""
    pole = np.zeros_like(centre)
    pole[..., 2] = 1.0
    east = np.cross(pole, centre)
    near_pole = np.linalg.norm(east, axis=-1) < 1e-12
    if np.any(near_pole):
        east[near_pole] = np.array([0.0, 1.0, 0.0])
    east = _normalise(east)
    north = np.cross(centre, east)
    return east, north


# -- polygons ------------------------------------------------------------------------------
def polygon_vertices(flat: Sequence[float] | FloatArray) -> FloatArray:
    """(K, 3) unit vectors of a DALI polygon ``[ra1, dec1, ...]``."""
    values = np.asarray(flat, dtype=np.float64)
    if values.size < 6 or values.size % 2:
        raise GeometryError("a polygon needs at least three vertices (an even number of coordinates)")
    return unit_vectors(values[0::2], values[1::2])


def _polygon_centres(vertices: FloatArray) -> FloatArray:
    """Projection centres (M, 3) of polygons (M, K, 3); rows are NaN when the polygon is too large."""
    centre = _normalise(vertices.sum(axis=-2))
    reach = np.einsum("mkj,mj->mk", vertices, centre)
    too_large = np.any(~(reach > 1e-9), axis=-1)
    centre[too_large] = np.nan
    return centre


@_quiet
def points_in_polygons(vertices: FloatArray, points: FloatArray) -> BoolArray:
    """Whether points (M, 3) lie in, or on the edge of, polygons (M or 1, K, 3).

    Great-circle edges are straight lines in the gnomonic projection about the polygon's
    centre, so the planar crossing-number test is exact there.  Points in the opposite
    hemisphere are outside.
    """
    vertices = np.broadcast_to(vertices, (points.shape[0], *vertices.shape[-2:]))
    centre = _polygon_centres(vertices)
    east, north = _tangent_basis(np.nan_to_num(centre))
    p_dot = np.einsum("mj,mj->m", points, centre)
    v_dot = np.einsum("mkj,mj->mk", vertices, centre)
    with np.errstate(invalid="ignore", divide="ignore"):
        px = np.einsum("mj,mj->m", points, east) / p_dot
        py = np.einsum("mj,mj->m", points, north) / p_dot
        vx = np.einsum("mkj,mj->mk", vertices, east) / v_dot
        vy = np.einsum("mkj,mj->mk", vertices, north) / v_dot
    x1, y1 = vx, vy
    x2, y2 = np.roll(vx, -1, axis=-1), np.roll(vy, -1, axis=-1)
    pxm, pym = px[:, None], py[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        straddles = (y1 > pym) != (y2 > pym)
        x_cross = x1 + (pym - y1) * (x2 - x1) / (y2 - y1)
        crossings = straddles & (pxm < x_cross)
        inside = (np.count_nonzero(crossings, axis=-1) % 2) == 1
        # On an edge: collinear with it and between its ends.
        cross = (x2 - x1) * (pym - y1) - (y2 - y1) * (pxm - x1)
        scale = np.maximum(np.hypot(x2 - x1, y2 - y1), 1e-300)
        within = ((pxm - x1) * (pxm - x2) <= 1e-24) & ((pym - y1) * (pym - y2) <= 1e-24)
        on_edge = np.any((np.abs(cross) / scale <= 1e-12) & within, axis=-1)
    result = (inside | on_edge) & (p_dot > 0)
    result[np.isnan(centre[:, 0])] = False
    return np.asarray(result, dtype=bool)


@_quiet
def polygon_contains(flat: Sequence[float], ra: npt.ArrayLike, dec: npt.ArrayLike) -> BoolArray:
    """Whether positions (degrees) are inside one polygon given as ``[ra1, dec1, ...]``."""
    vertices = polygon_vertices(flat)
    points = unit_vectors(ra, dec).reshape(-1, 3)
    if np.isnan(_polygon_centres(vertices[None])[0, 0]):
        raise GeometryError("polygons must be smaller than a hemisphere")
    return points_in_polygons(vertices[None], points)


@_quiet
def box_polygon(ra: npt.ArrayLike, dec: npt.ArrayLike, width: npt.ArrayLike, height: npt.ArrayLike) -> FloatArray:
    """Corners of ADQL BOXes (ADQL 2.1 §4.2.4) as (N, 8) ``[ra1, dec1, ... ra4, dec4]``.

    The box is bounded by the great circles through the ends of its two arms (along the
    meridian and along the perpendicular great circle at the centre) at right angles to
    the arms.  Corners run counter-clockwise on the sky: NW, NE, SE, SW (east to the left).
    """
    centre = unit_vectors(ra, dec).reshape(-1, 3)
    east, north = _tangent_basis(centre)
    half_w = np.radians(np.asarray(width, dtype=np.float64)).reshape(-1, 1) / 2
    half_h = np.radians(np.asarray(height, dtype=np.float64)).reshape(-1, 1) / 2
    north_arm = np.cos(half_h) * centre + np.sin(half_h) * north
    south_arm = np.cos(half_h) * centre - np.sin(half_h) * north
    east_arm = np.cos(half_w) * centre + np.sin(half_w) * east
    west_arm = np.cos(half_w) * centre - np.sin(half_w) * east
    north_side, south_side = np.cross(north_arm, east), np.cross(south_arm, east)
    east_side, west_side = np.cross(east_arm, north), np.cross(west_arm, north)

    def corner(side_a: FloatArray, side_b: FloatArray) -> FloatArray:
        point = _normalise(np.cross(side_a, side_b))
        flip = np.einsum("nj,nj->n", point, centre) < 0
        point[flip] = -point[flip]
        return point

    corners = [
        corner(north_side, west_side),
        corner(north_side, east_side),
        corner(south_side, east_side),
        corner(south_side, west_side),
    ]
    out = np.empty((centre.shape[0], 8))
    for index, vector in enumerate(corners):
        out[:, 2 * index], out[:, 2 * index + 1] = to_radec(vector)
    return out


@_quiet
def polygon_area(flat: Sequence[float]) -> float:
    """Area in square degrees of a spherical polygon (Van Oosterom & Strackee fan sum)."""
    vertices = polygon_vertices(flat)
    a = vertices[0]
    total = 0.0
    for b, c in itertools.pairwise(vertices[1:]):
        numerator = float(np.dot(a, np.cross(b, c)))
        denominator = 1.0 + float(np.dot(a, b) + np.dot(b, c) + np.dot(c, a))
        total += 2.0 * math.atan2(numerator, denominator)
    area = abs(total)
    area = min(area, 4 * math.pi - area)
    return area * (180.0 / math.pi) ** 2


@_quiet
def polygon_centroid(flat: Sequence[float]) -> tuple[float, float]:
    """Centroid (ra, dec) of a spherical polygon: area-weighted mean of its fan triangles."""
    vertices = polygon_vertices(flat)
    a = vertices[0]
    accumulated = np.zeros(3)
    total = 0.0
    for b, c in itertools.pairwise(vertices[1:]):
        numerator = float(np.dot(a, np.cross(b, c)))
        denominator = 1.0 + float(np.dot(a, b) + np.dot(b, c) + np.dot(c, a))
        weight = 2.0 * math.atan2(numerator, denominator)
        total += weight
        accumulated += weight * _normalise(a + b + c)
    if total < 0:
        accumulated = -accumulated
    if np.linalg.norm(accumulated) < 1e-15:
        accumulated = vertices.sum(axis=0)
    ra, dec = to_radec(accumulated[None])
    return float(ra[0]), float(dec[0])


def _arc_distance(p: FloatArray, a: FloatArray, b: FloatArray) -> float:
    """Distance (radians) from unit vector ``p`` to the great-circle arc from ``a`` to ``b``."""
    normal = np.cross(a, b)
    norm = np.linalg.norm(normal)
    if norm < 1e-15:
        return float(angular_separation(p, a))
    normal = normal / norm
    offset = float(np.dot(p, normal))
    foot = p - offset * normal
    if np.linalg.norm(foot) > 1e-15:
        foot = foot / np.linalg.norm(foot)
        if np.dot(np.cross(a, foot), normal) >= 0 and np.dot(np.cross(foot, b), normal) >= 0:
            return abs(math.asin(max(-1.0, min(1.0, offset))))
    return float(min(angular_separation(p, a), angular_separation(p, b)))


def _arcs_cross(a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray) -> bool:
    """Whether the great-circle arcs a–b and c–d intersect."""
    n1, n2 = np.cross(a, b), np.cross(c, d)
    line = np.cross(n1, n2)
    if np.linalg.norm(line) < 1e-15:
        return False
    line = line / np.linalg.norm(line)
    for s in (line, -line):
        if (
            np.dot(np.cross(a, s), n1) >= 0
            and np.dot(np.cross(s, b), n1) >= 0
            and np.dot(np.cross(c, s), n2) >= 0
            and np.dot(np.cross(s, d), n2) >= 0
        ):
            return True
    return False


def _edges(vertices: FloatArray) -> list[tuple[FloatArray, FloatArray]]:
    return [(vertices[i], vertices[(i + 1) % len(vertices)]) for i in range(len(vertices))]


def _inside(vertices: FloatArray, point: FloatArray) -> bool:
    return bool(points_in_polygons(vertices[None], point[None])[0])


def _check_polygon(vertices: FloatArray) -> None:
    if np.isnan(_polygon_centres(vertices[None])[0, 0]):
        raise GeometryError("polygons must be smaller than a hemisphere")


@_quiet
def geometry_relation(relation: str, kind_a: str, a: Sequence[float], kind_b: str, b: Sequence[float]) -> bool:
    """ADQL CONTAINS(a, b) (``relation='contains'``) or INTERSECTS(a, b) for any two shapes.

    CONTAINS is true when ``a`` lies in, or on the boundary of, ``b`` (ADQL 2.1 §4.2.7).
    """
    if relation == "intersects":
        if kind_a == "point":
            return geometry_relation("contains", kind_a, a, kind_b, b)
        if kind_b == "point":
            return geometry_relation("contains", kind_b, b, kind_a, a)
    if kind_a == "point":
        p = unit_vectors(a[0], a[1])
        if kind_b == "point":
            return bool(angular_separation(p, unit_vectors(b[0], b[1])) <= 1e-12)
        if kind_b == "circle":
            return bool(angular_separation(p, unit_vectors(b[0], b[1])) <= math.radians(b[2]))
        vertices = polygon_vertices(b)
        _check_polygon(vertices)
        return _inside(vertices, p)
    if kind_a == "circle":
        centre, radius = unit_vectors(a[0], a[1]), math.radians(a[2])
        if kind_b == "point":
            return relation == "contains" and radius == 0 and geometry_relation("contains", "point", a[:2], "point", b)
        if kind_b == "circle":
            distance = float(angular_separation(centre, unit_vectors(b[0], b[1])))
            other = math.radians(b[2])
            return distance + radius <= other if relation == "contains" else distance <= radius + other
        vertices = polygon_vertices(b)
        _check_polygon(vertices)
        nearest = min(_arc_distance(centre, s, e) for s, e in _edges(vertices))
        if relation == "contains":
            return _inside(vertices, centre) and nearest >= radius
        return _inside(vertices, centre) or nearest <= radius
    vertices_a = polygon_vertices(a)
    _check_polygon(vertices_a)
    if kind_b == "point":
        return False
    if kind_b == "circle":
        centre, radius = unit_vectors(b[0], b[1]), math.radians(b[2])
        distances = angular_separation(vertices_a, centre[None])
        if relation == "contains":
            return bool(np.all(distances <= radius)) and radius < math.pi / 2
        nearest = min(_arc_distance(centre, s, e) for s, e in _edges(vertices_a))
        return _inside(vertices_a, centre) or nearest <= radius
    vertices_b = polygon_vertices(b)
    _check_polygon(vertices_b)
    a_in_b = bool(np.all(points_in_polygons(vertices_b[None], vertices_a)))
    crossing = any(_arcs_cross(s, e, u, v) for s, e in _edges(vertices_a) for u, v in _edges(vertices_b))
    if relation == "contains":
        return a_in_b and not crossing
    if crossing or bool(np.any(points_in_polygons(vertices_b[None], vertices_a))):
        return True
    return bool(np.any(points_in_polygons(vertices_a[None], vertices_b)))


# -- STC-S regions ----------------------------------------------------------------------------
#: Coordinate frames that mean ICRS here (or say nothing); STC-S reference positions and
#: flavours that may accompany them (TAP 1.0 §6, STC-S note).
ICRS_FRAMES = frozenset({"ICRS", "UNKNOWNFRAME", "UNKNOWN"})
STCS_QUALIFIERS = frozenset(
    {
        "GEOCENTER",
        "BARYCENTER",
        "HELIOCENTER",
        "TOPOCENTER",
        "UNKNOWNREFPOS",
        "LSR",
        "LSRK",
        "LSRD",
        "GALACTIC_CENTER",
        "LOCAL_GROUP_CENTER",
        "EMBARYCENTER",
        "RELOCATABLE",
        "SPHERICAL2",
        "UNITSPHERE",
    }
)
_STCS_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def is_icrs(coordinate_system: str) -> bool:
    """Whether an STC-S/ADQL coordinate-system string means ICRS (or nothing at all)."""
    frames = [w for w in coordinate_system.upper().split() if w not in STCS_QUALIFIERS]
    return len(frames) <= 1 and all(f in ICRS_FRAMES for f in frames)


def stcs_shape(text: str) -> tuple[str, list[float]]:
    """Kind and DALI values of an ICRS STC-S POSITION, CIRCLE, BOX or POLYGON.

    BOX becomes the equivalent POLYGON; anything else (other frames, UNION, NOT, malformed
    text) raises :class:`GeometryError` with the reason.
    """
    words = text.split()
    if not words:
        raise GeometryError("the region is empty")
    shape = words[0].upper()
    rest = words[1:]
    qualifiers: list[str] = []
    while rest and not _STCS_NUMBER.match(rest[0]):
        qualifiers.append(rest.pop(0))
    if not is_icrs(" ".join(qualifiers)):
        raise GeometryError(f"unsupported coordinate system '{' '.join(qualifiers)}'")
    try:
        numbers = [float(w) for w in rest]
    except ValueError:
        raise GeometryError("malformed coordinates") from None
    if not all(math.isfinite(x) for x in numbers):
        raise GeometryError("malformed coordinates")
    if shape == "POSITION" and len(numbers) == 2:
        return "point", numbers
    if shape == "CIRCLE" and len(numbers) == 3:
        return "circle", numbers
    if shape == "POLYGON" and len(numbers) >= 6 and len(numbers) % 2 == 0:
        return "polygon", numbers
    if shape == "BOX" and len(numbers) == 4:
        return "polygon", [float(x) for x in box_polygon(*numbers)[0]]
    raise GeometryError(f"unsupported or malformed {shape} region")


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
        if np.isnan(_polygon_centres(vertices[None])[0, 0]):
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
        ipix = nested.lonlat_to_healpix(
            Longitude(np.mod(ra_values[rows], 360.0), unit=u.deg), Latitude(dec_values[rows], unit=u.deg), int(value)
        )
        result[rows] = np.asarray(ipix, dtype=np.int64)
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
        lon, lat = nested.healpix_to_lonlat(indices[rows].astype(np.uint64), int(value))
        lon_deg = np.asarray(lon.to_value("deg"), dtype=np.float64)
        lat_deg = np.asarray(lat.to_value("deg"), dtype=np.float64)
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


__all__ = [
    "MAX_HEALPIX_ORDER",
    "GeometryError",
    "angular_separation",
    "box_polygon",
    "geometry_relation",
    "has_word",
    "histogram",
    "is_icrs",
    "points_in_polygons",
    "polygon_area",
    "polygon_centroid",
    "polygon_contains",
    "polygon_vertices",
    "register_functions",
    "stcs_shape",
    "to_radec",
    "unit_vectors",
]
