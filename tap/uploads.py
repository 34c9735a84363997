"""Table uploads (TAP 1.1 §2.3.7, DALI 1.1 §3.3.5): ``UPLOAD=name,URI`` to ``TAP_UPLOAD.name``.

A URI is ``param:<part>`` (an inline multipart part of the same request, or of the UWS
job) or an ``http``/``https`` URL the service fetches.  The content must be a VOTable; it
is read with astropy and becomes an Arrow table plus a :class:`TableMeta` in the
``TAP_UPLOAD`` schema, which :meth:`Catalogue.with_schema` adds for this query only.  The
store registers the data as ``tap_upload_<name>`` for the duration of the query.

Limits come from the settings (``upload_max_bytes`` over all uploads of a request,
``upload_max_rows`` per table); breaking one is a :class:`PayloadTooLargeFault` naming it.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from astropy.io import votable

from tap.adql.keywords import is_reserved
from vo_service.faults import PayloadTooLargeFault, UsageFault
from vo_service.metadata import ColumnMeta, SchemaMeta, TableMeta
from vo_service.settings import Limits

UPLOAD_SCHEMA = "TAP_UPLOAD"

#: Seconds allowed for fetching an upload by URL.
FETCH_TIMEOUT_S = 30.0

_TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NOT_IDENTIFIER = re.compile(r"[^a-z0-9_]+")

#: VOTable datatypes an upload may use, with their Arrow types.
_ARROW_TYPES: Mapping[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "unsignedByte": pa.uint8(),
    "short": pa.int16(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
}
_TIMESTAMP_XTYPES = frozenset({"timestamp", "adql:timestamp"})


@dataclass(frozen=True)
class UploadRef:
    """One ``name,URI`` pair of an UPLOAD parameter."""

    table: str
    uri: str


@dataclass(frozen=True)
class UploadedTable:
    """An uploaded table, ready for the query: metadata and data."""

    name: str
    meta: TableMeta
    data: pa.Table


#: Opens the content of the inline part named in ``param:<name>`` as a new stream, which
#: the caller closes; None when the request has no such part.
InlineSource = Callable[[str], BinaryIO | None]


def parse_upload(values: Sequence[str]) -> list[UploadRef]:
    """Split UPLOAD values (``name,URI`` pairs separated by ``;``; accumulating, TAP 1.1 §2.3.7)."""
    refs: list[UploadRef] = []
    for value in values:
        for item in value.split(";"):
            if not item.strip():
                continue
            name, sep, uri = item.partition(",")
            name, uri = name.strip(), uri.strip()
            if not sep or not uri:
                raise UsageFault(f"Invalid UPLOAD item {item.strip()!r}: expected table-name,URI")
            if not _TABLE_NAME.match(name) or is_reserved(name):
                raise UsageFault(
                    f"Invalid upload table name {name!r}: it must be an ADQL regular identifier "
                    "(a letter, then letters, digits or underscores) and not a reserved word"
                )
            if any(ref.table.lower() == name.lower() for ref in refs):
                raise UsageFault(f"The upload table name {name!r} is used twice")
            scheme = uri.split(":", 1)[0].lower()
            if scheme not in ("param", "http", "https") or ":" not in uri:
                raise UsageFault(
                    f"Unsupported upload URI {uri!r}: use param:<name> for an inline part or an http(s) URL"
                )
            refs.append(UploadRef(name, uri))
    return refs


class _Budget:
    """Bytes left for the uploads of one request."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, count: int, what: str) -> None:
        self.used += count
        if self.used > self.limit:
            raise PayloadTooLargeFault(
                f"Upload {what} exceeds the upload limit of {self.limit} bytes per request"
            )


def _read_limited(stream: BinaryIO, budget: _Budget, what: str) -> bytes:
    chunks = []
    while chunk := stream.read(1 << 16):
        budget.take(len(chunk), what)
        chunks.append(chunk)
    return b"".join(chunks)


def _fetch(url: str, budget: _Budget, what: str) -> bytes:
    """GET ``url`` within the byte budget (TAP 1.1 §2.3.7 upload by reference)."""
    chunks: list[bytes] = []
    try:
        with httpx.stream("GET", url, timeout=FETCH_TIMEOUT_S, follow_redirects=True) as response:
            if response.status_code != 200:
                raise UsageFault(f"Cannot fetch upload {what} from {url}: HTTP status {response.status_code}")
            for chunk in response.iter_bytes():
                budget.take(len(chunk), what)
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise UsageFault(f"Cannot fetch upload {what} from {url}: {exc}") from None
    return b"".join(chunks)


def _column_name(raw: str, used: set[str]) -> str:
    """A catalogue column name for a FIELD name: regular identifiers lower-cased (ADQL
    compares them case-insensitively), anything else reduced to a regular identifier."""
    name = _NOT_IDENTIFIER.sub("_", raw.strip().lower()).strip("_") or "col"
    if not name[0].isalpha():
        name = f"c_{name}"
    candidate, number = name, 1
    while candidate in used:
        number += 1
        candidate = f"{name}_{number}"
    used.add(candidate)
    return candidate


def _masked(column: Any) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any] | None]:
    data = np.ma.getdata(column)
    mask = np.ma.getmaskarray(column) if np.ma.isMaskedArray(column) else None
    return np.asarray(data), (np.asarray(mask) if mask is not None and mask.any() else None)


def _strings(column: Any) -> pa.Array:
    data, mask = _masked(column)
    values: list[str | None] = []
    for index, value in enumerate(data.tolist()):
        if mask is not None and bool(np.asarray(mask[index]).any()):
            values.append(None)
        elif isinstance(value, bytes):
            values.append(value.decode("utf-8", "replace"))
        else:
            values.append(None if value is None else str(value))
    return pa.array(values, type=pa.string())


def _timestamps(name: str, column: Any) -> pa.Array:
    strings = _strings(column)
    cleaned = pc.replace_substring_regex(pc.utf8_trim_whitespace(strings), r"Z$", "")
    cleaned = pc.if_else(pc.equal(cleaned, ""), pa.scalar(None, pa.string()), cleaned)
    try:
        return pc.cast(cleaned, pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise UsageFault(
            f"Uploaded column {name!r} is declared as a timestamp but holds values that are not "
            "ISO 8601 dates (YYYY-MM-DD['T'hh:mm:ss[.SSS]])"
        ) from None


def _numbers(datatype: str, column: Any) -> pa.Array:
    data, mask = _masked(column)
    return pa.array(data, type=_ARROW_TYPES[datatype], mask=mask)


def _arrays(datatype: str, column: Any) -> pa.Array:
    data, mask = _masked(column)
    rows: list[list[Any] | None] = []
    for index, value in enumerate(data):
        if mask is not None and bool(np.asarray(mask[index]).all()):
            rows.append(None)
            continue
        cell = np.ma.filled(np.ma.asarray(value).astype(np.float64), np.nan) if datatype in ("float", "double") \
            else np.ma.getdata(np.ma.asarray(value))
        rows.append(np.asarray(cell).ravel().tolist())
    return pa.array(rows, type=pa.list_(_ARROW_TYPES[datatype]))


def _field_column(field: Any, column: Any, name: str) -> tuple[ColumnMeta, pa.Array]:
    datatype = str(field.datatype)
    arraysize = None if field.arraysize in (None, "1") else str(field.arraysize)
    xtype = (field.xtype or None) and str(field.xtype)
    if datatype in ("char", "unicodeChar"):
        if xtype is not None and xtype.lower() in _TIMESTAMP_XTYPES:
            array, xtype, arraysize = _timestamps(name, column), "timestamp", "*"
        else:
            array = _strings(column)
            arraysize = "*" if arraysize is None or not arraysize.rstrip("*").isdigit() else arraysize
    elif datatype == "bit" and arraysize is None:
        datatype, array = "boolean", _numbers("boolean", column)
    elif datatype in _ARROW_TYPES and arraysize is None:
        array = _numbers(datatype, column)
    elif datatype in _ARROW_TYPES and datatype != "boolean":
        array = _arrays(datatype, column)
    else:
        raise UsageFault(
            f"Uploaded column {field.name!r} has datatype {datatype}"
            f"{'[' + arraysize + ']' if arraysize else ''}, which this service cannot store"
        )
    meta = ColumnMeta(
        name=name,
        datatype=datatype,
        arraysize=arraysize,
        xtype=xtype,
        unit=str(field.unit) if field.unit is not None else None,
        ucd=field.ucd or None,
        utype=field.utype or None,
        description=(field.description or "").strip(),
        principal=True,
    )
    return meta, array


def read_votable(name: str, content: bytes, limits: Limits) -> UploadedTable:
    """The first table of a VOTable document as an upload (TAP 1.1 §2.3.7, §4.5)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            document = votable.parse(io.BytesIO(content), verify="ignore")
            resource_table = document.get_first_table()
            table = resource_table.array
        except Exception as exc:
            raise UsageFault(f"Upload {name!r} is not a readable VOTable: {str(exc)[:300]}") from None
    if len(table) > limits.upload_max_rows:
        raise PayloadTooLargeFault(
            f"Upload {name!r} has {len(table)} rows; the limit is {limits.upload_max_rows} rows per table"
        )
    used: set[str] = set()
    columns: list[ColumnMeta] = []
    arrays: list[pa.Array] = []
    for index, field in enumerate(resource_table.fields):
        column_name = _column_name(field.name or field.ID or f"col{index + 1}", used)
        column_meta, array = _field_column(field, table[table.dtype.names[index]], column_name)
        columns.append(column_meta)
        arrays.append(array)
    if not columns:
        raise UsageFault(f"Upload {name!r} has no columns")
    table_meta = TableMeta(
        name=f"{UPLOAD_SCHEMA}.{name.lower()}",
        description=f"Table uploaded with this query as {name}.",
        columns=tuple(columns),
    )
    data = pa.table(arrays, names=[c.name for c in columns])
    return UploadedTable(name.lower(), table_meta, data)


def load_uploads(
    values: Sequence[str], inline: InlineSource, limits: Limits
) -> list[UploadedTable]:
    """Resolve, fetch and read every table named in the UPLOAD values."""
    refs = parse_upload(values)
    budget = _Budget(limits.upload_max_bytes)
    tables = []
    for ref in refs:
        what = repr(ref.table)
        if ref.uri.lower().startswith("param:"):
            part = ref.uri.split(":", 1)[1]
            stream = inline(part)
            if stream is None:
                raise UsageFault(
                    f"UPLOAD {ref.table} refers to param:{part}, but the request has no part named {part!r}"
                )
            with stream:
                content = _read_limited(stream, budget, what)
        else:
            content = _fetch(ref.uri, budget, what)
        tables.append(read_votable(ref.table, content, limits))
    return tables


def upload_schema(tables: Sequence[UploadedTable]) -> SchemaMeta:
    """The TAP_UPLOAD schema of one request."""
    return SchemaMeta(
        name=UPLOAD_SCHEMA,
        description="Tables uploaded with this query.",
        tables=tuple(t.meta for t in tables),
    )


def relation_name(table: TableMeta) -> str:
    """The relation the store registers for an uploaded table (``tap_upload_<name>``)."""
    return '"tap_upload_' + table.short_name.lower().replace('"', '""') + '"'


def is_upload(table: TableMeta) -> bool:
    return table.schema_name.lower() == UPLOAD_SCHEMA.lower()


def file_source(files: Mapping[str, Path]) -> InlineSource:
    """Inline parts stored as files (UWS job parameters) by lower-cased name."""

    def open_part(name: str) -> BinaryIO | None:
        path = files.get(name.lower())
        return path.open("rb") if path is not None and path.is_file() else None

    return open_part


__all__ = [
    "UPLOAD_SCHEMA",
    "InlineSource",
    "UploadRef",
    "UploadedTable",
    "file_source",
    "is_upload",
    "load_uploads",
    "parse_upload",
    "read_votable",
    "relation_name",
    "upload_schema",
]
