"""A light curve as a table, and its serialisations: VOTable time series, CSV and FITS.

The table has the barycentric time axis of the N2 file (DATEBARTT, JD − 2 400 000), the
status flags, and one flux and flux-error column per band (white first; the chromatic
products add red, green and blue).  Errors are null where the file gives none (DEV = −1,
CoRoT data spec §3.1).

The VOTable follows the IVOA note on time series in VOTable: a ``TIMESYS`` with
``timeorigin="2400000.0"``, ``timescale="TT"`` and ``refposition="BARYCENTER"`` (or
HELIOCENTER for the heliocentric dates of releases 1-3) that the time column refers to, so
that TOPCAT plots it as a time series directly.  The FITS table carries the equivalent
FITS 4.0 §9 time keywords.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from astropy.io import fits

from ssa.votparams import DescribedParam, text_param
from vo_service.lightcurves import LightCurveReader, TimeSeries
from vo_service.metadata import FieldMeta
from vo_service.votable.fields import CooSys, TimeSys, resolve_field
from vo_service.votable.tabledata import delimited_rows
from vo_service.votable.writer import write_votable

TIME_ORIGIN_JD = 2_400_000.0
_BAND_UCD = {"white": "em.opt", "red": "em.opt.R", "green": "em.opt.V", "blue": "em.opt.B"}


@dataclass(frozen=True)
class ProductInfo:
    """The product a light curve belongs to, for the table's PARAMs and file headers."""

    product_id: str
    publisher_did: str
    corot_id: int
    run_code: str
    product_type: str
    target_name: str
    ra: float
    dec: float


@dataclass(frozen=True)
class LightCurveTable:
    """One light curve, cut and band-selected, ready to serialise."""

    info: ProductInfo
    columns: tuple[FieldMeta, ...]
    table: pa.Table
    refposition: str  # BARYCENTER or HELIOCENTER
    bands: tuple[str, ...]

    @property
    def timesys(self) -> TimeSys:
        return TimeSys(timescale="TT", refposition=self.refposition, timeorigin=str(TIME_ORIGIN_JD), id="timesys")


def flux_name(band: str) -> str:
    return "flux" if band == "white" else f"flux_{band}"


def error_name(band: str) -> str:
    return "flux_err" if band == "white" else f"flux_err_{band}"


def _columns(bands: Sequence[str], flux_unit: str, reference: str) -> tuple[FieldMeta, ...]:
    where = "solar-system barycentre" if reference == "BARYCENTER" else "Sun (heliocentric)"
    columns = [
        FieldMeta(name="time", datatype="double", unit="d", ucd="time.epoch",
                  description=f"Date of the point at the {where}, TT, JD - 2400000 (N2 column DATEBARTT)"),
        FieldMeta(name="status", datatype="int", ucd="meta.code.qual",
                  description="N2 status flags of the point; 0 marks a valid measurement"),
    ]
    for band in bands:
        ucd = _BAND_UCD.get(band, "em.opt")
        columns.append(FieldMeta(name=flux_name(band), datatype="float", unit=flux_unit, ucd=f"phot.count;{ucd}",
                                 description=f"{band.capitalize()} flux, photo-electrons per 32 s exposure"))
        columns.append(FieldMeta(name=error_name(band), datatype="float", unit=flux_unit, ucd="stat.error;phot.count",
                                 description=f"Error of the {band} flux; null where the file gives none"))
    return tuple(columns)


def _masked(values: npt.NDArray[Any]) -> pa.Array:
    """Float32 Arrow array with nulls where the value is not finite."""
    data = np.asarray(values, dtype=np.float32)
    return pa.array(data, mask=~np.isfinite(data))


def load_light_curve(
    read: LightCurveReader,
    path: str,
    info: ProductInfo,
    bands: Sequence[str],
    *,
    time_range: tuple[float | None, float | None] = (None, None),
) -> LightCurveTable:
    """Read the bands of a product file (with the archive's ``read``) into one table, cut to
    ``time_range`` (barycentric JD − 2 400 000, inclusive; None is an open end)."""
    series: list[TimeSeries] = [read(path, band) for band in bands]
    first = series[0]
    time = first.time_bjd_minus_2400000
    keep = np.ones(time.shape, dtype=np.bool_)
    low, high = time_range
    if low is not None:
        keep &= time >= low
    if high is not None:
        keep &= time <= high
    reference = "BARYCENTER" if first.time_reference == "barycentre" else "HELIOCENTER"
    columns = _columns(bands, first.flux_unit or "ct", reference)
    arrays: list[pa.Array] = [pa.array(time[keep]), pa.array(first.status[keep].astype(np.int32))]
    for one in series:
        arrays.append(_masked(one.flux[keep]))
        arrays.append(_masked(one.flux_err[keep]))
    table = pa.Table.from_arrays(arrays, names=[column.name for column in columns])
    return LightCurveTable(info, columns, table, reference, tuple(bands))


def _params(curve: LightCurveTable) -> list[DescribedParam]:
    info = curve.info
    return [
        text_param("target_name", info.target_name, ucd="meta.id;src", description="Target name"),
        DescribedParam(FieldMeta(name="corot_id", datatype="long", ucd="meta.id",
                                 description="CoRoT identifier of the target"),
                       info.corot_id),
        text_param("run_code", info.run_code, ucd="meta.id;obs.field", description="Observing run"),
        text_param("product_type", info.product_type, ucd="meta.code.class", description="N2 product type"),
        text_param("publisher_did", info.publisher_did, ucd="meta.ref.ivoid",
                   description="IVOA publisher dataset identifier of the light curve"),
        text_param("bands", " ".join(curve.bands), ucd="instr.bandpass", description="Bands of the flux columns"),
        DescribedParam(FieldMeta(name="ra", datatype="double", unit="deg", ucd="pos.eq.ra;meta.main",
                                   description="Right ascension (ICRS) of the target"), info.ra, ref="coosys"),
        DescribedParam(FieldMeta(name="dec", datatype="double", unit="deg", ucd="pos.eq.dec;meta.main",
                                   description="Declination (ICRS) of the target"), info.dec, ref="coosys"),
    ]


def votable_chunks(curve: LightCurveTable, *, encoding: str = "binary2") -> Iterator[bytes]:
    """The light curve as a VOTable 1.4 time series (streamed)."""
    batches = curve.table.to_batches(max_chunksize=65_536)
    return write_votable(
        curve.columns,
        batches,
        encoding=encoding,  # type: ignore[arg-type]
        coosys=CooSys(),
        timesys=(curve.timesys,),
        refs={"time": curve.timesys.id},
        params=_params(curve),
        table_name=curve.info.product_id,
        description=f"{curve.info.target_name} {curve.info.run_code} {curve.info.product_type} light curve",
    )


def csv_chunks(curve: LightCurveTable) -> Iterator[bytes]:
    """RFC 4180 CSV with a header line (DALI 1.1 §3.2.4 text/csv)."""
    specs = [resolve_field(column) for column in curve.columns]
    yield (",".join(column.name for column in curve.columns) + "\r\n").encode("ascii")
    for batch in curve.table.to_batches(max_chunksize=65_536):
        yield bytes(delimited_rows(specs, batch, style="csv", line_end="\r\n"))


def fits_bytes(curve: LightCurveTable) -> bytes:
    """A FITS file: a primary header with the product's identity and a BINTABLE with the
    light curve and the FITS 4.0 §9 time keywords."""
    info = curve.info
    primary = fits.PrimaryHDU()
    header = primary.header
    header["TELESCOP"] = ("COROT", "CoRoT space telescope")
    header["OBJECT"] = info.target_name[:68]
    header["COROTID"] = (info.corot_id, "CoRoT identifier")
    header["RUN_CODE"] = (info.run_code, "observing run")
    header["PRODTYPE"] = (info.product_type, "N2 product type of the source file")
    header["RA_OBJ"] = (round(info.ra, 7), "[deg] right ascension (ICRS)")
    header["DEC_OBJ"] = (round(info.dec, 7), "[deg] declination (ICRS)")
    header["ORIGPROD"] = info.product_id[:68]
    header["BANDS"] = " ".join(curve.bands)
    header.add_comment("ORIGPROD: the N2 product the table was cut from; BANDS: bands of the flux columns.")
    columns = []
    for column in curve.columns:
        data = curve.table.column(column.name).to_numpy()
        fmt = {"double": "D", "float": "E", "int": "J"}[column.datatype]
        columns.append(fits.Column(name=column.name.upper(), format=fmt, unit=column.unit, array=data))
    table = fits.BinTableHDU.from_columns(columns, name="LIGHTCURVE")
    for index, column in enumerate(curve.columns, start=1):
        table.header.comments[f"TTYPE{index}"] = column.description[:47]
        if column.ucd:
            table.header[f"TUCD{index}"] = column.ucd
    table.header["TIMESYS"] = ("TT", "time scale of the TIME column")
    table.header["JDREF"] = (TIME_ORIGIN_JD, "TIME is JD - JDREF")
    table.header["TREFPOS"] = (curve.refposition, "reference position of TIME")
    table.header["TIMEUNIT"] = ("d", "unit of TIME")
    buffer = io.BytesIO()
    fits.HDUList([primary, table]).writeto(buffer, checksum=True)
    return buffer.getvalue()


__all__ = [
    "TIME_ORIGIN_JD",
    "LightCurveTable",
    "ProductInfo",
    "csv_chunks",
    "error_name",
    "fits_bytes",
    "flux_name",
    "load_light_curve",
    "votable_chunks",
]
