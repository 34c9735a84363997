"""HEALPix geometry of HiPS tiles (HiPS 1.0 §4.1, §4.2.1, Table 1)."""

from __future__ import annotations

import numpy as np
import pytest

from hips.geometry import (
    allsky_grid,
    child_block,
    n_tiles,
    order_for_pixel_scale,
    pixel_size_deg,
    shift_order,
    tile_cells,
    tile_lonlat,
    tile_of,
    tile_path,
)
from tests.hips.nested_xyf import pix2xyf, xyf2pix


@pytest.mark.parametrize(("order", "arcsec"), [(3, 51.53), (6, 6.442), (7, 3.221), (8, 1.61), (9, 0.8052)])
def test_pixel_sizes_of_the_standard_table(order: int, arcsec: float) -> None:
    assert pixel_size_deg(order, 512) * 3600 == pytest.approx(arcsec, rel=2e-3)


def test_deepest_order_for_the_corot_pixel() -> None:
    # 2.32"/px: order 7 has 3.22" pixels (coarser), order 8 has 1.61" (the first finer one).
    assert order_for_pixel_scale(2.32) == 8
    assert order_for_pixel_scale(2.32 * 4) == 6
    assert order_for_pixel_scale(2.32 * 16) == 4
    assert order_for_pixel_scale(2.32, width=128) == 10


def test_tile_paths_and_counts() -> None:
    assert tile_path(6, 10302, "fits") == "Norder6/Dir10000/Npix10302.fits"
    assert tile_path(3, 9999, "png") == "Norder3/Dir0/Npix9999.png"
    assert n_tiles(3) == 768 and allsky_grid(3) == (27, 29) and allsky_grid(0) == (3, 4)
    assert shift_order(512) == 9
    with pytest.raises(ValueError, match="power of two"):
        shift_order(500)


@pytest.mark.parametrize(("order", "npix"), [(3, 0), (4, 1234), (6, 30457), (2, 191)])
def test_tile_layout_matches_nested_face_coordinates(order: int, npix: int) -> None:
    """FITS row r, column c hold the cell at face coordinates x = W-1-r, y = c (NESTED)."""
    width = 64
    fx, fy, face = pix2xyf(order, npix)
    rows, cols = np.mgrid[0:width, 0:width]
    expected = xyf2pix(order + 6, fx * width + (width - 1 - rows), fy * width + cols, face)
    assert np.array_equal(tile_cells(order, npix, width), expected)


def test_tile_pixel_centres_lie_in_the_tile() -> None:
    lon, lat = tile_lonlat(5, 4321, 32)
    assert np.all(tile_of(lon, lat, 5) == 4321)


def test_children_fill_their_block_of_the_parent() -> None:
    """Each 2×2 group of a child tile is one pixel of the parent at ``child_block``."""
    width, order, npix = 16, 4, 777
    parent = tile_cells(order, npix, width)
    for child in range(4):
        cells = tile_cells(order + 1, 4 * npix + child, width)
        grouped = cells.reshape(width // 2, 2, width // 2, 2) >> 2
        assert np.all(grouped == grouped[:, :1, :, :1])
        rows, cols = child_block(child, width)
        assert np.array_equal(parent[rows, cols], grouped[:, 0, :, 0])
