"""The CoRoT N2 light-curve FITS format: writer (N2-4.4 layout) and ingest reader (all releases).

Layouts follow the CoRoT data spec §3: a header-only primary HDU (keywords §3.7) and
big-endian binary tables — ``BAR``, ``BARFILL``, ``SYSTEMATIC`` for the exoplanet channel
(§3.1–3.4), ``RAW``, ``BAR``, ``BARREG`` for asteroseismology (§3.5).  The reader also accepts
the older releases 1–3 (§3.6: ``DATEJD``/``DATEHEL`` in CoRoT Julian Days, extensions
``BINTABLE``/``RAW``/``HEL``/``HELREG``) and turns every way a file can be unusable into an
:class:`N2FormatError` with a reason an archive operator can act on (§8.11).

Time zero points (§3.8): v4 columns are JD − 2 400 000; v1–3 columns are CoRoT Julian Days,
JD − 2 451 545.  Fluxes are electrons per 32 s exposure; FITS has no unit for "per 32 s", so
the writer sets ``TUNIT = 'ct'`` and states the exposure in the column comment.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
from astropy.io import fits

from archive.lcsim import (
    JD_ZERO,
    Columns,
    LightCurveSpec,
    SimulatedLightCurve,
    simulate,
    utc_from_tt,
)
from archive.naming import (
    PRODUCT_TYPES,
    ProductType,
    find_product_type,
    parse_product_name,
)
from vo_service.lightcurves import BANDS, Band, ProductFormatError, TimeSeries

#: Release written by :func:`write_n2` (§1).
WRITTEN_VERSION: Final = "N2-4.4"
#: v1–3 "CoRoT Julian Day" zero point, JD − 2 451 545 (§3.8).
COROT_JD_ZERO: Final = 2_451_545.0
#: MJD = JD − 2 400 000.5.
MJD_ZERO: Final = 2_400_000.5
_FLUX_UNIT: Final = "ct"
_TIME_UNIT: Final = "d"


class N2FormatError(ProductFormatError):
    """A file that is not a usable CoRoT N2 light curve; ``reason`` says why, for humans."""


class BandNotAvailableError(N2FormatError):
    """The product exists but has no such photometric band (e.g. red in a monochromatic curve)."""


# --------------------------------------------------------------------------------------------
# Layout of the N2-4.4 files (§3.1–3.5)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnLayout:
    """One binary-table column: TTYPE, TFORM, TUNIT and the TTYPE comment."""

    name: str
    tform: str
    unit: str | None
    description: str

    def __post_init__(self) -> None:
        # A TTYPE card holds 80 characters; longer comments would be cut when written.
        if len(f"TTYPE99 = '{self.name:8}' / ") + len(self.description) > 80:
            raise ValueError(f"comment of column {self.name} is too long for its TTYPE card")


@dataclass(frozen=True)
class HduLayout:
    """One binary-table HDU: its EXTNAME and columns in file order."""

    extname: str
    columns: tuple[ColumnLayout, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _time(name: str, what: str) -> ColumnLayout:
    return ColumnLayout(name, "D", _TIME_UNIT, f"{what}, JD-2400000")


def _flux(name: str, what: str) -> ColumnLayout:
    return ColumnLayout(name, "E", _FLUX_UNIT, f"[e-/32 s] {what}")


def _status(name: str, what: str) -> ColumnLayout:
    return ColumnLayout(name, "J", None, f"{what} flags, 0 = valid")


_DATE = ColumnLayout("DATE", "19A", None, "UTC date of the point, ISO 8601")
_DATETT = _time("DATETT", "TT date")
_DATEBARTT = _time("DATEBARTT", "barycentric TT date")
_SUBEXPOSURE_NOTE = "sd of 16 exposures, -1=none"
_BG = _flux("BG", "background, subtracted")


def _exo_tail(
    white_dev: bool,
) -> tuple[tuple[ColumnLayout, ...], HduLayout, HduLayout]:
    bar: tuple[ColumnLayout, ...] = (_flux("WHITEFLUX", "white flux"),)
    if white_dev:
        bar += (_flux("WHITEFLUXDEV", f"white {_SUBEXPOSURE_NOTE}"),)
    barfill = HduLayout(
        "BARFILL",
        (
            _DATETT,
            _DATEBARTT,
            _flux("WHITEFLUXFIL", "white flux, gaps interpolated"),
            _status("STATUSFIL", "filled series"),
            ColumnLayout("TEXP", "J", "s", "exposure of the point, 32 or 512"),
        ),
    )
    systematic = HduLayout(
        "SYSTEMATIC",
        (
            _DATEBARTT,
            _flux("WHITEFLUXSYS", "white flux, systematics removed"),
            _status("STATUSSYS", "corrected series"),
        ),
    )
    return (*bar, _BG), barfill, systematic


def _chr_layout() -> tuple[HduLayout, ...]:
    colours: tuple[ColumnLayout, ...] = ()
    for colour in ("RED", "GREEN", "BLUE"):
        colours += (
            _flux(f"{colour}FLUX", f"{colour.lower()} flux"),
            _flux(f"{colour}FLUXDEV", f"{colour.lower()} {_SUBEXPOSURE_NOTE}"),
        )
    tail, barfill, systematic = _exo_tail(white_dev=False)
    bar = HduLayout("BAR", (_DATE, _DATETT, _DATEBARTT, _status("STATUS", "point"), *colours, *tail))
    return bar, barfill, systematic


def _mono_layout() -> tuple[HduLayout, ...]:
    tail, barfill, systematic = _exo_tail(white_dev=True)
    bar = HduLayout("BAR", (_DATE, _DATETT, _DATEBARTT, _status("STATUS", "point"), *tail))
    return bar, barfill, systematic


def _astero_layout() -> tuple[HduLayout, ...]:
    raw = HduLayout(
        "RAW",
        (
            _DATETT,
            _flux("RAWFLUX", "raw white flux"),
            _flux("RAWFLUXDEV", "raw flux error"),
            _status("RAWSTATUS", "raw point"),
            _BG,
        ),
    )
    bar = HduLayout(
        "BAR",
        (
            _DATEBARTT,
            _flux("FLUXBAR", "white flux"),
            _flux("FLUXDEVBAR", "flux error"),
            _status("STATUSBAR", "point"),
        ),
    )
    barreg = HduLayout(
        "BARREG",
        (
            _time("DATEBARREGTT", "regular bary. TT grid"),
            _flux("FLUXBARREG", "white flux, resampled, gaps filled"),
            _flux("FLUXDEVBARREG", "flux error, -1 = filled"),
            _status("STATUSBARREG", "resampled point"),
        ),
    )
    return raw, bar, barreg


def layout(product_type: str) -> tuple[HduLayout, ...]:
    """The table HDUs of an N2-4.4 product, in file order (§3.0).

    EN2_STAR_IMAG has no public column list (§3.4); it is written like the monochromatic
    product, whose single white band it shares.
    """
    if product_type == "EN2_STAR_CHR":
        return _chr_layout()
    if product_type in ("EN2_STAR_MON", "EN2_STAR_IMAG"):
        return _mono_layout()
    if product_type == "AN2_STAR":
        return _astero_layout()
    raise ValueError(f"unknown N2 product type {product_type!r}")


# --------------------------------------------------------------------------------------------
# Writer
# --------------------------------------------------------------------------------------------


def _magnitude_card(value: float | None) -> float | str:
    """CoRoT writes the string 'NAN' for an unknown magnitude (§3.7)."""
    if value is None or not math.isfinite(value):
        return "NAN"
    return round(float(value), 3)


def _primary_header(spec: LightCurveSpec, lc: SimulatedLightCurve, created: datetime) -> fits.Header:
    """HDU0 keywords of §3.7, plus the usual provenance and time keywords."""
    astero = spec.product_type == "AN2_STAR"
    header = fits.Header()
    header["TELESCOP"] = ("COROT", "CoRoT space telescope")
    header["ORIGIN"] = ("CoRoT VO simulator", "synthetic data, not from the mission")
    header["DATE"] = (created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "file creation date (UTC)")
    header["VERSION"] = (WRITTEN_VERSION, "N2 data release")
    header["FILENAME"] = spec.file_name
    corot_id: int | str = f"{spec.corot_id:10d}" if astero else spec.corot_id
    header["COROTID"] = (corot_id, "CoRoT identifier")
    if astero or spec.star_name:
        header["STARNAME"] = (spec.star_name, "star name")
    header["RUN_CODE"] = (spec.run_code, "observing run")
    header["HLFCCDID"] = (spec.hlfccdid, "half CCD: channel E/A, CCD, half L/R")
    header["WIN_ID"] = (spec.win_id, "photometric window number")
    header["ALPHA"] = (round(spec.ra, 6), "[deg] right ascension J2000")
    header["DELTA"] = (round(spec.dec, 6), "[deg] declination J2000")
    header["EQUINOX"] = (2000.0, "equinox of ALPHA, DELTA")
    header["RADESYS"] = ("FK5", "reference frame of ALPHA, DELTA")
    header["MAGNIT_B"] = (_magnitude_card(spec.bmag), "B magnitude (Exo-Dat)")
    header["MAGNIT_V"] = (_magnitude_card(spec.vmag), "V magnitude (Exo-Dat)")
    header["MAGNIT_R"] = (_magnitude_card(spec.rmag), "R magnitude (Exo-Dat)")
    header["SPECTYPE"] = (spec.spectral_type, "spectral type")
    header["LUMCLASS"] = (spec.lum_class, "luminosity class")
    teff = spec.teff
    header["TEFF"] = (
        round(teff) if teff is not None and math.isfinite(teff) else "NAN",
        "[K] effective temperature",
    )
    header["LC_MEAN"] = (round(lc.lc_mean, 3), "[e-/32 s] mean of the valid white flux")
    header["LC_RMS"] = (round(lc.lc_rms, 3), "[e-/32 s] rms of the valid white flux")
    header["DATE-OBS"] = (lc.date_obs, "first measurement (UTC)")
    header["DATE-END"] = (lc.date_end, "last measurement (UTC)")
    header["TIMESYS"] = ("UTC", "time scale of DATE-OBS and DATE-END")
    header.add_comment("Simulated CoRoT N2 light curve in the N2-4.4 layout.")
    header.add_comment("Table dates DATETT, DATEBARTT, DATEBARREGTT are JD-2400000 in TT;")
    header.add_comment("the DATEBAR* dates are referred to the solar-system barycentre.")
    header.add_comment("Fluxes are electrons per 32 s exposure; STATUS 0 marks valid points.")
    extnames = ", ".join(hdu.extname for hdu in layout(spec.product_type))
    header.add_comment(f"Extensions: {extnames}.")
    return header


def _table_hdu(hdu_layout: HduLayout, columns: Columns) -> fits.BinTableHDU:
    missing = [name for name in hdu_layout.names if name not in columns]
    if missing:
        raise ValueError(f"{hdu_layout.extname}: simulated light curve lacks columns {missing}")
    fits_columns = [
        fits.Column(name=column.name, format=column.tform, unit=column.unit, array=columns[column.name])
        for column in hdu_layout.columns
    ]
    hdu = fits.BinTableHDU.from_columns(fits_columns, name=hdu_layout.extname)
    for index, column in enumerate(hdu_layout.columns, start=1):
        hdu.header.comments[f"TTYPE{index}"] = column.description
    hdu.header["TIMESYS"] = ("TT", "time scale of the date columns")
    hdu.header["TIMEUNIT"] = ("d", "unit of the date columns")
    hdu.header["JDREF"] = (JD_ZERO, "date columns are JD - JDREF")
    return hdu


def write_n2(
    path: str | os.PathLike[str],
    spec: LightCurveSpec,
    lc: SimulatedLightCurve,
    *,
    created: datetime | None = None,
) -> None:
    """Write one product in the N2-4.4 layout (§3) with CHECKSUM/DATASUM on every HDU.

    ``created`` fixes the DATE keyword (default: now), which makes files byte-reproducible.
    """
    if lc.product_type != spec.product_type:
        raise ValueError(f"light curve is a {lc.product_type}, spec says {spec.product_type}")
    tables = layout(spec.product_type)
    if tuple(hdu.extname for hdu in tables) != lc.extnames:
        raise ValueError(f"light curve extensions {lc.extnames} do not match the {spec.product_type} layout")
    when = datetime.now(UTC) if created is None else created
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    primary = fits.PrimaryHDU(header=_primary_header(spec, lc, when))
    hdus = fits.HDUList([primary, *(_table_hdu(hdu, lc.extension(hdu.extname)) for hdu in tables)])
    for hdu in hdus:
        # Stamped with the creation date rather than the clock, so rewrites are byte-identical.
        hdu.add_checksum(when=f"checksum of {when.astimezone(UTC):%Y-%m-%dT%H:%M:%S}")
    hdus.writeto(os.fspath(path), overwrite=True, checksum=False)


# --------------------------------------------------------------------------------------------
# Reader
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class N2Product:
    """The normalised description of one N2 light-curve file, as the ingester records it."""

    path: str
    file_name: str
    corot_id: int
    run_code: str | None
    product_type: ProductType
    channel: Literal["exo", "astero"]
    hlfccdid: str | None
    win_id: int | None
    star_name: str | None
    ra: float
    dec: float
    bmag: float | None
    vmag: float | None
    rmag: float | None
    spectral_type: str | None
    lum_class: str | None
    lc_mean: float | None
    lc_rms: float | None
    t_min: float  # MJD (TT) of the first point
    t_max: float  # MJD (TT) of the last point
    date_start: str  # ISO UTC of the first point
    date_end: str  # ISO UTC of the last point
    cadence_s: float
    n_points: int
    version: str
    layout: Literal["v4", "v1-3"]
    bands: tuple[Band, ...]


_EXO_SERIES_NAMES: Final = ("BAR", "BINTABLE")
_ASTERO_SERIES_NAMES: Final = ("BAR", "HEL")
_ASTERO_RAW_NAMES: Final = ("RAW",)


def _header_text(header: fits.Header, key: str) -> str | None:
    value = header.get(key)
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _header_float(header: fits.Header, *keys: str) -> float | None:
    """First usable numeric value among keys; 'NAN', blanks and non-finite values are nulls."""
    for key in keys:
        value = header.get(key)
        if value is None or isinstance(value, bool):
            continue
        try:
            number = float(str(value).strip()) if isinstance(value, str) else float(value)
        except ValueError:
            continue
        if math.isfinite(number):
            return number
    return None


def _header_int(header: fits.Header, key: str) -> int | None:
    text = _header_text(header, key)
    if text is None:
        return None
    try:
        return int(text.replace(" ", ""))
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() else None


@contextmanager
def _open_fits(path: str | os.PathLike[str]) -> Iterator[fits.HDUList]:
    """Open memory-mapped, check that no HDU runs past the end of the file, silence astropy.

    Everything astropy can raise on a damaged file becomes :class:`N2FormatError`.
    """
    name = os.fspath(path)
    if not os.path.exists(name):
        raise N2FormatError(name, "file does not exist")
    if os.path.isdir(name):
        raise N2FormatError(name, "is a directory, not a FITS file")
    size = os.path.getsize(name)
    if size == 0:
        raise N2FormatError(name, "file is empty")
    # astropy warns (rather than fails) on many defects; the checks below report them instead.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            hdul = fits.open(name, memmap=True, lazy_load_hdus=False)
        except Exception as exc:  # damaged bytes break the parser in many ways
            raise N2FormatError(name, f"not a readable FITS file ({exc})") from exc
        try:
            if not name.lower().endswith(".gz"):
                try:
                    _check_complete(name, hdul, size)
                except N2FormatError:
                    raise
                except Exception as exc:  # e.g. a non-numeric NAXISn
                    raise N2FormatError(name, f"unreadable HDU structure ({exc})") from exc
            yield hdul
        finally:
            hdul.close()


def _check_complete(name: str, hdul: fits.HDUList, size: int) -> None:
    """Truncation shows as data ending past the file, or bytes of an unparsed header left over."""
    end = 0
    for index, hdu in enumerate(hdul):
        info = hdul.fileinfo(index)
        if info is None:
            continue
        data_start = int(info["datLoc"])
        needed = _data_bytes(hdu.header)
        if data_start + needed > size:
            raise N2FormatError(name, f"truncated: HDU {index} needs {data_start + needed} bytes, the file has {size}")
        end = data_start + needed
    padded_end = -(-end // 2880) * 2880
    if size > padded_end and _has_content(name, padded_end):
        raise N2FormatError(
            name,
            f"truncated or corrupt: {size - padded_end} bytes after HDU {len(hdul) - 1} do not form an HDU",
        )


def _has_content(name: str, offset: int) -> bool:
    """Whether the bytes after the last HDU are more than blank fill (a cut-off header is)."""
    with open(name, "rb") as handle:
        handle.seek(offset)
        tail = handle.read(2880)
    return bool(tail.strip(b"\0 "))


def _data_bytes(header: fits.Header) -> int:
    """Size of an HDU's data from its header (FITS 4.0 §4.4.1), without the final padding."""
    naxis = int(header.get("NAXIS", 0))
    if naxis == 0:
        return 0
    elements = 1
    for axis in range(1, naxis + 1):
        elements *= int(header.get(f"NAXIS{axis}", 0))
    bits = abs(int(header.get("BITPIX", 8)))
    return bits // 8 * int(header.get("GCOUNT", 1)) * (int(header.get("PCOUNT", 0)) + elements)


def _find_table(hdul: fits.HDUList, names: tuple[str, ...], index: int) -> fits.BinTableHDU | None:
    """A binary table by EXTNAME, else by position (older files lack or reuse names, §8.11)."""
    for name in names:
        for hdu in hdul[1:]:
            if isinstance(hdu, fits.BinTableHDU) and str(hdu.name).strip().upper() == name:
                return hdu
    if index < len(hdul) and isinstance(hdul[index], fits.BinTableHDU):
        table: fits.BinTableHDU = hdul[index]
        return table
    return None


def _product_type(path: str, primary: fits.Header, hdul: fits.HDUList) -> ProductType | None:
    """From FILENAME, else the file's own name, else the table structure."""
    for text in (_header_text(primary, "FILENAME"), os.path.basename(path)):
        if text:
            found = find_product_type(text)
            if found is not None:
                return found
    names = {str(hdu.name).strip().upper() for hdu in hdul[1:]}
    if "RAW" in names:
        return "AN2_STAR"
    if len(hdul) > 1 and isinstance(hdul[1], fits.BinTableHDU):
        columns = {name.upper() for name in hdul[1].columns.names}
        if "REDFLUX" in columns:
            return "EN2_STAR_CHR"
        if "WHITEFLUX_IMAG" in columns:
            return "EN2_STAR_IMAG"
        if "WHITEFLUX" in columns:
            return "EN2_STAR_MON"
    return None


def _columns(table: fits.BinTableHDU) -> dict[str, str]:
    """Upper-case column name → name as written."""
    return {name.upper(): name for name in table.columns.names}


def _pick(columns: Mapping[str, str], *candidates: str) -> str | None:
    for candidate in candidates:
        if candidate in columns:
            return columns[candidate]
    return None


@dataclass(frozen=True)
class _Located:
    """Where the pieces of a product are, whatever its release."""

    product_type: ProductType
    layout: Literal["v4", "v1-3"]
    clock: fits.BinTableHDU  # table whose time column gives TT dates and the point count
    clock_time: str
    clock_zero: float  # add to the column to get JD − 2 400 000
    series: fits.BinTableHDU  # table with barycentric/heliocentric times and fluxes
    series_time: str
    series_zero: float
    status: str
    time_reference: Literal["barycentre", "heliocentre"]


def _locate(path: str, hdul: fits.HDUList, product_type: ProductType) -> _Located:
    v13_zero = COROT_JD_ZERO - JD_ZERO
    if product_type == "AN2_STAR":
        raw = _find_table(hdul, _ASTERO_RAW_NAMES, 1)
        series = _find_table(hdul, _ASTERO_SERIES_NAMES, 2)
        if raw is None:
            raise N2FormatError(path, "AN2 product without a RAW table (HDU 1)")
        if series is None:
            raise N2FormatError(path, "AN2 product without a BAR/HEL table (HDU 2)")
        raw_cols, series_cols = _columns(raw), _columns(series)
        if "DATETT" in raw_cols:
            clock_time, clock_zero, version = raw_cols["DATETT"], 0.0, "v4"
        elif "DATEJD" in raw_cols:
            clock_time, clock_zero, version = raw_cols["DATEJD"], v13_zero, "v1-3"
        else:
            raise N2FormatError(path, f"RAW table lacks a DATETT/DATEJD column (has {sorted(raw_cols)})")
        bar_time = _pick(series_cols, "DATEBARTT")
        hel_time = _pick(series_cols, "DATEJDHEL", "DATEHEL")
        status = _pick(series_cols, "STATUSBAR", "STATUSHEL")
        series_time = bar_time or hel_time
        if series_time is None or status is None:
            raise N2FormatError(
                path, f"{series.name} table lacks its date or status column (has {sorted(series_cols)})"
            )
        return _Located(
            product_type,
            "v4" if version == "v4" else "v1-3",
            raw,
            clock_time,
            clock_zero,
            series,
            series_time,
            0.0 if bar_time else v13_zero,
            status,
            "barycentre" if bar_time else "heliocentre",
        )
    table = _find_table(hdul, _EXO_SERIES_NAMES, 1)
    if table is None:
        raise N2FormatError(path, "exoplanet-channel product without a BAR/BINTABLE table (HDU 1)")
    cols = _columns(table)
    status = _pick(cols, "STATUS")
    if status is None:
        raise N2FormatError(path, f"{table.name} table lacks the STATUS column (has {sorted(cols)})")
    if "DATETT" in cols and "DATEBARTT" in cols:
        return _Located(
            product_type,
            "v4",
            table,
            cols["DATETT"],
            0.0,
            table,
            cols["DATEBARTT"],
            0.0,
            status,
            "barycentre",
        )
    if "DATEJD" in cols and "DATEHEL" in cols:
        return _Located(
            product_type,
            "v1-3",
            table,
            cols["DATEJD"],
            v13_zero,
            table,
            cols["DATEHEL"],
            v13_zero,
            status,
            "heliocentre",
        )
    raise N2FormatError(
        path,
        f"{table.name} table lacks DATETT/DATEBARTT (v4) or DATEJD/DATEHEL (v1-3) columns (has {sorted(cols)})",
    )


def _bands(located: _Located) -> tuple[Band, ...]:
    if located.product_type != "EN2_STAR_CHR":
        return ("white",)
    cols = _columns(located.series)
    colours: tuple[Band, ...] = tuple(band for band in ("red", "green", "blue") if f"{band.upper()}FLUX" in cols)
    return ("white", *colours)


def _flux_columns(path: str, located: _Located, band: Band) -> tuple[list[str], list[str | None]]:
    """Flux columns to add up for a band, and the DEV columns to add in quadrature (None: absent).

    CHR files need not have WHITEFLUXDEV (§3.1) or, in v1–3, WHITEFLUX (§3.6): white light
    then comes from the colours.
    """
    cols = _columns(located.series)
    if located.product_type == "AN2_STAR":
        if band != "white":
            raise BandNotAvailableError(path, f"asteroseismology products have only white light, not {band}")
        flux = _pick(cols, "FLUXBAR", "FLUXHEL")
        if flux is None:
            raise N2FormatError(path, f"{located.series.name} table lacks FLUXBAR/FLUXHEL (has {sorted(cols)})")
        return [flux], [_pick(cols, "FLUXDEVBAR", "FLUXDEVHEL")]
    if band == "white":
        white = _pick(cols, "WHITEFLUX", "WHITEFLUX_IMAG")
        white_dev = _pick(cols, "WHITEFLUXDEV", "WHITEFLUX_IMAGDEV")
        colours = [cols.get(f"{colour}FLUX") for colour in ("RED", "GREEN", "BLUE")]
        colour_devs = [cols.get(f"{colour}FLUXDEV") for colour in ("RED", "GREEN", "BLUE")]
        if white is not None:
            if white_dev is None and all(colours):
                return [white], colour_devs
            return [white], [white_dev]
        if all(colours):
            return [c for c in colours if c], colour_devs
        raise N2FormatError(
            path,
            f"{located.series.name} table has neither WHITEFLUX nor the three colour fluxes (has {sorted(cols)})",
        )
    name = cols.get(f"{band.upper()}FLUX")
    if name is None:
        raise BandNotAvailableError(path, f"{located.product_type} product has no {band} band")
    return [name], [cols.get(f"{band.upper()}FLUXDEV")]


def _column(table: fits.BinTableHDU, name: str) -> npt.NDArray[Any]:
    data: npt.NDArray[Any] = table.data[name]
    return data


def _white_flux(path: str, located: _Located) -> npt.NDArray[np.float64]:
    names, _ = _flux_columns(path, located, "white")
    total = np.asarray(_column(located.series, names[0]), dtype=np.float64)
    for name in names[1:]:
        total = total + _column(located.series, name)
    return total


def _round_cadence(seconds: float) -> float:
    """Median spacing snapped to the nominal 32 s or 512 s when within 1 % (§3.9)."""
    for nominal in (32.0, 512.0):
        if abs(seconds - nominal) <= 0.01 * nominal:
            return nominal
    return round(seconds, 3)


def _iso_from_tt(jd_minus_zero: float) -> str:
    return utc_from_tt(jd_minus_zero).strftime("%Y-%m-%dT%H:%M:%S")


def _date_bounds(located: _Located, first: int, last: int, t_first: float, t_last: float) -> tuple[str, str]:
    """First/last UTC date: the DATE column where there is one, else converted from TT."""
    cols = _columns(located.clock)
    if "DATE" in cols:
        dates = _column(located.clock, cols["DATE"])
        start, end = _decode(dates[first]), _decode(dates[last])
        if start and end:
            return start, end
    return _iso_from_tt(t_first), _iso_from_tt(t_last)


def _decode(value: object) -> str:
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    return text.strip()


def read_n2(path: str | os.PathLike[str], *, verify_checksum: bool = False) -> N2Product:
    """Describe one N2 file of any release (§3, §8.11) from its headers and memory-mapped date column.

    Raises :class:`N2FormatError` for a missing, truncated, corrupt, non-FITS or non-CoRoT
    file, or one lacking the columns a light curve needs.
    """
    name = os.fspath(path)
    with _open_fits(name) as hdul:
        try:
            return _describe(name, hdul, verify_checksum)
        except N2FormatError:
            raise
        except Exception as exc:  # a damaged file can break astropy/numpy in many ways
            raise N2FormatError(name, f"unreadable content ({type(exc).__name__}: {exc})") from exc


def _verify_checksums(path: str, hdul: fits.HDUList) -> None:
    for index, hdu in enumerate(hdul):
        if "DATASUM" in hdu.header and hdu.verify_datasum() == 0:
            raise N2FormatError(path, f"DATASUM of HDU {index} does not match: the data are corrupt")
        if "CHECKSUM" in hdu.header and hdu.verify_checksum() == 0:
            raise N2FormatError(path, f"CHECKSUM of HDU {index} does not match: the header is corrupt")


def _describe(path: str, hdul: fits.HDUList, verify_checksum: bool) -> N2Product:
    primary = hdul[0].header
    telescope = (_header_text(primary, "TELESCOP") or "").upper()
    product_type = _product_type(path, primary, hdul)
    if telescope != "COROT" and (product_type is None or _header_text(primary, "FILENAME") is None):
        raise N2FormatError(path, f"not a CoRoT product (TELESCOP={telescope or 'absent'}, no N2 FILENAME)")
    if product_type is None:
        raise N2FormatError(path, "cannot tell the N2 product type from FILENAME, file name or tables")
    if verify_checksum:
        _verify_checksums(path, hdul)
    located = _locate(path, hdul, product_type)

    corot_id = _header_int(primary, "COROTID")
    if corot_id is None:
        for text in (_header_text(primary, "FILENAME"), os.path.basename(path)):
            try:
                corot_id = parse_product_name(text or "").corot_id
                break
            except ValueError:
                continue
    if corot_id is None:
        raise N2FormatError(path, "no CoRoT ID in COROTID, FILENAME or the file name")
    ra = _header_float(primary, "ALPHA", "RA_OBJ", "RA")
    dec = _header_float(primary, "DELTA", "DEC_OBJ", "DEC")
    if ra is None or dec is None:
        raise N2FormatError(path, "primary header lacks the target position (ALPHA/DELTA)")

    n_points = int(located.clock.header.get("NAXIS2", 0))
    if n_points == 0:
        raise N2FormatError(path, f"{located.clock.name} table has no rows")
    times = _column(located.clock, located.clock_time)
    finite = np.isfinite(times)
    first, last = 0, n_points - 1
    if not finite.all():
        indices = np.flatnonzero(finite)
        if indices.size == 0:
            raise N2FormatError(path, f"{located.clock_time} holds no valid date")
        first, last = int(indices[0]), int(indices[-1])
        times = times[finite]
    t_first = float(times.min()) + located.clock_zero
    t_last = float(times.max()) + located.clock_zero
    spacing = np.abs(np.diff(times)) if times.size > 1 else np.zeros(1)
    cadence = _round_cadence(float(np.median(spacing)) * 86400.0)
    date_start, date_end = _date_bounds(
        located, first, last, float(times[0]) + located.clock_zero, float(times[-1]) + located.clock_zero
    )

    lc_mean = _header_float(primary, "LC_MEAN")
    lc_rms = _header_float(primary, "LC_RMS")
    if lc_mean is None or lc_rms is None:
        flux = _white_flux(path, located)
        valid = np.isfinite(flux) & (_column(located.series, located.status) == 0)
        if valid.any():
            lc_mean = float(flux[valid].mean()) if lc_mean is None else lc_mean
            lc_rms = float(flux[valid].std()) if lc_rms is None else lc_rms
    file_name = _header_text(primary, "FILENAME") or os.path.basename(path)
    return N2Product(
        path=path,
        file_name=file_name,
        corot_id=corot_id,
        run_code=_header_text(primary, "RUN_CODE"),
        product_type=product_type,
        channel="astero" if product_type == "AN2_STAR" else "exo",
        hlfccdid=_header_text(primary, "HLFCCDID"),
        win_id=_header_int(primary, "WIN_ID"),
        star_name=_header_text(primary, "STARNAME"),
        ra=ra,
        dec=dec,
        bmag=_header_float(primary, "MAGNIT_B"),
        vmag=_header_float(primary, "MAGNIT_V"),
        rmag=_header_float(primary, "MAGNIT_R"),
        spectral_type=_header_text(primary, "SPECTYPE"),
        lum_class=_header_text(primary, "LUMCLASS"),
        lc_mean=lc_mean,
        lc_rms=lc_rms,
        t_min=t_first + JD_ZERO - MJD_ZERO,
        t_max=t_last + JD_ZERO - MJD_ZERO,
        date_start=date_start,
        date_end=date_end,
        cadence_s=cadence,
        n_points=n_points,
        version=_header_text(primary, "VERSION") or ("N2-4.4" if located.layout == "v4" else "N2-v1-3"),
        layout=located.layout,
        bands=_bands(located),
    )


def read_series(path: str | os.PathLike[str], band: str = "white") -> TimeSeries:
    """One band of the native-cadence light curve: ``BAR`` (v4) or ``BINTABLE``/``HEL`` (v1–3).

    White light of a chromatic curve without a WHITEFLUX column is the sum of the colours.
    Errors: DEV = −1 is no error (NaN); an exoplanet-channel DEV is the scatter of the 16
    sub-exposures of a 512 s point, so the error of the point is DEV/4 (§3.1); colour errors
    add in quadrature for white light.
    """
    name = os.fspath(path)
    if band not in BANDS:
        raise BandNotAvailableError(name, f"unknown band {band!r}; choose one of {', '.join(BANDS)}")
    chosen: Band = next(b for b in BANDS if b == band)
    with _open_fits(name) as hdul:
        try:
            return _series(name, hdul, chosen)
        except N2FormatError:
            raise
        except Exception as exc:  # a damaged file can break astropy/numpy in many ways
            raise N2FormatError(name, f"unreadable content ({type(exc).__name__}: {exc})") from exc


def _series(path: str, hdul: fits.HDUList, band: Band) -> TimeSeries:
    primary = hdul[0].header
    product_type = _product_type(path, primary, hdul)
    if product_type is None or product_type not in PRODUCT_TYPES:
        raise N2FormatError(path, "cannot tell the N2 product type from FILENAME, file name or tables")
    located = _locate(path, hdul, product_type)
    flux_names, dev_names = _flux_columns(path, located, band)
    table = located.series
    flux = np.array(_column(table, flux_names[0]), dtype=np.float64)
    for extra in flux_names[1:]:
        flux += _column(table, extra)
    variance = np.zeros_like(flux)
    for dev_name in dev_names:
        if dev_name is None:
            variance[:] = np.nan
            break
        dev = np.asarray(_column(table, dev_name), dtype=np.float64)
        variance += np.where(dev < 0, np.nan, dev) ** 2
    error = np.sqrt(variance)
    if product_type != "AN2_STAR":
        error /= math.sqrt(16)
    time = np.array(_column(table, located.series_time), dtype=np.float64) + located.series_zero
    status = np.array(_column(table, located.status), dtype=np.int32)
    unit = table.columns[flux_names[0]].unit
    return TimeSeries(
        band=band,
        time_bjd_minus_2400000=time,
        flux=flux,
        flux_err=error,
        status=status,
        flux_unit=str(unit).strip() if unit else "",
        time_reference=located.time_reference,
    )


__all__ = [
    "BANDS",
    "BandNotAvailableError",
    "ColumnLayout",
    "HduLayout",
    "N2FormatError",
    "N2Product",
    "TimeSeries",
    "layout",
    "read_n2",
    "read_series",
    "time_per_file",
    "write_n2",
]


def time_per_file(spec: LightCurveSpec, directory: str | os.PathLike[str], *, repeats: int = 3) -> dict[str, float]:
    """Median seconds to simulate, write and read one product: a figure for ``benchmarks/`` scripts.

    Measured on one core for a 150-day 512 s chromatic curve (25 500 points, 2.9 MB): simulate
    ≈ 16 ms, write ≈ 43 ms, read ≈ 15 ms; a 27-day 32 s astero curve (76 000 points, 4.7 MB):
    31, 26 and 7 ms.
    """
    path = Path(directory) / spec.file_name
    timings: dict[str, list[float]] = {"simulate": [], "write": [], "read": []}
    for _ in range(max(repeats, 1)):
        started = time.perf_counter()
        lc = simulate(spec)
        simulated = time.perf_counter()
        write_n2(path, spec, lc)
        written = time.perf_counter()
        read_n2(path)
        timings["simulate"].append(simulated - started)
        timings["write"].append(written - simulated)
        timings["read"].append(time.perf_counter() - written)
    return {step: float(np.median(values)) for step, values in timings.items()}
