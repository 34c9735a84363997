"""The CoRoT mission as data: runs, pointings, the focal plane and known planets.

Run windows are real (``resources/data/corot-runs.csv``).  Pointing centres and roll
angles are not public: :func:`pointings` derives plausible ones so that every known planet
host falls on an exoplanet CCD of its run, and places the other runs inside CoRoT's two
observable "eyes" (circles of ~10° radius on the equator at RA 06h50 and 18h50).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import numpy as np
import numpy.typing as npt

from resources import RESOURCES_DIR

DATA_DIR = RESOURCES_DIR / "data"

#: Plate scale of the CoRoT CCDs (arcsec per pixel) and their format (pixels).
PIXEL_SCALE_ARCSEC = 2.32
CCD_PIXELS = 2048
CCD_SIZE_DEG = CCD_PIXELS * PIXEL_SCALE_ARCSEC / 3600.0
#: Centres of the two observable eyes (RA, Dec in degrees) and their radius.
EYES = {"anticenter": (102.5, 0.0), "center": (282.5, 0.0)}
EYE_RADIUS_DEG = 10.0
#: Date of the loss of the first readout chain: one exo + one astero CCD afterwards.
CHAIN_LOSS = datetime(2009, 3, 8, tzinfo=UTC)
MJD_EPOCH = datetime(1858, 11, 17, tzinfo=UTC)


def to_mjd(when: datetime) -> float:
    """Modified Julian Date of a UTC datetime."""
    return (when - MJD_EPOCH).total_seconds() / 86400.0


@dataclass(frozen=True)
class Run:
    """One observing run, as in ``corot-runs.csv``."""

    code: str
    run_type: str
    field: str
    start: datetime
    end: datetime
    n_exo_reference: int | None

    @property
    def eye(self) -> str:
        return self.field

    @property
    def duration_days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400.0

    @property
    def exo_ccds(self) -> tuple[str, ...]:
        return ("E1", "E2") if self.start < CHAIN_LOSS else ("E2",)

    @property
    def astero_ccds(self) -> tuple[str, ...]:
        return ("A1", "A2") if self.start < CHAIN_LOSS else ("A1",)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@cache
def runs() -> tuple[Run, ...]:
    """The 26 CoRoT observing runs in time order."""
    with (DATA_DIR / "corot-runs.csv").open(encoding="utf-8") as handle:
        return tuple(
            Run(
                code=row["run_code"],
                run_type=row["run_type"],
                field=row["field"],
                start=_parse_time(row["start_utc"]),
                end=_parse_time(row["end_utc"]),
                n_exo_reference=int(row["n_exo_targets"]) if row["n_exo_targets"] else None,
            )
            for row in csv.DictReader(handle)
        )


def run_by_code(code: str) -> Run:
    for run in runs():
        if run.code.lower() == code.lower():
            return run
    raise KeyError(code)


def run_at(when: datetime) -> Run | None:
    """The run whose window contains ``when`` (with a one-day tolerance at its start)."""
    stamp = when.timestamp()
    for run, (lo, hi) in zip(runs(), _windows(), strict=True):
        if lo <= stamp <= hi:
            return run
    return None


@cache
def _windows() -> tuple[tuple[float, float], ...]:
    return tuple((r.start.timestamp() - 86400 * 3, r.end.timestamp()) for r in runs())


@dataclass(frozen=True)
class Planet:
    """A known CoRoT planet (host position, ephemeris, size)."""

    name: str
    corot_id: int | None
    run_code: str | None
    extra_runs: tuple[str, ...]
    ra: float
    dec: float
    vmag: float | None
    period_d: float
    t0_jd: float | None
    rp_rjup: float
    rstar_rsun: float
    teff: float
    monochromatic: bool

    @property
    def depth(self) -> float:
        """Transit depth (Rp/R*)² with R_J/R_sun = 0.10045."""
        return (self.rp_rjup * 0.10045 / self.rstar_rsun) ** 2

    @property
    def duration_h(self) -> float:
        """Approximate central-transit duration for a solar-density host (hours)."""
        a_over_r = 4.2 * self.period_d ** (2 / 3) / self.rstar_rsun
        return float(self.period_d * 24.0 / (math.pi * a_over_r))


@cache
def planets() -> tuple[Planet, ...]:
    with (DATA_DIR / "planets.csv").open(encoding="utf-8") as handle:
        return tuple(
            Planet(
                name=row["planet"],
                corot_id=int(row["corot_id"]) if row["corot_id"] else None,
                run_code=row["run_code"] or None,
                extra_runs=tuple(row["extra_runs"].split()),
                ra=float(row["ra"]),
                dec=float(row["dec"]),
                vmag=float(row["vmag"]) if row["vmag"] else None,
                period_d=float(row["period_d"]),
                t0_jd=float(row["t0_jd"]) if row["t0_jd"] else None,
                rp_rjup=float(row["rp_rjup"]),
                rstar_rsun=float(row["rstar_rsun"]),
                teff=float(row["teff"]),
                monochromatic=row["mon"] == "True",
            )
            for row in csv.DictReader(handle)
        )


# -- focal plane -------------------------------------------------------------------------
#: CCD rectangles in focal-plane coordinates (degrees; x towards the exo half at roll 0).
def ccd_rectangles() -> dict[str, tuple[float, float, float, float]]:
    """(xmin, xmax, ymin, ymax) of each CCD; 2×2 mosaic, exo half at negative x."""
    s, gap = CCD_SIZE_DEG, 0.02
    return {
        "E1": (-s - gap / 2, -gap / 2, gap / 2, s + gap / 2),
        "E2": (-s - gap / 2, -gap / 2, -s - gap / 2, -gap / 2),
        "A1": (gap / 2, s + gap / 2, gap / 2, s + gap / 2),
        "A2": (gap / 2, s + gap / 2, -s - gap / 2, -gap / 2),
    }


@dataclass(frozen=True)
class Pointing:
    """Pointing of a run: field centre (ICRS degrees) and roll angle (degrees)."""

    run_code: str
    ra: float
    dec: float
    roll: float

    def to_sky(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Focal-plane (gnomonic, degrees) → ICRS (ra, dec) degrees."""
        xr, yr = np.radians(np.asarray(x, dtype=float)), np.radians(np.asarray(y, dtype=float))
        c, s = math.cos(math.radians(self.roll)), math.sin(math.radians(self.roll))
        xi, eta = c * xr - s * yr, s * xr + c * yr
        ra0, dec0 = math.radians(self.ra), math.radians(self.dec)
        denom = math.cos(dec0) - eta * math.sin(dec0)
        ra = ra0 + np.arctan2(xi, denom)
        dec = np.arctan2(math.sin(dec0) + eta * math.cos(dec0), np.hypot(xi, denom))
        return np.mod(np.degrees(ra), 360.0), np.degrees(dec)

    def to_focal(
        self, ra: npt.ArrayLike, dec: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """ICRS (ra, dec) degrees → focal-plane (x, y) degrees."""
        ra_r, dec_r = np.radians(np.asarray(ra, dtype=float)), np.radians(np.asarray(dec, dtype=float))
        ra0, dec0 = math.radians(self.ra), math.radians(self.dec)
        cos_c = np.sin(dec0) * np.sin(dec_r) + np.cos(dec0) * np.cos(dec_r) * np.cos(ra_r - ra0)
        xi = np.cos(dec_r) * np.sin(ra_r - ra0) / cos_c
        eta = (np.cos(dec0) * np.sin(dec_r) - np.sin(dec0) * np.cos(dec_r) * np.cos(ra_r - ra0)) / cos_c
        c, s = math.cos(math.radians(self.roll)), math.sin(math.radians(self.roll))
        x, y = c * xi + s * eta, -s * xi + c * eta
        return np.degrees(x), np.degrees(y)

    def ccd_of(self, ra: npt.ArrayLike, dec: npt.ArrayLike, ccds: tuple[str, ...]) -> npt.NDArray[np.str_]:
        """Half-CCD id (``E1L``...) of each position among ``ccds``, '' when off them."""
        x, y = self.to_focal(ra, dec)
        out = np.full(np.shape(x), "", dtype="<U3")
        for name, (x0, x1, y0, y1) in ccd_rectangles().items():
            if name not in ccds:
                continue
            inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
            half = np.where(x < (x0 + x1) / 2, "L", "R")
            out = np.where(inside, np.char.add(name, half), out)
        return out

    def footprint(self, ccd: str, steps: int = 1) -> list[tuple[float, float]]:
        """Corner (or edge-sampled) ICRS vertices of one CCD, counter-clockwise on the sky."""
        x0, x1, y0, y1 = ccd_rectangles()[ccd]
        xs = [*np.linspace(x0, x1, steps + 1)[:-1], *[x1] * steps, *np.linspace(x1, x0, steps + 1)[:-1], *[x0] * steps]
        ys = [*[y0] * steps, *np.linspace(y0, y1, steps + 1)[:-1], *[y1] * steps, *np.linspace(y1, y0, steps + 1)[:-1]]
        ra, dec = self.to_sky(xs, ys)
        return list(zip(ra.tolist(), dec.tolist(), strict=True))


def _centre_for(group: list[Planet], run: Run, roll: float) -> tuple[float, float]:
    """Field centre that puts the hosts' bounding-box centre on the run's exo CCD(s)."""
    ras, decs = [p.ra for p in group], [p.dec for p in group]
    ra, dec = (min(ras) + max(ras)) / 2, (min(decs) + max(decs)) / 2
    x0, x1, _, _ = ccd_rectangles()["E1"]
    x = (x0 + x1) / 2
    if len(run.exo_ccds) == 2 and max(decs) - min(decs) > CCD_SIZE_DEG * 0.8:
        y = 0.0
    else:
        _, _, y0, y1 = ccd_rectangles()[run.exo_ccds[-1]]
        y = (y0 + y1) / 2
    c, s = math.cos(math.radians(roll)), math.sin(math.radians(roll))
    xi, eta = c * x - s * y, s * x + c * y
    centre_dec = dec - eta
    return ra - xi / math.cos(math.radians(centre_dec)), centre_dec


@cache
def pointings() -> dict[str, Pointing]:
    """Plausible pointings: known hosts on an exo CCD, other runs spread within the eyes."""
    rng = np.random.default_rng(20061227)
    hosts: dict[str, list[Planet]] = {}
    unassigned: list[Planet] = []
    for planet in planets():
        if planet.run_code:
            hosts.setdefault(planet.run_code, []).append(planet)
        else:
            unassigned.append(planet)
    # Cluster hosts without a known run and give each cluster to a free run of their eye.
    reobserving = {code for p in planets() for code in p.extra_runs}
    free = {
        eye: [r.code for r in runs() if r.eye == eye and r.code not in hosts and r.code not in reobserving]
        for eye in EYES
    }
    clusters: list[list[Planet]] = []
    for planet in unassigned:
        for cluster in clusters:
            if all(abs(p.ra - planet.ra) < 1.2 and abs(p.dec - planet.dec) < 1.2 for p in cluster):
                cluster.append(planet)
                break
        else:
            clusters.append([planet])
    for cluster in clusters:
        eye = "anticenter" if 60 < cluster[0].ra < 160 else "center"
        if free[eye]:
            hosts[free[eye].pop(0)] = cluster
    result: dict[str, Pointing] = {}
    for run in runs():
        roll = 0.0 if run.eye == "center" else 180.0
        group = hosts.get(run.code) or [p for p in planets() if run.code in p.extra_runs]
        if group:
            centre_ra, centre_dec = _centre_for(group, run, roll)
        else:
            # Fields were often revisited: half-overlap a previous field of the same eye.
            earlier = [p for p in result.values() if run_by_code(p.run_code).eye == run.eye]
            if earlier:
                base = earlier[int(rng.integers(0, len(earlier)))]
                theta = rng.uniform(0, 2 * math.pi)
                r = rng.uniform(0.4, 0.9)
                centre_ra, centre_dec = base.ra + r * math.cos(theta), base.dec + r * math.sin(theta)
            else:
                eye_ra, eye_dec = EYES[run.eye]
                centre_ra, centre_dec = eye_ra, eye_dec
        result[run.code] = Pointing(run.code, round(centre_ra % 360.0, 4), round(centre_dec, 4), roll)
    return result


def planet_run(planet: Planet) -> str | None:
    """Run in which a host was observed: the known one, else the run its field was given."""
    if planet.run_code:
        return planet.run_code
    for code, pointing in pointings().items():
        run = run_by_code(code)
        if pointing.ccd_of([planet.ra], [planet.dec], run.exo_ccds)[0]:
            return code
    return None


__all__ = [
    "CCD_PIXELS",
    "CCD_SIZE_DEG",
    "EYES",
    "PIXEL_SCALE_ARCSEC",
    "Planet",
    "Pointing",
    "Run",
    "ccd_rectangles",
    "planet_run",
    "planets",
    "pointings",
    "run_at",
    "run_by_code",
    "runs",
    "to_mjd",
]
