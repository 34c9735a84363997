"""The ``corot_*`` DuckDB functions and the spherical geometry behind them.

Oracles are independent of the implementation: exact planar tests in the gnomonic
projection (where great circles are straight lines), known spherical areas, the examples
of the IVOA UDF catalogue, and numpy histograms.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import numpy as np
import pytest
from matplotlib.path import Path

from vo_service.spatial import (
    GeometryError,
    box_polygon,
    geometry_relation,
    polygon_area,
    polygon_centroid,
    polygon_contains,
    stcs_shape,
    to_radec,
    unit_vectors,
)
from vo_service.store.duckdb_functions import has_word, histogram, register_functions


def inverse_gnomonic(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], ra0: float, dec0: float) -> tuple[Any, Any]:
    """Sky positions of tangent-plane points about (ra0, dec0) (standard coordinates)."""
    centre = unit_vectors(ra0, dec0)
    east = np.array([-math.sin(math.radians(ra0)), math.cos(math.radians(ra0)), 0.0])
    north = np.cross(centre, east)
    vectors = centre[None] + x[:, None] * east[None] + y[:, None] * north[None]
    return to_radec(vectors)


@pytest.mark.parametrize(("ra0", "dec0"), [(10.0, 20.0), (359.9, -5.0), (180.0, 85.0), (0.0, -89.0)])
def test_point_in_polygon_matches_planar_gnomonic_oracle(ra0: float, dec0: float) -> None:
    rng = np.random.default_rng(3)
    # A concave, L-shaped polygon in the tangent plane (units: radians of the projection).
    shape = np.array([[-0.02, -0.02], [0.03, -0.02], [0.03, 0.0], [0.0, 0.0], [0.0, 0.03], [-0.02, 0.03]])
    points = rng.uniform(-0.04, 0.04, size=(4000, 2))
    inside = Path(shape).contains_points(points)
    # Skip points within a hair of an edge, where the planar oracle's own rounding decides.
    distances = np.min(
        [_segment_distance(points, shape[i], shape[(i + 1) % len(shape)]) for i in range(len(shape))], axis=0
    )
    keep = distances > 1e-9
    vertex_ra, vertex_dec = inverse_gnomonic(shape[:, 0], shape[:, 1], ra0, dec0)
    flat = [v for pair in zip(vertex_ra, vertex_dec, strict=True) for v in pair]
    ra, dec = inverse_gnomonic(points[:, 0], points[:, 1], ra0, dec0)
    result = polygon_contains(flat, ra, dec)
    assert np.array_equal(result[keep], inside[keep])
    assert inside.sum() > 500


def _segment_distance(points: np.ndarray[Any, Any], a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> Any:
    ab = b - a
    t = np.clip(((points - a) @ ab) / (ab @ ab), 0, 1)
    return np.linalg.norm(points - (a + t[:, None] * ab), axis=1)


def test_polygon_orientation_does_not_matter() -> None:
    square = [10, 10, 11, 10, 11, 11, 10, 11]
    reversed_square = [10, 11, 11, 11, 11, 10, 10, 10]
    ra, dec = np.array([10.5, 12.0, 10.01]), np.array([10.5, 10.5, 10.99])
    assert polygon_contains(square, ra, dec).tolist() == [True, False, True]
    assert polygon_contains(reversed_square, ra, dec).tolist() == [True, False, True]


def test_polygon_larger_than_a_hemisphere_is_refused() -> None:
    with pytest.raises(GeometryError):
        polygon_contains([0, 0, 120, 0, 240, 0], [0.0], [45.0])


def test_box_corners_follow_adql_definition() -> None:
    corners = box_polygon(30.0, 40.0, 10.0, 4.0)[0]
    vertices = unit_vectors(corners[0::2], corners[1::2])
    centre = unit_vectors(30.0, 40.0)
    east = np.array([-math.sin(math.radians(30)), math.cos(math.radians(30)), 0.0])
    north = np.cross(centre, east)
    north_arm = math.cos(math.radians(2)) * centre + math.sin(math.radians(2)) * north
    east_arm = math.cos(math.radians(5)) * centre + math.sin(math.radians(5)) * east
    # The north side (NW-NE) passes through the end of the north arm, at right angles to the meridian.
    north_side = np.cross(vertices[0], vertices[1])
    assert abs(np.dot(north_side, north_arm)) < 1e-12
    assert abs(np.dot(np.cross(north_arm, east), vertices[0])) < 1e-12
    # The east side (NE-SE) passes through the end of the east arm.
    assert abs(np.dot(np.cross(vertices[1], vertices[2]), east_arm)) < 1e-12
    # Order NW, NE, SE, SW: the first two are north of the centre, the middle two east of it.
    assert corners[1] > 40 and corners[3] > 40 and corners[5] < 40 and corners[7] < 40
    assert np.dot(vertices[1] - centre, east) > 0 and np.dot(vertices[0] - centre, east) < 0
    assert polygon_contains(corners.tolist(), [30.0, 34.0, 30.0], [40.0, 40.0, 41.9]).tolist() == [True, True, True]
    assert polygon_contains(corners.tolist(), [37.0, 30.0], [40.0, 42.2]).tolist() == [False, False]


def test_polygon_area_and_centroid() -> None:
    octant = [0, 0, 90, 0, 0, 90]
    assert polygon_area(octant) == pytest.approx(4 * math.pi / 8 * (180 / math.pi) ** 2)
    small = box_polygon(100.0, 0.0, 0.1, 0.2)[0].tolist()
    assert polygon_area(small) == pytest.approx(0.02, rel=1e-5)
    ra, dec = polygon_centroid(small)
    assert ra == pytest.approx(100.0)
    assert dec == pytest.approx(0.0, abs=1e-9)
    ra, dec = polygon_centroid([10, 10, 11, 10, 11, 11, 10, 11])
    assert ra == pytest.approx(10.5, abs=1e-3)
    assert dec == pytest.approx(10.5, abs=1e-2)


RELATIONS = [
    ("contains", "point", [10, 10], "circle", [10, 10.5, 0.50001], True),
    ("contains", "point", [10, 10], "circle", [10, 10.5, 0.49999], False),
    ("contains", "circle", [10, 10, 0.1], "circle", [10, 10.5, 0.7], True),
    ("contains", "circle", [10, 10, 0.3], "circle", [10, 10.5, 0.7], False),
    ("intersects", "circle", [10, 10, 0.3], "circle", [10, 10.5, 0.25], True),
    ("intersects", "circle", [10, 10, 0.2], "circle", [10, 10.5, 0.25], False),
    ("contains", "circle", [10.5, 10.5, 0.2], "polygon", [10, 10, 11, 10, 11, 11, 10, 11], True),
    ("contains", "circle", [10.5, 10.5, 0.6], "polygon", [10, 10, 11, 10, 11, 11, 10, 11], False),
    ("intersects", "circle", [9.5, 10.5, 0.6], "polygon", [10, 10, 11, 10, 11, 11, 10, 11], True),
    ("intersects", "circle", [9.0, 10.5, 0.6], "polygon", [10, 10, 11, 10, 11, 11, 10, 11], False),
    ("contains", "polygon", [10.4, 10.4, 10.6, 10.4, 10.5, 10.6], "circle", [10.5, 10.5, 0.2], True),
    ("contains", "polygon", [10.4, 10.4, 10.9, 10.4, 10.5, 10.6], "circle", [10.5, 10.5, 0.2], False),
    ("contains", "polygon", [10.4, 10.4, 10.6, 10.4, 10.5, 10.6], "polygon", [10, 10, 11, 10, 11, 11, 10, 11], True),
    ("intersects", "polygon", [10.5, 10.5, 11.5, 10.5, 11, 11.5], "polygon", [10, 10, 11, 10, 11, 11, 10, 11], True),
    ("intersects", "polygon", [12, 12, 13, 12, 12.5, 13], "polygon", [10, 10, 11, 10, 11, 11, 10, 11], False),
    # a cross: edges cross but no vertex of one is inside the other
    (
        "intersects",
        "polygon",
        [9.5, 10.4, 11.5, 10.4, 11.5, 10.6, 9.5, 10.6],
        "polygon",
        [10.4, 9.5, 10.6, 9.5, 10.6, 11.5, 10.4, 11.5],
        True,
    ),
    ("intersects", "point", [10.5, 10.5], "polygon", [10, 10, 11, 10, 11, 11, 10, 11], True),
    ("intersects", "polygon", [10, 10, 11, 10, 11, 11, 10, 11], "point", [12, 10.5], False),
    ("contains", "point", [1, 2], "point", [1, 2], True),
]


@pytest.mark.parametrize(("relation", "kind_a", "a", "kind_b", "b", "expected"), RELATIONS)
def test_geometry_relations(
    relation: str, kind_a: str, a: list[float], kind_b: str, b: list[float], expected: bool
) -> None:
    assert geometry_relation(relation, kind_a, a, kind_b, b) is expected


def test_has_word_and_histogram() -> None:
    assert has_word("Miller and Urey have", "miller")
    assert not has_word("shown that a primordial", "soup")
    assert has_word("shown that a primordial", "shown primordial")
    assert not has_word("shown that a primordial", "shown soup")
    assert not has_word("anything", "")
    assert histogram([np.nan, -1, 0, 0.5, 0.99, 1, 7], 0, 1, 2) == [2, 1, 2, 2]
    assert histogram([1, 2], 1, 1, 3) == [0, 0, 0, 0, 0]


@pytest.fixture
def connection() -> Any:
    conn = duckdb.connect()
    register_functions(conn)
    register_functions(conn)  # idempotent
    yield conn
    conn.close()


def test_udfs_in_sql(connection: Any) -> None:
    row = connection.execute(
        "SELECT corot_healpix_index(0, 1, 1), corot_healpix_index(17, 359, -1), corot_healpix_center(0, 6), "
        "corot_hasword('Miller and Urey', 'UREY'), corot_polygon_area([0, 0, 90, 0, 0, 90]::DOUBLE[]), "
        "corot_polygon_contains([10, 10, 11, 10, 11, 11]::DOUBLE[], 10.9, 10.1), "
        "corot_geom_contains('circle', [10, 10, 0.1]::DOUBLE[], 'circle', [10, 10, 1]::DOUBLE[]), "
        "corot_healpix_index(40, 1, 1), corot_healpix_center(1, 999)"
    ).fetchone()
    assert row[:4] == (4, 73009064944, [180.0, 0.0], 1)
    assert row[4] == pytest.approx(5156.620156)
    assert row[5:7] == (True, True)
    assert row[7:] == (None, None)


def test_udfs_pass_nulls_through(connection: Any) -> None:
    row = connection.execute(
        "SELECT corot_polygon_contains([10, NULL, 11, 10, 11, 11]::DOUBLE[], 10.9, 10.1), "
        "corot_polygon_contains([10, 10, 11, 10, 11, 11]::DOUBLE[], NULL, 10.1), "
        "corot_geom_intersects('circle', [1, NULL, 1]::DOUBLE[], 'circle', [1, 1, 1]::DOUBLE[]), "
        "corot_polygon_area([1, 2]::DOUBLE[]), corot_hasword(NULL, 'x')"
    ).fetchone()
    assert row == (None, None, None, None, None)


def test_point_in_polygon_with_varying_polygons(connection: Any) -> None:
    rows = connection.execute(
        "SELECT corot_polygon_contains(list_value(x - 1, 0, x + 1, 0, x, 1), x, y) FROM "
        "(VALUES (10.0, 0.5), (20.0, 2.0), (30.0, 0.1)) AS v(x, y)"
    ).fetchall()
    assert [r[0] for r in rows] == [True, False, True]


STCS = [
    ("Circle ICRS 10 20 0.5", ("circle", [10.0, 20.0, 0.5])),
    ("POSITION 1.5 -2", ("point", [1.5, -2.0])),
    ("polygon icrs geocenter spherical2 1 2 3 4 5 6", ("polygon", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])),
    ("Circle UNKNOWNFRAME 1 2 3", ("circle", [1.0, 2.0, 3.0])),
]


@pytest.mark.parametrize(("text", "expected"), STCS)
def test_stcs_shapes(text: str, expected: tuple[str, list[float]]) -> None:
    assert stcs_shape(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Circle GALACTIC 1 2 3",
        "Circle ICRS 1 2",
        "Union (Circle 1 2 3)",
        "Box 1 2 3",
        "Circle 1 x 3",
        "Circle FK4 FK5 1 2 3",
        "Ellipse 1 2 3 4 5",
        "Circle 1 2 inf",
    ],
)
def test_stcs_refusals(text: str) -> None:
    with pytest.raises(GeometryError):
        stcs_shape(text)


def test_stcs_box_is_a_polygon() -> None:
    kind, values = stcs_shape("Box ICRS 10 20 2 1")
    assert kind == "polygon"
    assert values == pytest.approx(box_polygon(10, 20, 2, 1)[0].tolist())


def test_stcs_in_sql(connection: Any) -> None:
    rows = connection.execute(
        "SELECT corot_stcs_kind(r), corot_stcs_values(r) FROM "
        "(VALUES ('Circle ICRS 1 2 3'), ('Circle GALACTIC 1 2 3'), (NULL)) AS v(r)"
    ).fetchall()
    assert rows == [("circle", [1.0, 2.0, 3.0]), (None, None), (None, None)]
