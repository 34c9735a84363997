"""MOC 2.0 coverage of the runs, of the archive, and the space-time MOC."""

from __future__ import annotations

import json
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.time import Time, TimeDelta
from mocpy import MOC, STMOC, TimeMOC

from hips.moc import RunCoverage, ccd_moc, collection_mocs, write_mocs
from vo_service.mission import ccd_rectangles, pointings, run_by_code, runs


def coverage(codes: list[str]) -> list[RunCoverage]:
    result = []
    for code in codes:
        run = run_by_code(code)
        result.append(RunCoverage(code, pointings()[code], (*run.exo_ccds, *run.astero_ccds), run.start, run.end))
    return result


def test_ccd_moc_covers_the_ccd_and_not_beyond() -> None:
    pointing = pointings()["LRa01"]
    moc = ccd_moc(pointing, "E1")
    x0, x1, y0, y1 = ccd_rectangles()["E1"]
    xs, ys = np.meshgrid(np.linspace(x0 + 0.01, x1 - 0.01, 12), np.linspace(y0 + 0.01, y1 - 0.01, 12))
    ra, dec = pointing.to_sky(xs.ravel(), ys.ravel())
    assert moc.contains_lonlat(ra * u.deg, dec * u.deg).all()
    far_ra, far_dec = pointing.to_sky([x1 + 0.2, x0 - 0.2], [0.5, 0.5])
    assert not moc.contains_lonlat(far_ra * u.deg, far_dec * u.deg).any()
    area = moc.sky_fraction * 4 * np.pi * (180 / np.pi) ** 2
    assert 1.74 < area < 1.74 * 1.15  # 1.32° × 1.32°, plus the cells along the edges


def test_archive_is_the_union_and_the_stmoc_knows_when() -> None:
    mocs, stmoc = collection_mocs(coverage(["LRa01", "LRc01", "SRa02"]))
    assert set(mocs) == {"LRa01", "LRc01", "SRa02", "archive"}
    union = mocs["LRa01"].union(mocs["LRc01"], mocs["SRa02"])
    assert mocs["archive"] == union
    assert stmoc is not None
    lra01 = run_by_code("LRa01")
    middle = Time(lra01.start + (lra01.end - lra01.start) / 2)
    during = stmoc.query_by_time(TimeMOC.from_times(middle, delta_t=TimeDelta(60, format="sec")))
    assert during == mocs["LRa01"]
    between = Time("2009-01-01T00:00:00")  # no run of this set then
    assert stmoc.query_by_time(TimeMOC.from_times(between, delta_t=TimeDelta(60, format="sec"))).empty()


def test_files_in_fits_and_json(tmp_path: Path) -> None:
    mocs, stmoc = collection_mocs(coverage([r.code for r in runs()[:3]]))
    report = write_mocs(tmp_path, mocs, stmoc)
    assert report.changed
    assert MOC.from_fits(str(tmp_path / "archive.fits")) == mocs["archive"]
    assert MOC.from_json(json.loads((tmp_path / "archive.json").read_text())) == mocs["archive"]
    assert STMOC.from_fits(str(tmp_path / "stmoc.fits")) == stmoc
    assert json.loads((tmp_path / "stmoc.json").read_text())
    assert not write_mocs(tmp_path, mocs, stmoc).changed  # same content: files left alone
