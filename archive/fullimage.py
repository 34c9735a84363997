"""Full-field CCD images of the CoRoT runs (the N0 ``ENO_FULLIMAGE`` / ``ANO_FULLIMAGE`` products).

CoRoT read each CCD in full a few times per run, to place the photometric windows.  Those
images are not public, so the archive renders them from what it holds: the stars of the
run's observation log (``corot.targets``: positions, V magnitudes) on the run's real CCD
footprints (:mod:`vo_service.mission`).  Each image carries a celestial TAN WCS
(FITS WCS Paper II, §5.1.3) that reproduces :meth:`Pointing.to_sky` exactly, so any tool —
the HiPS builder first of all — places it on the sky like a real full-field image.

The optics are imitated where they matter for the eye: on the exoplanet CCDs a bi-prism
spreads each star into a short red-heavy spectrum along the CCD rows; the asteroseismology
CCDs are defocused, each star a ring of ~400 pixels.  Noise is sky background, photon
noise and read noise.  Stars are stamped all at once (one ``bincount`` over small kernels
per chunk of stars), never pixel by pixel.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from astropy.io import fits
from astropy.wcs import WCS

from vo_service.access import Viewer
from vo_service.fullimages import (
    DATASET_TYPES,
    Channel,
    ccd_channel,
    fullimage_channels,
    fullimages_dir,
    image_name,
)
from vo_service.mission import (
    CCD_PIXELS,
    PIXEL_SCALE_ARCSEC,
    Pointing,
    ccd_rectangles,
    pointings,
    run_by_code,
    runs,
    to_mjd,
)
from vo_service.spatial import angular_distance
from vo_service.store.base import Equals, Query, Store

#: Exposure of one full image: 32 s on the exoplanet CCDs, 1 s on the asteroseismology ones.
EXPOSURE_S: Mapping[Channel, float] = {"exo": 32.0, "astero": 1.0}
#: White-light zero point: a V = 27 star gives one electron per 32 s (N2 flux scale).
ZERO_POINT_MAG = 27.0
#: Diffuse sky (zodiacal + Galactic) background, electrons per native pixel per second.
SKY_RATE = 5.0
#: Read noise per native pixel read, electrons.
READ_NOISE = 15.0
#: Full well of a native pixel, electrons (the signal is clipped there, no bleeding).
FULL_WELL = 120_000.0
#: Bump when the rendering changes, so that stale images are rendered again.
RENDER_VERSION = 1
STARS_PER_CHUNK = 4096


# -- WCS --------------------------------------------------------------------------------------
def ccd_wcs(pointing: Pointing, ccd: str, binning: int = 1) -> WCS:
    """Celestial TAN WCS of one CCD (``binning × binning`` native pixels per image pixel).

    Focal-plane coordinates are gnomonic (tangent-plane) degrees rotated by the roll, so
    the intermediate world coordinates are ``CD · (p − CRPIX)`` with CD the pixel scale
    times the roll rotation, CRVAL the pointing centre (FITS WCS Paper II, TAN with the
    default LONPOLE = 180°).  Pixel p = 1 has its centre half a pixel inside the CCD edge.
    """
    if CCD_PIXELS % binning:
        raise ValueError(f"binning {binning} does not divide the {CCD_PIXELS}-pixel CCD")
    x0, _, y0, _ = ccd_rectangles()[ccd]
    scale = PIXEL_SCALE_ARCSEC * binning / 3600.0
    c, s = math.cos(math.radians(pointing.roll)), math.sin(math.radians(pointing.roll))
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [pointing.ra, pointing.dec]
    wcs.wcs.crpix = [0.5 - x0 / scale, 0.5 - y0 / scale]
    wcs.wcs.cd = [[scale * c, -scale * s], [scale * s, scale * c]]
    wcs.wcs.radesys = "ICRS"
    wcs.wcs.cunit = ["deg", "deg"]
    wcs.pixel_shape = (CCD_PIXELS // binning, CCD_PIXELS // binning)
    wcs.wcs.set()
    return wcs


# -- PSF --------------------------------------------------------------------------------------
#: Exoplanet channel: the bi-prism spectrum as three lobes (blue, green, red) along the rows,
#: offsets and widths in native pixels, weights of a solar-type star.
EXO_LOBES = ((-4.5, 0.25), (0.0, 0.30), (4.5, 0.45))
EXO_SIGMA_ALONG, EXO_SIGMA_ACROSS = 2.0, 1.3
#: Asteroseismology channel: defocused pupil, a ring of radii 4 and 12 native pixels
#: (about 400 illuminated pixels) with soft edges.
ASTERO_R_IN, ASTERO_R_OUT, ASTERO_EDGE = 4.0, 12.0, 0.7


def kernel_half_size(channel: Channel, binning: int) -> tuple[int, int]:
    """Half sizes (along x, along y) of the stamp box in image pixels."""
    if channel == "exo":
        return math.ceil(11.0 / binning) + 1, math.ceil(5.0 / binning) + 1
    half = math.ceil((ASTERO_R_OUT + 3 * ASTERO_EDGE) / binning) + 1
    return half, half


def psf_profile(channel: Channel, dx: npt.NDArray[np.float64], dy: npt.NDArray[np.float64],
                binning: int) -> npt.NDArray[np.float64]:
    """Un-normalised PSF at offsets (dx along rows, dy along columns), in image pixels.

    Widths are combined in quadrature with the image pixel (a box of variance 1/12), so
    binned images stay smooth and every star lands on at least one pixel.
    """
    pix_var = 1.0 / 12.0
    if channel == "exo":
        s_along = math.sqrt((EXO_SIGMA_ALONG / binning) ** 2 + pix_var)
        s_across = math.sqrt((EXO_SIGMA_ACROSS / binning) ** 2 + pix_var)
        across = np.exp(-0.5 * (dy / s_across) ** 2)
        total = np.zeros(np.broadcast_shapes(dx.shape, dy.shape))
        for offset, weight in EXO_LOBES:
            total += weight * np.exp(-0.5 * ((dx - offset / binning) / s_along) ** 2) * across
        return total
    r = np.hypot(dx, dy)
    edge = math.sqrt((ASTERO_EDGE / binning) ** 2 + pix_var)
    outer = 1.0 / (1.0 + np.exp(-(ASTERO_R_OUT / binning - r) / edge))
    inner = 1.0 / (1.0 + np.exp(-(r - ASTERO_R_IN / binning) / edge))
    return np.asarray(outer * inner, dtype=np.float64)


def stamp_stars(shape: tuple[int, int], x: npt.NDArray[np.float64], y: npt.NDArray[np.float64],
                flux: npt.NDArray[np.float64], channel: Channel, binning: int) -> npt.NDArray[np.float64]:
    """Noise-free image of point sources (0-based pixel positions, total electrons each).

    Each star's kernel is evaluated on its own small grid (vectorised over stars), then
    normalised to the star's flux and accumulated with one ``bincount`` per chunk.
    """
    height, width = shape
    image = np.zeros(height * width, dtype=np.float64)
    hx, hy = kernel_half_size(channel, binning)
    grid_y, grid_x = np.mgrid[-hy : hy + 1, -hx : hx + 1]
    for start in range(0, len(x), STARS_PER_CHUNK):
        cx, cy, f = x[start : start + STARS_PER_CHUNK], y[start : start + STARS_PER_CHUNK], flux[
            start : start + STARS_PER_CHUNK]
        ix, iy = np.rint(cx).astype(np.int64), np.rint(cy).astype(np.int64)
        cols = ix[:, None, None] + grid_x[None]
        rows = iy[:, None, None] + grid_y[None]
        values = psf_profile(channel, cols - cx[:, None, None], rows - cy[:, None, None], binning)
        values *= (f / values.sum(axis=(1, 2)))[:, None, None]
        inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
        image += np.bincount((rows * width + cols)[inside], weights=values[inside], minlength=height * width)
    return image.reshape(shape)


def star_flux(vmag: npt.NDArray[np.float64], channel: Channel) -> npt.NDArray[np.float64]:
    """Electrons collected in one full-image exposure from stars of V magnitude ``vmag``."""
    per_second = 10.0 ** (-0.4 * (vmag - ZERO_POINT_MAG)) / 32.0
    return np.asarray(per_second * EXPOSURE_S[channel], dtype=np.float64)


@dataclass(frozen=True)
class Stars:
    """Positions (ICRS degrees) and V magnitudes of the stars to draw."""

    ra: npt.NDArray[np.float64]
    dec: npt.NDArray[np.float64]
    vmag: npt.NDArray[np.float64]

    @classmethod
    def from_arrow(cls, table: pa.Table) -> Stars:
        def column(name: str) -> npt.NDArray[np.float64]:
            return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)

        ra, dec, vmag = column("ra"), column("dec"), column("vmag")
        keep = np.isfinite(ra) & np.isfinite(dec) & np.isfinite(vmag)
        return cls(ra[keep], dec[keep], vmag[keep])

    def digest(self) -> str:
        sha = hashlib.sha256()
        for values in (self.ra, self.dec, self.vmag):
            sha.update(np.ascontiguousarray(values, dtype="<f8").tobytes())
        return sha.hexdigest()


def render_ccd(pointing: Pointing, ccd: str, stars: Stars, *, binning: int = 1,
               rng: np.random.Generator) -> tuple[npt.NDArray[np.float32], WCS]:
    """One full image (electrons, float32) of ``ccd`` and its WCS."""
    channel = ccd_channel(ccd)
    wcs = ccd_wcs(pointing, ccd, binning)
    side = CCD_PIXELS // binning
    hx, hy = kernel_half_size(channel, binning)
    x, y = wcs.wcs_world2pix(stars.ra, stars.dec, 0) if len(stars.ra) else (np.empty(0), np.empty(0))
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    near = np.isfinite(x) & (x > -hx) & (x < side + hx) & (y > -hy) & (y < side + hy)
    # The tangent plane maps the opposite hemisphere too: keep stars within 10° of the centre.
    near &= angular_distance(stars.ra, stars.dec, pointing.ra, pointing.dec) < 10.0
    exposure = EXPOSURE_S[channel]
    signal = stamp_stars((side, side), x[near], y[near], star_flux(stars.vmag[near], channel), channel, binning)
    pixels = binning * binning
    model = np.minimum(signal + SKY_RATE * exposure * pixels, FULL_WELL * pixels)
    noise_sigma = np.sqrt(model + READ_NOISE**2 * pixels)
    image = model + noise_sigma * rng.standard_normal(model.shape)
    return image.astype(np.float32), wcs


def image_header(wcs: WCS, *, run_code: str, ccd: str, binning: int) -> fits.Header:
    """FITS header: WCS, instrument, run, dates, exposure and the noise model."""
    channel = ccd_channel(ccd)
    run = run_by_code(run_code)
    header = fits.Header()
    header["ORIGIN"] = ("CoRoT VO", "institution that wrote the file")
    header["TELESCOP"] = ("COROT", "CNES space telescope")
    header["INSTRUME"] = ("CoRoT camera", "4-CCD focal plane")
    header["DETNAM"] = (ccd, "CCD (E = exoplanet, A = asteroseismology)")
    header["CHANNEL"] = (channel, "instrument channel")
    header["RUN_CODE"] = (run_code, "observing run")
    header["DATASET"] = (f"DA_TC_COROT_N0_{run_code}_{DATASET_TYPES[channel]}", "SIPAD-CoRoT dataset")
    header["OBJECT"] = (f"CoRoT {run_code} {ccd}", "field")
    header["DATE-OBS"] = (run.start.strftime("%Y-%m-%dT%H:%M:%S"), "UTC, start of the run")
    header["MJD-OBS"] = (round(to_mjd(run.start), 6), "MJD (UTC) of DATE-OBS")
    header["EXPTIME"] = (EXPOSURE_S[channel], "[s] exposure time")
    header["BUNIT"] = ("electron", "pixel values are electrons")
    header["XBINNING"] = (binning, "native CCD pixels per image pixel along x")
    header["YBINNING"] = (binning, "native CCD pixels per image pixel along y")
    header["PIXSCALE"] = (PIXEL_SCALE_ARCSEC * binning, "[arcsec/pixel]")
    header["SATURATE"] = (FULL_WELL * binning * binning, "[electron] saturation level")
    header["RDNOISE"] = (READ_NOISE, "[electron] read noise per native pixel")
    header["GAIN"] = (1.0, "[electron/adu] values are already electrons")
    header.extend(wcs.to_header(), update=True)
    header["COMMENT"] = "Rendered from the CoRoT observation log (positions, V magnitudes) on the run's"
    header["COMMENT"] = "CCD footprint; CoRoT's original full-field images are not public."
    return header


def write_image(path: Path, data: npt.NDArray[np.float32], header: fits.Header) -> None:
    """Write atomically: readers never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fits.PrimaryHDU(data=data, header=header).writeto(tmp, overwrite=True)
    os.replace(tmp, path)


# -- the archive side ---------------------------------------------------------------------------
def run_stars(store: Store, run_code: str, viewer: Viewer) -> Stars:
    """The stars of one run's observation log."""
    query = Query("corot.targets", ("ra", "dec", "vmag"), where=(Equals("run_code", (run_code,)),))
    batches = list(store.select(query, viewer))
    if not batches:
        return Stars(np.empty(0), np.empty(0), np.empty(0))
    return Stars.from_arrow(pa.Table.from_batches(batches))


@dataclass
class RenderReport:
    """What :func:`render_fullimages` did."""

    images: list[Path] = field(default_factory=list)
    rendered: list[Path] = field(default_factory=list)
    skipped_runs: list[str] = field(default_factory=list)


def _rng(seed: int, run_code: str, ccd: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(run_code.encode()), zlib.crc32(ccd.encode())])


def render_fullimages(store: Store, out_dir: Path, *, binning: int = 1, seed: int = 2006,
                      run_codes: Iterable[str] | None = None, viewer: Viewer | None = None) -> RenderReport:
    """Render the full images of the runs ``viewer`` may see (anonymous: public ones only).

    Images whose inputs (stars, binning, seed, renderer version) are unchanged are kept as
    they are, so a later HiPS build finds nothing new.  Images of runs that are no longer
    visible are removed.
    """
    viewer = viewer or Viewer()
    visible = fullimage_channels(store, viewer)
    wanted = {code.lower() for code in run_codes} if run_codes is not None else None
    ledger_path = out_dir / "render.json"
    ledger: dict[str, str] = json.loads(ledger_path.read_text()) if ledger_path.exists() else {}
    report = RenderReport()
    keep: set[str] = set()
    for run in runs():
        if wanted is not None and run.code.lower() not in wanted:
            continue
        channels = visible.get(run.code, set())
        if not channels:
            report.skipped_runs.append(run.code)
            continue
        pointing = pointings()[run.code]
        stars = run_stars(store, run.code, viewer)
        digest = hashlib.sha256(f"{stars.digest()}|{binning}|{seed}|{RENDER_VERSION}".encode()).hexdigest()
        for ccd in (*run.exo_ccds, *run.astero_ccds):
            if ccd_channel(ccd) not in channels:
                continue
            path = out_dir / run.code / image_name(run.code, ccd)
            key = str(path.relative_to(out_dir))
            keep.add(key)
            report.images.append(path)
            if path.exists() and ledger.get(key) == digest:
                continue
            data, wcs = render_ccd(pointing, ccd, stars, binning=binning, rng=_rng(seed, run.code, ccd))
            write_image(path, data, image_header(wcs, run_code=run.code, ccd=ccd, binning=binning))
            ledger[key] = digest
            report.rendered.append(path)
    if wanted is None:
        for key in sorted(set(ledger) - keep):
            (out_dir / key).unlink(missing_ok=True)
            del ledger[key]
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = ledger_path.with_name(".render.json.tmp")
    tmp.write_text(json.dumps(ledger, indent=1, sort_keys=True))
    os.replace(tmp, ledger_path)
    return report


__all__ = [
    "DATASET_TYPES",
    "EXPOSURE_S",
    "RenderReport",
    "Stars",
    "ccd_channel",
    "ccd_wcs",
    "fullimage_channels",
    "fullimages_dir",
    "image_header",
    "image_name",
    "psf_profile",
    "render_ccd",
    "render_fullimages",
    "run_stars",
    "stamp_stars",
    "star_flux",
    "write_image",
]
