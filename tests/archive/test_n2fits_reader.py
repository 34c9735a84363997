"""The ingest reader: round trips, older releases and damaged files (CoRoT data spec §3, §8.11)."""

from __future__ import annotations

import math
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.time import Time

from archive.lcsim import LightCurveSpec, simulate
from archive.n2fits import (
    BandNotAvailableError,
    N2FormatError,
    read_n2,
    read_series,
    write_n2,
)
from tests.archive.n2_cases import COROT1, HD174936, QUIET_MON

CHR = replace(COROT1, t_end=datetime(2007, 2, 25, tzinfo=UTC))
MON = replace(QUIET_MON, t_end=datetime(2007, 11, 10, tzinfo=UTC))
AN2 = replace(HD174936, t_end=datetime(2007, 4, 16, tzinfo=UTC))


def _mjd_tt(moment: datetime) -> float:
    return float(Time(moment.replace(tzinfo=None), scale="utc").tt.mjd)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("n2")
    paths = {}
    for key, spec in (("chr", CHR), ("mon", MON), ("an2", AN2)):
        paths[key] = folder / spec.file_name
        write_n2(paths[key], spec, simulate(spec))
    return paths


def _expect_spec(spec: LightCurveSpec, path: Path) -> None:
    product = read_n2(path)
    lc = simulate(spec)
    first_table = lc.extension(lc.extnames[0])
    assert product.corot_id == spec.corot_id
    assert product.run_code == spec.run_code
    assert product.product_type == spec.product_type
    assert product.channel == ("astero" if spec.product_type == "AN2_STAR" else "exo")
    assert product.hlfccdid == spec.hlfccdid
    assert product.win_id == spec.win_id
    assert product.star_name == (spec.star_name or None)
    assert product.ra == pytest.approx(spec.ra)
    assert product.dec == pytest.approx(spec.dec)
    for got, wanted in ((product.bmag, spec.bmag), (product.vmag, spec.vmag), (product.rmag, spec.rmag)):
        if wanted is None or math.isnan(wanted):
            assert got is None
        else:
            assert got == pytest.approx(wanted)
    assert product.spectral_type == spec.spectral_type
    assert product.lum_class == spec.lum_class
    assert product.lc_mean == pytest.approx(lc.lc_mean, rel=1e-6)
    assert product.lc_rms == pytest.approx(lc.lc_rms, rel=1e-5)
    assert product.t_min == pytest.approx(_mjd_tt(spec.t_start), abs=1e-7)
    assert product.t_max <= _mjd_tt(spec.t_end)
    assert product.t_max > _mjd_tt(spec.t_end) - spec.cadence_s / 86400.0
    assert product.date_start == spec.t_start.strftime("%Y-%m-%dT%H:%M:%S")
    assert product.date_end == lc.date_end
    assert product.cadence_s == spec.cadence_s
    assert product.n_points == next(iter(first_table.values())).size
    assert product.version == "N2-4.4"
    assert product.layout == "v4"
    assert product.file_name == spec.file_name


def test_round_trip_chromatic(written: dict[str, Path]) -> None:
    _expect_spec(CHR, written["chr"])
    assert read_n2(written["chr"]).bands == ("white", "red", "green", "blue")


def test_round_trip_monochromatic(written: dict[str, Path]) -> None:
    _expect_spec(MON, written["mon"])
    assert read_n2(written["mon"]).bands == ("white",)


def test_round_trip_astero(written: dict[str, Path]) -> None:
    _expect_spec(AN2, written["an2"])


def test_white_series_of_a_chromatic_file(written: dict[str, Path]) -> None:
    series = read_series(written["chr"])
    bar = simulate(CHR).extension("BAR")
    np.testing.assert_array_equal(series.time_bjd_minus_2400000, bar["DATEBARTT"])
    np.testing.assert_array_equal(series.flux, bar["WHITEFLUX"].astype(np.float64))
    np.testing.assert_array_equal(series.status, bar["STATUS"])
    devs = [bar[f"{c}FLUXDEV"].astype(np.float64) for c in ("RED", "GREEN", "BLUE")]
    np.testing.assert_allclose(series.flux_err, np.sqrt(sum(d**2 for d in devs)) / 4.0, rtol=1e-6)
    assert series.flux_unit == "ct"
    assert series.time_reference == "barycentre"
    assert series.flux.dtype == np.float64
    assert series.flux.dtype.isnative


def test_colour_series_and_missing_bands(written: dict[str, Path]) -> None:
    red = read_series(written["chr"], "red")
    bar = simulate(CHR).extension("BAR")
    np.testing.assert_array_equal(red.flux, bar["REDFLUX"].astype(np.float64))
    np.testing.assert_allclose(red.flux_err, bar["REDFLUXDEV"] / 4.0, rtol=1e-6)
    with pytest.raises(BandNotAvailableError, match="no red band"):
        read_series(written["mon"], "red")
    with pytest.raises(BandNotAvailableError, match="only white"):
        read_series(written["an2"], "blue")
    with pytest.raises(N2FormatError, match="unknown band"):
        read_series(written["chr"], "ultraviolet")


def test_astero_series_uses_barycentric_dates(written: dict[str, Path]) -> None:
    series = read_series(written["an2"])
    bar = simulate(AN2).extension("BAR")
    np.testing.assert_array_equal(series.time_bjd_minus_2400000, bar["DATEBARTT"])
    np.testing.assert_allclose(series.flux_err, bar["FLUXDEVBAR"], rtol=1e-6)


def test_undefined_deviation_becomes_nan(tmp_path: Path) -> None:
    spec = replace(MON, switch_to_32s_after_d=5.0)
    path = tmp_path / spec.file_name
    write_n2(path, spec, simulate(spec))
    series = read_series(path)
    days = series.time_bjd_minus_2400000 - series.time_bjd_minus_2400000[0]
    assert np.isnan(series.flux_err[days > 5.01]).all()
    assert np.isfinite(series.flux_err[days < 4.99]).all()
    assert read_n2(path).cadence_s == 32.0


# ---------------------------------------------------------------- older releases (§3.6) --


def _v13_primary(filename: str, **extra: object) -> fits.PrimaryHDU:
    primary = fits.PrimaryHDU()
    primary.header["TELESCOP"] = "COROT"
    primary.header["FILENAME"] = filename
    primary.header["COROTID"] = extra.pop("corotid", 102890318)
    primary.header["RUN_CODE"] = "IRa01"
    primary.header["HLFCCDID"] = "E1R"
    primary.header["ALPHA"] = 102.07989
    primary.header["DELTA"] = -3.10214
    primary.header["MAGNIT_B"] = "NAN"
    primary.header["MAGNIT_V"] = 13.6
    primary.header["MAGNIT_R"] = "NAN"
    for key, value in extra.items():
        primary.header[key] = value
    return primary


CJD0 = 2_607.0  # CoRoT Julian Day 2607 = JD 2454152.0


def _v13_times(n: int, cadence_s: float) -> np.ndarray:
    return CJD0 + np.arange(n) * cadence_s / 86400.0


def test_v13_monochromatic_file(tmp_path: Path) -> None:
    n = 50
    times = _v13_times(n, 512.0)
    dev = np.full(n, 80.0, dtype=np.float32)
    dev[3] = -1.0
    columns = [
        fits.Column("DATE", "19A", array=np.array(["2008-02-22T12:00:00"] * n)),
        fits.Column("DATEJD", "D", array=times),
        fits.Column("DATEHEL", "D", array=times + 0.003),
        fits.Column("STATUS", "J", array=np.r_[np.zeros(n - 1), 4].astype(np.int32)),
        fits.Column("WHITEFLUX", "E", array=np.full(n, 1e5, dtype=np.float32)),
        fits.Column("WHITEFLUXDEV", "E", array=dev),
        fits.Column("BG", "E", array=np.full(n, 900.0, dtype=np.float32)),
        fits.Column("CORREC", "E", array=np.zeros(n, dtype=np.float32)),
    ]
    name = "EN2_STAR_MON_0102890318_20070203T130553_20070401T235518.fits"
    path = tmp_path / "renamed.fits"
    fits.HDUList([_v13_primary(name), fits.BinTableHDU.from_columns(columns)]).writeto(path)
    product = read_n2(path)
    assert product.layout == "v1-3"
    assert product.version == "N2-v1-3"
    assert product.product_type == "EN2_STAR_MON"
    assert product.t_min == pytest.approx(CJD0 + 51544.5)
    assert product.cadence_s == 512.0
    assert product.n_points == n
    assert product.bmag is None
    assert product.rmag is None
    assert product.lc_mean == pytest.approx(1e5)
    series = read_series(path)
    np.testing.assert_allclose(series.time_bjd_minus_2400000, times + 0.003 + 51545.0)
    assert series.time_reference == "heliocentre"
    assert np.isnan(series.flux_err[3])
    assert series.flux_err[0] == pytest.approx(20.0)


def test_v13_chromatic_file_without_white_flux_or_extname(tmp_path: Path) -> None:
    n = 40
    times = _v13_times(n, 32.0)
    flux = {"RED": 6e4, "GREEN": 2e4, "BLUE": 1e4}
    columns = [
        fits.Column("DATE", "19A", array=np.array(["2008-02-22T12:00:00"] * n)),
        fits.Column("DATEJD", "D", array=times),
        fits.Column("DATEHEL", "D", array=times),
        fits.Column("STATUS", "J", array=np.zeros(n, dtype=np.int32)),
    ]
    for colour, value in flux.items():
        columns.append(fits.Column(f"{colour}FLUX", "E", array=np.full(n, value, dtype=np.float32)))
        columns.append(fits.Column(f"{colour}FLUXDEV", "E", array=np.full(n, 40.0, dtype=np.float32)))
    columns.append(fits.Column("BG", "E", array=np.zeros(n, dtype=np.float32)))
    table = fits.BinTableHDU.from_columns(columns)
    assert "EXTNAME" not in table.header
    path = tmp_path / "EN2_STAR_CHR_0102890318_20070203T130553_20070401T235518.fits"
    fits.HDUList([_v13_primary(""), table]).writeto(path)
    product = read_n2(path)
    assert product.product_type == "EN2_STAR_CHR"
    assert product.cadence_s == 32.0
    assert product.bands == ("white", "red", "green", "blue")
    white = read_series(path, "white")
    np.testing.assert_allclose(white.flux, 9e4)
    np.testing.assert_allclose(white.flux_err, math.sqrt(3 * 40.0**2) / 4.0)


def test_v13_astero_file(tmp_path: Path) -> None:
    n = 64
    times = _v13_times(n, 32.0)
    raw = fits.BinTableHDU.from_columns(
        [
            fits.Column("DATEJD", "D", unit="CJD", array=times),
            fits.Column("RAWFLUX", "D", unit="electron/s", array=np.full(n, 2e5)),
            fits.Column("RAWFLUXDEV", "D", unit="electron/s", array=np.full(n, 30.0)),
            fits.Column("RAWSTATUS", "J", array=np.zeros(n, dtype=np.int32)),
            fits.Column("BG", "E", array=np.zeros(n, dtype=np.float32)),
        ],
        name="RAW",
    )
    hel = fits.BinTableHDU.from_columns(
        [
            fits.Column("DATEJDHEL", "D", array=times + 0.002),
            fits.Column("FLUXHEL", "D", unit="electron/s", array=np.full(n, 2e5)),
            fits.Column("FLUXDEVHEL", "D", array=np.full(n, 30.0)),
            fits.Column("STATUSHEL", "J", array=np.zeros(n, dtype=np.int32)),
        ],
        name="HEL",
    )
    name = "AN2_STAR_0000007528_20070411T150752_20070508T213552.fits"
    path = tmp_path / name
    primary = _v13_primary(name, corotid="   7528 ", STARNAME="HD 174936")
    fits.HDUList([primary, raw, hel]).writeto(path)
    product = read_n2(path)
    assert (product.corot_id, product.channel, product.star_name) == (7528, "astero", "HD 174936")
    assert product.layout == "v1-3"
    assert product.cadence_s == 32.0
    assert product.date_start == Time(times[0] + 2_451_545.0, format="jd", scale="tt").utc.strftime("%Y-%m-%dT%H:%M:%S")
    series = read_series(path)
    np.testing.assert_allclose(series.time_bjd_minus_2400000, times + 0.002 + 51545.0)
    np.testing.assert_allclose(series.flux_err, 30.0)
    assert series.flux_unit == "electron/s"


def test_missing_statistics_are_computed(tmp_path: Path, written: dict[str, Path]) -> None:
    path = tmp_path / MON.file_name
    with fits.open(written["mon"]) as hdul:
        del hdul[0].header["LC_MEAN"]
        del hdul[0].header["LC_RMS"]
        hdul.writeto(path)
    product = read_n2(path)
    reference = read_n2(written["mon"])
    assert product.lc_mean == pytest.approx(reference.lc_mean, rel=1e-5)
    assert product.lc_rms == pytest.approx(reference.lc_rms, rel=1e-3)


# ---------------------------------------------------------------------- damaged files --


def _reason(path: Path) -> str:
    with pytest.raises(N2FormatError) as caught:
        read_n2(path)
    assert caught.value.path == os.fspath(path)
    assert str(path) in str(caught.value)
    return caught.value.reason


@pytest.mark.parametrize("cut", [100, 2880 + 500, 4 * 2880, -3000])
def test_truncated_files(tmp_path: Path, written: dict[str, Path], cut: int) -> None:
    data = written["chr"].read_bytes()
    path = tmp_path / written["chr"].name
    path.write_bytes(data[:cut])
    reason = _reason(path)
    assert any(word in reason for word in ("truncated", "not a readable FITS", "without"))
    with pytest.raises(N2FormatError):
        read_series(path)


def test_truncation_is_named(tmp_path: Path, written: dict[str, Path]) -> None:
    data = written["an2"].read_bytes()
    path = tmp_path / written["an2"].name
    path.write_bytes(data[: len(data) // 2])
    assert "truncated" in _reason(path)


def test_garbage_empty_missing_and_directory(tmp_path: Path) -> None:
    garbage = tmp_path / "EN2_STAR_CHR_0102890318_20070206T133547_20070402T070302.fits"
    garbage.write_bytes(np.random.default_rng(1).integers(0, 256, 10_000, dtype=np.uint8).tobytes())
    assert "not a readable FITS" in _reason(garbage)
    empty = tmp_path / "empty.fits"
    empty.write_bytes(b"")
    assert "empty" in _reason(empty)
    assert "does not exist" in _reason(tmp_path / "nowhere.fits")
    assert "directory" in _reason(tmp_path)


def test_fits_file_that_is_not_corot(tmp_path: Path) -> None:
    primary = fits.PrimaryHDU()
    primary.header["TELESCOP"] = "XMM"
    table = fits.BinTableHDU.from_columns([fits.Column("TIME", "D", array=np.arange(10.0))], name="EVENTS")
    path = tmp_path / "events.fits"
    fits.HDUList([primary, table]).writeto(path)
    assert "not a CoRoT product" in _reason(path)
    image = tmp_path / "image.fits"
    fits.PrimaryHDU(np.zeros((4, 4))).writeto(image)
    assert "not a CoRoT product" in _reason(image)


def _drop_column(source: Path, target: Path, extname: str, column: str) -> None:
    with fits.open(source) as hdul:
        hdus = [hdul[0].copy()]
        for hdu in hdul[1:]:
            if hdu.name == extname:
                keep = [c for c in hdu.columns if c.name != column]
                hdus.append(fits.BinTableHDU.from_columns(keep, header=None, name=hdu.name))
            else:
                hdus.append(hdu.copy())
        fits.HDUList(hdus).writeto(target)


@pytest.mark.parametrize(
    ("key", "extname", "column", "expected"),
    [
        ("mon", "BAR", "STATUS", "STATUS"),
        ("mon", "BAR", "DATETT", "DATETT"),
        ("an2", "RAW", "DATETT", "DATETT"),
        ("an2", "BAR", "STATUSBAR", "status"),
    ],
)
def test_missing_columns(
    tmp_path: Path, written: dict[str, Path], key: str, extname: str, column: str, expected: str
) -> None:
    path = tmp_path / written[key].name
    _drop_column(written[key], path, extname, column)
    assert expected in _reason(path)


def test_missing_flux_column_fails_the_series(tmp_path: Path, written: dict[str, Path]) -> None:
    path = tmp_path / written["mon"].name
    _drop_column(written["mon"], path, "BAR", "WHITEFLUX")
    with pytest.raises(N2FormatError, match="WHITEFLUX"):
        read_series(path)


def test_astero_file_without_its_tables(tmp_path: Path, written: dict[str, Path]) -> None:
    path = tmp_path / written["an2"].name
    with fits.open(written["an2"]) as hdul:
        fits.HDUList([hdul[0].copy()]).writeto(path)
    assert "RAW" in _reason(path)


def test_missing_position_and_rows(tmp_path: Path, written: dict[str, Path]) -> None:
    path = tmp_path / written["mon"].name
    with fits.open(written["mon"]) as hdul:
        del hdul[0].header["ALPHA"]
        hdul.writeto(path)
    assert "ALPHA" in _reason(path)
    empty_rows = tmp_path / "EN2_STAR_MON_0102890318_20070203T130553_20070401T235518.fits"
    with fits.open(written["mon"]) as hdul:
        bar = fits.BinTableHDU(hdul["BAR"].data[:0], name="BAR")
        fits.HDUList([hdul[0].copy(), bar]).writeto(empty_rows)
    assert "no rows" in _reason(empty_rows)


def test_checksum_verification(tmp_path: Path, written: dict[str, Path]) -> None:
    data = bytearray(written["mon"].read_bytes())
    data[3 * 2880 + 100] ^= 0xFF
    path = tmp_path / written["mon"].name
    path.write_bytes(bytes(data))
    assert read_n2(path).n_points > 0
    with pytest.raises(N2FormatError, match="DATASUM"):
        read_n2(path, verify_checksum=True)
    assert read_n2(written["mon"], verify_checksum=True).n_points > 0
