"""Pure spherical geometry of the ADQL shapes (ADQL 2.1 §4.2), in numpy.

Shapes are DALI values in degrees (DALI 1.1 §3.3): a point is ``[ra, dec]``, a circle
``[ra, dec, radius]``, a polygon ``[ra1, dec1, ra2, dec2, ...]``.  Polygon edges are
great-circle arcs (DALI 1.1 §3.3.6); the polygon is the region on the side of its centre,
which limits polygons to less than a hemisphere.  :func:`angular_distance` is the one
great-circle distance of the service outside SQL; it uses the haversine form of the SQL
paths, so that in-memory and SQL cone tests agree.

Nothing here knows SQL: the DuckDB functions (:mod:`vo_service.store.duckdb_functions`) and
the ADQL translators call these.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class GeometryError(ValueError):
    """A geometry the functions here cannot handle (e.g. a polygon beyond a hemisphere)."""


_F = TypeVar("_F", bound=Callable[..., Any])


def quiet(function: _F) -> _F:
    """Run with numpy floating-point warnings off: NaN/inf inputs give NaN/NULL results."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# -- vector helpers --------------------------------------------------------------------------
@quiet
def unit_vectors(ra: npt.ArrayLike, dec: npt.ArrayLike) -> FloatArray:
    """Cartesian unit vectors (..., 3) of positions in degrees."""
    ra_r = np.radians(np.asarray(ra, dtype=np.float64))
    dec_r = np.radians(np.asarray(dec, dtype=np.float64))
    cos_dec = np.cos(dec_r)
    return np.stack([cos_dec * np.cos(ra_r), cos_dec * np.sin(ra_r), np.sin(dec_r)], axis=-1)


@quiet
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


@quiet
def angular_distance(
    ra1: npt.ArrayLike, dec1: npt.ArrayLike, ra2: npt.ArrayLike, dec2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in degrees between positions in degrees (ADQL 2.1 §4.2.8 DISTANCE).

    The haversine form, accurate at small separations, written exactly as the SQL cone tests
    of the store and the ADQL translator write it.
    """
    ra1_a, dec1_a = np.asarray(ra1, dtype=np.float64), np.asarray(dec1, dtype=np.float64)
    ra2_a, dec2_a = np.asarray(ra2, dtype=np.float64), np.asarray(dec2, dtype=np.float64)
    h = (
        np.sin(np.radians(dec2_a - dec1_a) / 2) ** 2
        + np.cos(np.radians(dec1_a)) * np.cos(np.radians(dec2_a)) * np.sin(np.radians(ra2_a - ra1_a) / 2) ** 2
    )
    return np.asarray(np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))), dtype=np.float64)


def _separation(a: FloatArray, b: FloatArray) -> float:
    """:func:`angular_distance` in radians between two unit vectors."""
    (ra1, dec1), (ra2, dec2) = to_radec(a), to_radec(b)
    return math.radians(float(angular_distance(ra1, dec1, ra2, dec2)))


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


def within_hemisphere(vertices: FloatArray) -> bool:
    """Whether a polygon's (K, 3) vertices fit in less than a hemisphere (polygons here must)."""
    return not bool(np.isnan(_polygon_centres(vertices[None])[0, 0]))


@quiet
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


@quiet
def polygon_contains(flat: Sequence[float], ra: npt.ArrayLike, dec: npt.ArrayLike) -> BoolArray:
    """Whether positions (degrees) are inside one polygon given as ``[ra1, dec1, ...]``."""
    vertices = polygon_vertices(flat)
    points = unit_vectors(ra, dec).reshape(-1, 3)
    _check_polygon(vertices)
    return points_in_polygons(vertices[None], points)


@quiet
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


@quiet
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


@quiet
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
        return _separation(p, a)
    normal = normal / norm
    offset = float(np.dot(p, normal))
    foot = p - offset * normal
    if np.linalg.norm(foot) > 1e-15:
        foot = foot / np.linalg.norm(foot)
        if np.dot(np.cross(a, foot), normal) >= 0 and np.dot(np.cross(foot, b), normal) >= 0:
            return abs(math.asin(max(-1.0, min(1.0, offset))))
    return min(_separation(p, a), _separation(p, b))


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
    if not within_hemisphere(vertices):
        raise GeometryError("polygons must be smaller than a hemisphere")


@quiet
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
        if kind_b == "point":
            return bool(angular_distance(a[0], a[1], b[0], b[1]) <= math.degrees(1e-12))
        if kind_b == "circle":
            return bool(angular_distance(a[0], a[1], b[0], b[1]) <= b[2])
        vertices = polygon_vertices(b)
        _check_polygon(vertices)
        return _inside(vertices, unit_vectors(a[0], a[1]))
    if kind_a == "circle":
        centre, radius = unit_vectors(a[0], a[1]), math.radians(a[2])
        if kind_b == "point":
            return relation == "contains" and radius == 0 and geometry_relation("contains", "point", a[:2], "point", b)
        if kind_b == "circle":
            distance = float(angular_distance(a[0], a[1], b[0], b[1]))
            return distance + a[2] <= b[2] if relation == "contains" else distance <= a[2] + b[2]
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
        distances = angular_distance(a[0::2], a[1::2], b[0], b[1])
        if relation == "contains":
            return bool(np.all(distances <= b[2])) and radius < math.pi / 2
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


__all__ = [
    "GeometryError",
    "angular_distance",
    "box_polygon",
    "geometry_relation",
    "points_in_polygons",
    "polygon_area",
    "polygon_centroid",
    "polygon_contains",
    "polygon_vertices",
    "quiet",
    "to_radec",
    "unit_vectors",
    "within_hemisphere",
]
