"""Properties of the core's spherical geometry (vo_service.spatial), over generated shapes.

Oracles are independent of the implementation: astropy's angular separation (Vincenty
formula), the metric axioms, invariance of areas and relations under relabelling, the
cdshealpix cell boundaries, and the STC-S text the parser is fed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from cdshealpix import nested
from hypothesis import given, settings
from hypothesis import strategies as st

from vo_service.spatial import (
    INDEX_ORDER,
    GeometryError,
    angular_distance,
    box_polygon,
    geometry_relation,
    healpix_centres,
    healpix_index,
    hpx_index,
    polygon_area,
    polygon_centroid,
    polygon_contains,
    stcs_shape,
)

ras = st.floats(min_value=0.0, max_value=360.0, allow_nan=False)
decs = st.floats(min_value=-90.0, max_value=90.0, allow_nan=False)
# Away from the poles, so that a small offset in ra is a small offset on the sky.
mid_decs = st.floats(min_value=-80.0, max_value=80.0, allow_nan=False)
radii = st.floats(min_value=1e-4, max_value=20.0, allow_nan=False)


@settings(max_examples=300)
@given(ras, decs, ras, decs)
def test_angular_distance_equals_astropy_separation(ra1: float, dec1: float, ra2: float, dec2: float) -> None:
    expected = SkyCoord(ra1 * u.deg, dec1 * u.deg).separation(SkyCoord(ra2 * u.deg, dec2 * u.deg)).deg
    # The haversine loses precision only near antipodal points.
    tolerance = 1e-9 if expected < 179.0 else 1e-5
    assert float(angular_distance(ra1, dec1, ra2, dec2)) == pytest.approx(expected, abs=tolerance)


@settings(max_examples=200)
@given(ras, decs, ras, decs, ras, decs)
def test_angular_distance_is_a_metric(
    ra1: float, dec1: float, ra2: float, dec2: float, ra3: float, dec3: float
) -> None:
    d12 = float(angular_distance(ra1, dec1, ra2, dec2))
    assert float(angular_distance(ra1, dec1, ra1, dec1)) == 0.0
    assert d12 == pytest.approx(float(angular_distance(ra2, dec2, ra1, dec1)), abs=1e-12)
    assert 0.0 <= d12 <= 180.0
    d13, d23 = float(angular_distance(ra1, dec1, ra3, dec3)), float(angular_distance(ra2, dec2, ra3, dec3))
    assert d13 <= d12 + d23 + 1e-7
    # Right ascension wraps: ra and ra + 360 are the same position.
    assert float(angular_distance(ra1 + 360.0, dec1, ra2, dec2)) == pytest.approx(d12, abs=1e-9)


@given(ras, decs)
def test_angular_distance_broadcasts_over_arrays(ra: float, dec: float) -> None:
    others = np.array([[0.0, 0.0], [90.0, 45.0], [ra, dec]])
    distances = angular_distance(others[:, 0], others[:, 1], ra, dec)
    assert distances.shape == (3,)
    for index, (other_ra, other_dec) in enumerate(others):
        assert distances[index] == float(angular_distance(other_ra, other_dec, ra, dec))


def _triangle(ra: float, dec: float, size: float, turn: float) -> list[float]:
    """A small triangle around (ra, dec), as the corners of a rotated box's half."""
    corners = box_polygon(ra, dec, size, size / 2)[0]
    start = int(turn * 4) % 4
    picked = [(start + k) % 4 for k in range(3)]
    return [float(corners[2 * i + j]) for i in picked for j in range(2)]


@settings(max_examples=150)
@given(ras, mid_decs, st.floats(min_value=0.01, max_value=10.0), st.floats(min_value=0.0, max_value=0.99))
def test_polygon_area_ignores_orientation_and_start_vertex(ra: float, dec: float, size: float, turn: float) -> None:
    flat = _triangle(ra, dec, size, turn)
    area = polygon_area(flat)
    assert 0.0 < area < size * size
    pairs = [flat[i : i + 2] for i in range(0, len(flat), 2)]
    rotated = [v for pair in pairs[1:] + pairs[:1] for v in pair]
    reversed_ = [v for pair in reversed(pairs) for v in pair]
    assert polygon_area(rotated) == pytest.approx(area, rel=1e-9)
    assert polygon_area(reversed_) == pytest.approx(area, rel=1e-9)


@settings(max_examples=150)
@given(ras, mid_decs, st.floats(min_value=0.01, max_value=10.0), st.floats(min_value=0.01, max_value=10.0))
def test_box_contains_its_centre_and_its_centroid(ra: float, dec: float, width: float, height: float) -> None:
    corners = box_polygon(ra, dec, width, height)[0].tolist()
    assert polygon_contains(corners, [ra], [dec]).tolist() == [True]
    centre_ra, centre_dec = polygon_centroid(corners)
    assert float(angular_distance(centre_ra, centre_dec, ra, dec)) < 1e-6
    # The four arms end on the sides, so points just beyond them are outside.
    beyond = max(width, height) / 2 + 0.01 * max(width, height) + 1e-6
    outside_dec = dec + beyond if dec + beyond <= 90 else dec - beyond
    assert polygon_contains(corners, [ra], [outside_dec]).tolist() == [False]


@settings(max_examples=300)
@given(ras, mid_decs, radii, ras, mid_decs, radii)
def test_circle_relations_agree_with_the_distance(
    ra1: float, dec1: float, r1: float, ra2: float, dec2: float, r2: float
) -> None:
    a, b = [ra1, dec1, r1], [ra2, dec2, r2]
    distance = float(angular_distance(ra1, dec1, ra2, dec2))
    intersects = geometry_relation("intersects", "circle", a, "circle", b)
    assert intersects == geometry_relation("intersects", "circle", b, "circle", a)
    if abs(distance - (r1 + r2)) > 1e-9:
        assert intersects == (distance < r1 + r2)
    contains = geometry_relation("contains", "circle", a, "circle", b)
    if contains:
        assert intersects
    point_in = geometry_relation("contains", "point", [ra1, dec1], "circle", b)
    if abs(distance - r2) > 1e-9:
        assert point_in == (distance < r2)


@settings(max_examples=150)
@given(ras, mid_decs, st.floats(min_value=0.05, max_value=5.0), st.floats(min_value=0.0, max_value=0.99), ras, mid_decs)
def test_point_in_polygon_relation_matches_polygon_contains(
    ra: float, dec: float, size: float, turn: float, point_ra: float, point_dec: float
) -> None:
    flat = _triangle(ra, dec, size, turn)
    # Half of the points near the triangle, so that both answers occur.
    near_ra, near_dec = ra + (point_ra / 360.0 - 0.5) * size, dec + (point_dec / 80.0) * size / 2
    for p_ra, p_dec in ((point_ra, point_dec), (near_ra, near_dec)):
        expected = bool(polygon_contains(flat, [p_ra], [p_dec])[0])
        assert geometry_relation("contains", "point", [p_ra, p_dec], "polygon", flat) is expected
        assert geometry_relation("intersects", "polygon", flat, "point", [p_ra, p_dec]) is expected


@settings(max_examples=200)
@given(ras, decs, st.integers(min_value=0, max_value=29))
def test_healpix_centre_of_a_cell_lies_in_that_cell(ra: float, dec: float, order: int) -> None:
    cell = healpix_index([ra], [dec], order)
    centre_ra, centre_dec = healpix_centres(cell, order)
    assert healpix_index(centre_ra, centre_dec, order).tolist() == cell.tolist()
    # A position is within the cell's circumscribed radius of its centre.
    vertices = nested.vertices(cell.astype(np.uint64), order)
    corner_ra, corner_dec = vertices[0].deg[0], vertices[1].deg[0]
    reach = float(np.max(angular_distance(corner_ra, corner_dec, centre_ra[0], centre_dec[0])))
    assert float(angular_distance(ra, dec, centre_ra[0], centre_dec[0])) <= reach * (1 + 1e-6) + 1e-9


@given(ras, decs)
def test_index_column_is_the_order_14_cell(ra: float, dec: float) -> None:
    assert hpx_index([ra], [dec]).tolist() == healpix_index([ra], [dec], INDEX_ORDER).tolist()
    assert 0 <= int(hpx_index([ra], [dec])[0]) < 12 * 4**INDEX_ORDER


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(st.lists(finite, min_size=6, max_size=20).filter(lambda v: len(v) % 2 == 0), st.sampled_from(["", "ICRS "]))
def test_stcs_polygon_round_trips_its_numbers(values: list[float], frame: str) -> None:
    text = "Polygon " + frame + " ".join(repr(v) for v in values)
    assert stcs_shape(text) == ("polygon", values)


@given(ras, decs, radii, st.sampled_from(["ICRS", "ICRS GEOCENTER", "UNKNOWNFRAME", ""]))
def test_stcs_circle_and_position(ra: float, dec: float, radius: float, frame: str) -> None:
    assert stcs_shape(f"CIRCLE {frame} {ra!r} {dec!r} {radius!r}") == ("circle", [ra, dec, radius])
    assert stcs_shape(f"position {frame} {ra!r} {dec!r}") == ("point", [ra, dec])


@given(ras, mid_decs, st.floats(min_value=0.01, max_value=10.0), st.floats(min_value=0.01, max_value=10.0))
def test_stcs_box_is_the_adql_box_polygon(ra: float, dec: float, width: float, height: float) -> None:
    kind, values = stcs_shape(f"BOX ICRS {ra!r} {dec!r} {width!r} {height!r}")
    assert kind == "polygon"
    assert values == box_polygon(ra, dec, width, height)[0].tolist()


@given(st.text(max_size=40))
def test_stcs_parser_raises_only_geometry_errors(text: str) -> None:
    try:
        kind, values = stcs_shape(text)
    except GeometryError:
        return
    assert kind in ("point", "circle", "polygon")
    assert all(math.isfinite(v) for v in values)


@given(st.sampled_from(["GALACTIC", "FK5", "ECLIPTIC"]), ras, decs)
def test_stcs_other_frames_are_refused(frame: str, ra: float, dec: float) -> None:
    with pytest.raises(GeometryError, match="coordinate system"):
        stcs_shape(f"POSITION {frame} {ra!r} {dec!r}")
