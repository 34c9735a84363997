"""Coverage maps of the CoRoT archive (MOC 2.0): per run, for the whole archive, and in
space and time (STMOC, MOC 2.0 §4.4) for the collection.

A run's spatial coverage is the union of the CCDs it used (:meth:`Pointing.footprint`,
edge-sampled so the gnomonic edges are followed); the STMOC pairs each run's time window
with that coverage.  Files are written in FITS (MOC 2.0 §5.3) and JSON (§5.2), and only
when their content changed, so their ETag stays stable between builds.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import Latitude, Longitude
from astropy.time import Time
from mocpy import MOC, STMOC

from hips.imagetiles import atomic_write
from hips.report import BuildReport
from vo_service.mission import Pointing

#: HEALPix depth of the run MOCs: cells of 51.5" along CCD edges of 1.32°.
MOC_DEPTH = 12
#: Time depth of the STMOC: a cell of depth d lasts 2^(61-d) µs (MOC 2.0 §4.3), so depth 29
#: gives cells of 2^32 µs ≈ 72 minutes, ample for runs of weeks to months.
TIME_DEPTH = 29
#: Names of the MOC files: the archive, the STMOC, and one per run code.
ARCHIVE, STMOC_NAME = "archive", "stmoc"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class RunCoverage:
    """What the MOCs need to know about a run."""

    code: str
    pointing: Pointing
    ccds: tuple[str, ...]
    start: datetime
    end: datetime


def ccd_moc(pointing: Pointing, ccd: str, depth: int = MOC_DEPTH) -> MOC:
    """The sky covered by one CCD (its outline sampled every ~0.16° along the edges)."""
    vertices = pointing.footprint(ccd, steps=8)
    lon = np.array([v[0] for v in vertices])
    lat = np.array([v[1] for v in vertices])
    return MOC.from_polygon(Longitude(lon * u.deg), Latitude(lat * u.deg), max_depth=depth)


def run_moc(run: RunCoverage, depth: int = MOC_DEPTH) -> MOC:
    mocs = [ccd_moc(run.pointing, ccd, depth) for ccd in run.ccds]
    return mocs[0].union(*mocs[1:]) if len(mocs) > 1 else mocs[0]


def collection_mocs(runs: Sequence[RunCoverage], depth: int = MOC_DEPTH) -> tuple[dict[str, MOC], STMOC | None]:
    """Spatial MOCs by name (each run code and ``archive``) and the space-time MOC."""
    mocs = {run.code: run_moc(run, depth) for run in runs if run.ccds}
    if not mocs:
        return {}, None
    runs_with_ccds = [run for run in runs if run.code in mocs]
    everything = list(mocs.values())
    mocs[ARCHIVE] = everything[0].union(*everything[1:]) if len(everything) > 1 else everything[0]
    stmoc = STMOC.from_spatial_coverages(
        Time([r.start for r in runs_with_ccds], scale="utc"),
        Time([r.end for r in runs_with_ccds], scale="utc"),
        [mocs[r.code] for r in runs_with_ccds],
        time_depth=TIME_DEPTH,
    )
    return mocs, stmoc


def _payloads(moc: MOC | STMOC, tmp: Path) -> dict[str, bytes]:
    tmp.parent.mkdir(parents=True, exist_ok=True)
    moc.save(str(tmp), format="fits", overwrite=True)
    fits_payload = tmp.read_bytes()
    tmp.unlink()
    return {"fits": fits_payload, "json": moc.to_string(format="json").encode("utf-8")}


def write_mocs(out_dir: Path, mocs: Mapping[str, MOC], stmoc: STMOC | None, *, name: str = "moc") -> BuildReport:
    """Write ``<name>.fits`` and ``<name>.json`` for every MOC; drop MOCs of vanished runs."""
    started = time.perf_counter()
    report = BuildReport(survey=name, inputs=len(mocs))
    out_dir.mkdir(parents=True, exist_ok=True)
    items: dict[str, MOC | STMOC] = dict(mocs)
    if stmoc is not None:
        items[STMOC_NAME] = stmoc
    wanted: set[str] = set()
    for key, moc in items.items():
        if not NAME_PATTERN.match(key):
            raise ValueError(f"invalid MOC name {key!r}")
        for ext, payload in _payloads(moc, out_dir / f".{key}.tmp.fits").items():
            path = out_dir / f"{key}.{ext}"
            wanted.add(path.name)
            if path.exists() and path.read_bytes() == payload:
                continue
            atomic_write(path, payload)
            report.tiles_rendered += 1
            report.changed = True
    for stale in out_dir.glob("*.*"):
        if stale.suffix in {".fits", ".json"} and stale.name not in wanted:
            stale.unlink()
            report.tiles_removed += 1
            report.changed = True
    report.seconds = time.perf_counter() - started
    return report


__all__ = [
    "ARCHIVE",
    "MOC_DEPTH",
    "NAME_PATTERN",
    "STMOC_NAME",
    "RunCoverage",
    "ccd_moc",
    "collection_mocs",
    "run_moc",
    "write_mocs",
]
