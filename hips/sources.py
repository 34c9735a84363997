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
import math
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


#: Probabilities (percent) at which the sky-subtracted pixel values of each image are kept:
#: enough to pool the images into one distribution and choose the display cut from it.
LEVELLED_PERCENTILES = (0.1, 1.0, 5.0, 16.0, 30.0, 50.0, 70.0, 84.0, 95.0, 99.0, 99.5, 99.9, 99.97, 99.99)


@dataclass(frozen=True)
class ImageStats:
    """Robust statistics of an image: its sky background (``sky``, the level the build
    subtracts, as Hipsgen's ``skyval``), the sky noise, and the distribution of its
    sky-subtracted pixels (``levelled``, at :data:`LEVELLED_PERCENTILES`) for the cut."""

    median: float
    sigma: float
    p999: float
    minimum: float
    maximum: float
    sky: float = 0.0
    noise: float = 0.0
    pixels: int = 0
    levelled: tuple[float, ...] = ()


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
        stats = dict(values["stats"])
        stats["levelled"] = tuple(float(v) for v in stats.get("levelled", ()))
        values["stats"] = ImageStats(**stats)
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


def _histogram_peak(values: npt.NDArray[np.float64], low: float, high: float, width: float) -> float:
    """Position of the highest bin of a lightly smoothed histogram of ``values`` in
    [low, high], refined by a parabola through it and its neighbours."""
    edges = np.arange(low, high + width, width)
    if len(edges) < 4:
        return float(np.median(values))
    counts, _ = np.histogram(values, bins=edges)
    smooth = np.convolve(counts.astype(np.float64), np.array([1.0, 2.0, 3.0, 2.0, 1.0]) / 9.0, mode="same")
    i = int(np.clip(np.argmax(smooth), 1, len(smooth) - 2))
    left, centre, right = smooth[i - 1], smooth[i], smooth[i + 1]
    curvature = left - 2.0 * centre + right
    offset = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
    return float(edges[i] + (0.5 + float(np.clip(offset, -1.0, 1.0))) * width)


def sky_background(sample: npt.NDArray[np.float32]) -> tuple[float, float]:
    """(sky level, sky noise) of an image from its pixels, as Hipsgen's ``skyval`` reads
    the sky from the pixel histogram: the sky is the peak of the histogram (stars only add
    flux, so it lies below the median, which they raise in crowded fields); the noise is
    the spread of the histogram's lower side, which stars barely touch."""
    values = np.asarray(sample, dtype=np.float64)
    values = values[np.isfinite(values)]
    low, middle = (float(v) for v in np.percentile(values, [0.5, 50.0]))
    if not middle - low > 0:
        return middle, 0.0
    peak = _histogram_peak(values, low, middle, (middle - low) / 100.0)
    below = float(np.mean(values < peak))
    noise = peak - float(np.percentile(values, 100.0 * below * 0.31731))  # 1σ below the mode
    if not noise > 0:
        noise = float(1.4826 * np.median(np.abs(values - middle))) or (middle - low)
    peak = _histogram_peak(values, peak - 4.0 * noise, peak + 2.0 * noise, noise / 5.0)
    return _gaussian_core(values, peak, noise)


def _gaussian_core(values: npt.NDArray[np.float64], peak: float, noise: float) -> tuple[float, float]:
    """(centre, width) of the Gaussian that fits the histogram from 2.5σ below its peak to
    0.5σ above (a parabola in log counts, weighted by the counts): the sky noise without the
    stars, which only widen the upper side.  (peak, noise) where no fit is possible."""
    edges = np.arange(peak - 2.5 * noise, peak + 0.5 * noise + noise / 8.0, noise / 4.0)
    counts, _ = np.histogram(values, bins=edges)
    centres = 0.5 * (edges[:-1] + edges[1:]) - peak
    used = counts > 0
    if used.sum() < 5:
        return peak, noise
    a, b, _ = np.polyfit(centres[used], np.log(counts[used]), 2, w=np.sqrt(counts[used]))
    if not a < 0:
        return peak, noise
    centre, width = -b / (2.0 * a), math.sqrt(-1.0 / (2.0 * a))
    if not (abs(centre) < noise and 0.5 * noise < width < 2.0 * noise):
        return peak, noise
    return peak + float(centre), float(width)


def image_stats(data: npt.NDArray[np.float32]) -> ImageStats:
    flat = np.asarray(data, dtype=np.float32).ravel()
    step = max(1, flat.size // STATS_SAMPLES)
    sample = flat[::step]
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        raise BadImage("no finite pixel")
    median = float(np.median(sample))
    sigma = float(1.4826 * np.median(np.abs(sample - median)))
    sky, noise = sky_background(sample)
    levelled = np.percentile(sample.astype(np.float64) - sky, LEVELLED_PERCENTILES)
    finite = flat[np.isfinite(flat)]
    return ImageStats(median=median, sigma=sigma, p999=float(np.percentile(sample, 99.9)),
                      minimum=float(finite.min()), maximum=float(finite.max()), sky=sky, noise=noise,
                      pixels=int(finite.size), levelled=tuple(float(v) for v in levelled))


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
    "LEVELLED_PERCENTILES",
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
    "sky_background",
]
