"""Full-field images of the runs: WCS, PSFs, noise, and the archive-side rendering."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from archive.fullimage import (
    FULL_WELL,
    READ_NOISE,
    SKY_RATE,
    Stars,
    ccd_wcs,
    fullimage_channels,
    image_header,
    psf_profile,
    render_ccd,
    render_fullimages,
    stamp_stars,
    star_flux,
)
from vo_service.access import Viewer
from vo_service.mission import CCD_PIXELS, PIXEL_SCALE_ARCSEC, ccd_rectangles, pointings, runs
from vo_service.settings import Settings
from vo_service.store.factory import open_store


@pytest.mark.parametrize(("run_code", "ccd", "binning"), [("LRa01", "E1", 1), ("LRc01", "A2", 4), ("SRa05", "E2", 16)])
def test_wcs_reproduces_the_focal_plane(run_code: str, ccd: str, binning: int) -> None:
    pointing = pointings()[run_code]
    wcs = ccd_wcs(pointing, ccd, binning)
    x0, x1, y0, y1 = ccd_rectangles()[ccd]
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(x0, x1, 200), rng.uniform(y0, y1, 200)
    ra, dec = pointing.to_sky(xs, ys)
    px, py = wcs.wcs_world2pix(ra, dec, 0)
    scale = PIXEL_SCALE_ARCSEC * binning / 3600
    assert np.allclose(x0 + (px + 0.5) * scale, xs, atol=1e-6 * scale)
    assert np.allclose(y0 + (py + 0.5) * scale, ys, atol=1e-6 * scale)
    assert wcs.pixel_shape == (CCD_PIXELS // binning, CCD_PIXELS // binning)


def test_header_is_a_celestial_fits_wcs() -> None:
    wcs = ccd_wcs(pointings()["LRa02"], "E2", 4)
    header = image_header(wcs, run_code="LRa02", ccd="E2", binning=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parsed = WCS(header)
    assert parsed.has_celestial and parsed.wcs.ctype[0] == "RA---TAN"
    assert header["DATASET"] == "DA_TC_COROT_N0_LRa02_ENO_FULLIMAGE"
    assert header["EXPTIME"] == 32.0 and header["BUNIT"] == "electron"
    assert np.allclose(parsed.wcs_pix2world([[10.0, 20.0]], 0), wcs.wcs_pix2world([[10.0, 20.0]], 0))


def test_stamping_conserves_flux_and_matches_a_star_by_star_sum() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.uniform(20, 108, 40), rng.uniform(20, 108, 40)
    flux = rng.uniform(1e3, 1e5, 40)
    for channel in ("exo", "astero"):
        image = stamp_stars((128, 128), x, y, flux, channel, 1)
        assert image.sum() == pytest.approx(flux.sum(), rel=1e-9)
        reference = np.zeros((128, 128))
        for i in range(3):  # the vectorised stamp equals the sum of single-star stamps
            reference += stamp_stars((128, 128), x[i : i + 1], y[i : i + 1], flux[i : i + 1], channel, 1)
        partial = stamp_stars((128, 128), x[:3], y[:3], flux[:3], channel, 1)
        assert np.allclose(partial, reference)


def test_exoplanet_psf_is_dispersed_along_the_rows() -> None:
    dy, dx = np.mgrid[-15:16, -15:16].astype(float)
    psf = psf_profile("exo", dx, dy, 1)
    psf /= psf.sum()
    var_x, var_y = (psf * dx**2).sum(), (psf * dy**2).sum()
    assert var_x > 4 * var_y
    assert (psf * dx).sum() > 0.5  # red-heavy spectrum: centroid shifted to the red end


def test_asteroseismology_psf_is_a_defocused_ring_of_about_400_pixels() -> None:
    dy, dx = np.mgrid[-20:21, -20:21].astype(float)
    psf = psf_profile("astero", dx, dy, 1)
    lit = psf > 0.5 * psf.max()
    assert 330 < lit.sum() < 470
    assert psf[20, 20] < 0.1 * psf.max()  # dark centre: the secondary mirror's shadow


def test_rendered_image_has_the_noise_model() -> None:
    pointing = pointings()["LRa01"]
    stars = Stars(np.empty(0), np.empty(0), np.empty(0))
    image, _ = render_ccd(pointing, "E1", stars, binning=8, rng=np.random.default_rng(5))
    pixels = 64
    sky = SKY_RATE * 32.0 * pixels
    assert image.dtype == np.float32 and image.shape == (256, 256)
    assert np.median(image) == pytest.approx(sky, rel=0.01)
    assert np.std(image) == pytest.approx(np.sqrt(sky + READ_NOISE**2 * pixels), rel=0.05)


def test_bright_stars_saturate_and_faint_ones_show() -> None:
    pointing = pointings()["LRa01"]
    wcs = ccd_wcs(pointing, "E1", 1)
    ra, dec = wcs.wcs_pix2world([500.0, 1500.0], [500.0, 1500.0], 0)
    stars = Stars(np.asarray(ra), np.asarray(dec), np.array([8.0, 15.5]))
    image, _ = render_ccd(pointing, "E1", stars, binning=1, rng=np.random.default_rng(1))
    assert image[495:506, 490:511].max() == pytest.approx(FULL_WELL, rel=0.02)
    box = image[1495:1506, 1488:1513].astype(float) - SKY_RATE * 32
    assert box.sum() == pytest.approx(star_flux(np.array([15.5]), "exo")[0], rel=0.15)


def test_archive_renders_every_public_run(settings: Settings, client: object, tmp_path: Path) -> None:
    store = open_store(settings)
    try:
        visible = fullimage_channels(store, Viewer())
        report = render_fullimages(store, tmp_path, binning=32, run_codes=["IRa01", "LRa07"])
        again = render_fullimages(store, tmp_path, binning=32, run_codes=["IRa01", "LRa07"])
    finally:
        store.close()
    assert set(visible) >= {r.code for r in runs()}  # (and the in-flight calibration run)
    # IRa01 (before the 2009 chain loss) has 4 CCDs, LRa07 two.
    assert len(report.images) == 6 and len(report.rendered) == 6
    assert again.rendered == [] and again.images == report.images
    with fits.open(tmp_path / "IRa01" / "ENO_FULLIMAGE_IRa01_E1.fits") as hdul:
        assert hdul[0].header["RUN_CODE"] == "IRa01"
        assert hdul[0].data.shape == (64, 64)
