"""Image HiPS builds from FITS images: tile values, hierarchy, increments, bad inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from archive.fullimage import (
    EXPOSURE_S,
    READ_NOISE,
    SKY_RATE,
    Stars,
    ccd_channel,
    ccd_wcs,
    image_header,
    image_name,
    render_ccd,
    write_image,
)
from hips.build_image import ImageSurveySpec, build_image_survey
from hips.check import check_survey
from hips.geometry import child_block, order_for_pixel_scale, tile_path
from hips.imagetiles import Stretch, read_fits_tile, reduce_2x2
from hips.manifest import Manifest
from hips.properties import read_properties
from hips.resample import MAX_GRID_ERROR
from hips.sources import image_stats
from tests.hips.nested_xyf import pix2xyf, xyf2pix
from vo_service.mission import PIXEL_SCALE_ARCSEC, pointings
from vo_service.spatial import healpix_centres

BINNING = 16
WIDTH = 128
ORDER = order_for_pixel_scale(PIXEL_SCALE_ARCSEC * BINNING, WIDTH)
SPEC = ImageSurveySpec(order=ORDER, order_min=3, tile_width=WIDTH)
META = {"creator_did": "ivo://test/corot/hips/fields", "obs_title": "test fields"}


def make_image(folder: Path, run_code: str, ccd: str, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    pointing = pointings()[run_code]
    wcs = ccd_wcs(pointing, ccd, BINNING)
    side = 2048 // BINNING
    ra, dec = wcs.wcs_pix2world(rng.uniform(0, side, 300), rng.uniform(0, side, 300), 0)
    stars = Stars(np.asarray(ra), np.asarray(dec), rng.uniform(10, 15, 300))
    data, wcs = render_ccd(pointing, ccd, stars, binning=BINNING, rng=rng)
    path = folder / run_code / image_name(run_code, ccd)
    write_image(path, data, image_header(wcs, run_code=run_code, ccd=ccd, binning=BINNING))
    return path


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    make_image(folder, "LRa01", "E1", 1)
    make_image(folder, "LRa01", "A1", 2)
    make_image(folder, "SRa02", "E2", 3)  # overlaps LRa01
    return folder


def build(root: Path, images: Path, **kwargs: object) -> object:
    return build_image_survey(root, [images], SPEC, META, **kwargs)  # type: ignore[arg-type]


def test_build_is_complete_and_lint_clean(tmp_path: Path, images: Path) -> None:
    root = tmp_path / "fields"
    report = build(root, images)
    assert report.changed and report.inputs == 3 and not report.skipped  # type: ignore[attr-defined]
    result = check_survey(root)
    assert result.ok, result.errors
    props = read_properties(root / "properties")
    assert props["hips_order"] == str(ORDER) and props["hips_tile_width"] == str(WIDTH)
    assert (root / "Norder3" / "Allsky.fits").exists() and (root / "Norder3" / "Allsky.png").exists()


def test_deep_tile_pixels_are_the_sky_subtracted_image(tmp_path: Path) -> None:
    """Independent of the builder: cell centres from nested face coordinates, image
    values by bilinear interpolation at the WCS position."""
    root = tmp_path / "fields"
    single = tmp_path / "single"
    path = make_image(single, "LRa01", "E1", 1)
    build(root, single)
    with fits.open(path) as hdul:
        image = hdul[0].data.astype(float)
        wcs = ccd_wcs(pointings()["LRa01"], "E1", BINNING)
    source = Manifest.load(root).inputs[str(path.resolve())]
    sky = source.stats.sky  # its accuracy: test_sky_levels_every_ccd_alike
    checked = 0
    for npix in source.tiles:
        tile = read_fits_tile(root / tile_path(ORDER, npix, "fits"))
        fx, fy, face = pix2xyf(ORDER, npix)
        rows, cols = np.mgrid[0:WIDTH:7, 0:WIDTH:7]
        deep = ORDER + WIDTH.bit_length() - 1
        cells = xyf2pix(deep, fx * WIDTH + WIDTH - 1 - rows, fy * WIDTH + cols, face)
        lon, lat = healpix_centres(cells, deep)
        x, y = wcs.wcs_world2pix(lon, lat, 0)
        inside = (x > 0) & (x < image.shape[1] - 1) & (y > 0) & (y < image.shape[0] - 1)
        x0, y0 = np.floor(x[inside]).astype(int), np.floor(y[inside]).astype(int)
        fxr, fyr = x[inside] - x0, y[inside] - y0
        v00, v01 = image[y0, x0], image[y0, x0 + 1]
        v10, v11 = image[y0 + 1, x0], image[y0 + 1, x0 + 1]
        expected = (v00 * (1 - fxr) * (1 - fyr) + v01 * fxr * (1 - fyr)
                    + v10 * (1 - fxr) * fyr + v11 * fxr * fyr) - sky
        # The builder interpolates WCS positions on a grid, within MAX_GRID_ERROR of a pixel:
        # allow that much displacement along the local gradient.
        slope_x = np.abs((v01 - v00) * (1 - fyr) + (v11 - v10) * fyr)
        slope = slope_x + np.abs((v10 - v00) * (1 - fxr) + (v11 - v01) * fxr)
        tolerance = MAX_GRID_ERROR * slope + 1e-4 * np.abs(expected) + 0.05
        assert np.all(np.abs(tile[rows[inside], cols[inside]] - expected) <= tolerance)
        assert np.all(np.isnan(tile[rows[~inside & ((x < -1) | (y < -1) | (x > 130) | (y > 130))],
                                    cols[~inside & ((x < -1) | (y < -1) | (x > 130) | (y > 130))]]))
        checked += int(inside.sum())
    assert checked > 100


def test_lower_orders_are_the_mean_of_their_children(tmp_path: Path, images: Path) -> None:
    root = tmp_path / "fields"
    build(root, images)
    for path in sorted((root / f"Norder{ORDER - 1}").glob("Dir*/Npix*.fits"))[:3]:
        npix = int(path.stem[4:])
        parent = read_fits_tile(path)
        for child in range(4):
            child_path = root / tile_path(ORDER, 4 * npix + child, "fits")
            rows, cols = child_block(child, WIDTH)
            if child_path.exists():
                assert np.allclose(parent[rows, cols], reduce_2x2(read_fits_tile(child_path)), equal_nan=True)
            else:
                assert np.all(np.isnan(parent[rows, cols]))


def test_rebuild_touches_only_what_changed(tmp_path: Path, images: Path) -> None:
    root = tmp_path / "fields"
    build(root, images)
    again = build(root, images)
    assert not again.changed and again.tiles_rendered == 0 and again.inspected == 0  # type: ignore[attr-defined]

    manifest = Manifest.load(root)
    changed_path = images / "SRa02" / "ENO_FULLIMAGE_SRa02_E2.fits"
    touched = set(manifest.inputs[str(changed_path.resolve())].tiles)
    untouched = sorted(set(manifest.tiles) - touched)
    assert untouched, "the test images must have tiles the change does not touch"
    stamps = {n: (root / tile_path(ORDER, n, "fits")).stat().st_mtime_ns for n in untouched}
    make_image(images, "SRa02", "E2", 99)  # new content
    update = build(root, images)
    assert update.changed and update.inspected == 1  # type: ignore[attr-defined]
    assert update.tiles_rendered == len(touched)  # type: ignore[attr-defined]
    assert all((root / tile_path(ORDER, n, "fits")).stat().st_mtime_ns == stamps[n] for n in untouched)
    assert check_survey(root).ok


def test_removed_image_takes_its_tiles_away(tmp_path: Path, images: Path) -> None:
    root = tmp_path / "fields"
    build(root, images)
    gone = Manifest.load(root).inputs[str((images / "LRa01" / "ANO_FULLIMAGE_LRa01_A1.fits").resolve())]
    shutil.rmtree(images / "LRa01")
    report = build(root, images)
    assert report.tiles_removed > 0  # type: ignore[attr-defined]
    remaining = Manifest.load(root).tiles
    sra02 = next(iter(Manifest.load(root).inputs.values()))
    assert set(remaining) == set(sra02.tiles) & set(remaining)
    assert not (set(gone.tiles) - set(sra02.tiles)) & set(remaining)
    assert check_survey(root).ok


def test_corrupt_inputs_are_named_and_skipped(tmp_path: Path, images: Path) -> None:
    root = tmp_path / "fields"
    good = images / "LRa01" / "ENO_FULLIMAGE_LRa01_E1.fits"
    truncated = images / "broken" / "truncated.fits"
    truncated.parent.mkdir()
    truncated.write_bytes(good.read_bytes()[:10_000])
    (images / "broken" / "garbage.fits").write_bytes(b"not a FITS file at all" * 200)
    no_wcs = images / "broken" / "nowcs.fits"
    fits.PrimaryHDU(np.ones((10, 10), dtype=np.float32)).writeto(no_wcs)
    report = build(root, images)
    skipped = dict(report.skipped)  # type: ignore[attr-defined]
    assert set(skipped) == {str(p.resolve()) for p in (truncated, images / "broken" / "garbage.fits", no_wcs)}
    assert "truncated" in skipped[str(truncated.resolve())]
    assert "celestial WCS" in skipped[str(no_wcs.resolve())]
    assert report.inputs == 3  # type: ignore[attr-defined]
    assert check_survey(root).ok


def test_two_workers_build_the_same_tiles(tmp_path: Path, images: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    build(one, images, workers=1)
    build(two, images, workers=2)
    tiles_one = sorted(p.relative_to(one) for p in one.glob("Norder*/**/*.fits"))
    assert tiles_one == sorted(p.relative_to(two) for p in two.glob("Norder*/**/*.fits"))
    for relative in tiles_one:
        assert np.array_equal(read_fits_tile(one / relative), read_fits_tile(two / relative), equal_nan=True)


def crowded_image(channel_ccd: str, n_stars: int, seed: int) -> tuple[np.ndarray, float, float]:
    """A rendered CCD image, its true sky level and sky noise (the renderer's model)."""
    rng = np.random.default_rng(seed)
    pointing = pointings()["LRc01"]
    wcs = ccd_wcs(pointing, channel_ccd, BINNING)
    side = 2048 // BINNING
    ra, dec = wcs.wcs_pix2world(rng.uniform(0, side, n_stars), rng.uniform(0, side, n_stars), 0)
    stars = Stars(np.asarray(ra), np.asarray(dec), rng.uniform(11, 16, n_stars))
    data, _ = render_ccd(pointing, channel_ccd, stars, binning=BINNING, rng=rng)
    sky = SKY_RATE * EXPOSURE_S[ccd_channel(channel_ccd)] * BINNING**2
    return data, sky, float(np.sqrt(sky + READ_NOISE**2 * BINNING**2))


@pytest.mark.parametrize(("ccd", "n_stars", "tolerance"), [("E1", 3000, 0.2), ("E1", 1000, 0.1), ("E2", 300, 0.1),
                                                          ("A1", 40, 0.1), ("A2", 5, 0.1)])
def test_sky_levels_every_ccd_alike(ccd: str, n_stars: int, tolerance: float) -> None:
    """The subtracted sky is the true background to a tenth of the noise (a fifth where
    every pixel holds some star light), on a crowded exoplanet CCD (whose sky is 32 times
    that of an asteroseismology CCD and whose median its stars raise by up to 6 noise) as
    on a sparse one; the sky noise is the renderer's to 8 %."""
    data, sky, noise = crowded_image(ccd, n_stars, seed=n_stars)
    stats = image_stats(data)
    assert abs(stats.sky - sky) < tolerance * noise, (stats.sky, sky, stats.median)
    assert stats.noise == pytest.approx(noise, rel=0.08)
    assert all(np.diff(stats.levelled) >= 0) and stats.pixels == data.size


def test_levelled_mosaic_reads_as_one_sky(tmp_path: Path) -> None:
    """An exoplanet CCD (sky ~40x higher, crowded) beside an asteroseismology CCD: after the
    build their skies sit at the same level in the tiles and map to the same grey in the
    PNG tiles; the cut comes from the levelled pixels (sky noise below zero, stars at top)."""
    images = tmp_path / "images"
    make_image(images, "LRa01", "E1", 1)
    make_image(images, "LRa01", "A1", 2)
    root = tmp_path / "fields"
    build(root, images)
    manifest = Manifest.load(root)
    by_ccd = {Path(p).stem[-2:]: i for p, i in manifest.inputs.items()}
    assert by_ccd["E1"].stats.sky > 20 * by_ccd["A1"].stats.sky
    stretch = Stretch(*manifest.stretch)
    levels = {}
    for ccd, source in by_ccd.items():
        only = set(source.tiles) - set().union(*(i.tiles for c, i in by_ccd.items() if c != ccd))
        pixels = np.concatenate([read_fits_tile(root / tile_path(ORDER, n, "fits")).ravel() for n in sorted(only)])
        pixels = pixels[np.isfinite(pixels)]
        levels[ccd] = (float(np.median(pixels[np.abs(pixels) < 3 * source.stats.noise])), source.stats.noise)
    noise = max(n for _, n in levels.values())
    assert abs(levels["E1"][0] - levels["A1"][0]) < 0.1 * noise, levels
    grey_e1, grey_a1 = (int(stretch.to_grey(np.array([lv], dtype=np.float32))[0]) for lv, _ in levels.values())
    assert abs(grey_e1 - grey_a1) <= 2 and grey_e1 < 64  # the same dark sky
    assert -3 * noise < stretch.low < 0 < stretch.softening < stretch.high
    props = read_properties(root / "properties")
    assert props["hips_pixel_cut"] == f"{stretch.low:.6g} {stretch.high:.6g}"
