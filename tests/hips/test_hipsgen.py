"""CDS Hipsgen and Aladin (Debian ``aladin``) as the reference: LINT of our surveys, our
image tiles against the tiles Hipsgen builds from the same image, our catalogue tiles as
Aladin's catalogue HiPS reader understands them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from hips.build_image import ImageSurveySpec, build_image_survey
from hips.manifest import Manifest
from hips.properties import read_properties
from tests.conftest import require_tool
from tests.hips.test_build_image import make_image
from vo_service.spatial import healpix_index

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
    root = hips_dir / survey
    order_min = int(read_properties(root / "properties")["hips_order_min"])
    output = hipsgen(f"out={root}", "LINT")
    # LINT walks a few random tiles towards order 0 and, when a walk meets a path an earlier
    # one tried, counts that order as present although no tile exists there: it then reports
    # a "min order found" below hips_order_min.  The tree itself is checked here; only that
    # report, when it is false, makes LINT walk again (at most twice more).
    for _ in range(2):
        if f"min order found in the tile hierarchy [{order_min - 1}]" not in output:
            break
        assert not any((root / f"Norder{order}").exists() for order in range(order_min)), output
        output = hipsgen(f"out={root}", "LINT")
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
    sky = Manifest.load(ours_root).inputs[str(path.resolve())].stats.sky
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


ALADIN_TILE_READER = Path(__file__).with_name("AladinCatalogTile.java")


def aladin_reads(tiles: list[Path]) -> dict[Path, tuple[int, int, bool]]:
    """(nLoaded, nTotal, last) as Aladin's own catalogue tile reader understands each tile."""
    require_tool("java")
    require_tool("aladin")
    result = subprocess.run(["java", "-Djava.awt.headless=false", "-cp", str(ALADIN_JAR), str(ALADIN_TILE_READER)],
                            input="\n".join(str(t) for t in tiles) + "\n", capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    read: dict[Path, tuple[int, int, bool]] = {}
    for line in result.stdout.splitlines():
        name, found, loaded, total, last = line.split("\t")
        assert found == "true", f"Aladin finds no completeness line in {name}"
        read[Path(name)] = (int(loaded), int(total), last == "true")
    return read


@pytest.mark.interop
def test_aladin_reads_our_catalogue_tiles_as_hipsgen_cat_writes_them(hips_dir: Path) -> None:
    """The reference for catalogue HiPS.  Hipsgen of the Debian ``aladin`` package (12.001) has
    no CATALOG action (it answers "Unknown parameter [CATALOG]": catalogue HiPS come from CDS's
    separate Hipsgen-cat), so our tiles are read by the reader that consumes Hipsgen-cat's
    output, Aladin's ``HealpixKeyCat`` from the same jar.  Hipsgen-cat writes
    ``# Completeness = N/M``: M sources of the catalogue in the tile's cell, N of them in the
    tile and its ancestors; Aladin reads N/M as the completeness it shows and stops descending
    a branch at the tile where N = M."""
    root = hips_dir / "targets"
    tiles = sorted(root.glob("Norder*/Dir*/Npix*.tsv"))
    assert len(tiles) > 20
    order = int(read_properties(root / "properties")["hips_order"])
    header = tiles[0].read_text(encoding="utf-8").split("\n")[1].split("\t")
    ra_col, dec_col = header.index("ra"), header.index("dec")
    shown: list[int] = []
    deep: list[int] = []
    present: set[tuple[int, int]] = set()
    rows_in: dict[tuple[int, int], int] = {}
    for tile in tiles:
        k, npix = int(tile.parent.parent.name[6:]), int(tile.stem[4:])
        present.add((k, npix))
        rows = [line.split("\t") for line in tile.read_text(encoding="utf-8").split("\n")[2:] if line]
        rows_in[(k, npix)] = len(rows)
        cells = healpix_index([float(r[ra_col]) for r in rows], [float(r[dec_col]) for r in rows], order)
        deep.extend(int(c) for c in cells)
        shown.extend([k] * len(rows))
    deep_cells, shown_at = np.asarray(deep), np.asarray(shown)
    assert len(deep_cells) == int(read_properties(root / "properties")["hips_cat_nrows"])

    read = aladin_reads(tiles)
    assert set(read) == set(tiles)
    for tile, (loaded, total, last) in read.items():
        k, npix = int(tile.parent.parent.name[6:]), int(tile.stem[4:])
        in_cell = (deep_cells >> (2 * (order - k))) == npix
        assert total == int(in_cell.sum()), (tile.name, "M is the number of sources in the cell")
        assert loaded == int((in_cell & (shown_at <= k)).sum()), (tile.name, "N counts the tile and its ancestors")
        assert rows_in[(k, npix)] <= loaded <= total
        has_children = any((k + 1, 4 * npix + c) in present for c in range(4))
        assert last == (not has_children), (tile.name, loaded, total, "Aladin stops exactly at the leaves")
