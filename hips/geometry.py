"""HEALPix geometry of HiPS tiles: orders, pixel sizes, tile paths and the pixel layout.

HiPS 1.0 §4.1 (directory structure), §4.2.1 (image tiles: a tile of order K packs the
``width × width`` HEALPix cells of order ``K + log2(width)`` below it, NESTED scheme) and
§4.3.2 (Allsky).  Inside a tile the cell with face-local coordinates (x, y) — x on the
even bits of the NESTED index, y on the odd bits — sits at FITS row ``width-1-x`` (rows
counted bottom-up, as FITS stores them) and column ``y``; PNG/JPEG store rows top-down
(§4.2.1), so there the row is ``x``.  This is the layout Aladin and Hipsgen use.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import numpy.typing as npt

from vo_service.spatial import healpix_centres, healpix_index

#: Default tile width (HiPS 1.0 §4.2.1 best practice: 512 × 512 pixels).
TILE_WIDTH = 512
#: Orders packed in one Allsky file (HiPS 1.0 §4.3.2 allows orders 0 to 3).
ALLSKY_MAX_ORDER = 3
#: Side of one tile inside an Allsky image.
ALLSKY_TILE_WIDTH = 64


def n_tiles(order: int) -> int:
    """Number of HEALPix cells (tiles) covering the sphere at ``order``."""
    return 12 << (2 * order)


def shift_order(width: int) -> int:
    """``log2(width)``: orders between a tile and the cells it packs (width a power of two)."""
    if width < 1 or width & (width - 1):
        raise ValueError(f"tile width {width} is not a power of two")
    return int(width).bit_length() - 1


def pixel_size_deg(order: int, width: int = TILE_WIDTH) -> float:
    """Mean angular size of a tile pixel at ``order`` (HiPS 1.0 §4.2.1, Table 1)."""
    return math.degrees(math.sqrt(4.0 * math.pi / (12.0 * (width * 2**order) ** 2)))


def order_for_pixel_scale(scale_arcsec: float, width: int = TILE_WIDTH, max_order: int = 29) -> int:
    """Deepest tile order for data of ``scale_arcsec`` per pixel: the first order whose tile
    pixel is not larger than the original pixel (HiPS 1.0 §4.2.1, "deepest HiPS order")."""
    for order in range(max_order + 1):
        if pixel_size_deg(order, width) * 3600.0 <= scale_arcsec:
            return order
    return max_order


def tile_path(order: int, npix: int, ext: str) -> str:
    """``NorderK/DirD/NpixN.ext`` with D = (N // 10000) × 10000 (HiPS 1.0 §4.1)."""
    return f"Norder{order}/Dir{(npix // 10000) * 10000}/Npix{npix}.{ext}"


def _spread_bits(values: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
    """Put the bits of 32-bit integers on the even bit positions of 64-bit ones."""
    v = values.astype(np.uint64) & np.uint64(0xFFFFFFFF)
    for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F),
                        (2, 0x3333333333333333), (1, 0x5555555555555555)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def interleave(x: npt.NDArray[np.int64], y: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """NESTED sub-index of face-local cell coordinates: x on even bits, y on odd bits."""
    return (_spread_bits(x) | (_spread_bits(y) << np.uint64(1))).astype(np.int64)


@cache
def _fits_layout(width: int) -> npt.NDArray[np.int64]:
    """Sub-index (within the tile) of each pixel of a FITS tile array ``[row, column]``."""
    rows, cols = np.mgrid[0:width, 0:width]
    layout = interleave((width - 1 - rows).astype(np.int64), cols.astype(np.int64))
    layout.setflags(write=False)
    return layout


def tile_cells(order: int, npix: int, width: int = TILE_WIDTH) -> npt.NDArray[np.int64]:
    """NESTED indices (order ``order + log2(width)``) of the pixels of a FITS tile array."""
    return npix * width * width + _fits_layout(width)


def tile_lonlat(order: int, npix: int,
                width: int = TILE_WIDTH) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """ICRS (lon, lat) degrees of the centres of a FITS tile's pixels, as ``[row, column]`` arrays."""
    cells = tile_cells(order, npix, width)
    return healpix_centres(cells, order + shift_order(width))


def lonlat_lookup(order: int, width: int, npix: int, rows: npt.NDArray[np.int64],
                  cols: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(lon, lat) degrees of selected FITS-tile pixels ``(rows, cols)`` only."""
    cells = npix * width * width + interleave((width - 1 - rows).astype(np.int64), cols.astype(np.int64))
    return healpix_centres(cells, order + shift_order(width))


def child_block(child: int, width: int) -> tuple[slice, slice]:
    """Where child ``4N + child`` (child 0-3) lands in its parent's FITS array, as (rows, cols).

    The child number's bit 0 is the parent's top x bit (x high → low FITS rows), bit 1 its
    top y bit (y high → high columns); a 2×2 reduction of the child fills the block as is.
    """
    half = width // 2
    rows = slice(0, half) if child & 1 else slice(half, width)
    cols = slice(half, width) if child & 2 else slice(0, half)
    return rows, cols


def tile_of(lon: npt.ArrayLike, lat: npt.ArrayLike, order: int) -> npt.NDArray[np.int64]:
    """NESTED index at ``order`` of ICRS positions (degrees)."""
    return healpix_index(lon, lat, order)


def allsky_grid(order: int) -> tuple[int, int]:
    """(columns, rows) of tiles in the Allsky image of ``order`` (HiPS 1.0 §4.3.2)."""
    tiles = n_tiles(order)
    columns = math.isqrt(tiles)
    return columns, -(-tiles // columns)


__all__ = [
    "ALLSKY_MAX_ORDER",
    "ALLSKY_TILE_WIDTH",
    "TILE_WIDTH",
    "allsky_grid",
    "child_block",
    "interleave",
    "lonlat_lookup",
    "n_tiles",
    "order_for_pixel_scale",
    "pixel_size_deg",
    "shift_order",
    "tile_cells",
    "tile_lonlat",
    "tile_of",
    "tile_path",
]
