"""The light-curve table and its VOTable, CSV and FITS forms, on simulated N2 files."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.io.votable import parse

from archive.lcsim import LightCurveSpec, simulate
from archive.n2fits import read_series, write_n2
from ssa.timescales import tt_to_utc_mjd, utc_mjd_to_barycentric
from ssa.timeseries import ProductInfo, csv_chunks, fits_bytes, load_light_curve, votable_chunks


def _product(tmp_path: Path, product_type: str, **extra: object) -> tuple[Path, ProductInfo]:
    spec = LightCurveSpec(corot_id=102890318, run_code="IRa01", product_type=product_type, hlfccdid="E1L",
                          win_id=7, ra=102.07989, dec=-3.10214, vmag=13.6, teff=6298.0,
                          t_start=datetime(2007, 2, 6, 13, 35, 47, tzinfo=UTC),
                          t_end=datetime(2007, 2, 9, 13, 35, 47, tzinfo=UTC), seed=3, **extra)  # type: ignore[arg-type]
    path = tmp_path / spec.file_name
    write_n2(path, spec, simulate(spec))
    product_id = spec.file_name.removesuffix(".fits")
    info = ProductInfo(product_id, f"ivo://corot.vo/corot?{product_id}", spec.corot_id, spec.run_code,
                       product_type, "CoRoT-1", spec.ra, spec.dec)
    return path, info


def test_32s_points_have_null_errors(tmp_path: Path) -> None:
    """DEV = -1 marks 32 s points (no sub-exposure scatter, CoRoT data spec §3.1): null errors."""
    path, info = _product(tmp_path, "EN2_STAR_MON", switch_to_32s_after_d=1.0)
    curve = load_light_curve(read_series, str(path), info, ["white"])
    errors = curve.table.column("flux_err")
    dev = fits.getdata(path, "BAR")["WHITEFLUXDEV"]
    assert errors.null_count == int(np.sum(dev < 0)) > 0
    document = parse(io.BytesIO(b"".join(votable_chunks(curve))), verify="exception")
    column = document.get_first_table().to_table()["flux_err"]
    np.testing.assert_array_equal(np.ma.getmaskarray(column), dev < 0)


def test_time_cut_keeps_the_window_only(tmp_path: Path) -> None:
    path, info = _product(tmp_path, "EN2_STAR_CHR")
    full = read_series(str(path), "white").time_bjd_minus_2400000
    low, high = float(full[40]), float(full[80])
    curve = load_light_curve(read_series, str(path), info, ["white", "red"], time_range=(low, high))
    times = np.asarray(curve.table.column("time"))
    assert times.min() == low and times.max() == high and len(times) == 41
    assert curve.table.column_names == ["time", "status", "flux", "flux_err", "flux_red", "flux_err_red"]


def test_barycentric_conversion_matches_the_file(tmp_path: Path) -> None:
    """DATETT converted to UTC and back to barycentric dates gives DATEBARTT (to ~50 ms)."""
    path, _ = _product(tmp_path, "EN2_STAR_MON")
    bar = fits.getdata(path, "BAR")
    tt_mjd = np.asarray(bar["DATETT"][:50], dtype=np.float64) - 0.5
    barycentric = utc_mjd_to_barycentric(tt_to_utc_mjd(tt_mjd), 102.07989, -3.10214)
    np.testing.assert_allclose(barycentric, np.asarray(bar["DATEBARTT"][:50]), atol=0.05 / 86400)


def test_fits_and_csv_carry_the_same_rows(tmp_path: Path) -> None:
    path, info = _product(tmp_path, "EN2_STAR_CHR")
    curve = load_light_curve(read_series, str(path), info, ["white", "red", "green", "blue"])
    with fits.open(io.BytesIO(fits_bytes(curve))) as hdus:
        header = hdus[1].header
        assert (header["TIMESYS"], header["TREFPOS"], header["JDREF"], header["TIMEUNIT"]) == \
            ("TT", "BARYCENTER", 2400000.0, "d")
        assert hdus[1].verify_checksum() == 1
        np.testing.assert_array_equal(hdus[1].data["TIME"], np.asarray(curve.table.column("time")))
        assert hdus[0].header["COROTID"] == 102890318
    text = b"".join(csv_chunks(curve)).decode()
    lines = text.splitlines()
    assert lines[0].split(",")[:4] == ["time", "status", "flux", "flux_err"]
    assert len(lines) == curve.table.num_rows + 1


def test_astero_products_have_white_light_only(tmp_path: Path) -> None:
    path, info = _product(tmp_path, "AN2_STAR", cadence_s=32)
    curve = load_light_curve(read_series, str(path), info, ["white"])
    assert curve.refposition == "BARYCENTER"
    with pytest.raises(Exception, match="only white light"):
        load_light_curve(read_series, str(path), info, ["red"])
