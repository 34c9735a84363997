"""The light-curve simulator against the CoRoT data spec (§3.8–3.10, §6.1, §7, §8)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import EarthLocation, SkyCoord
from astropy.time import Time

from archive.lcsim import (
    ORBIT_PERIOD_D,
    LightCurveSpec,
    StatusFlag,
    Transit,
    colour_fractions,
    noise_per_point,
    simulate,
)
from tests.archive.n2_cases import COROT1, COROT1_B, HD174936, QUIET_MON

KNOWN_BITS = int(StatusFlag.EARTH_ECLIPSE | StatusFlag.SAA | StatusFlag.COSMIC_RAY | StatusFlag.HOT_PIXEL)


def _median_spacing_s(times: np.ndarray) -> float:
    return float(np.median(np.diff(times)) * 86400.0)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def _point_noise(flux: np.ndarray) -> float:
    """Relative white noise from first differences (insensitive to slow trends), robust to outliers."""
    diff = np.diff(flux / np.median(flux))
    return float(1.4826 * np.median(np.abs(diff - np.median(diff))) / np.sqrt(2.0))


def test_same_spec_same_curve_and_seed_changes_it() -> None:
    first, again = simulate(QUIET_MON), simulate(QUIET_MON)
    other = simulate(replace(QUIET_MON, seed=QUIET_MON.seed + 1))
    for name, columns in first.extensions:
        for column, values in columns.items():
            np.testing.assert_array_equal(values, again.extension(name)[column])
    assert not np.array_equal(first.extension("BAR")["WHITEFLUX"], other.extension("BAR")["WHITEFLUX"])


def test_exo_grid_is_512s_tt_from_the_product_start() -> None:
    bar = simulate(COROT1).extension("BAR")
    assert _median_spacing_s(bar["DATETT"]) == pytest.approx(512.0, abs=1e-3)
    assert bar["DATE"][0] == b"2007-02-06T13:35:47"
    start_tt = Time(datetime(2007, 2, 6, 13, 35, 47), scale="utc").tt.jd - 2_400_000.0
    assert bar["DATETT"][0] == pytest.approx(start_tt, abs=1e-8)
    # DATE is UTC: in 2007 TT - UTC = 32.184 + 33 s.
    utc = Time(np.char.decode(bar["DATE"][::500]).tolist(), scale="utc", format="isot")
    offsets = (bar["DATETT"][::500] - (utc.jd - 2_400_000.0)) * 86400.0
    np.testing.assert_allclose(offsets, 65.184, atol=0.51)
    assert bar["DATETT"][-1] <= start_tt + (COROT1.t_end - COROT1.t_start).total_seconds() / 86400.0


def test_leap_second_inside_a_run_shifts_the_utc_dates() -> None:
    spec = replace(QUIET_MON, t_start=datetime(2008, 12, 20, tzinfo=UTC), t_end=datetime(2009, 1, 10, tzinfo=UTC))
    bar = simulate(spec).extension("BAR")
    utc = Time(np.char.decode(bar["DATE"]).tolist(), scale="utc", format="isot")
    # astropy spreads the leap second over the UTC day in .jd, so compare in TT.
    errors_s = (bar["DATETT"] - (utc.tt.jd - 2_400_000.0)) * 86400.0
    np.testing.assert_allclose(errors_s, 0.0, atol=0.51)
    assert (utc < Time("2009-01-01T00:00:00", scale="utc")).sum() > 1000
    # With this grid one point falls inside the inserted second itself.
    assert b"2008-12-31T23:59:60" in bar["DATE"].tolist()


def test_barycentric_dates_match_astropy() -> None:
    bar = simulate(COROT1).extension("BAR")
    sample = slice(None, None, 1000)
    times = Time(
        bar["DATETT"][sample] + 2_400_000.0,
        format="jd",
        scale="tt",
        location=EarthLocation.from_geocentric(0, 0, 0, unit="m"),
    )
    expected = times.light_travel_time(SkyCoord(COROT1.ra * u.deg, COROT1.dec * u.deg), kind="barycentric")
    ours = (bar["DATEBARTT"][sample] - bar["DATETT"][sample]) * 86400.0
    np.testing.assert_allclose(ours, expected.to_value(u.s), atol=8.0)
    assert np.all(np.abs(bar["DATEBARTT"] - bar["DATETT"]) < 0.0062)


def test_astero_products_use_32s_and_a_regular_barycentric_grid() -> None:
    lc = simulate(HD174936)
    assert lc.extnames == ("RAW", "BAR", "BARREG")
    raw, bar, barreg = (lc.extension(name) for name in lc.extnames)
    assert _median_spacing_s(raw["DATETT"]) == pytest.approx(32.0, abs=1e-3)
    assert raw["DATETT"].size == bar["DATEBARTT"].size
    steps = np.diff(barreg["DATEBARREGTT"]) * 86400.0
    np.testing.assert_allclose(steps, 32.0, atol=1e-4)
    filled = (barreg["STATUSBARREG"] & StatusFlag.FILLED) != 0
    assert filled.any()
    assert np.all(barreg["FLUXDEVBARREG"][filled] == -1.0)
    assert np.all(barreg["FLUXDEVBARREG"][~filled] > 0)
    # Real HD 174936: median 6.3e5 e-/32 s, rms 0.2 % (§3.5); the flux law must land near it.
    assert 3e5 < lc.lc_mean < 1.3e6


def test_oversampling_switch_like_corot11() -> None:
    spec = replace(COROT1, switch_to_32s_after_d=20.0, t_end=datetime(2007, 3, 20, tzinfo=UTC))
    lc = simulate(spec)
    bar, barfill, systematic = (lc.extension(name) for name in lc.extnames)
    days = bar["DATETT"] - bar["DATETT"][0]
    early, late = days < 19.9, days > 20.1
    assert _median_spacing_s(bar["DATETT"][early]) == pytest.approx(512.0, abs=1e-3)
    assert _median_spacing_s(bar["DATETT"][late]) == pytest.approx(32.0, abs=1e-3)
    texp_days = barfill["DATETT"] - barfill["DATETT"][0]
    assert set(np.unique(barfill["TEXP"][texp_days < 19.9])) == {512}
    assert set(np.unique(barfill["TEXP"][texp_days > 20.1])) == {32}
    assert _median_spacing_s(systematic["DATEBARTT"]) == pytest.approx(512.0, abs=0.1)
    # 32 s points have no sub-exposure scatter.
    assert np.all(bar["REDFLUXDEV"][late] == -1.0)
    assert np.all(bar["REDFLUXDEV"][early] > 0)


def test_saa_passages_flag_5_to_15_minutes_on_a_subset_of_orbits() -> None:
    spec = replace(HD174936, var_class="", t_end=datetime(2007, 4, 21, tzinfo=UTC))
    raw = simulate(spec).extension("RAW")
    saa = (raw["RAWSTATUS"] & StatusFlag.SAA) != 0
    runs = _runs(saa)
    assert len(runs) > 20
    times = raw["DATETT"]
    durations_min = np.array([(times[b] - times[a]) * 1440.0 + 32.0 / 60.0 for a, b in runs])
    interior = durations_min[1:-1]
    assert interior.min() >= 5.0 - 1e-6
    assert interior.max() <= 15.0 + 2 * 32.0 / 60.0
    centres = np.array([(times[a] + times[b]) / 2.0 for a, b in runs])
    orbits = (centres - centres[0]) / ORBIT_PERIOD_D
    np.testing.assert_allclose(orbits, np.rint(orbits), atol=0.02)
    orbits_seen = (times[-1] - times[0]) / ORBIT_PERIOD_D
    assert 0.2 < len(runs) / orbits_seen < 0.7


def test_status_uses_the_observed_codes() -> None:
    spec = replace(COROT1, t_end=datetime(2007, 5, 30, tzinfo=UTC))
    lc = simulate(spec)
    status = lc.extension("BAR")["STATUS"]
    values = set(np.unique(status).tolist())
    assert {0, 8, 16, 80}.issubset(values)
    assert any(v & StatusFlag.HOT_PIXEL for v in values)
    assert all(v & ~KNOWN_BITS == 0 for v in values)
    assert 0.5 < np.mean(status == 0) < 0.95
    assert set(np.unique(lc.extension("SYSTEMATIC")["STATUSSYS"]).tolist()) <= values


@pytest.mark.parametrize("vmag", [12.0, 15.0])
def test_noise_follows_the_magnitude_law(vmag: float) -> None:
    lc = simulate(replace(QUIET_MON, vmag=vmag, seed=int(vmag)))
    bar = lc.extension("BAR")
    good = bar["STATUS"] == 0
    measured = _point_noise(bar["WHITEFLUX"][good].astype(np.float64))
    assert measured == pytest.approx(noise_per_point(vmag, 512), rel=0.1)
    dev_error = np.median(bar["WHITEFLUXDEV"][good]) / 4.0 / np.median(bar["WHITEFLUX"][good])
    assert dev_error == pytest.approx(noise_per_point(vmag, 512), rel=0.1)


def test_noise_ratio_between_magnitudes() -> None:
    bright, faint = (simulate(replace(QUIET_MON, vmag=v, seed=5)).extension("BAR") for v in (12.0, 15.0))
    ratio = _point_noise(faint["WHITEFLUX"][faint["STATUS"] == 0].astype(np.float64)) / _point_noise(
        bright["WHITEFLUX"][bright["STATUS"] == 0].astype(np.float64)
    )
    assert ratio == pytest.approx(10 ** (0.16 * 3.0), rel=0.1)


def test_32s_points_are_four_times_noisier() -> None:
    raw = simulate(replace(HD174936, var_class="", vmag=8.0)).extension("RAW")
    good = raw["RAWSTATUS"] == 0
    assert _point_noise(raw["RAWFLUX"][good].astype(np.float64)) == pytest.approx(noise_per_point(8.0, 32), rel=0.1)
    assert noise_per_point(8.0, 32) == pytest.approx(4 * noise_per_point(8.0, 512))


def test_flux_level_and_colours() -> None:
    lc = simulate(COROT1)
    bar = lc.extension("BAR")
    vmag = 13.6
    assert 10 ** (-0.4 * (vmag - 26.7)) < lc.lc_mean < 10 ** (-0.4 * (vmag - 27.3))
    white = bar["WHITEFLUX"].astype(np.float64)
    colours = sum(bar[f"{c}FLUX"].astype(np.float64) for c in ("RED", "GREEN", "BLUE"))
    np.testing.assert_allclose(colours, white, rtol=1e-5)
    red, green, blue = colour_fractions(COROT1.teff or 0)
    assert np.median(bar["REDFLUX"] / white) == pytest.approx(red, abs=0.005)
    assert np.median(bar["BLUEFLUX"] / white) == pytest.approx(blue, abs=0.005)
    assert red > green > 0
    background = bar["BG"] / np.median(white)
    assert 0.005 < np.median(background) < 0.08


def test_corot1b_transits_at_the_ephemeris() -> None:
    bar = simulate(COROT1).extension("BAR")
    good = bar["STATUS"] == 0
    bjd = bar["DATEBARTT"][good] + 2_400_000.0
    flux = bar["WHITEFLUX"][good] / np.median(bar["WHITEFLUX"][good])
    phase = ((bjd - COROT1_B.t0_bjd) / COROT1_B.period_d + 0.5) % 1.0 - 0.5
    half_width = COROT1_B.duration_h / 24.0 / COROT1_B.period_d / 2.0
    in_transit = np.abs(phase) < 0.5 * half_width
    outside = np.abs(phase) > 2 * half_width
    depth = np.median(flux[outside]) - np.median(flux[in_transit])
    assert depth == pytest.approx(COROT1_B.depth, rel=0.1)
    opposite = np.abs(np.abs(phase) - 0.5) < 0.5 * half_width
    assert abs(np.median(flux[outside]) - np.median(flux[opposite])) < 0.002
    # The dip is centred on the ephemeris (within 5 min), and every transit of the run is there.
    dipped = (np.abs(phase) < 0.25) & (flux < 1.0 - COROT1_B.depth / 2.0)
    assert abs(np.mean(phase[dipped])) * COROT1_B.period_d * 1440.0 < 5.0
    epochs = np.unique(np.rint((bjd[in_transit] - COROT1_B.t0_bjd) / COROT1_B.period_d))
    span = (bjd[-1] - bjd[0]) / COROT1_B.period_d
    assert len(epochs) >= span - 3


@pytest.mark.parametrize(("var_class", "minimum_rel"), [("EB", 0.03), ("PULS", 3e-4), ("ROT", 2e-3)])
def test_variability_classes_show_up(var_class: str, minimum_rel: float) -> None:
    bar = simulate(replace(QUIET_MON, var_class=var_class, vmag=12.0)).extension("BAR")
    flux = bar["WHITEFLUX"][bar["STATUS"] == 0].astype(np.float64)
    flux /= np.median(flux)
    spread = np.percentile(flux, 99) - np.percentile(flux, 1)
    quiet = bar_quiet_spread()
    assert spread > minimum_rel
    assert spread > 1.5 * quiet


def bar_quiet_spread() -> float:
    bar = simulate(replace(QUIET_MON, vmag=12.0)).extension("BAR")
    flux = bar["WHITEFLUX"][bar["STATUS"] == 0].astype(np.float64)
    flux /= np.median(flux)
    return float(np.percentile(flux, 99) - np.percentile(flux, 1))


def test_gap_filled_and_systematics_extensions() -> None:
    lc = simulate(replace(COROT1, t_end=datetime(2007, 5, 30, tzinfo=UTC)))
    bar, barfill, systematic = (lc.extension(name) for name in lc.extnames)
    assert barfill["DATETT"].size >= bar["DATETT"].size
    steps = np.diff(barfill["DATETT"]) * 86400.0
    np.testing.assert_allclose(steps, 512.0, atol=1e-3)
    filled = (barfill["STATUSFIL"] & StatusFlag.FILLED) != 0
    assert filled.any()
    kept = ~filled
    in_bar = np.isin(barfill["DATETT"], bar["DATETT"])
    assert np.all(in_bar[kept])
    bar_index = np.searchsorted(bar["DATETT"], barfill["DATETT"][kept])
    np.testing.assert_array_equal(barfill["WHITEFLUXFIL"][kept], bar["WHITEFLUX"][bar_index])
    # Filled values lie between their good neighbours: no cosmic-ray spikes survive.
    flux = barfill["WHITEFLUXFIL"].astype(np.float64)
    assert np.abs(flux[filled] / np.median(flux) - 1).max() < 0.05
    assert set(np.unique(barfill["TEXP"]).tolist()) == {512}
    # SYSTEMATIC removes the ageing drift that BAR carries.
    days = systematic["DATEBARTT"] - systematic["DATEBARTT"][0]
    good = systematic["STATUSSYS"] == 0
    raw_slope = np.polyfit(days[good], bar["WHITEFLUX"][good] / lc.lc_mean, 1)[0]
    corrected_slope = np.polyfit(days[good], systematic["WHITEFLUXSYS"][good] / lc.lc_mean, 1)[0]
    assert abs(corrected_slope) < abs(raw_slope)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cadence_s": 60}, "cadences"),
        ({"t_end": datetime(2007, 1, 1, tzinfo=UTC)}, "after"),
        ({"var_class": "NOVA"}, "variability"),
        ({"vmag": None, "bmag": float("nan"), "rmag": None}, "magnitude"),
        ({"product_type": "EN2_STAR"}, "product type"),
        ({"switch_to_32s_after_d": 10.0, "cadence_s": 32}, "switch"),
        ({"dec": 95.0}, "position"),
    ],
)
def test_spec_validation(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(COROT1, **change)  # type: ignore[arg-type]


def test_transit_validation() -> None:
    with pytest.raises(ValueError, match="depth"):
        Transit(period_d=1.0, t0_bjd=2454000.0, depth=1.5, duration_h=2.0)
    with pytest.raises(ValueError, match="full Julian"):
        Transit(period_d=1.0, t0_bjd=54000.0, depth=0.01, duration_h=2.0)


def test_simulation_is_fast() -> None:
    long_run = LightCurveSpec(
        **{
            **COROT1.__dict__,
            "t_start": datetime(2007, 5, 16, 6, 2, 26, tzinfo=UTC),
            "t_end": datetime(2007, 10, 13, 6, 2, 26, tzinfo=UTC),
        }
    )
    simulate(long_run)
    started = time.perf_counter()
    lc = simulate(long_run)
    elapsed = time.perf_counter() - started
    assert lc.extension("BAR")["DATETT"].size > 23_000
    # ≈15 ms on one core; the bound leaves room for a loaded shared machine.
    assert elapsed < 0.25
