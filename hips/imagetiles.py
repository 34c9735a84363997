"""Image tiles on disk: FITS tiles for science, PNG tiles for display (HiPS 1.0 §4.2.1).

FITS tiles are BITPIX −32 with NaN for "no data" (FITS 4.0 §5.3: IEEE NaN is the blank of
floating-point arrays) and rows bottom-up; PNG tiles are the same array flipped to
top-down, passed through a display stretch and transparent where there is no data.
Every file is written to a temporary name and renamed, so a server never reads half a tile.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from astropy.io import fits

from hips.geometry import tile_path
from hips.pngio import encode_grey_alpha


@dataclass(frozen=True)
class Stretch:
    """Display transfer for PNG tiles: asinh between the cut levels (physical values).

    ``softening`` sets where the curve turns from linear to logarithmic: a few times the
    background noise keeps faint stars visible without saturating bright ones.
    """

    low: float
    high: float
    softening: float

    def to_grey(self, values: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
        span = max(self.high - self.low, 1e-12)
        soft = max(self.softening, span * 1e-6)
        scaled = np.arcsinh((np.nan_to_num(values, nan=self.low) - self.low) / soft) / math.asinh(span / soft)
        return np.asarray(np.clip(scaled * 255.0 + 0.5, 0, 255), dtype=np.uint8)

    def as_list(self) -> list[float]:
        return [self.low, self.high, self.softening]

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.low, self.high, self.softening)


def atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


def fits_bytes(data: npt.NDArray[np.float32], cards: Mapping[str, tuple[object, str]] | None = None) -> bytes:
    """A BITPIX −32 primary HDU (bottom-up rows, NaN blanks)."""
    hdu = fits.PrimaryHDU(np.asarray(data, dtype=">f4"))
    for key, (value, comment) in (cards or {}).items():
        hdu.header[key] = (value, comment)
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


def png_bytes(data: npt.NDArray[np.float32], stretch: Stretch) -> bytes:
    """PNG of a FITS-oriented array: flipped to top-down, NaN → transparent."""
    top_down = np.asarray(data)[::-1]
    alpha = np.where(np.isfinite(top_down), 255, 0).astype(np.uint8)
    return encode_grey_alpha(stretch.to_grey(top_down), alpha)


def read_fits_tile(path: Path) -> npt.NDArray[np.float32]:
    with fits.open(path, memmap=False) as hdul:
        return np.asarray(hdul[0].data, dtype=np.float32)


def write_tile(root: Path, order: int, npix: int, data: npt.NDArray[np.float32], formats: tuple[str, ...],
               stretch: Stretch) -> None:
    """Write one tile in every format (FITS carries ORDER/NPIX cards as Hipsgen does)."""
    for fmt in formats:
        if fmt == "fits":
            cards = {"ORDER": (order, "HEALPix order of the tile"), "NPIX": (npix, "HEALPix NESTED index")}
            atomic_write(root / tile_path(order, npix, "fits"), fits_bytes(data, cards))
        elif fmt == "png":
            atomic_write(root / tile_path(order, npix, "png"), png_bytes(data, stretch))
        else:
            raise ValueError(f"unsupported tile format {fmt!r}")


def remove_tile(root: Path, order: int, npix: int, formats: tuple[str, ...]) -> None:
    for fmt in formats:
        (root / tile_path(order, npix, fmt)).unlink(missing_ok=True)


def reduce_2x2(data: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Mean of each 2×2 block, ignoring NaN (all-NaN blocks stay NaN).

    HiPS 1.0 §4.2.1 leaves the method open and recommends the mean for intensities: a
    median would erase isolated faint stars at low orders.
    """
    values = np.asarray(data, dtype=np.float32)
    total = np.zeros((values.shape[0] // 2, values.shape[1] // 2), dtype=np.float64)
    count = np.zeros(total.shape, dtype=np.float32)
    for quarter in (values[0::2, 0::2], values[0::2, 1::2], values[1::2, 0::2], values[1::2, 1::2]):
        finite = np.isfinite(quarter)
        total += np.where(finite, quarter, 0.0)
        count += finite
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1.0), np.nan).astype(np.float32)


def reduce_by(data: npt.NDArray[np.float32], factor: int) -> npt.NDArray[np.float32]:
    """Repeated 2×2 means down to ``1/factor`` of the size (factor a power of two)."""
    out = data
    while factor > 1:
        out = reduce_2x2(out)
        factor //= 2
    return out


__all__ = [
    "Stretch",
    "atomic_write",
    "fits_bytes",
    "png_bytes",
    "read_fits_tile",
    "reduce_2x2",
    "reduce_by",
    "remove_tile",
    "write_tile",
]
