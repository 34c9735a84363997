"""Deterministic simulator of CoRoT N2 light curves (CoRoT data spec §6.1, §8).

There is no public N2 FITS file to learn from (§9), so the demo archive is made of light
curves simulated from the spec's recipe: the real time grids and time scales (§3.8, §3.9),
the orbit-driven flags (§3.10), the empirical flux and noise law (§6.1), the colour split
(§5.2), stellar variability and the known planets' transits (§7).  Everything is drawn from
a seeded generator and computed with whole-array numpy operations, so a 150-day 512 s curve
(≈25 000 points) simulates in a few milliseconds.

The output holds, per HDU of the product, the columns in the documented order and dtypes;
:mod:`archive.n2fits` writes them as FITS.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntFlag
from types import MappingProxyType
from typing import Any, Final

import erfa  # type: ignore[import-untyped]  # pyerfa, an astropy dependency, ships no type hints
import numpy as np
import numpy.typing as npt

from archive.naming import PRODUCT_TYPES, ProductType, product_name

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
#: Columns of one table HDU, by TTYPE, in file order.
Columns = Mapping[str, npt.NDArray[Any]]

#: Zero point of the v4 time columns: DATETT/DATEBARTT = JD − 2 400 000 (§3.8).
JD_ZERO: Final = 2_400_000.0
#: Julian date of the Unix epoch, and TT − TAI in seconds.
UNIX_EPOCH_JD: Final = 2_440_587.5
TT_MINUS_TAI_S: Final = 32.184
#: Orbital period used by CoRoT analysts (§1), days.
ORBIT_PERIOD_D: Final = 0.071458
#: Earth's rotation period relative to the (inertially fixed) orbit plane, days.
SIDEREAL_DAY_D: Final = 0.99726958
#: Exoplanet channel: WHITEFLUX ≈ 10^(−0.4 (V − 27.0)) e⁻ per 32 s (§6.1).
EXO_ZERO_POINT: Final = 27.0
#: Asteroseismology channel, from HD 174936 (V = 6.56, median flux 6.30e5 e⁻/32 s, §3.5).
ASTERO_ZERO_POINT: Final = 21.06
#: Relative noise of a 512 s point at V = 14 and its slope in magnitude (§6.1).
NOISE_AT_V14: Final = 700e-6
NOISE_SLOPE: Final = 0.16
#: Light time for one astronomical unit, seconds.
AU_LIGHT_TIME_S: Final = 499.004784
#: Earth radius and CoRoT orbit radius (896 km altitude, §1), km.
EARTH_RADIUS_KM: Final = 6371.0
ORBIT_RADIUS_KM: Final = 6371.0 + 896.0
#: Sub-exposures summed into one exoplanet-channel 512 s point (§3.9).
SUBEXPOSURES_PER_512S: Final = 16
#: Teff (K) → photon fractions B, G, R through the CoRoT bandpass (§5.2, computed).
_COLOUR_TEFF: Final = (4000.0, 5000.0, 5800.0, 6500.0, 7500.0)
_COLOUR_BLUE: Final = (0.07, 0.11, 0.14, 0.16, 0.19)
_COLOUR_GREEN: Final = (0.13, 0.16, 0.18, 0.19, 0.20)
_COLOUR_RED: Final = (0.79, 0.71, 0.66, 0.63, 0.59)
_TEFF_BY_SPECTRAL_CLASS: Final = MappingProxyType(
    {
        "O": 30000.0,
        "B": 15000.0,
        "A": 8500.0,
        "F": 6500.0,
        "G": 5700.0,
        "K": 4600.0,
        "M": 3500.0,
    }
)
_GIANT_CLASSES: Final = frozenset({"I", "IA", "IB", "II", "III", "IV-III", "III-IV"})

#: Variability classes the simulator knows ("" = no intrinsic variability beyond red noise).
VAR_CLASSES: Final = frozenset({"", "CONST", "PULS", "EB", "ROT", "PLANET"})


class StatusFlag(IntFlag):
    """STATUS bits written by the simulator (§3.10).

    The real bit dictionary is not public; the observed values 8, 16, 64, 256 and 80 (= 64+16)
    are reused for the effects the literature names.  SAA passages come with many cosmic-ray
    hits, which is how the combination 80 arises.  ``FILLED`` marks values replaced by
    interpolation in the gap-filled extensions (BARFILL, BARREG).
    """

    EARTH_ECLIPSE = 8
    SAA = 16
    COSMIC_RAY = 64
    HOT_PIXEL = 256
    FILLED = 1024


@dataclass(frozen=True)
class Transit:
    """A transiting companion: period, mid-transit time (full BJD), depth, total duration."""

    period_d: float
    t0_bjd: float
    depth: float
    duration_h: float

    def __post_init__(self) -> None:
        if not self.period_d > 0:
            raise ValueError(f"transit period must be positive, got {self.period_d}")
        if not 0 < self.depth < 1:
            raise ValueError(f"transit depth is a flux fraction in (0, 1), got {self.depth}")
        if not 0 < self.duration_h < 24 * self.period_d:
            raise ValueError(f"transit duration {self.duration_h} h does not fit the period")
        if not self.t0_bjd > JD_ZERO:
            raise ValueError(f"t0_bjd is a full Julian date (> 2400000), got {self.t0_bjd}")


@dataclass(frozen=True, kw_only=True)
class LightCurveSpec:
    """Everything that determines one simulated N2 product; NaN or None marks unknown values."""

    corot_id: int
    run_code: str
    product_type: str
    hlfccdid: str
    win_id: int
    ra: float
    dec: float
    bmag: float | None = None
    vmag: float | None = None
    rmag: float | None = None
    spectral_type: str = ""
    lum_class: str = ""
    teff: float | None = None
    star_name: str = ""
    var_class: str = ""
    t_start: datetime
    t_end: datetime
    cadence_s: float = 512
    planets: tuple[Transit, ...] = ()
    seed: int = 0
    switch_to_32s_after_d: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.corot_id <= 9_999_999_999:
            raise ValueError(f"CoRoT ID {self.corot_id} is not a 10-digit non-negative integer")
        if self.product_type not in PRODUCT_TYPES:
            raise ValueError(f"unknown product type {self.product_type!r}")
        if self.cadence_s not in (32, 512):
            raise ValueError(f"CoRoT N2 cadences are 32 s and 512 s, got {self.cadence_s}")
        if self.switch_to_32s_after_d is not None and (
            self.product_type == "AN2_STAR" or self.cadence_s != 512 or not self.switch_to_32s_after_d > 0
        ):
            raise ValueError("switch_to_32s_after_d applies to 512 s exoplanet curves, after a positive delay")
        if _utc(self.t_end) <= _utc(self.t_start):
            raise ValueError("t_end must be after t_start")
        if self.var_class.upper() not in VAR_CLASSES:
            raise ValueError(f"unknown variability class {self.var_class!r}; known: {sorted(VAR_CLASSES)}")
        if not (math.isfinite(self.ra) and math.isfinite(self.dec) and -90 <= self.dec <= 90):
            raise ValueError(f"bad position ({self.ra}, {self.dec})")
        if _known(self.vmag) is None and _known(self.rmag) is None and _known(self.bmag) is None:
            raise ValueError("a light curve needs at least one known magnitude (V, R or B)")

    @property
    def product(self) -> ProductType:
        """The product type, checked."""
        for known in PRODUCT_TYPES:
            if known == self.product_type:
                return known
        raise ValueError(self.product_type)  # unreachable: checked in __post_init__

    @property
    def file_name(self) -> str:
        """``<name>.fits`` built from the product type, CoRoT ID and span (§2.1)."""
        return product_name(self.product_type, self.corot_id, self.t_start, self.t_end) + ".fits"

    @property
    def effective_vmag(self) -> float:
        """V, or an estimate from R or B with typical colours (§8.4) when V is unknown."""
        v, r, b = _known(self.vmag), _known(self.rmag), _known(self.bmag)
        if v is not None:
            return v
        if r is not None:
            return r + 0.45
        assert b is not None
        return b - 0.8

    @property
    def effective_teff(self) -> float:
        """Teff, or a value from the spectral class letter, or a solar 5800 K."""
        teff = _known(self.teff)
        if teff is not None:
            return teff
        letter = self.spectral_type.strip()[:1].upper()
        return _TEFF_BY_SPECTRAL_CLASS.get(letter, 5800.0)


@dataclass(frozen=True)
class SimulatedLightCurve:
    """The columns of every table HDU of one product, in file order, plus header statistics."""

    product_type: ProductType
    extensions: tuple[tuple[str, Columns], ...]
    lc_mean: float
    lc_rms: float
    date_obs: str
    date_end: str

    @property
    def extnames(self) -> tuple[str, ...]:
        """EXTNAMEs of the table HDUs, in file order."""
        return tuple(name for name, _ in self.extensions)

    def extension(self, extname: str) -> Columns:
        """Columns of one table HDU by EXTNAME."""
        for name, columns in self.extensions:
            if name == extname:
                return columns
        raise KeyError(f"{self.product_type} has no {extname} extension (has {', '.join(self.extnames)})")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _known(value: float | None) -> float | None:
    """None for missing or NaN values (catalogues mark unknown magnitudes both ways)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def noise_per_point(vmag: float, cadence_s: float) -> float:
    """Relative white noise of one point: 700 ppm × 10^(0.16 (V − 14)) × √(512 / cadence) (§6.1)."""
    return NOISE_AT_V14 * 10 ** (NOISE_SLOPE * (vmag - 14.0)) * math.sqrt(512.0 / cadence_s)


def colour_fractions(teff: float) -> tuple[float, float, float]:
    """Photon fractions (red, green, blue) of the white flux for a star of this Teff (§5.2)."""
    blue = float(np.interp(teff, _COLOUR_TEFF, _COLOUR_BLUE))
    green = float(np.interp(teff, _COLOUR_TEFF, _COLOUR_GREEN))
    red = float(np.interp(teff, _COLOUR_TEFF, _COLOUR_RED))
    total = red + green + blue
    return red / total, green / total, blue / total


def tt_minus_utc_s(moment: datetime) -> float:
    """TT − UTC at a UTC instant: 32.184 s plus TAI − UTC from ERFA's built-in leap-second table.

    ERFA's table is used directly (not astropy's auto-updated copy) so that converting mission
    dates, all between 2006 and 2013, never needs the network.
    """
    utc = _utc(moment)
    day_fraction = (utc.hour * 3600 + utc.minute * 60 + utc.second + utc.microsecond / 1e6) / 86400.0
    return TT_MINUS_TAI_S + float(erfa.dat(utc.year, utc.month, utc.day, day_fraction))


def utc_from_tt(jd_minus_zero: float) -> datetime:
    """UTC instant of a TT date given as JD − 2 400 000 (a leap second itself maps to the next second)."""
    tt_unix = (jd_minus_zero + JD_ZERO - UNIX_EPOCH_JD) * 86400.0
    guess = datetime.fromtimestamp(tt_unix - TT_MINUS_TAI_S - 37.0, UTC)
    for _ in range(2):
        guess = datetime.fromtimestamp(tt_unix - tt_minus_utc_s(guess), UTC)
    return guess


def _jd_tt(moment: datetime) -> tuple[float, float]:
    """(JD_TT − 2 400 000, TT − UTC in seconds) at a UTC instant, leap seconds included."""
    utc = _utc(moment)
    offset = tt_minus_utc_s(utc)
    return (utc.timestamp() + offset) / 86400.0 + (UNIX_EPOCH_JD - JD_ZERO), offset


@dataclass(frozen=True)
class _Grid:
    """The full (regular) time grid of a product and which of its points were received."""

    tt: FloatArray  # JD − 2 400 000, TT
    exposure_s: IntArray  # 32 or 512 per point
    group: npt.NDArray[np.int64]  # 512 s bin index of each point (16 × 32 s points share one)
    observed: npt.NDArray[np.bool_]


def _time_grid(spec: LightCurveSpec, rng: np.random.Generator) -> _Grid:
    """512 s or 32 s TT grid from t_start to t_end, with rare telemetry gaps (§3.9, §8.5)."""
    tt0, _ = _jd_tt(spec.t_start)
    span_s = (_utc(spec.t_end) - _utc(spec.t_start)).total_seconds()
    cadence = int(spec.cadence_s)
    if spec.switch_to_32s_after_d is None:
        n_first = int(span_s // cadence) + 1
        n_second = 0
    else:
        n_first = min(int(spec.switch_to_32s_after_d * 86400.0 // 512), int(span_s // 512) + 1)
        rest_s = span_s - n_first * 512
        n_second = int(rest_s // 32) + 1 if rest_s >= 0 else 0
    first = np.arange(n_first, dtype=np.float64) * cadence
    second = n_first * 512.0 + np.arange(n_second, dtype=np.float64) * 32.0
    offsets_s = np.concatenate([first, second])
    exposure = np.concatenate([np.full(n_first, cadence, dtype=np.int32), np.full(n_second, 32, dtype=np.int32)])
    group = np.concatenate([np.arange(n_first, dtype=np.int64), n_first + np.arange(n_second, dtype=np.int64) // 16])
    observed = np.ones(offsets_s.size, dtype=np.bool_)
    span_d = span_s / 86400.0
    for _ in range(int(rng.poisson(span_d / 40.0))):
        start = rng.uniform(0.03, 0.9) * span_s
        observed &= ~((offsets_s >= start) & (offsets_s < start + rng.uniform(1.0, 6.0) * 3600.0))
    return _Grid(tt0 + offsets_s / 86400.0, exposure, group, observed)


def _sun_direction(tt: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Geocentric equatorial unit vector of the Sun and its distance in AU (low-precision almanac)."""
    n = tt + (JD_ZERO - 2_451_545.0)
    mean_long = np.radians(280.460 + 0.9856474 * n)
    anomaly = np.radians(357.528 + 0.9856003 * n)
    ecl_long = mean_long + np.radians(1.915 * np.sin(anomaly) + 0.020 * np.sin(2 * anomaly))
    obliquity = np.radians(23.439 - 4e-7 * n)
    distance = 1.00014 - 0.01671 * np.cos(anomaly) - 0.00014 * np.cos(2 * anomaly)
    sin_long = np.sin(ecl_long)
    return np.cos(ecl_long), np.cos(obliquity) * sin_long, np.sin(obliquity) * sin_long, distance


def _unit_vector(ra_deg: float, dec_deg: float) -> tuple[float, float, float]:
    ra, dec = math.radians(ra_deg), math.radians(dec_deg)
    return math.cos(dec) * math.cos(ra), math.cos(dec) * math.sin(ra), math.sin(dec)


def _utc_strings(tt: FloatArray, spec: LightCurveSpec) -> npt.NDArray[np.bytes_]:
    """ISO UTC strings ``yyyy-mm-ddThh:mm:ss`` of TT instants; handles a leap second in the run."""
    _, offset_start = _jd_tt(spec.t_start)
    _, offset_end = _jd_tt(spec.t_end)
    seconds = (tt - (UNIX_EPOCH_JD - JD_ZERO)) * 86400.0
    utc_s = np.rint(seconds - offset_start)
    in_leap = np.zeros(tt.size, dtype=np.bool_)
    if offset_end != offset_start:
        leap_tt = _leap_instant_tt_s(spec)
        midnight = round(leap_tt - offset_end)  # Unix seconds of the UTC midnight after the leap second
        in_leap = (seconds < leap_tt) & (utc_s == midnight)
        utc_s = np.where(seconds >= leap_tt, np.rint(seconds - offset_end), np.minimum(utc_s, midnight))
        utc_s[in_leap] = midnight - 1
    stamps = (np.datetime64("1970-01-01T00:00:00", "s") + utc_s.astype("timedelta64[s]")).astype("S19")
    # A point inside the inserted second is dated 23:59:60, which datetime64 cannot hold.
    stamps[in_leap] = [stamp[:-2] + b"60" for stamp in stamps[in_leap]]
    return stamps


def _leap_instant_tt_s(spec: LightCurveSpec) -> float:
    """TT (Unix-like seconds) of the first month start in the span where TT − UTC changes."""
    start, end = _utc(spec.t_start), _utc(spec.t_end)
    year, month = start.year, start.month
    _, before = _jd_tt(start)
    while True:
        month += 1
        if month == 13:
            year, month = year + 1, 1
        boundary = datetime(year, month, 1, tzinfo=UTC)
        jd_tt, offset = _jd_tt(boundary)
        if offset != before or boundary > end:
            return (jd_tt - (UNIX_EPOCH_JD - JD_ZERO)) * 86400.0


def _status_and_orbit(
    grid: _Grid,
    sun: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    target: tuple[float, float, float],
    rng: np.random.Generator,
) -> tuple[IntArray, FloatArray, npt.NDArray[np.bool_]]:
    """STATUS words from SAA passages, eclipse entries/exits and cosmic rays (§3.10, §8.6).

    Returns the flags, the satellite's orbital angle per point and the SAA mask.  The orbit is
    polar with its normal along the line of sight; SAA crossings recur on the orbits that pass
    over the anomaly as the Earth turns, for 5–15 min.  Earth eclipses happen when the Sun is
    within 61° of the orbit plane; points dated within the thermal transient at entry and exit are
    flagged.  Any exposure that overlaps an SAA passage is flagged.
    """
    days = grid.tt - grid.tt[0]
    half_exposure_s = grid.exposure_s / 2.0
    status = np.zeros(days.size, dtype=np.int32)

    saa_offset = rng.uniform(0.0, 1.0)
    saa_day_phase = rng.uniform(0.0, 2 * math.pi)
    orbit_index = np.rint(days / ORBIT_PERIOD_D - saa_offset)
    centre = (orbit_index + saa_offset) * ORBIT_PERIOD_D
    strength = np.cos(2 * math.pi * centre / SIDEREAL_DAY_D + saa_day_phase)
    half_window_s = np.where(strength > 0.3, (5.0 + 10.0 * (strength - 0.3) / 0.7) * 30.0, -np.inf)
    in_saa = np.abs(days - centre) * 86400.0 <= half_window_s + half_exposure_s
    status[in_saa] |= int(StatusFlag.SAA)

    angle = 2 * math.pi * days / ORBIT_PERIOD_D + rng.uniform(0.0, 2 * math.pi)
    sx, sy, sz, _ = sun
    tx, ty, tz = target
    east = np.array([-ty, tx, 0.0]) / max(math.hypot(tx, ty), 1e-9)
    north = np.cross(np.array([tx, ty, tz]), east)
    sin_beta = np.clip(sx * tx + sy * ty + sz * tz, -1.0, 1.0)
    cos_beta = np.sqrt(1.0 - sin_beta**2)
    shadow_angle = np.arctan2(
        -(sx * north[0] + sy * north[1] + sz * north[2]), -(sx * east[0] + sy * east[1] + sz * east[2])
    )
    grazing = math.sqrt(1.0 - (EARTH_RADIUS_KM / ORBIT_RADIUS_KM) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        half_shadow = np.arccos(np.clip(grazing / cos_beta, -1.0, 1.0))
    has_eclipse = cos_beta > grazing
    from_shadow = (angle - shadow_angle + math.pi) % (2 * math.pi) - math.pi
    to_seconds = ORBIT_PERIOD_D * 86400.0 / (2 * math.pi)
    margin_s = 150.0  # points dated within 2.5 min of the shadow entry or exit
    at_entry = np.abs(from_shadow + half_shadow) * to_seconds <= margin_s
    at_exit = np.abs(from_shadow - half_shadow) * to_seconds <= margin_s
    status[has_eclipse & (at_entry | at_exit)] |= int(StatusFlag.EARTH_ECLIPSE)

    hit_probability = np.where(in_saa, 0.35, 0.002 * np.sqrt(grid.exposure_s / 512.0))
    status[rng.random(days.size) < hit_probability] |= int(StatusFlag.COSMIC_RAY)
    return status, angle, in_saa


def _red_noise(days: FloatArray, sigma: float, tau_d: float, rng: np.random.Generator) -> FloatArray:
    """Lorentzian-spectrum (granulation-like) noise of given rms, built by FFT on a coarse grid."""
    step = 0.01
    n = int(days[-1] / step) + 3
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freq = np.fft.rfftfreq(n, d=step)
    series = np.fft.irfft(spectrum / np.sqrt(1.0 + (2 * math.pi * freq * tau_d) ** 2), n=n)
    series *= sigma / max(float(series.std()), 1e-12)
    return np.interp(days, np.arange(n) * step, series)


def _trapezoid(phase_days: FloatArray, duration_d: float, depth: float, ingress_d: float) -> FloatArray:
    """Flux decrement of a flat-bottomed eclipse at |time from mid-eclipse| = ``phase_days``."""
    return depth * np.clip((duration_d / 2.0 - np.abs(phase_days)) / ingress_d, 0.0, 1.0)


def _from_mid(times: FloatArray, epoch: float, period: float) -> FloatArray:
    """Signed time to the nearest mid-eclipse of an ephemeris, in days."""
    return (times - epoch + period / 2.0) % period - period / 2.0


def transit_signal(bary: FloatArray, transits: tuple[Transit, ...]) -> FloatArray:
    """Relative flux (1 = no transit) of transits on DATEBARTT (JD − 2 400 000) times (§7, §8.8)."""
    flux = np.ones_like(bary)
    for transit in transits:
        duration_d = transit.duration_h / 24.0
        ratio = math.sqrt(transit.depth)
        ingress_d = max(duration_d * ratio / (1.0 + ratio), 1e-4)
        offset = _from_mid(bary, transit.t0_bjd - JD_ZERO, transit.period_d)
        flux *= 1.0 - _trapezoid(offset, duration_d, transit.depth, ingress_d)
    return flux


def _variability(var_class: str, days: FloatArray, astero: bool, rng: np.random.Generator) -> FloatArray:
    """Relative intrinsic variability by class: pulsations, eclipses, spots (§8.7)."""
    kind = var_class.upper()
    if kind == "PULS":
        modes = int(rng.integers(3, 9))
        periods = np.exp(rng.uniform(math.log(0.02), math.log(0.3 if astero else 1.5), modes))
        amplitudes = np.exp(rng.uniform(math.log(5e-5 if astero else 3e-4), math.log(2e-3 if astero else 1e-2), modes))
        phases = rng.uniform(0.0, 2 * math.pi, modes)
        args = 2 * math.pi * days[:, None] / periods[None, :] + phases[None, :]
        return np.sin(args) @ amplitudes
    if kind == "EB":
        period = math.exp(rng.uniform(math.log(0.6), math.log(10.0)))
        duration = period * rng.uniform(0.04, 0.12)
        primary = rng.uniform(0.05, 0.4)
        secondary = primary * rng.uniform(0.05, 0.6)
        epoch = rng.uniform(0.0, period)
        ingress = duration * rng.uniform(0.3, 0.5)
        eclipses = _trapezoid(_from_mid(days, epoch, period), duration, primary, ingress)
        eclipses += _trapezoid(_from_mid(days, epoch + period / 2.0, period), duration, secondary, ingress)
        ellipsoidal = rng.uniform(0.0, 0.01) * np.cos(4 * math.pi * (days - epoch) / period)
        return -eclipses - ellipsoidal
    if kind == "ROT":
        period = math.exp(rng.uniform(math.log(1.0), math.log(20.0)))
        amplitude = math.exp(rng.uniform(math.log(2e-3), math.log(3e-2)))
        evolution = 1.0 + 0.3 * np.sin(2 * math.pi * days / rng.uniform(20.0, 60.0) + rng.uniform(0, 6.3))
        phase = 2 * math.pi * days / period
        return (
            amplitude
            * evolution
            * (np.sin(phase + rng.uniform(0, 6.3)) + 0.3 * np.sin(2 * phase + rng.uniform(0, 6.3)))
        )
    return np.zeros_like(days)


def _hot_pixel_jumps(days: FloatArray, rng: np.random.Generator) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Relative flux added by hot pixels: jumps relaxing exponentially, flagged for one e-folding time."""
    extra = np.zeros_like(days)
    flagged = np.zeros(days.size, dtype=np.bool_)
    for _ in range(int(rng.poisson(days[-1] / 30.0))):
        onset = rng.uniform(0.0, days[-1])
        tau = rng.uniform(0.1, 1.5)
        since = days - onset
        after = since >= 0
        extra[after] += rng.uniform(0.002, 0.015) * np.exp(-since[after] / tau)
        flagged |= after & (since < tau)
    return extra, flagged


def _deviation(sigma: FloatArray, exposure_s: IntArray, rng: np.random.Generator) -> FloatArray:
    """DEV column of 512 s points: scatter of the 16 sub-exposures, σ·√16 (§3.1); −1 for 32 s points."""
    dof = SUBEXPOSURES_PER_512S - 1
    scatter = sigma * math.sqrt(SUBEXPOSURES_PER_512S) * np.sqrt(rng.chisquare(dof, sigma.size) / dof)
    return np.where(exposure_s == 512, scatter, -1.0)


def _interpolate_over(times: FloatArray, values: FloatArray, good: npt.NDArray[np.bool_], at: FloatArray) -> FloatArray:
    """Linear interpolation of the good points onto ``at`` (gap filling, §8.6)."""
    if not good.any():
        return np.interp(at, times, values)
    return np.interp(at, times[good], values[good])


def simulate(spec: LightCurveSpec) -> SimulatedLightCurve:
    """Simulate every table HDU of one N2 product, deterministically from ``seed`` and ``corot_id``."""
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed % 2**63, spec.corot_id]))
    astero = spec.product == "AN2_STAR"
    grid = _time_grid(spec, rng)
    days = grid.tt - grid.tt[0]
    sun = _sun_direction(grid.tt)
    target = _unit_vector(spec.ra, spec.dec)
    roemer_s = -(sun[0] * target[0] + sun[1] * target[1] + sun[2] * target[2]) * sun[3] * AU_LIGHT_TIME_S
    bary = grid.tt + roemer_s / 86400.0
    status, orbit_angle, in_saa = _status_and_orbit(grid, sun, target, rng)

    vmag = spec.effective_vmag
    # ±0.3 mag around the zero point: colour, contamination and CCD ageing (§6.1).
    zero_point = ASTERO_ZERO_POINT if astero else EXO_ZERO_POINT
    zero_point += float(np.clip(rng.normal(0, 0.1), -0.3, 0.3))
    mean_flux = 10 ** (-0.4 * (vmag - zero_point))
    sigma_512 = noise_per_point(vmag, 512)
    sigma_rel = sigma_512 * np.sqrt(512.0 / grid.exposure_s)
    giant = spec.lum_class.strip().upper() in _GIANT_CLASSES

    stellar = 1.0 + _variability(spec.var_class, days, astero, rng)
    stellar += _red_noise(days, sigma_512 * (1.0 if giant else 0.3), rng.uniform(0.2, 1.0), rng)
    stellar *= transit_signal(bary, spec.planets)

    drift = 1.0 - rng.uniform(0.001, 0.005) * days / 30.44
    orbital_amp = rng.uniform(20e-6, 150e-6)
    orbital = 1.0 + orbital_amp * (
        np.sin(orbit_angle + rng.uniform(0, 6.3)) + 0.5 * np.sin(2 * orbit_angle + rng.uniform(0, 6.3))
    )
    jumps, jump_flags = _hot_pixel_jumps(days, rng)
    status[jump_flags] |= int(StatusFlag.HOT_PIXEL)
    systematics = drift * orbital + jumps

    model = mean_flux * stellar * systematics
    sigma_abs = sigma_rel * mean_flux
    cosmic = (status & StatusFlag.COSMIC_RAY) != 0
    outliers = np.where(cosmic, rng.uniform(3.0, 30.0, days.size) * sigma_abs, 0.0)
    eclipse_edge = (status & StatusFlag.EARTH_ECLIPSE) != 0
    outliers += np.where(eclipse_edge, rng.normal(0.0, 3.0, days.size) * sigma_abs, 0.0)

    background = (
        mean_flux * rng.uniform(0.01, 0.05) * (1.0 + 0.2 * np.sin(orbit_angle + rng.uniform(0, 6.3)) + 0.5 * in_saa)
    )
    background += rng.normal(0.0, 0.01, days.size) * background

    if astero:
        flux = model + outliers + rng.standard_normal(days.size) * sigma_abs
        return _astero_product(
            spec, grid, bary=bary, status=status, flux=flux, sigma_abs=sigma_abs, background=background, rng=rng
        )
    return _exo_product(
        spec,
        grid,
        bary=bary,
        status=status,
        flux=model + outliers,
        sigma_abs=sigma_abs,
        background=background,
        systematics=systematics,
        rng=rng,
    )


def _exo_product(
    spec: LightCurveSpec,
    grid: _Grid,
    *,
    bary: FloatArray,
    status: IntArray,
    flux: FloatArray,
    sigma_abs: FloatArray,
    background: FloatArray,
    systematics: FloatArray,
    rng: np.random.Generator,
) -> SimulatedLightCurve:
    """EN2 products: BAR (colours or white), BARFILL (gap-filled) and SYSTEMATIC (corrected) (§3.1–3.3).

    ``flux`` is the noiseless white flux; each colour gets its share and its own photon noise,
    and white light is their sum, as in the real files.
    """
    obs = grid.observed
    fractions = colour_fractions(spec.effective_teff)
    colours: dict[str, FloatArray] = {}
    deviations: dict[str, FloatArray] = {}
    for band, fraction in zip(("RED", "GREEN", "BLUE"), fractions, strict=True):
        band_sigma = sigma_abs * math.sqrt(fraction)
        colours[band] = fraction * flux + rng.standard_normal(flux.size) * band_sigma
        deviations[band] = _deviation(band_sigma, grid.exposure_s, rng)
    white = colours["RED"] + colours["GREEN"] + colours["BLUE"]
    dates = _utc_strings(grid.tt[obs], spec)

    bar: dict[str, npt.NDArray[Any]] = {
        "DATE": dates,
        "DATETT": grid.tt[obs],
        "DATEBARTT": bary[obs],
        "STATUS": status[obs],
    }
    if spec.product == "EN2_STAR_CHR":
        for band in ("RED", "GREEN", "BLUE"):
            bar[f"{band}FLUX"] = colours[band][obs].astype(np.float32)
            bar[f"{band}FLUXDEV"] = deviations[band][obs].astype(np.float32)
        bar["WHITEFLUX"] = white[obs].astype(np.float32)
    else:
        bar["WHITEFLUX"] = white[obs].astype(np.float32)
        bar["WHITEFLUXDEV"] = _deviation(sigma_abs, grid.exposure_s, rng)[obs].astype(np.float32)
    bar["BG"] = background[obs].astype(np.float32)

    # Hot-pixel relaxations last days: they stay flagged but are not interpolated over.
    kept = obs & ((status & ~np.int32(StatusFlag.HOT_PIXEL)) == 0)
    filled = np.where(kept, white, _interpolate_over(grid.tt, white, kept, grid.tt))
    status_fill = np.where(kept, status, status | np.int32(StatusFlag.FILLED)).astype(np.int32)
    barfill: dict[str, npt.NDArray[Any]] = {
        "DATETT": grid.tt,
        "DATEBARTT": bary,
        "WHITEFLUXFIL": filled.astype(np.float32),
        "STATUSFIL": status_fill,
        "TEXP": grid.exposure_s.copy(),
    }

    corrected = white / systematics
    systematic = _bin_to_512s(grid, bary, corrected, status)
    good = obs & (status == 0)
    lc_flux = white[good] if good.any() else white[obs]
    return SimulatedLightCurve(
        product_type=spec.product,
        extensions=(("BAR", bar), ("BARFILL", barfill), ("SYSTEMATIC", systematic)),
        lc_mean=float(lc_flux.mean()),
        lc_rms=float(lc_flux.std()),
        date_obs=dates[0].decode(),
        date_end=dates[-1].decode(),
    )


def _bin_to_512s(grid: _Grid, bary: FloatArray, flux: FloatArray, status: IntArray) -> dict[str, npt.NDArray[Any]]:
    """SYSTEMATIC table: 512 s points; 32 s stretches are averaged by 16 and their flags OR-ed (§3.2)."""
    obs = grid.observed
    groups = grid.group[obs]
    n_groups = int(grid.group[-1]) + 1
    counts = np.bincount(groups, minlength=n_groups)
    present = counts > 0
    mean_flux = np.bincount(groups, weights=flux[obs], minlength=n_groups)[present] / counts[present]
    time = (np.bincount(grid.group, weights=bary, minlength=n_groups) / np.bincount(grid.group, minlength=n_groups))[
        present
    ]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    flags = np.bitwise_or.reduceat(status[obs], starts).astype(np.int32)
    return {"DATEBARTT": time, "WHITEFLUXSYS": mean_flux.astype(np.float32), "STATUSSYS": flags}


def _astero_product(
    spec: LightCurveSpec,
    grid: _Grid,
    *,
    bary: FloatArray,
    status: IntArray,
    flux: FloatArray,
    sigma_abs: FloatArray,
    background: FloatArray,
    rng: np.random.Generator,
) -> SimulatedLightCurve:
    """AN2_STAR: RAW (TT dates), BAR (barycentric dates) and BARREG (regular, gap-filled) (§3.5).

    The asteroseismology DEV columns carry the point's own error (no sub-exposure sums are
    documented for this channel); BARREG marks interpolated points FILLED with DEV = −1.
    """
    obs = grid.observed
    deviation = (sigma_abs * np.sqrt(rng.chisquare(30, sigma_abs.size) / 30.0))[obs]
    raw: dict[str, npt.NDArray[Any]] = {
        "DATETT": grid.tt[obs],
        "RAWFLUX": flux[obs].astype(np.float32),
        "RAWFLUXDEV": deviation.astype(np.float32),
        "RAWSTATUS": status[obs],
        "BG": background[obs].astype(np.float32),
    }
    bar: dict[str, npt.NDArray[Any]] = {
        "DATEBARTT": bary[obs],
        "FLUXBAR": flux[obs].astype(np.float32),
        "FLUXDEVBAR": deviation.astype(np.float32),
        "STATUSBAR": status[obs],
    }
    step_d = spec.cadence_s / 86400.0
    bar_time = bary[obs]
    regular = bar_time[0] + np.arange(int((bar_time[-1] - bar_time[0]) / step_d) + 1) * step_d
    nearest = np.clip(np.searchsorted(bar_time, regular), 1, bar_time.size - 1)
    nearest -= (regular - bar_time[nearest - 1]) < (bar_time[nearest] - regular)
    nearest_status = status[obs][nearest]
    direct = (np.abs(bar_time[nearest] - regular) * 86400.0 < spec.cadence_s / 2.0) & (nearest_status == 0)
    good = status[obs] == 0
    reg_flux = np.where(
        direct, np.interp(regular, bar_time, flux[obs]), _interpolate_over(bar_time, flux[obs], good, regular)
    )
    reg_status = np.where(direct, nearest_status, nearest_status | np.int32(StatusFlag.FILLED))
    barreg: dict[str, npt.NDArray[Any]] = {
        "DATEBARREGTT": regular,
        "FLUXBARREG": reg_flux.astype(np.float32),
        "FLUXDEVBARREG": np.where(direct, deviation[nearest], -1.0).astype(np.float32),
        "STATUSBARREG": reg_status.astype(np.int32),
    }
    dates = _utc_strings(grid.tt[obs][[0, -1]], spec)
    lc_flux = flux[obs][good] if good.any() else flux[obs]
    return SimulatedLightCurve(
        product_type=spec.product,
        extensions=(("RAW", raw), ("BAR", bar), ("BARREG", barreg)),
        lc_mean=float(lc_flux.mean()),
        lc_rms=float(lc_flux.std()),
        date_obs=dates[0].decode(),
        date_end=dates[-1].decode(),
    )


__all__ = [
    "JD_ZERO",
    "ORBIT_PERIOD_D",
    "LightCurveSpec",
    "SimulatedLightCurve",
    "StatusFlag",
    "Transit",
    "colour_fractions",
    "noise_per_point",
    "simulate",
    "transit_signal",
    "tt_minus_utc_s",
    "utc_from_tt",
]
