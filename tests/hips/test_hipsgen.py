"""CDS Hipsgen (Debian ``aladin``) as the reference: LINT of our surveys, and our tiles
against the tiles it builds from the same image."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from hips.build_image import ImageSurveySpec, build_image_survey
from hips.manifest import Manifest
from tests.conftest import require_tool
from tests.hips.test_build_image import make_image

ALADIN_JAR = Path("/usr/share/java/aladin.jar")


def hipsgen(*arguments: str) -> str:
    require_tool("java")
    require_tool("aladin")  # the Debian package that ships the jar
    result = subprocess.run(["java", "-Xmx1g", "-jar", str(ALADIN_JAR), "-hipsgen", "-nocolor", *arguments],
                            capture_output=True, text=True, timeout=300, check=False)
    return result.stdout + result.stderr


@pytest.mark.interop
@pytest.mark.parametrize("survey", ["fields", "targets"])
def test_hipsgen_lint_reports_the_surveys_compliant(hips_dir: Path, survey: str) -> None:
    output = hipsgen(f"out={hips_dir / survey}", "LINT")
    assert "is fully IVOA HiPS 1.0 compatible" in output, output
    assert "ERROR" not in output and "WARN" not in output, output


@pytest.mark.interop
def test_our_tiles_match_hipsgen_tiles(tmp_path: Path) -> None:
    images = tmp_path / "images"
    path = make_image(images, "LRa01", "E1", 11)
    theirs_root, ours_root = tmp_path / "hipsgen", tmp_path / "ours"
    output = hipsgen(f"in={images / 'LRa01'}", f"out={theirs_root}", "id=CoRoT/P/test", "order=4", "INDEX", "TILES")
    assert (theirs_root / "properties").exists(), output
    build_image_survey(ours_root, [images], ImageSurveySpec(order=4), {"creator_did": "ivo://t/x", "obs_title": "t"})
    sky = Manifest.load(ours_root).inputs[str(path.resolve())].stats.median
    theirs_tiles = sorted(theirs_root.glob("Norder4/Dir*/Npix*.fits"))
    assert theirs_tiles
    compared = 0
    for tile in theirs_tiles:
        ours_path = ours_root / tile.relative_to(theirs_root)
        assert ours_path.exists(), tile.name
        theirs_data = fits.getdata(tile).astype(float)
        ours_data = fits.getdata(ours_path).astype(float) + sky  # Hipsgen keeps the sky
        both = np.isfinite(theirs_data) & np.isfinite(ours_data)
        span = np.nanmax(theirs_data) - np.nanmin(theirs_data)
        close = np.abs(ours_data[both] - theirs_data[both]) <= 1e-3 * span + 0.05
        assert close.mean() > 0.99, (tile.name, close.mean())
        # Same coverage, give or take the image's outermost half pixel.
        assert both.sum() >= 0.97 * np.isfinite(theirs_data).sum()
        compared += int(both.sum())
    assert compared > 10_000
