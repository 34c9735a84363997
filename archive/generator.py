"""The deterministic demo-archive generator.

Writes, under an output folder, what a CoRoT data centre would deliver: the observation
log (``catalogue/corot_targets.parquet``), the archive tree (``catalogue/corot_datasets.parquet``)
and N2 light-curve FITS files in the real layout under ``N2-4.4/YYYY/MM/DD/``.  The files
are then loaded by the ordinary ingester, exactly like real deliveries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from archive.catalogue import synthesise_targets
from archive.datasets import synthesise_datasets
from archive.lcsim import LightCurveSpec, Transit, simulate
from archive.n2fits import write_n2
from vo_service.mission import planets


@dataclass(frozen=True)
class DemoSize:
    """Size knobs: share of the observation log kept, light-curve files written per run."""

    fraction: float = 1.0
    lightcurves_per_run: int = 6
    astero_per_short_run: int = 1
    seed: int = 2006

    @classmethod
    def preset(cls, name: str) -> DemoSize:
        presets = {
            "tiny": cls(fraction=0.02, lightcurves_per_run=1, astero_per_short_run=0),
            "demo": cls(),
            "full": cls(fraction=1.0, lightcurves_per_run=1_000_000, astero_per_short_run=1_000),
        }
        return presets[name]


@dataclass
class GeneratedArchive:
    out_dir: Path
    catalogue_files: list[Path]
    product_files: list[Path]
    seconds: float


def _transits_for(corot_id: int, run_code: str) -> tuple[Transit, ...]:
    out = []
    for planet in planets():
        if planet.corot_id == corot_id and planet.t0_jd is not None:
            out.append(
                Transit(period_d=planet.period_d, t0_bjd=planet.t0_jd, depth=planet.depth, duration_h=planet.duration_h)
            )
    return tuple(out)


def _spec(row: dict[str, object], seed: int) -> LightCurveSpec:
    corot_id = int(row["corot_id"])  # type: ignore[call-overload]
    start = row["date_start"]
    end = row["date_end"]
    assert isinstance(start, datetime) and isinstance(end, datetime)
    ptype = str(row["product_type"])

    def _num(key: str) -> float:
        value = row[key]
        return float(value) if value is not None else float("nan")  # type: ignore[arg-type]

    return LightCurveSpec(
        corot_id=corot_id,
        run_code=str(row["run_code"]),
        product_type=ptype,
        hlfccdid=str(row["hlfccdid"]),
        win_id=int(row["win_id"]),  # type: ignore[call-overload]
        ra=_num("ra"),
        dec=_num("dec"),
        bmag=_num("bmag"),
        vmag=_num("vmag"),
        rmag=_num("rmag"),
        spectral_type=str(row["spectral_type"]),
        lum_class=str(row["lum_class"]),
        teff=_num("teff"),
        star_name=str(row["star_name"] or ""),
        var_class=str(row["var_class"] or ""),
        t_start=start,
        t_end=end,
        cadence_s=32.0 if ptype == "AN2_STAR" else 512.0,
        planets=_transits_for(corot_id, str(row["run_code"])),
        seed=(seed * 1_000_003 + corot_id) % (2**32),
    )


def select_products(targets: pa.Table, size: DemoSize) -> pa.Table:
    """Observations that get a light-curve file: every planet host, plus a sample per run."""
    rng = np.random.default_rng(size.seed + 7)
    runs = targets.column("run_code").to_numpy(zero_copy_only=False)
    channel = targets.column("channel").to_numpy(zero_copy_only=False)
    var_class = targets.column("var_class").to_numpy(zero_copy_only=False)
    chosen = var_class == "PLANET"
    for code in np.unique(runs):
        exo = np.flatnonzero((runs == code) & (channel == "exo") & ~chosen)
        if exo.size:
            chosen[rng.choice(exo, size=min(size.lightcurves_per_run, exo.size), replace=False)] = True
        astero = np.flatnonzero((runs == code) & (channel == "astero"))
        if astero.size and str(code).startswith("SR") and size.astero_per_short_run:
            chosen[rng.choice(astero, size=min(size.astero_per_short_run, astero.size), replace=False)] = True
    return targets.filter(pa.array(chosen))


def generate(
    out_dir: Path, size: DemoSize, *, progress: bool = True, on_file: Callable[[Path], None] | None = None
) -> GeneratedArchive:
    """Write the observation log, the archive tree and the selected light-curve files."""
    started = time.perf_counter()
    catalogue_dir = out_dir / "catalogue"
    catalogue_dir.mkdir(parents=True, exist_ok=True)
    targets = synthesise_targets(seed=size.seed, fraction=size.fraction)
    targets_path = catalogue_dir / "corot_targets.parquet"
    pq.write_table(targets, targets_path)
    datasets_path = catalogue_dir / "corot_datasets.parquet"
    pq.write_table(synthesise_datasets(seed=size.seed), datasets_path)

    selected = select_products(targets, size)
    written: list[Path] = []
    rows = selected.to_pylist()
    for row in tqdm(rows, unit="file", desc="light curves", disable=not progress):
        spec = _spec(row, size.seed)
        relpath = Path(str(row["file_name"]))
        path = out_dir / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        write_n2(path, spec, simulate(spec))
        written.append(path)
        if on_file is not None:
            on_file(path)
    return GeneratedArchive(out_dir, [targets_path, datasets_path], written, time.perf_counter() - started)


def proprietary_products(files: list[Path]) -> list[Path]:
    """The demo's proprietary sample: products of the last run (LRa07) stay with the Co-Is."""
    return [p for p in files if p.name.split("_")[-2].startswith("201210")]


__all__ = ["DemoSize", "GeneratedArchive", "generate", "proprietary_products", "select_products"]
