"""Written files follow the N2-4.4 layout of the CoRoT data spec §3, read back by plain astropy."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from archive.lcsim import LightCurveSpec, simulate
from archive.n2fits import write_n2
from tests.archive.n2_cases import COROT1, HD174936, QUIET_MON

TIME, FLUX, FLAG = ("D", "d"), ("E", "ct"), ("J", "")

#: §3.1–3.5, transcribed independently of the writer: (EXTNAME, ((TTYPE, (TFORM, TUNIT)), ...)).
EXPECTED: dict[str, tuple[tuple[str, tuple[tuple[str, tuple[str, str]], ...]], ...]] = {
    "EN2_STAR_CHR": (
        (
            "BAR",
            (
                ("DATE", ("19A", "")),
                ("DATETT", TIME),
                ("DATEBARTT", TIME),
                ("STATUS", FLAG),
                ("REDFLUX", FLUX),
                ("REDFLUXDEV", FLUX),
                ("GREENFLUX", FLUX),
                ("GREENFLUXDEV", FLUX),
                ("BLUEFLUX", FLUX),
                ("BLUEFLUXDEV", FLUX),
                ("WHITEFLUX", FLUX),
                ("BG", FLUX),
            ),
        ),
        (
            "BARFILL",
            (("DATETT", TIME), ("DATEBARTT", TIME), ("WHITEFLUXFIL", FLUX), ("STATUSFIL", FLAG), ("TEXP", ("J", "s"))),
        ),
        ("SYSTEMATIC", (("DATEBARTT", TIME), ("WHITEFLUXSYS", FLUX), ("STATUSSYS", FLAG))),
    ),
    "EN2_STAR_MON": (
        (
            "BAR",
            (
                ("DATE", ("19A", "")),
                ("DATETT", TIME),
                ("DATEBARTT", TIME),
                ("STATUS", FLAG),
                ("WHITEFLUX", FLUX),
                ("WHITEFLUXDEV", FLUX),
                ("BG", FLUX),
            ),
        ),
        (
            "BARFILL",
            (("DATETT", TIME), ("DATEBARTT", TIME), ("WHITEFLUXFIL", FLUX), ("STATUSFIL", FLAG), ("TEXP", ("J", "s"))),
        ),
        ("SYSTEMATIC", (("DATEBARTT", TIME), ("WHITEFLUXSYS", FLUX), ("STATUSSYS", FLAG))),
    ),
    "AN2_STAR": (
        ("RAW", (("DATETT", TIME), ("RAWFLUX", FLUX), ("RAWFLUXDEV", FLUX), ("RAWSTATUS", FLAG), ("BG", FLUX))),
        ("BAR", (("DATEBARTT", TIME), ("FLUXBAR", FLUX), ("FLUXDEVBAR", FLUX), ("STATUSBAR", FLAG))),
        ("BARREG", (("DATEBARREGTT", TIME), ("FLUXBARREG", FLUX), ("FLUXDEVBARREG", FLUX), ("STATUSBARREG", FLAG))),
    ),
}
EXPECTED["EN2_STAR_IMAG"] = EXPECTED["EN2_STAR_MON"]

SHORT = {"t_end": datetime(2007, 2, 20, tzinfo=UTC)}
SPECS = {
    "EN2_STAR_CHR": replace(COROT1, **SHORT),  # type: ignore[arg-type]
    "EN2_STAR_MON": replace(QUIET_MON, t_end=datetime(2007, 11, 5, tzinfo=UTC)),
    "EN2_STAR_IMAG": replace(QUIET_MON, product_type="EN2_STAR_IMAG", t_end=datetime(2007, 11, 5, tzinfo=UTC)),
    "AN2_STAR": replace(HD174936, t_end=datetime(2007, 4, 16, tzinfo=UTC)),
}
CREATED = datetime(2016, 3, 23, 12, 0, 0, tzinfo=UTC)


def _write(tmp_path: Path, spec: LightCurveSpec) -> Path:
    path = tmp_path / spec.file_name
    write_n2(path, spec, simulate(spec), created=CREATED)
    return path


@pytest.mark.parametrize("product_type", sorted(EXPECTED))
def test_hdus_columns_and_formats(tmp_path: Path, product_type: str) -> None:
    path = _write(tmp_path, SPECS[product_type])
    with fits.open(path, checksum=True) as hdul:
        assert len(hdul) == 4
        assert isinstance(hdul[0], fits.PrimaryHDU)
        assert hdul[0].header["NAXIS"] == 0
        assert hdul[0].data is None
        for hdu, (extname, columns) in zip(hdul[1:], EXPECTED[product_type], strict=True):
            assert isinstance(hdu, fits.BinTableHDU)
            assert hdu.name == extname
            assert tuple(hdu.columns.names) == tuple(name for name, _ in columns)
            assert tuple(hdu.columns.formats) == tuple(fmt for _, (fmt, _) in columns)
            assert tuple(unit or "" for unit in hdu.columns.units) == tuple(unit for _, (_, unit) in columns)
            # FITS tables are big-endian on disk and astropy maps them without swapping.
            for name, (fmt, _) in columns:
                if fmt != "19A":
                    assert hdu.data.dtype[name].byteorder == ">"
            assert hdu.header["NAXIS2"] > 100
            assert hdu.verify_checksum() == 1
            assert hdu.verify_datasum() == 1


def test_primary_keywords_of_an_exoplanet_file(tmp_path: Path) -> None:
    spec = SPECS["EN2_STAR_CHR"]
    header = fits.getheader(_write(tmp_path, spec), 0)
    assert header["TELESCOP"] == "COROT"
    assert header["FILENAME"] == spec.file_name
    assert header["COROTID"] == 102890318
    assert header["RUN_CODE"] == "IRa01"
    assert header["HLFCCDID"] == "E1L"
    assert header["WIN_ID"] == 1234
    assert header["ALPHA"] == pytest.approx(102.07989)
    assert header["DELTA"] == pytest.approx(-3.10214)
    assert header["MAGNIT_B"] == "NAN"
    assert header["MAGNIT_V"] == pytest.approx(13.6)
    assert header["MAGNIT_R"] == pytest.approx(13.15)
    assert header["SPECTYPE"] == "G0"
    assert header["LUMCLASS"] == "V"
    assert header["VERSION"] == "N2-4.4"
    assert header["DATE"] == "2016-03-23T12:00:00"
    assert header["DATE-OBS"] == "2007-02-06T13:35:47"
    assert header["TIMESYS"] == "UTC"
    assert "STARNAME" not in header
    assert header["LC_MEAN"] > 1e5
    assert 0 < header["LC_RMS"] < header["LC_MEAN"]
    assert "CHECKSUM" in header
    assert "DATASUM" in header
    for key in ("TELESCOP", "COROTID", "ALPHA", "MAGNIT_V", "LC_MEAN"):
        assert header.comments[key]


def test_primary_keywords_of_an_astero_file(tmp_path: Path) -> None:
    header = fits.getheader(_write(tmp_path, SPECS["AN2_STAR"]), 0)
    assert header["STARNAME"] == "HD 174936"
    assert header["COROTID"].strip() == "7528"
    assert header["HLFCCDID"].startswith("A")
    assert len(header["COMMENT"]) >= 4


def test_lc_statistics_match_the_valid_points(tmp_path: Path) -> None:
    path = _write(tmp_path, SPECS["EN2_STAR_MON"])
    with fits.open(path) as hdul:
        bar = hdul["BAR"].data
        good = bar["STATUS"] == 0
        assert hdul[0].header["LC_MEAN"] == pytest.approx(float(np.mean(bar["WHITEFLUX"][good])), rel=1e-5)
        assert hdul[0].header["LC_RMS"] == pytest.approx(float(np.std(bar["WHITEFLUX"][good])), rel=1e-4)


@pytest.mark.parametrize("product_type", sorted(EXPECTED))
def test_astropy_tables_read_without_warnings(tmp_path: Path, product_type: str) -> None:
    path = _write(tmp_path, SPECS[product_type])
    for extname, columns in EXPECTED[product_type]:
        table = Table.read(path, hdu=extname)
        assert table.colnames == [name for name, _ in columns]


def test_files_are_reproducible(tmp_path: Path) -> None:
    spec = SPECS["EN2_STAR_MON"]
    first = tmp_path / "a.fits"
    second = tmp_path / "b.fits"
    write_n2(first, spec, simulate(spec), created=CREATED)
    time.sleep(1.01)  # nothing in the file may depend on the wall clock
    write_n2(second, spec, simulate(spec), created=CREATED)
    assert first.read_bytes() == second.read_bytes()


def test_write_rejects_a_mismatched_light_curve(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="AN2_STAR"):
        write_n2(tmp_path / "x.fits", SPECS["EN2_STAR_CHR"], simulate(SPECS["AN2_STAR"]))
