"""Output formats and the RESPONSEFORMAT resolver (DALI 1.1 §3.4.3, TAP 1.1 §2.7.3).

Every format streams from the same inputs as :func:`vo_service.votable.writer.write_votable`
(column descriptions plus an iterator of Arrow record batches) and yields bytes:

- VOTable (BINARY2 by default, as DALI/TAP services commonly answer; BINARY; TABLEDATA);
- ``text/csv`` (RFC 4180, header line, served as ``text/csv;header=present`` per TAP 1.1 §3.2);
- ``text/tab-separated-values`` (IANA TSV: no tabs or line breaks inside values);
- ``application/fits`` (a binary table, two passes over a disk spool);
- ``application/vnd.apache.parquet`` (written batch by batch to a disk spool, carrying the
  column metadata as a data-less VOTable per the IVOA VOParquet 1.0 Note).

CSV, TSV, FITS and Parquet have no way to report overflow or a late error in-band (DALI
1.1 §4.4.1).  Errors of the spooled formats all happen before their first byte; a CSV/TSV
stream that fails later is cut short by the propagating exception.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal, Unpack

import pyarrow as pa
import pyarrow.parquet as pq

from vo_service.faults import UsageFault
from vo_service.votable.cells import arrow_column, arrow_type, escape_text
from vo_service.votable.envelope import Info, metadata_document
from vo_service.votable.fields import (
    VOTABLE_VERSIONS,
    Encoding,
    FieldSpec,
    OutputColumn,
    resolve_field,
    resolve_refs,
)
from vo_service.votable.fitstable import fits_table
from vo_service.votable.tabledata import delimited_rows
from vo_service.votable.writer import LimitedBatches, VOTableOptions, write_votable

FormatName = Literal["votable", "csv", "tsv", "fits", "parquet"]

VOTABLE_MEDIA_TYPE = "application/x-votable+xml"
CSV_MEDIA_TYPE = "text/csv"
TSV_MEDIA_TYPE = "text/tab-separated-values"
FITS_MEDIA_TYPE = "application/fits"
PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"

#: Bytes per chunk when a spool file is streamed back.
SPOOL_CHUNK = 1 << 20

#: VOParquet 1.0 (IVOA Note 2025-01-14) file-level metadata keys.
VOPARQUET_VERSION_KEY = "IVOA.VOTable-Parquet.version"
VOPARQUET_CONTENT_KEY = "IVOA.VOTable-Parquet.content"

_SERIALIZATION_NAMES: dict[Encoding, str] = {"binary2": "BINARY2", "binary": "BINARY", "tabledata": "TABLEDATA"}


@dataclass(frozen=True)
class OutputFormat:
    """A resolved RESPONSEFORMAT: what to write and the Content-Type to serve it with."""

    name: FormatName
    media_type: str
    extension: str
    votable_encoding: Encoding = "binary2"
    votable_version: str = "1.4"
    header: bool = True

    def encode(
        self,
        fields: Sequence[OutputColumn],
        batches: Iterable[pa.RecordBatch],
        *,
        max_records: int | None = None,
        **options: Unpack[VOTableOptions],
    ) -> Iterator[bytes]:
        """Stream the result in this format.

        VOTable takes every :class:`~vo_service.votable.writer.VOTableOptions`, and Parquet
        puts them all in its VOParquet metadata document; FITS uses ``table_name`` as
        EXTNAME; CSV and TSV have no place for them.
        """
        if self.name == "votable":
            return write_votable(
                fields,
                batches,
                encoding=self.votable_encoding,
                version=self.votable_version,
                max_records=max_records,
                **options,
            )
        if self.name in ("csv", "tsv"):
            return write_delimited(fields, batches, style=self.name, header=self.header, max_records=max_records)
        if self.name == "fits":
            return write_fits(fields, batches, max_records=max_records, extname=options.get("table_name"))
        return write_parquet(fields, batches, max_records=max_records, **options)


# -- CSV / TSV ------------------------------------------------------------------------------


def write_delimited(
    fields: Sequence[OutputColumn],
    batches: Iterable[pa.RecordBatch],
    *,
    style: Literal["csv", "tsv"],
    header: bool = True,
    max_records: int | None = None,
) -> Iterator[bytes]:
    """CSV (RFC 4180: CRLF line ends, quotes where needed) or TSV (LF line ends).

    Values follow the TABLEDATA conventions (TAP 1.1 §3: ISO timestamps, ``NaN``, arrays as
    space-separated numbers); booleans are ``true``/``false``; nulls are empty.
    """
    specs = [resolve_field(column) for column in fields]
    rows = LimitedBatches(batches, max_records)
    line_end = "\r\n" if style == "csv" else "\n"
    separator = "," if style == "csv" else "\t"
    names = escape_text(pa.array([spec.name for spec in specs], pa.string()), style).to_pylist()
    header_line = (separator.join(names) + line_end).encode()
    return _delimited_stream(specs, rows, style, line_end, header_line if header else b"")


def _delimited_stream(
    specs: Sequence[FieldSpec],
    rows: LimitedBatches,
    style: Literal["csv", "tsv"],
    line_end: str,
    header_line: bytes,
) -> Iterator[bytes]:
    rows.fetch_first()
    pending = header_line
    try:
        for chunk in rows:
            if chunk.num_columns != len(specs):
                raise ValueError(f"result rows have {chunk.num_columns} columns, {len(specs)} were declared")
            data = bytes(delimited_rows(specs, chunk, style=style, line_end=line_end))
            yield pending + data if pending else data
            pending = b""
    finally:
        rows.close()
    if pending:
        yield pending


# -- spooled formats ------------------------------------------------------------------------


def _stream_file(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(SPOOL_CHUNK):
        yield chunk


def write_fits(
    fields: Sequence[OutputColumn],
    batches: Iterable[pa.RecordBatch],
    *,
    max_records: int | None = None,
    extname: str | None = None,
) -> Iterator[bytes]:
    """A FITS binary table (see :mod:`vo_service.votable.fitstable`)."""
    specs = [resolve_field(column) for column in fields]
    return fits_table(specs, LimitedBatches(batches, max_records), extname=extname)


def write_parquet(
    fields: Sequence[OutputColumn],
    batches: Iterable[pa.RecordBatch],
    *,
    max_records: int | None = None,
    **options: Unpack[VOTableOptions],
) -> Iterator[bytes]:
    """A Parquet file written batch by batch into a disk spool, then streamed.

    The column metadata travel as a data-less VOTable under the VOParquet 1.0 keys, built
    from the same ``options`` as a VOTable result (COOSYS, TIMESYS, INFOs...); its RESOURCE
    carries the DALI QUERY_STATUS, so an overflow is visible to VO-aware readers.
    """
    specs = [resolve_field(column) for column in fields]
    refs = resolve_refs(specs, options.get("coosys"), options.get("timesys", ()), options.get("refs"))
    document: dict[str, Any] = {k: v for k, v in options.items() if k not in ("on_error", "refs")}
    return _parquet_stream(specs, refs, LimitedBatches(batches, max_records), document)


def _parquet_stream(
    specs: Sequence[FieldSpec], refs: Sequence[str | None], rows: LimitedBatches, document: dict[str, Any]
) -> Iterator[bytes]:
    schema = pa.schema([pa.field(spec.name, arrow_type(spec)) for spec in specs])
    with tempfile.TemporaryFile(prefix="parquet-spool-") as spool:
        writer = pq.ParquetWriter(spool, schema, compression="zstd")
        try:
            for chunk in rows:
                if chunk.num_columns != len(specs):
                    raise ValueError(f"result rows have {chunk.num_columns} columns, {len(specs)} were declared")
                columns = [arrow_column(s, chunk.column(i), repertoire="unicode") for i, s in enumerate(specs)]
                writer.write_batch(pa.record_batch(columns, schema=schema))
            trailer = [Info("QUERY_STATUS", "OVERFLOW")] if rows.overflow else []
            metadata = metadata_document(
                specs, refs, encoding="binary2", version="1.4", trailing_infos=trailer, **document
            )
            writer.add_key_value_metadata(
                {VOPARQUET_VERSION_KEY: "1.0", VOPARQUET_CONTENT_KEY: metadata.decode("utf-8")}
            )
        finally:
            writer.close()
        spool.seek(0)
        yield from _stream_file(spool)


# -- RESPONSEFORMAT -------------------------------------------------------------------------


@dataclass(frozen=True)
class FormatChoice:
    """One accepted RESPONSEFORMAT family, for resolution and capability documents."""

    media_type: str
    aliases: tuple[str, ...] = ()


#: What the resolver accepts (TAPRegExt ``outputFormat`` entries can be built from this).
ACCEPTED_FORMATS: tuple[FormatChoice, ...] = (
    FormatChoice(f"{VOTABLE_MEDIA_TYPE};serialization=BINARY2", ("votable", "votable/b2", "votableb2")),
    FormatChoice(f"{VOTABLE_MEDIA_TYPE};serialization=BINARY", ("votable/b", "votableb")),
    FormatChoice(f"{VOTABLE_MEDIA_TYPE};serialization=TABLEDATA", ("votable/td", "votabletd")),
    FormatChoice("text/xml"),
    FormatChoice(f"{CSV_MEDIA_TYPE};header=present", ("csv",)),
    FormatChoice(TSV_MEDIA_TYPE, ("tsv",)),
    FormatChoice(FITS_MEDIA_TYPE, ("fits",)),
    FormatChoice(PARQUET_MEDIA_TYPE, ("parquet",)),
)

_VOTABLE_SHORT = {"b2": "BINARY2", "binary2": "BINARY2", "b": "BINARY", "binary": "BINARY"}
_VOTABLE_SHORT |= {"td": "TABLEDATA", "tabledata": "TABLEDATA"}

#: Short forms, each standing for a media type: DALI 1.1 §3.4.3 (DALI 1.2 adds ``parquet``)
#: and the VOTable aliases TAP services customarily accept.
SHORT_FORMS: dict[str, str] = {
    "votable": f"{VOTABLE_MEDIA_TYPE};serialization=BINARY2",
    **{f"votable/{k}": f"{VOTABLE_MEDIA_TYPE};serialization={v}" for k, v in _VOTABLE_SHORT.items()},
    **{f"votable{k}": f"{VOTABLE_MEDIA_TYPE};serialization={v}" for k, v in _VOTABLE_SHORT.items()},
    "csv": CSV_MEDIA_TYPE,
    "tsv": TSV_MEDIA_TYPE,
    "fits": FITS_MEDIA_TYPE,
    "parquet": PARQUET_MEDIA_TYPE,
}


def accepted_values() -> list[str]:
    """Every RESPONSEFORMAT value the resolver knows, for error messages and documentation."""
    values = [VOTABLE_MEDIA_TYPE, "text/xml", CSV_MEDIA_TYPE, TSV_MEDIA_TYPE, FITS_MEDIA_TYPE, PARQUET_MEDIA_TYPE]
    values += [f"{VOTABLE_MEDIA_TYPE};serialization={s}" for s in ("BINARY2", "BINARY", "TABLEDATA")]
    return values + list(SHORT_FORMS)


def _unsupported(value: str, reason: str = "") -> UsageFault:
    detail = f" ({reason})" if reason else ""
    return UsageFault(
        f"RESPONSEFORMAT {value!r} is not supported{detail}; accepted values: {', '.join(accepted_values())}"
    )


def media_type_parts(value: str, text: str | None = None) -> tuple[str, dict[str, str]]:
    """The base (lower-cased) and parameters (names lower-cased) of a RESPONSEFORMAT media
    type or short form (DALI 1.1 §3.2.4); ``text`` is what a short form ``value`` stands for.

    A media type is printable ASCII (RFC 9110 §8.3.1): it may be answered as Content-Type.
    """
    if not (value.isascii() and value.isprintable()):
        raise _unsupported(value, "a media type is printable ASCII")
    base, *raw = (part.strip() for part in (value if text is None else text).split(";"))
    parameters: dict[str, str] = {}
    for item in raw:
        if not item:
            continue
        key, sep, val = item.partition("=")
        if not sep:
            raise _unsupported(value, f"malformed media type parameter {item!r}")
        parameters[key.strip().lower()] = val.strip().strip('"')
    return base.lower(), parameters


def _check_charset(value: str, parameters: dict[str, str]) -> None:
    charset = parameters.pop("charset", None)
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        raise _unsupported(value, "only UTF-8 output is produced")


_ENCODINGS: dict[str, Encoding] = {"binary2": "binary2", "binary": "binary", "tabledata": "tabledata"}


def _votable_format(value: str, base: str, parameters: dict[str, str], *, short: bool) -> OutputFormat:
    serialization = parameters.pop("serialization", "binary2").lower()
    if serialization not in _ENCODINGS:
        raise _unsupported(value, f"serialization {serialization!r}")
    encoding = _ENCODINGS[serialization]
    version = parameters.pop("version", "1.4")
    if version not in VOTABLE_VERSIONS:
        raise _unsupported(value, f"VOTable version {version!r}")
    _check_charset(value, parameters)
    content = parameters.pop("content", None)
    if parameters:
        raise _unsupported(value, f"unknown parameter {next(iter(parameters))!r}")
    if base == "text/xml" and not short:
        media_type = "text/xml"
    else:
        media_type = f"{VOTABLE_MEDIA_TYPE};serialization={_SERIALIZATION_NAMES[encoding]}"
    if content:
        media_type += f";content={content}"
    return OutputFormat("votable", media_type, "vot", votable_encoding=encoding, votable_version=version)


def _delimited_format(value: str, base: str, parameters: dict[str, str]) -> OutputFormat:
    _check_charset(value, parameters)
    header = parameters.pop("header", "present").lower()
    if header not in ("present", "absent") or parameters:
        raise _unsupported(value, "CSV and TSV take only the charset and header parameters")
    if base == CSV_MEDIA_TYPE:
        return OutputFormat("csv", f"{CSV_MEDIA_TYPE};header={header}", "csv", header=header == "present")
    media_type = TSV_MEDIA_TYPE if header == "present" else f"{TSV_MEDIA_TYPE};header=absent"
    return OutputFormat("tsv", media_type, "tsv", header=header == "present")


def votable_response_format(value: str | None, short_media_type: str) -> tuple[Encoding, str]:
    """RESPONSEFORMAT of a service answering in VOTable only (SCS, DataLink): the encoding and
    the media type answered (DALI 1.1 §3.2.4).

    Absent or ``votable``: BINARY2 with the service's own media type; ``text/xml`` and the
    VOTable media types are answered as asked, with ``serialization=tabledata|binary|binary2``.
    """
    if not value:
        return "binary2", short_media_type
    base, parameters = media_type_parts(value)
    serialization = parameters.get("serialization", "binary2").lower()
    encoding = _ENCODINGS.get(serialization)
    if encoding is None:
        raise UsageFault(f"RESPONSEFORMAT: unknown VOTable serialization {serialization!r}; "
                         "use tabledata, binary or binary2")
    if base == "votable":
        return encoding, short_media_type
    if base in (VOTABLE_MEDIA_TYPE, "application/x-votable", "text/xml"):
        return encoding, value
    raise UsageFault(f"RESPONSEFORMAT {value!r} is not supported: this service answers in VOTable "
                     "(votable, text/xml or application/x-votable+xml)")


def resolve_format(value: str | None, *, default: str = "votable") -> OutputFormat:
    """Map a RESPONSEFORMAT (or TAP FORMAT) value to an :class:`OutputFormat`.

    Short forms and media types are matched case-insensitively (DALI 1.1 §3.4.3).  A client
    that names a media type gets that media type back as Content-Type, with parameters
    added where they describe the output (DALI: e.g. ``serialization`` for VOTable,
    ``header`` for CSV).  The default is a BINARY2 VOTable 1.4.  Unknown values raise
    :class:`~vo_service.faults.UsageFault` listing the accepted ones.
    """
    text = (value or "").strip() or default
    short = text.lower() in SHORT_FORMS
    base, parameters = media_type_parts(text, SHORT_FORMS.get(text.lower(), text))
    if base in (VOTABLE_MEDIA_TYPE, "text/xml"):
        return _votable_format(text, base, parameters, short=short)
    if base in (CSV_MEDIA_TYPE, TSV_MEDIA_TYPE):
        return _delimited_format(text, base, parameters)
    if base == FITS_MEDIA_TYPE and not parameters:
        return OutputFormat("fits", FITS_MEDIA_TYPE, "fits")
    if base == PARQUET_MEDIA_TYPE and not parameters:
        return OutputFormat("parquet", PARQUET_MEDIA_TYPE, "parquet")
    raise _unsupported(text)


__all__ = [
    "ACCEPTED_FORMATS",
    "CSV_MEDIA_TYPE",
    "FITS_MEDIA_TYPE",
    "PARQUET_MEDIA_TYPE",
    "SHORT_FORMS",
    "TSV_MEDIA_TYPE",
    "VOPARQUET_CONTENT_KEY",
    "VOPARQUET_VERSION_KEY",
    "VOTABLE_MEDIA_TYPE",
    "FormatChoice",
    "FormatName",
    "OutputFormat",
    "accepted_values",
    "media_type_parts",
    "resolve_format",
    "votable_response_format",
    "write_delimited",
    "write_fits",
    "write_parquet",
]
