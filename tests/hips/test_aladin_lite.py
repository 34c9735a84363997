"""The HiPS in a real browser: Aladin Lite (served by the service) in headless Chromium."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import numpy as np
import pytest
from matplotlib import image as mpimg
from starlette.testclient import TestClient

from archive.fullimage import ccd_wcs
from hips.viewer import aladin_js
from tests.conftest import require_tool
from vo_service.mission import pointings

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")
WIDTH, HEIGHT = 640, 420


def require_aladin_lite() -> None:
    if aladin_js() is not None:
        return
    message = "aladin-lite is not installed (make setup runs: python -m hips.viewer)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def screenshot(chromium: str, url: str, out: Path, profile: Path) -> np.ndarray:
    """RGB pixels of the page after Aladin Lite had time to fetch and draw the tiles."""
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}",
                    "--hide-scrollbars", "--virtual-time-budget=5000", f"--screenshot={out}", url],
                   capture_output=True, timeout=120, check=False)
    assert out.exists(), f"chromium wrote no screenshot for {url}"
    return np.asarray(mpimg.imread(out))[..., :3]


def test_viewer_page_uses_the_local_aladin_lite(client: TestClient, hips_dir: Path) -> None:
    page = client.get("/hips/viewer?survey=fields")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'import A from "http://testserver/hips/viewer/aladin.js"' in page.text
    assert "https://" not in page.text.split("<script")[1]  # no CDN
    assert client.get("/hips/viewer?survey=nosuch").status_code == 404


@pytest.mark.interop
@pytest.mark.browser
def test_fields_render_in_aladin_lite(live_server: str, hips_dir: Path, tmp_path: Path) -> None:
    chromium = require_tool("chromium")
    require_aladin_lite()
    assert httpx.get(f"{live_server}/hips/viewer/aladin.js", timeout=10).status_code == 200
    # Centre of LRa01's exoplanet CCD E1: inside the fields HiPS.
    ra, dec = ccd_wcs(pointings()["LRa01"], "E1", 16).wcs_pix2world([[63.5, 63.5]], 0)[0]
    common = f"catalog=0&moc=none&fov=1.2&width={WIDTH}&height={HEIGHT - 40}"
    field = screenshot(chromium, f"{live_server}/hips/viewer?survey=fields&ra={ra}&dec={dec}&{common}",
                       tmp_path / "field.png", tmp_path / "profile1")
    blank = screenshot(chromium, f"{live_server}/hips/viewer?survey=fields&ra=200&dec=60&{common}",
                       tmp_path / "blank.png", tmp_path / "profile2")
    # The middle of the view, away from Aladin Lite's controls.
    box = (slice(HEIGHT // 4, HEIGHT // 2), slice(WIDTH // 4, 3 * WIDTH // 4))
    field_area, blank_area = field[box].mean(axis=2), blank[box].mean(axis=2)
    assert blank_area.std() < 0.02, "an empty sky should draw a uniform background"
    assert field_area.std() > 0.05, "the field should show stars and noise"
    assert abs(field_area.mean() - blank_area.mean()) > 0.02 or field_area.std() > 5 * blank_area.std()
    different = np.abs(field_area - np.median(blank_area)) > 0.05
    assert different.mean() > 0.2


@pytest.mark.interop
@pytest.mark.browser
def test_survey_pages_show_their_survey(live_server: str, hips_dir: Path, tmp_path: Path) -> None:
    """The page at a survey's base URL draws that survey in Aladin Lite: the fields' tiles
    (stars on a dark sky), the targets' markers over them."""
    chromium = require_tool("chromium")
    require_aladin_lite()
    # The view fills the page below a two-line heading: look at the middle of it.
    box = (slice(HEIGHT // 3, 2 * HEIGHT // 3), slice(WIDTH // 5, 4 * WIDTH // 5))
    fields = screenshot(chromium, f"{live_server}/hips/fields/?height={HEIGHT}", tmp_path / "fields.png",
                        tmp_path / "profile1")[box]
    grey = fields.mean(axis=2)
    assert grey.std() > 0.03, "the fields survey should show stars on the sky"
    assert np.median(grey) < 0.35, "the sky should read dark, as a levelled mosaic does"
    targets = screenshot(chromium, f"{live_server}/hips/targets?height={HEIGHT}", tmp_path / "targets.png",
                         tmp_path / "profile2")[box]
    marker = (targets[..., 0] > 0.8) & (targets[..., 1] > 0.6) & (targets[..., 2] < 0.45)  # #ffcc33
    assert marker.sum() > 200, "the targets survey should draw its sources"
    plain = (fields[..., 0] > 0.8) & (fields[..., 1] > 0.6) & (fields[..., 2] < 0.45)
    assert plain.sum() < marker.sum() / 10  # the markers are the catalogue's, not the image's
