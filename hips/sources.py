"""Input images of an image HiPS: any FITS image with a celestial WCS.

Rendered CoRoT full images and real ones go through the same door: the first HDU holding a
2-D image whose header describes a celestial WCS (FITS WCS Papers I/II) is used.  Each
file is checked completely (header, data length, at least one finite pixel) before a build
uses it; a file that fails is reported by name and left out, so the survey built from the
others stays consistent.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
import numpy.typing as npt
from astropy.coordinates import Latitude, Longitude
from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning
from astropy.utils.exceptions import AstropyUserWarning
from astropy.wcs import WCS
from mocpy import MOC

from hips.geometry import tile_of

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz")
#: Border points per image side used to outline its footprint.
OUTLINE_POINTS = 32
STATS_SAMPLES = 200_000


class BadImage(Exception):
    """An input file that cannot be used (the message says why)."""


@dataclass(frozen=True)
class ImageStats:
    """Robust statistics of an image, for the display cut and the data range."""

    median: float
    sigma: float
    p999: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class ImageInput:
    """A usable input image and what the build needs to know about it."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    hdu: int
    width: int
    height: int
    stats: ImageStats
    tiles: tuple[int, ...]
    has_blanks: bool = True
    mjd_obs: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageInput:
        values = dict(data)
        values["stats"] = ImageStats(**values["stats"])
        values["tiles"] = tuple(int(t) for t in values["tiles"])
        return cls(**values)


def discover(directories: Iterable[Path]) -> list[Path]:
    """FITS files below the directories (hidden files and folders skipped), sorted."""
    found: set[Path] = set()
    for directory in directories:
        if directory.is_file():
            found.add(directory.resolve())
            continue
        if not directory.is_dir():
            continue
        for root, dirs, files in os.walk(directory):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in files:
                if not name.startswith(".") and name.lower().endswith(FITS_SUFFIXES):
                    found.add((Path(root) / name).resolve())
    return sorted(found)


def celestial_wcs(header: fits.Header) -> WCS | None:
    """The 2-D celestial WCS of an image header, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wcs = WCS(header, naxis=2)
    except (ValueError, KeyError, MemoryError) as exc:
        raise BadImage(f"invalid WCS: {exc}") from exc
    if not wcs.has_celestial or wcs.naxis != 2 or wcs.celestial.naxis != 2:
        return None
    return wcs


def _image_hdu(hdul: fits.HDUList) -> tuple[int, WCS]:
    for index, hdu in enumerate(hdul):
        if not isinstance(hdu, fits.PrimaryHDU | fits.ImageHDU | fits.CompImageHDU):
            continue
        if hdu.header.get("NAXIS", 0) != 2:
            continue
        wcs = celestial_wcs(hdu.header)
        if wcs is not None:
            return index, wcs
    raise BadImage("no 2-D image HDU with a celestial WCS")


def _check_length(hdul: fits.HDUList, index: int, size: int) -> None:
    info = hdul.fileinfo(index)
    if info is not None and info.get("datLoc") is not None and info["datLoc"] + info["datSpan"] > size:
        raise BadImage(f"truncated: {size} bytes, the data of HDU {index} needs {info['datLoc'] + info['datSpan']}")


def image_stats(data: npt.NDArray[np.float32]) -> ImageStats:
    flat = np.asarray(data, dtype=np.float32).ravel()
    step = max(1, flat.size // STATS_SAMPLES)
    sample = flat[::step]
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        raise BadImage("no finite pixel")
    median = float(np.median(sample))
    sigma = float(1.4826 * np.median(np.abs(sample - median)))
    finite = flat[np.isfinite(flat)]
    return ImageStats(median=median, sigma=sigma, p999=float(np.percentile(sample, 99.9)),
                      minimum=float(finite.min()), maximum=float(finite.max()))


def outline(wcs: WCS, width: int, height: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Sky positions (degrees) along the image border, counter-clockwise in pixel space."""
    t = np.linspace(0.0, 1.0, OUTLINE_POINTS, endpoint=False)
    x0, x1, y0, y1 = -0.5, width - 0.5, -0.5, height - 0.5
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full_like(t, x1), x1 - (x1 - x0) * t, np.full_like(t, x0)])
    ys = np.concatenate([np.full_like(t, y0), y0 + (y1 - y0) * t, np.full_like(t, y1), y1 - (y1 - y0) * t])
    lon, lat = wcs.wcs_pix2world(xs, ys, 0)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def footprint_tiles(wcs: WCS, width: int, height: int, order: int) -> tuple[int, ...]:
    """Tiles of ``order`` the image touches: its outline polygon plus its border cells."""
    lon, lat = outline(wcs, width, height)
    good = np.isfinite(lon) & np.isfinite(lat)
    if good.sum() < 3:
        raise BadImage("the WCS maps the image border nowhere on the sky")
    lon, lat = lon[good], lat[good]
    moc = MOC.from_polygon(Longitude(lon * u.deg), Latitude(lat * u.deg), max_depth=order)
    if moc.sky_fraction > 0.5:  # the outside of the outline was taken: use the complement
        moc = moc.complement()
    cells = set(np.asarray(moc.flatten(), dtype=np.int64).tolist())
    cells.update(tile_of(lon, lat, order).tolist())
    return tuple(sorted(cells))


def inspect_image(path: Path, order: int) -> ImageInput:
    """Check an input image completely and describe it; raise :class:`BadImage` if unusable."""
    try:
        stat = path.stat()
        payload = path.read_bytes()
    except OSError as exc:
        raise BadImage(f"unreadable: {exc.strerror or exc}") from exc
    digest = hashlib.sha256(payload).hexdigest()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", AstropyUserWarning)
            warnings.simplefilter("error", VerifyWarning)
            with fits.open(io.BytesIO(payload), memmap=False, lazy_load_hdus=False) as hdul:
                index, wcs = _image_hdu(hdul)
                _check_length(hdul, index, len(payload))
                data = np.asarray(hdul[index].data, dtype=np.float32)
                mjd = hdul[index].header.get("MJD-OBS")
    except BadImage:
        raise
    except (OSError, ValueError, TypeError, KeyError, IndexError, AstropyUserWarning, VerifyWarning) as exc:
        raise BadImage(f"not a readable FITS image: {exc}") from exc
    if data.ndim != 2:
        raise BadImage(f"image data has {data.ndim} axes, 2 expected")
    height, width = data.shape
    return ImageInput(
        path=str(path), size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=digest, hdu=index,
        width=int(width), height=int(height), stats=image_stats(data),
        tiles=footprint_tiles(wcs, int(width), int(height), order),
        has_blanks=not bool(np.isfinite(data).all()),
        mjd_obs=float(mjd) if isinstance(mjd, int | float) else None,
    )


def inspect_safely(path: Path, order: int) -> ImageInput | str:
    """:func:`inspect_image`, with the reason as a string when the file is refused."""
    try:
        return inspect_image(path, order)
    except BadImage as exc:
        return str(exc)


@dataclass
class OpenImage:
    """An input image loaded for sampling (native float32, the file closed again)."""

    data: npt.NDArray[np.float32]
    wcs: WCS


def open_image(path: str, hdu_index: int) -> OpenImage:
    """Load the image of an inspected input (the file may have changed meanwhile)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fits.open(path, memmap=True, lazy_load_hdus=True) as hdul:
            hdu = hdul[hdu_index]
            wcs = celestial_wcs(hdu.header)
            data = np.array(hdu.data, dtype=np.float32)
    if wcs is None:
        raise BadImage("the WCS disappeared since the file was inspected")
    return OpenImage(data=data, wcs=wcs)


__all__ = [
    "BadImage",
    "ImageInput",
    "ImageStats",
    "OpenImage",
    "celestial_wcs",
    "discover",
    "footprint_tiles",
    "image_stats",
    "inspect_image",
    "inspect_safely",
    "open_image",
    "outline",
]
