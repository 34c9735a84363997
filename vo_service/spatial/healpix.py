"""Nested HEALPix (HEALPix primer; HiPS 1.0 §3.1) over cdshealpix, the one HEALPix library here.

Positional tables carry an internal column ``_hpx``: the nested HEALPix index of the
position at :data:`INDEX_ORDER`.  Tables are stored sorted by it, so a cone or polygon
becomes a handful of index ranges that prune the scan before the exact distance test.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from astropy import units as u
from astropy.coordinates import Latitude, Longitude
from cdshealpix import cdshealpix as healpix_native
from cdshealpix import nested

#: HEALPix order of the ``_hpx`` index column (cells of about 12.9 arcsec).
INDEX_ORDER = 14
#: Name of the internal index column on positional tables.
HPX_COLUMN = "_hpx"
#: Largest HEALPix order cdshealpix (and the IVOA UDF ivo_healpix_* functions here) accept.
MAX_HEALPIX_ORDER = 29
#: At most this many ranges are used to prune a cone (coarser cells beyond).
MAX_RANGES = 64


def healpix_index(ra: npt.ArrayLike, dec: npt.ArrayLike, order: int) -> npt.NDArray[np.int64]:
    """Nested HEALPix cells at ``order`` of ICRS positions in degrees (dec is clipped to ±90)."""
    ra_arr = np.asarray(ra, dtype=np.float64)
    dec_arr = np.clip(np.asarray(dec, dtype=np.float64), -90.0, 90.0)
    ipix = nested.lonlat_to_healpix(
        Longitude(np.mod(ra_arr, 360.0), unit=u.deg), Latitude(dec_arr, unit=u.deg), order
    )
    return np.asarray(ipix, dtype=np.int64)


def healpix_centres(
    cells: npt.ArrayLike, order: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Centres (ra, dec in degrees) of nested HEALPix cells at ``order``."""
    lon, lat = nested.healpix_to_lonlat(np.asarray(cells, dtype=np.uint64), order)
    return (
        np.asarray(lon.to_value(u.deg), dtype=np.float64),
        np.asarray(lat.to_value(u.deg), dtype=np.float64),
    )


def hpx_index(ra: npt.ArrayLike, dec: npt.ArrayLike, order: int = INDEX_ORDER) -> npt.NDArray[np.int64]:
    """The ``_hpx`` index of ICRS positions (degrees)."""
    return healpix_index(ra, dec, order)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _cells_to_ranges(ipix: npt.NDArray[np.uint64], depth: npt.NDArray[np.uint8]) -> list[tuple[int, int]]:
    shift = (2 * (INDEX_ORDER - depth.astype(np.int64))).astype(np.uint64)
    cells = ipix.astype(np.uint64)
    lows = (cells << shift).tolist()
    highs = (((cells + np.uint64(1)) << shift) - np.uint64(1)).tolist()
    return _merge(list(zip(lows, highs, strict=True)))


def _coarsen(ranges: list[tuple[int, int]], limit: int = MAX_RANGES) -> list[tuple[int, int]]:
    """Merge the closest neighbouring ranges until at most ``limit`` remain."""
    while len(ranges) > limit:
        gaps = [ranges[i + 1][0] - ranges[i][1] for i in range(len(ranges) - 1)]
        i = int(np.argmin(gaps))
        ranges[i : i + 2] = [(ranges[i][0], ranges[i + 1][1])]
    return ranges


def cone_ranges(ra: float, dec: float, radius: float) -> list[tuple[int, int]]:
    """Inclusive ``_hpx`` ranges covering a cone (degrees); a superset of the cone."""
    if radius >= 180.0:
        return [(0, 12 * 4**INDEX_ORDER - 1)]
    depth = min(INDEX_ORDER, max(0, math.floor(math.log2(60.0 / max(radius, 1e-9)))))
    # cdshealpix's own cone search (nested.cone_search, depth_delta 2, not flat) without its
    # astropy Longitude/Latitude/Quantity wrapping, which costs more than the search itself.
    ipix, dep, _ = healpix_native.cone_search(
        np.uint8(depth),
        np.uint8(2),
        np.float64(math.radians(ra % 360.0)),
        np.float64(math.radians(max(-90.0, min(90.0, dec)))),
        np.float64(math.radians(radius)),
        False,  # flat: cells of several depths
    )
    return _coarsen(_cells_to_ranges(np.asarray(ipix), np.asarray(dep)))


def polygon_ranges(ras: list[float], decs: list[float]) -> list[tuple[int, int]]:
    """Inclusive ``_hpx`` ranges covering a spherical polygon (vertices in degrees)."""
    ra_arr = np.mod(np.asarray(ras, dtype=np.float64), 360.0)
    dec_arr = np.asarray(decs, dtype=np.float64)
    span = max(float(np.ptp(dec_arr)), 1e-6)
    depth = min(INDEX_ORDER, max(0, math.floor(math.log2(60.0 / span))) + 1)
    ipix, dep, _ = nested.polygon_search(
        Longitude(ra_arr, unit=u.deg), Latitude(dec_arr, unit=u.deg), depth=depth, flat=False
    )
    return _coarsen(_cells_to_ranges(np.asarray(ipix), np.asarray(dep)))


__all__ = [
    "HPX_COLUMN",
    "INDEX_ORDER",
    "MAX_HEALPIX_ORDER",
    "cone_ranges",
    "healpix_centres",
    "healpix_index",
    "hpx_index",
    "polygon_ranges",
]
