"""The streaming VOTable writer every DALI protocol answers with.

Rows arrive as Arrow record batches and leave as bytes, one batch at a time, between the
parts of an lxml-built envelope (:mod:`vo_service.votable.envelope`).  The writer applies
MAXREC and the DALI 1.1 §4.4 status rules:

- a leading ``INFO name="QUERY_STATUS" value="OK"`` before the TABLE;
- ``value="OVERFLOW"`` after the TABLE when a row beyond ``max_records`` exists
  (clients such as pyvo read the last QUERY_STATUS);
- ``value="ERROR"`` after the TABLE, with the message, when the rows fail after output
  has started (DALI 1.1 §4.4.2, TAP 1.1 §3.3): the open DATA and TABLE are closed first.

Errors raised before the first byte (while fetching the first batch) propagate, so the
caller can still answer with a DALI error document and a proper HTTP status; run the
encoder up to its first chunk with :func:`prime` to get them synchronously.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

import pyarrow as pa

from vo_service.faults import ServiceFault
from vo_service.store.base import StoreError
from vo_service.votable.binary import Base64Lines, BinaryRowEncoder
from vo_service.votable.envelope import Envelope, Info, Param, build_envelope, trailer_bytes
from vo_service.votable.fields import (
    VOTABLE_VERSIONS,
    CooSys,
    Encoding,
    FieldSpec,
    OutputColumn,
    TimeSys,
    resolve_field,
    resolve_refs,
)
from vo_service.votable.tabledata import tabledata_rows

#: Rows encoded in one step: bounds the memory of one step whatever the batch size.
CHUNK_ROWS = 32_768

ENCODINGS: tuple[Encoding, ...] = ("binary2", "binary", "tabledata")

ErrorHook = Callable[[BaseException], None]


class EnvelopeOptions(TypedDict, total=False):
    """Document metadata around the rows (see :func:`write_votable`)."""

    resource_infos: Sequence[Info]
    table_infos: Sequence[Info]
    params: Sequence[Param]
    resource_params: Sequence[Param]
    coosys: CooSys | None
    timesys: Sequence[TimeSys]
    refs: Mapping[str, str | None] | None
    query_status_extra: str | None
    extra_resources: Sequence[Any]
    table_name: str | None
    description: str | None


class VOTableOptions(EnvelopeOptions, total=False):
    """Everything :func:`write_votable` accepts besides rows and format (formats forward it)."""

    on_error: ErrorHook | None


class LimitedBatches:
    """Iterate record batches up to ``max_records`` rows, noting whether more exist.

    Batches are cut into chunks of at most :data:`CHUNK_ROWS` rows.  ``max_records=0``
    reads nothing and reports an overflow, as DALI 1.1 §3.4.4 asks for MAXREC=0.  The
    source iterator is closed as soon as it is no longer needed, which releases the
    database cursor behind it.
    """

    def __init__(self, batches: Iterable[pa.RecordBatch], max_records: int | None) -> None:
        if max_records is not None and max_records < 0:
            raise ValueError("max_records must be >= 0")
        self._source = iter(batches)
        self.max_records = max_records
        self.overflow = max_records == 0
        self.rows = 0
        self._first: pa.RecordBatch | None = None

    def fetch_first(self) -> None:
        """Fetch the first non-empty batch now, so that query errors surface early."""
        if self.max_records == 0:
            self.close()
            return
        for batch in self._source:
            if batch.num_rows:
                self._first = batch
                return

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        try:
            if self.max_records == 0:
                return
            source = self._source if self._first is None else itertools.chain((self._first,), self._source)
            self._first = None
            for batch in source:
                if not batch.num_rows:
                    continue
                kept = batch
                if self.max_records is not None:
                    room = self.max_records - self.rows
                    if room <= 0:
                        self.overflow = True
                        return
                    if batch.num_rows > room:
                        self.overflow = True
                        kept = batch.slice(0, room)
                for start in range(0, kept.num_rows, CHUNK_ROWS):
                    chunk = kept.slice(start, CHUNK_ROWS)
                    yield chunk
                    self.rows += chunk.num_rows
                if self.overflow:
                    return
        finally:
            self.close()

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


def error_message(exc: BaseException) -> str:
    """What a user is told about a failure: fault messages verbatim, internals hidden."""
    if isinstance(exc, ServiceFault):
        return exc.message
    if isinstance(exc, StoreError | ValueError | pa.ArrowException):
        return str(exc) or type(exc).__name__
    return "Internal error while writing the result table"


def _check_batch(specs: Sequence[FieldSpec], batch: pa.RecordBatch) -> None:
    if batch.num_columns != len(specs):
        raise ValueError(f"result rows have {batch.num_columns} columns, {len(specs)} were declared")


@dataclass(frozen=True)
class VOTableTemplate:
    """A result document prepared once: the serialised envelope and the resolved FIELDs.

    Services whose documents differ only in their rows (a cone search endpoint for one VERB
    and serialisation) keep one template and stream each result through it, so a request
    pays for its rows and not for building and serialising the same metadata again.
    """

    envelope: Envelope
    specs: tuple[FieldSpec, ...]
    encoding: Encoding

    def stream(
        self,
        batches: Iterable[pa.RecordBatch],
        *,
        max_records: int | None = None,
        on_error: ErrorHook | None = None,
    ) -> Iterator[bytes]:
        """The document with ``batches`` as its rows (see :func:`write_votable`)."""
        rows = LimitedBatches(batches, max_records)
        return _stream(self.envelope, self.specs, rows, self.encoding, on_error)


def prepare_votable(
    fields: Sequence[OutputColumn],
    *,
    encoding: Encoding = "binary2",
    version: str = "1.4",
    **options: Unpack[EnvelopeOptions],
) -> VOTableTemplate:
    """Check the arguments and build the envelope of a result document (see :func:`write_votable`)."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown VOTable encoding {encoding!r}; use one of {ENCODINGS}")
    if version not in VOTABLE_VERSIONS:
        raise ValueError(f"VOTable version {version!r} is not supported; use one of {VOTABLE_VERSIONS}")
    specs = tuple(resolve_field(column) for column in fields)
    coosys = options.get("coosys")
    timesys = options.get("timesys", ())
    envelope = build_envelope(
        specs,
        resolve_refs(specs, coosys, timesys, options.get("refs")),
        encoding=encoding,
        version=version,
        resource_infos=options.get("resource_infos", ()),
        table_infos=options.get("table_infos", ()),
        params=options.get("params", ()),
        resource_params=options.get("resource_params", ()),
        coosys=coosys,
        timesys=timesys,
        query_status_extra=options.get("query_status_extra"),
        extra_resources=options.get("extra_resources", ()),
        table_name=options.get("table_name"),
        description=options.get("description"),
    )
    return VOTableTemplate(envelope, specs, encoding)


def write_votable(
    fields: Sequence[OutputColumn],
    batches: Iterable[pa.RecordBatch],
    *,
    encoding: Encoding = "binary2",
    version: str = "1.4",
    max_records: int | None = None,
    on_error: ErrorHook | None = None,
    **options: Unpack[EnvelopeOptions],
) -> Iterator[bytes]:
    """Stream a result VOTable (VOTable 1.4/1.5, DALI 1.1 §4.4) as chunks of bytes.

    ``fields`` describe the batch columns in order.  ``options`` (:class:`EnvelopeOptions`):
    ``refs`` maps column names to the COOSYS/TIMESYS ID they refer to (None for no
    reference), overriding the defaults of :func:`vo_service.votable.fields.default_ref`;
    ``query_status_extra`` is the text of the leading QUERY_STATUS INFO; ``extra_resources``
    (lxml elements, e.g. DataLink service descriptors ``RESOURCE type="meta"
    utype="adhoc:service"``) follow the results RESOURCE.  ``on_error`` sees unexpected
    exceptions that were reported in-band.

    Arguments are checked now, before the first chunk is requested; the returned iterator
    holds at most one chunk of rows at a time.
    """
    template = prepare_votable(fields, encoding=encoding, version=version, **options)
    return template.stream(batches, max_records=max_records, on_error=on_error)


def _stream(
    envelope: Envelope,
    specs: Sequence[FieldSpec],
    rows: LimitedBatches,
    encoding: Encoding,
    on_error: ErrorHook | None,
) -> Iterator[bytes]:
    rows.fetch_first()
    yield envelope.head
    base64 = None if encoding == "tabledata" else Base64Lines()
    binary = None if encoding == "tabledata" else BinaryRowEncoder(specs, null_flags=encoding == "binary2")
    failure: BaseException | None = None
    try:
        for chunk in rows:
            _check_batch(specs, chunk)
            if binary is not None and base64 is not None:
                encoded = base64.feed(binary.encode(chunk))
            else:
                encoded = bytes(tabledata_rows(specs, chunk))
            if encoded:
                yield encoded
    except Exception as exc:
        failure = exc
        if on_error is not None and not isinstance(exc, ServiceFault | StoreError):
            on_error(exc)
    finally:
        rows.close()
    closing = base64.finish() if base64 is not None else b""
    if failure is not None:
        trailer = [Info("QUERY_STATUS", "ERROR", error_message(failure))]
    elif rows.overflow:
        limit = rows.max_records
        trailer = [Info("QUERY_STATUS", "OVERFLOW", f"Result truncated at MAXREC={limit} rows.")]
    else:
        trailer = []
    yield closing + envelope.data_close + trailer_bytes(trailer, envelope.trailer_indent) + envelope.tail


def prime(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Produce the first chunk now; errors raised before any output propagate here.

    Lets an endpoint answer a failing query with a DALI error document and an error status
    instead of a truncated 200 response.
    """
    first = next(chunks, None)

    def _resume() -> Iterator[bytes]:
        try:
            if first is not None:
                yield first
            yield from chunks
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    return _resume()


__all__ = [
    "CHUNK_ROWS",
    "ENCODINGS",
    "EnvelopeOptions",
    "ErrorHook",
    "LimitedBatches",
    "VOTableOptions",
    "VOTableTemplate",
    "error_message",
    "prepare_votable",
    "prime",
    "write_votable",
]
