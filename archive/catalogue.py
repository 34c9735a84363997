"""Synthesis of the CoRoT observation log (``corot.targets``): one row per target per run.

The chromatic exoplanet products are the real ones (60,307 EN2_STAR_CHR files of N2-4.4,
with their real CoRoT IDs and file-name stamps); the other product types are topped up
per run to the mission totals of 177,454 light curves of 163,665 stars, re-observed stars
keeping their ID and position.  Known planet hosts carry their real position and V
magnitude.  Positions fall on the run's CCDs (:mod:`vo_service.mission`);
magnitudes, colours and classes follow the distributions of corot-data.md §8.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from vo_service.mission import (
    DATA_DIR,
    Pointing,
    Run,
    ccd_rectangles,
    planet_run,
    planets,
    pointings,
    run_at,
    run_by_code,
    runs,
)

#: Mission totals of the faint (exoplanet) channel (Deleuil et al. 2018).
TOTAL_EXO_LIGHTCURVES = 177_454
TOTAL_EXO_STARS = 163_665
#: Bright asteroseismology stars (HEASARC count).
TOTAL_ASTERO_STARS = 171

_SPECTRAL = [(30000, "B"), (10000, "A"), (7500, "F"), (6000, "G"), (5200, "K"), (3700, "M")]


@dataclass(frozen=True)
class RealProduct:
    """One real EN2_STAR_CHR product: CoRoT ID and file-name stamps."""

    corot_id: int
    start: datetime
    end: datetime


def real_chr_products() -> list[RealProduct]:
    """The 60,307 chromatic products of N2-4.4 (IDs and stamps from their file names)."""
    out = []
    with gzip.open(DATA_DIR / "en2_star_chr_n2-4.4.csv.gz", "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            a, c = int(row["FileName_a"]), int(row["FileName_c"])
            b = row["FileName_b"]
            start = datetime(
                int(row["Year"]), int(row["Month"]), int(row["Day"]), a // 10000, a // 100 % 100, a % 100, tzinfo=UTC
            )
            end = datetime(int(b[:4]), int(b[4:6]), int(b[6:8]), c // 10000, c // 100 % 100, c % 100, tzinfo=UTC)
            out.append(RealProduct(int(row["CoRoT"]), start, end))
    return out


def _largest_remainder(weights: npt.NDArray[np.float64], total: int) -> npt.NDArray[np.int64]:
    raw = weights / weights.sum() * total
    counts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts))
    counts[order[: total - counts.sum()]] += 1
    result: npt.NDArray[np.int64] = counts
    return result


def _spectral_type(teff: npt.NDArray[np.float64], rng: np.random.Generator) -> npt.NDArray[np.str_]:
    letters = np.full(teff.shape, "M", dtype="<U1")
    bounds = np.zeros(teff.shape)
    for hot, letter in _SPECTRAL[::-1]:
        cool = {"B": 10000, "A": 7500, "F": 6000, "G": 5200, "K": 3700, "M": 2400}[letter]
        mask = teff >= cool
        letters = np.where(mask, letter, letters)
        bounds = np.where(mask, (teff - cool) / (hot - cool), bounds)
    sub = np.clip(9 - np.floor(bounds * 10), 0, 9).astype(int).astype(str)
    return np.char.add(letters, sub)


def _sample_on_ccds(
    rng: np.random.Generator,
    pointing: Pointing,
    ccds: tuple[str, ...],
    n: int,
    also: tuple[tuple[Pointing, tuple[str, ...]], ...] = (),
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Uniform positions on the given CCDs of a pointing (and of every pointing in ``also``)."""
    rects = [ccd_rectangles()[c] for c in ccds]
    ras, decs = np.empty(0), np.empty(0)
    for _ in range(200):
        if ras.size >= n:
            break
        k = max(64, 2 * (n - ras.size))
        which = rng.integers(0, len(rects), k)
        r = np.array(rects)[which]
        x = rng.uniform(r[:, 0], r[:, 1])
        y = rng.uniform(r[:, 2], r[:, 3])
        ra, dec = pointing.to_sky(x, y)
        keep = np.ones(k, dtype=bool)
        for other, other_ccds in also:
            keep &= other.ccd_of(ra, dec, other_ccds) != ""
        ras, decs = np.concatenate([ras, ra[keep]]), np.concatenate([decs, dec[keep]])
    if ras.size < n:  # no overlap: fall back to the first pointing alone
        ra, dec = _sample_on_ccds(rng, pointing, ccds, n - ras.size)
        ras, decs = np.concatenate([ras, ra]), np.concatenate([decs, dec])
    return ras[:n], decs[:n]


def _stamp(when: datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%S")


@dataclass
class _Star:
    ra: float
    dec: float
    vmag: float
    teff: float
    bmv: float
    lum: str
    contamination: float
    var_class: str
    star_name: str = ""


def synthesise_targets(seed: int = 2006, fraction: float = 1.0) -> pa.Table:
    """The observation log as an Arrow table with the ``corot.targets`` columns.

    ``fraction`` < 1 keeps that share of every run (planet hosts always kept), for small
    demo archives; 1.0 reproduces the mission totals exactly.
    """
    rng = np.random.default_rng(seed)
    point = pointings()
    run_list = list(runs())
    real = real_chr_products()
    by_run: dict[str, list[RealProduct]] = defaultdict(list)
    for product in real:
        run = run_at(product.start)
        if run is not None:
            by_run[run.code].append(product)
    n_chr = np.array([len(by_run[r.code]) for r in run_list], dtype=float)
    n_total = _largest_remainder(n_chr, TOTAL_EXO_LIGHTCURVES)
    real_ids = {p.corot_id for p in real}
    reobs_needed = (TOTAL_EXO_LIGHTCURVES - TOTAL_EXO_STARS) - (len(real) - len(real_ids))

    host_by_id = {p.corot_id: p for p in planets() if p.corot_id}
    host_runs: dict[str, list[int]] = defaultdict(list)
    for planet in planets():
        code = planet_run(planet)
        if code is None:
            continue
        for c in (code, *planet.extra_runs):
            pid = planet.corot_id or _host_id(planet.name, c)
            if pid not in host_runs[c]:
                host_runs[c].append(pid)
            host_by_id.setdefault(pid, planet)

    stars: dict[int, _Star] = {}
    rows: list[tuple[int, str, str, str, datetime, datetime]] = []  # id, run, type, hlfccd, start, end
    runs_of: dict[int, list[str]] = defaultdict(list)
    for product in real:
        run = run_at(product.start)
        if run is not None:
            runs_of[product.corot_id].append(run.code)

    topups = n_total - n_chr.astype(np.int64)
    # Re-observation quota per run, spread over runs that overlap an earlier run.
    reobs_quota = np.zeros(len(run_list), dtype=np.int64)
    overlapping = [
        i for i, r in enumerate(run_list) if any(_overlap(point[r.code], r, point[o.code], o) for o in run_list[:i])
    ]
    if overlapping:
        reobs_quota[overlapping] = _largest_remainder(topups[overlapping].astype(float), reobs_needed)
    deficit = 0
    used_ids: set[int] = set(real_ids)
    star_ids: list[int] = []
    star_ra: list[float] = []
    star_dec: list[float] = []

    def add_star(cid: int, star: _Star) -> None:
        stars[cid] = star
        star_ids.append(cid)
        star_ra.append(star.ra)
        star_dec.append(star.dec)

    for i, run in enumerate(run_list):
        pointing = point[run.code]
        in_run: set[int] = set()
        fresh = [
            p.corot_id
            for p in by_run[run.code]
            if p.corot_id not in stars and p.corot_id not in host_by_id and len(runs_of[p.corot_id]) == 1
        ]
        ra_new, dec_new = _sample_on_ccds(rng, pointing, run.exo_ccds, len(fresh))
        for cid, a, d in zip(fresh, ra_new.tolist(), dec_new.tolist(), strict=True):
            add_star(cid, _new_star(rng, a, d))
        for product in by_run[run.code]:
            cid = product.corot_id
            if cid not in stars:
                if cid in host_by_id:
                    h = host_by_id[cid]
                    add_star(cid, _new_star(rng, h.ra, h.dec, vmag=h.vmag, teff=h.teff, var_class="PLANET"))
                else:
                    others = tuple((point[c], run_by_code(c).exo_ccds) for c in runs_of[cid] if c != run.code)
                    ra, dec = _sample_on_ccds(rng, pointing, run.exo_ccds, 1, others)
                    add_star(cid, _new_star(rng, float(ra[0]), float(dec[0])))
            in_run.add(cid)
            rows.append((cid, run.code, "EN2_STAR_CHR", "", product.start, product.end))
        n_new = int(topups[i])
        host_reobs = 0
        for cid in host_runs.get(run.code, []):
            if cid in in_run:
                continue
            h = host_by_id[cid]
            if cid not in stars:
                add_star(cid, _new_star(rng, h.ra, h.dec, vmag=h.vmag, teff=h.teff, var_class="PLANET"))
            else:
                host_reobs += 1
            used_ids.add(cid)
            in_run.add(cid)
            runs_of[cid].append(run.code)
            rows.append((cid, run.code, "EN2_STAR_MON", "", run.start, run.end))
            n_new -= 1
        quota = max(0, int(reobs_quota[i]) + deficit - host_reobs)
        take = 0
        if quota and star_ids:
            on = pointing.ccd_of(np.array(star_ra), np.array(star_dec), run.exo_ccds) != ""
            pool = [star_ids[k] for k in np.flatnonzero(on).tolist() if star_ids[k] not in in_run]
            take = min(quota, len(pool), n_new)
            for k in rng.choice(len(pool), size=take, replace=False) if take else []:
                cid = pool[int(k)]
                runs_of[cid].append(run.code)
                rows.append((cid, run.code, "", "", run.start, run.end))
            n_new -= take
        deficit = quota - take + min(0, int(reobs_quota[i]) + deficit - host_reobs)
        if n_new > 0:
            ids = _new_ids(rng, by_run[run.code], n_new, used_ids)
            ra, dec = _sample_on_ccds(rng, pointing, run.exo_ccds, n_new)
            for cid, a, d in zip(ids, ra.tolist(), dec.tolist(), strict=True):
                add_star(cid, _new_star(rng, a, d))
                runs_of[cid].append(run.code)
                rows.append((cid, run.code, "", "", run.start, run.end))
    table = _assemble(rng, rows, stars, point, fraction, host_by_id)
    return pa.concat_tables([table, _astero_rows(rng, point, fraction)])


def _overlap(p1: Pointing, r1: Run, p2: Pointing, r2: Run) -> bool:
    ra, dec = p1.to_sky(np.linspace(-1.3, 0, 12).repeat(12), np.tile(np.linspace(-1.3, 1.3, 12), 12))
    return bool(np.any(p2.ccd_of(ra, dec, r2.exo_ccds) != ""))


def _host_id(name: str, run_code: str) -> int:
    """A stable synthetic CoRoT ID for a known host whose real ID is not public here."""
    digits = "".join(ch for ch in name if ch.isdigit()) or "0"
    return 699_000_000 + int(digits) * 10 + (ord(name[-1]) - ord("a")) % 10


def _new_ids(rng: np.random.Generator, real: list[RealProduct], n: int, used: set[int]) -> list[int]:
    """IDs from the run's Exo-Dat block (the span of its real IDs), unused so far."""
    if real:
        ids = np.array([p.corot_id for p in real])
        lo, hi = int(np.percentile(ids, 2)), int(np.percentile(ids, 98))
    else:
        lo = int(rng.integers(600, 700)) * 1_000_000
        hi = lo + 5_000_000
    hi = max(hi, lo + 4 * n + 1000)
    out: list[int] = []
    while len(out) < n:
        cand = rng.integers(lo, hi, size=2 * (n - len(out)) + 16)
        for c in cand.tolist():
            if c not in used:
                used.add(c)
                out.append(c)
                if len(out) == n:
                    break
    return out


def _pick(u: float, choices: tuple[str, ...], cumulative: tuple[float, ...]) -> str:
    for choice, edge in zip(choices, cumulative, strict=True):
        if u < edge:
            return choice
    return choices[-1]


def _new_star(
    rng: np.random.Generator,
    ra: float,
    dec: float,
    *,
    vmag: float | None = None,
    teff: float | None = None,
    var_class: str | None = None,
) -> _Star:
    u = rng.random(6)
    # V in 11-16 with counts rising steeply to the faint end: log N ∝ 0.3 V.
    if vmag is None:
        vmag = math.log10(10 ** (0.3 * 11) + u[0] * (10 ** (0.3 * 16) - 10 ** (0.3 * 11))) / 0.3
    lum = _pick(u[1], ("V", "IV", "III"), (0.68, 0.78, 1.0))
    if teff is None:
        typical = 5600.0 if lum == "V" else 4800.0
        teff = min(12000.0, max(3200.0, typical * math.exp(0.15 * rng.standard_normal())))
    bmv = min(1.8, max(-0.2, 7090.0 / teff - 0.7 + 0.05 * (u[2] - 0.5)))
    if var_class is None:
        var_class = _pick(u[3], ("", "CONST", "ROT", "PULS", "EB"), (0.55, 0.80, 0.92, 0.98, 1.0))
    contamination = min(0.95, u[4] ** 6 * 0.4)
    return _Star(ra, dec, vmag, teff, bmv, lum, contamination, var_class)


def _assemble(
    rng: np.random.Generator,
    rows: list[tuple[int, str, str, str, datetime, datetime]],
    stars: dict[int, _Star],
    point: dict[str, Pointing],
    fraction: float,
    hosts: Mapping[int, object],
) -> pa.Table:
    """Turn rows into columns; choose MON/IMAG for the topped-up rows (fainter stars)."""
    n = len(rows)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    run_codes = np.array([r[1] for r in rows])
    vmag = np.array([stars[c].vmag for c in ids.tolist()], dtype=np.float32)
    ptype = np.array([r[2] for r in rows], dtype=object)
    empty = ptype == ""
    ptype[empty] = np.where(rng.uniform(size=int(empty.sum())) < 0.03, "EN2_STAR_IMAG", "EN2_STAR_MON")
    keep = np.ones(n, dtype=bool)
    if fraction < 1.0:
        keep = rng.uniform(size=n) < fraction
        keep |= np.isin(ids, np.array(list(hosts), dtype=np.int64))
    ra = np.array([stars[c].ra for c in ids.tolist()])
    dec = np.array([stars[c].dec for c in ids.tolist()])
    hlf = np.empty(n, dtype="<U3")
    for code in np.unique(run_codes):
        m = run_codes == code
        hlf[m] = point[str(code)].ccd_of(ra[m], dec[m], run_by_code(str(code)).exo_ccds)
    teff = np.array([stars[c].teff for c in ids.tolist()], dtype=np.float32)
    bmv = np.array([stars[c].bmv for c in ids.tolist()], dtype=np.float32)
    bmag = (vmag + bmv).astype(np.float32)
    bmag[rng.uniform(size=n) < 0.07] = np.nan
    rmag = (vmag - rng.uniform(0.3, 0.6, n)).astype(np.float32)
    imag = (rmag - rng.uniform(0.3, 0.6, n)).astype(np.float32)
    lc_mean = (10 ** (-0.4 * (vmag - 27.0)) * rng.normal(1.0, 0.15, n)).astype(np.float32)
    lc_rms = (lc_mean * 700e-6 * 10 ** (0.16 * (vmag - 14.0))).astype(np.float32)
    starts = [r[4] for r in rows]
    ends = [r[5] for r in rows]
    names = [
        f"{pt}_{cid:010d}_{_stamp(s)}_{_stamp(e)}"
        for pt, cid, s, e in zip(ptype.tolist(), ids.tolist(), starts, ends, strict=True)
    ]
    files = [f"N2-4.4/{run_start:%Y/%m/%d}/{name}.fits" for name, run_start in zip(names, starts, strict=True)]
    table = pa.table(
        {
            "corot_id": ids,
            "run_code": run_codes.astype(str),
            "ra": ra,
            "dec": dec,
            "channel": np.full(n, "exo"),
            "hlfccdid": hlf,
            "win_id": rng.integers(0, 8192, n).astype(np.int32),
            "star_name": np.full(n, ""),
            "bmag": bmag,
            "vmag": vmag,
            "rmag": rmag,
            "imag": imag,
            "spectral_type": _spectral_type(teff.astype(float), rng),
            "lum_class": np.array([stars[c].lum for c in ids.tolist()]),
            "teff": teff,
            "contamination": np.array([stars[c].contamination for c in ids.tolist()], dtype=np.float32),
            "var_class": np.array([stars[c].var_class for c in ids.tolist()]),
            "date_start": pa.array(starts, pa.timestamp("us")),
            "date_end": pa.array(ends, pa.timestamp("us")),
            "lc_mean": lc_mean,
            "lc_rms": lc_rms,
            "product_type": ptype.astype(str),
            "file_name": files,
        }
    )
    return table.filter(pa.array(keep))


def _astero_rows(rng: np.random.Generator, point: dict[str, Pointing], fraction: float) -> pa.Table:
    """Bright stars of the asteroseismology channel: ~6-7 per run, 171 in all."""
    run_list = list(runs())
    counts = _largest_remainder(np.array([r.duration_days**0.3 for r in run_list]), TOTAL_ASTERO_STARS)
    cols: dict[str, list[object]] = defaultdict(list)
    next_id = 1000
    for run, count in zip(run_list, counts.tolist(), strict=True):
        k = max(1, round(count * max(fraction, 0.2))) if fraction < 1.0 else count
        ra, dec = _sample_on_ccds(rng, point[run.code], run.astero_ccds, k)
        for a, d in zip(ra.tolist(), dec.tolist(), strict=True):
            next_id += int(rng.integers(3, 60))
            vmag = float(rng.uniform(5.5, 9.5))
            teff = float(rng.uniform(5800, 9500))
            name = f"AN2_STAR_{next_id:010d}_{_stamp(run.start)}_{_stamp(run.end)}"
            for key, value in {
                "corot_id": next_id,
                "run_code": run.code,
                "ra": a,
                "dec": d,
                "channel": "astero",
                "hlfccdid": str(point[run.code].ccd_of([a], [d], run.astero_ccds)[0]),
                "win_id": int(rng.integers(0, 10)),
                "star_name": f"HD {int(rng.integers(40000, 180000))}",
                "bmag": vmag + 0.3,
                "vmag": vmag,
                "rmag": vmag - 0.3,
                "imag": vmag - 0.5,
                "spectral_type": str(_spectral_type(np.array([teff]), rng)[0]),
                "lum_class": "V",
                "teff": teff,
                "contamination": 0.0,
                "var_class": str(rng.choice(["PULS", "PULS", "ROT", "CONST"])),
                "date_start": run.start.replace(tzinfo=None),
                "date_end": run.end.replace(tzinfo=None),
                "lc_mean": float(10 ** (-0.4 * (vmag - 27.0))),
                "lc_rms": float(10 ** (-0.4 * (vmag - 27.0)) * 2e-3),
                "product_type": "AN2_STAR",
                "file_name": f"N2-4.4/{run.start:%Y/%m/%d}/{name}.fits",
            }.items():
                cols[key].append(value)
    schema = pa.schema(
        [
            ("corot_id", pa.int64()),
            ("run_code", pa.string()),
            ("ra", pa.float64()),
            ("dec", pa.float64()),
            ("channel", pa.string()),
            ("hlfccdid", pa.string()),
            ("win_id", pa.int32()),
            ("star_name", pa.string()),
            ("bmag", pa.float32()),
            ("vmag", pa.float32()),
            ("rmag", pa.float32()),
            ("imag", pa.float32()),
            ("spectral_type", pa.string()),
            ("lum_class", pa.string()),
            ("teff", pa.float32()),
            ("contamination", pa.float32()),
            ("var_class", pa.string()),
            ("date_start", pa.timestamp("us")),
            ("date_end", pa.timestamp("us")),
            ("lc_mean", pa.float32()),
            ("lc_rms", pa.float32()),
            ("product_type", pa.string()),
            ("file_name", pa.string()),
        ]
    )
    return pa.table({k: cols[k] for k in schema.names}, schema=schema)


__all__ = ["TOTAL_EXO_LIGHTCURVES", "TOTAL_EXO_STARS", "real_chr_products", "synthesise_targets"]
