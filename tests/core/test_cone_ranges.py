"""The HEALPix ranges of a cone: cdshealpix's cone coverage, called without its astropy wrapping."""

from __future__ import annotations

import math

import numpy as np
from astropy import units as u
from astropy.coordinates import Latitude, Longitude
from cdshealpix import nested
from hypothesis import given, settings
from hypothesis import strategies as st

from vo_service.spatial import INDEX_ORDER, angular_distance, cone_ranges, hpx_index
from vo_service.spatial.healpix import _coarsen, _merge


def _public_cone_ranges(ra: float, dec: float, radius: float) -> list[tuple[int, int]]:
    """The ranges from cdshealpix's documented (astropy) interface, as the index used them."""
    depth = min(INDEX_ORDER, max(0, math.floor(math.log2(60.0 / max(radius, 1e-9)))))
    ipix, depths, _ = nested.cone_search(Longitude(ra % 360.0, unit=u.deg), Latitude(max(-90.0, min(90.0, dec)),
                                         unit=u.deg), radius * u.deg, depth=depth, flat=False)
    ranges = []
    for cell, d in zip(ipix.tolist(), depths.tolist(), strict=True):
        shift = 2 * (INDEX_ORDER - int(d))
        ranges.append((int(cell) << shift, ((int(cell) + 1) << shift) - 1))
    return _coarsen(_merge(ranges))


@settings(max_examples=300, deadline=None)
@given(st.floats(-720, 720), st.floats(-95, 95), st.floats(1e-7, 179.9))
def test_same_ranges_as_the_public_interface(ra: float, dec: float, radius: float) -> None:
    ranges = cone_ranges(ra, dec, radius)
    assert ranges == _public_cone_ranges(ra, dec, radius)
    assert all(type(bound) is int for pair in ranges for bound in pair)


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 360, exclude_max=True), st.floats(-90, 90), st.floats(1e-4, 5))
def test_every_position_inside_the_cone_is_covered(ra: float, dec: float, radius: float) -> None:
    rng = np.random.default_rng(abs(hash((ra, dec, radius))) % 2**32)
    ras = ra + rng.uniform(-1, 1, 2000) * min(180.0, radius / max(math.cos(math.radians(dec)), 1e-3))
    decs = np.clip(dec + rng.uniform(-radius, radius, 2000), -90, 90)
    inside = angular_distance(ras, decs, ra, dec) <= radius
    cells = hpx_index(ras[inside], decs[inside])
    bounds = np.asarray(cone_ranges(ra, dec, radius), dtype=np.int64)
    covered = np.zeros(cells.size, dtype=bool)
    for low, high in bounds:
        covered |= (cells >= low) & (cells <= high)
    assert covered.all()
