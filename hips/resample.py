"""Resampling input images onto HiPS tiles (HiPS 1.0 §4.2.1, "deepest HiPS order").

For every tile pixel (a HEALPix cell of order ``K + log2(width)``) the value is a bilinear
interpolation of the input image at the cell centre (``hips_sampling = bilinear``); where
images overlap the tile pixel is their mean (``hips_overlay = mean``).

The sky → image mapping is smooth across a tile, so the exact WCS transform is evaluated
on a coarse grid of tile pixels and interpolated in between; the interpolation is checked
against exact positions on a second grid and replaced by the exact transform wherever the
error would exceed :data:`MAX_GRID_ERROR` image pixels.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt
from astropy.wcs import WCS

from hips.geometry import lonlat_lookup, tile_lonlat

#: Spacing (tile pixels) of the grid where the WCS is evaluated exactly.
GRID_STEP = 16
#: Largest tolerated interpolation error of image coordinates, in image pixels.
MAX_GRID_ERROR = 0.01


@cache
def _grid(width: int, step: int) -> npt.NDArray[np.int64]:
    nodes = list(range(0, width, step))
    if nodes[-1] != width - 1:
        nodes.append(width - 1)
    grid = np.asarray(nodes, dtype=np.int64)
    grid.setflags(write=False)
    return grid


@cache
def _interpolation_weights(width: int, step: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                                          npt.NDArray[np.float64]]:
    """For every pixel index: the grid nodes on its left and right and the right weight."""
    nodes = _grid(width, step)
    index = np.arange(width)
    right = np.clip(np.searchsorted(nodes, index, side="right"), 1, len(nodes) - 1)
    left = right - 1
    frac = (index - nodes[left]) / (nodes[right] - nodes[left])
    for array in (left, right, frac):
        array.setflags(write=False)
    return left, right, frac


def _interpolate(grid: npt.NDArray[np.float64], width: int, step: int) -> npt.NDArray[np.float64]:
    """Separable linear interpolation of node values to the full ``width × width`` tile.

    Plain element-wise arithmetic: small matrix products would go through a threaded BLAS,
    which costs more than it saves on a busy machine.
    """
    left, right, frac = _interpolation_weights(width, step)
    rows = grid[left, :] * (1.0 - frac)[:, None] + grid[right, :] * frac[:, None]
    return np.asarray(rows[:, left] * (1.0 - frac)[None, :] + rows[:, right] * frac[None, :], dtype=np.float64)


def _world_to_pixel(wcs: WCS, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
                    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    with np.errstate(invalid="ignore"):
        x, y = wcs.wcs_world2pix(lon, lat, 0)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def tile_image_coords(wcs: WCS, order: int, npix: int, width: int
                      ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """0-based image coordinates (x = column, y = row) of a tile's pixel centres."""
    nodes = _grid(width, GRID_STEP)
    rows, cols = np.meshgrid(nodes, nodes, indexing="ij")
    lon, lat = lonlat_lookup(order, width, npix, rows, cols)
    gx, gy = _world_to_pixel(wcs, lon, lat)
    if not (np.isfinite(gx).all() and np.isfinite(gy).all()):
        return _world_to_pixel(wcs, *tile_lonlat(order, npix, width))
    x, y = _interpolate(gx, width, GRID_STEP), _interpolate(gy, width, GRID_STEP)
    # Check halfway between the nodes, where the linear interpolation is worst.
    probes = np.clip(nodes[:-1] + GRID_STEP // 2, 0, width - 1)
    prow, pcol = np.meshgrid(probes, probes, indexing="ij")
    ex, ey = _world_to_pixel(wcs, *lonlat_lookup(order, width, npix, prow, pcol))
    error = np.nanmax(np.hypot(x[prow, pcol] - ex, y[prow, pcol] - ey)) if ex.size else 0.0
    if not np.isfinite(error) or error > MAX_GRID_ERROR:
        return _world_to_pixel(wcs, *tile_lonlat(order, npix, width))
    return x, y


def sample_bilinear(image: npt.NDArray[np.float32], x: npt.NDArray[np.float64], y: npt.NDArray[np.float64],
                    *, has_blanks: bool = True) -> npt.NDArray[np.float64]:
    """Bilinear interpolation at (x, y); NaN outside the image or on blank pixels.

    A position is inside when it falls on a pixel (within half a pixel of a centre); at the
    border the nearest row/column is repeated.  Blank (NaN) neighbours are left out of the
    weights rather than spreading the blank (skipped when the caller knows there are none).
    """
    height, width = image.shape
    flat = np.ascontiguousarray(image, dtype=np.float32).ravel()
    out = np.full(x.shape, np.nan)
    inside = np.isfinite(x) & np.isfinite(y) & (x >= -0.5) & (x < width - 0.5) & (y >= -0.5) & (y < height - 0.5)
    if not inside.any():
        return out
    xs = np.clip(x[inside], 0.0, width - 1.0)
    ys = np.clip(y[inside], 0.0, height - 1.0)
    x0 = np.minimum(xs.astype(np.int64), max(width - 2, 0))
    y0 = np.minimum(ys.astype(np.int64), max(height - 2, 0))
    fx, fy = xs - x0, ys - y0
    step_x, step_y = (1 if width > 1 else 0), (width if height > 1 else 0)
    base = y0 * width + x0
    corners = ((base, (1 - fx) * (1 - fy)), (base + step_x, fx * (1 - fy)),
               (base + step_y, (1 - fx) * fy), (base + step_y + step_x, fx * fy))
    if not has_blanks:
        out[inside] = sum(flat[index] * w for index, w in corners)
        return out
    total = np.zeros(xs.shape)
    weight = np.zeros(xs.shape)
    for index, w in corners:
        values = flat[index].astype(np.float64)
        good = np.isfinite(values)
        total += np.where(good, values * w, 0.0)
        weight += np.where(good, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[inside] = np.where(weight > 1e-9, total / np.maximum(weight, 1e-12), np.nan)
    return out


__all__ = ["GRID_STEP", "MAX_GRID_ERROR", "sample_bilinear", "tile_image_coords"]
