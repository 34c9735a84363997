"""Catalogue HiPS: brightest first, completeness, Allsky, metadata, increments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from lxml import etree

from hips.build_catalog import CatalogSurveySpec, build_catalog_survey
from hips.check import check_survey
from hips.properties import read_properties
from vo_service.metadata import ColumnMeta, load_catalogue
from vo_service.spatial import healpix_index

COLUMNS = ("corot_id", "ra", "dec", "vmag", "run_code", "star_name")
META = {"creator_did": "ivo://test/corot/hips/targets", "obs_title": "test targets"}
SPEC = CatalogSurveySpec(quotas=((1, 5), (2, 10), (3, 20)), default_quota=40)


def columns() -> list[ColumnMeta]:
    table = load_catalogue().table("corot.targets")
    return [table.column(c) for c in COLUMNS]


def sample(n: int = 4000, seed: int = 3) -> pa.Table:
    rng = np.random.default_rng(seed)
    centre = rng.choice([[101.0, -1.0], [282.0, 6.0]], n)
    vmag = rng.uniform(9.0, 16.0, n)
    vmag[:10] = np.nan  # unknown magnitudes go last
    names = [f"star\t{i}" if i % 500 == 0 else "" for i in range(n)]  # a TAB that must not break lines
    return pa.table({
        "corot_id": pa.array(np.arange(100_000_000, 100_000_000 + n), pa.int64()),
        "ra": centre[:, 0] + rng.normal(0, 0.8, n),
        "dec": centre[:, 1] + rng.normal(0, 0.8, n),
        "vmag": pa.array(vmag, pa.float32()),
        "run_code": rng.choice(["LRa01", "LRc01"], n),
        "star_name": names,
    })


def build(root: Path, table: pa.Table) -> object:
    return build_catalog_survey(root, table, columns(), SPEC, META, table_name="corot.targets")


def test_catalogue_is_consistent(tmp_path: Path) -> None:
    root = tmp_path / "targets"
    build(root, sample())
    result = check_survey(root)
    assert result.ok, result.errors[:10]
    props = read_properties(root / "properties")
    assert props["hips_cat_nrows"] == "4000" and props["dataproduct_type"] == "catalog"
    assert props["hips_order_min"] == "1" and props["hips_tile_format"] == "tsv"


def test_tiles_start_with_completeness_then_header(tmp_path: Path) -> None:
    root = tmp_path / "targets"
    build(root, sample())
    tile = next(iter(sorted(root.glob("Norder3/Dir*/Npix*.tsv"))))
    lines = tile.read_text(encoding="utf-8").split("\n")
    assert lines[0].startswith("# Completeness = ")
    assert lines[1].split("\t") == list(COLUMNS)
    assert all(len(line.split("\t")) == len(COLUMNS) for line in lines[2:] if line)
    for order in (1, 2):
        allsky = (root / f"Norder{order}" / "Allsky.tsv").read_text(encoding="utf-8").split("\n")
        assert allsky[0].startswith("#") and allsky[1] == "\t".join(COLUMNS)


def test_brightest_sources_come_first(tmp_path: Path) -> None:
    root = tmp_path / "targets"
    build(root, sample())
    order = int(read_properties(root / "properties")["hips_order"])
    faintest: dict[tuple[int, int], float] = {}
    for k in range(1, order + 1):
        for path in root.glob(f"Norder{k}/Dir*/Npix*.tsv"):
            rows = [line.split("\t") for line in path.read_text().split("\n")[2:] if line]
            mags = np.array([float(r[3]) if r[3] else np.inf for r in rows])
            assert np.all(np.diff(mags) >= 0)  # brightest first inside a tile
            npix = int(path.stem[4:])
            faintest[(k, npix)] = float(mags.max())
            if k > 1:  # nothing in a tile is brighter than what its parent still shows
                assert mags.min() >= faintest[(k - 1, npix // 4)] - 1e-6
    assert faintest  # and the Allsky of order 1 holds the very brightest stars
    allsky = (root / "Norder1" / "Allsky.tsv").read_text().split("\n")[2:]
    assert min(float(r.split("\t")[3]) for r in allsky if r) == pytest.approx(9.0, abs=0.05)


def test_metadata_declares_positions_for_aladin(tmp_path: Path) -> None:
    root = tmp_path / "targets"
    build(root, sample(300))
    tree = etree.parse(str(root / "Metadata.xml"))
    ns = {"v": "http://www.ivoa.net/xml/VOTable/v1.3"}
    fields = tree.findall(".//v:FIELD", ns)
    assert [f.get("name") for f in fields] == list(COLUMNS)
    ucds = {f.get("name"): f.get("ucd") for f in fields}
    assert ucds["ra"].startswith("pos.eq.ra") and ucds["dec"].startswith("pos.eq.dec")
    assert (root / "metadata.xml").read_bytes() == (root / "Metadata.xml").read_bytes()


def test_rows_sit_in_their_tile(tmp_path: Path) -> None:
    root = tmp_path / "targets"
    build(root, sample())
    for path in list(root.glob("Norder4/Dir*/Npix*.tsv"))[:10]:
        rows = [line.split("\t") for line in path.read_text().split("\n")[2:] if line]
        cells = healpix_index([float(r[1]) for r in rows], [float(r[2]) for r in rows], 4)
        assert set(cells.tolist()) == {int(path.stem[4:])}


def test_rebuild_rewrites_only_changed_tiles(tmp_path: Path) -> None:
    root = tmp_path / "targets"
    table = sample()
    build(root, table)
    assert not build(root, table).changed  # type: ignore[attr-defined]
    total = len(list(root.glob("Norder*/**/*.tsv")))
    vmag = table.column("vmag").to_numpy(zero_copy_only=False).copy()
    faint = int(np.nanargmax(vmag))
    vmag[faint] = 16.2  # the faintest star gets fainter: only its own tile changes
    report = build(root, table.set_column(3, "vmag", pa.array(vmag, pa.float32())))
    assert report.changed and 1 <= report.tiles_rendered <= 2  # type: ignore[attr-defined]
    assert report.tiles_rendered < total  # type: ignore[attr-defined]
    assert check_survey(root).ok
