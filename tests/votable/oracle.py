"""Sample columns and batches, and the astropy oracle, for the VOTable/format tests.

astropy is the oracle: every document is parsed back with ``verify="exception"`` and the
values are compared with what went in, after both sides are brought to a canonical form
that keeps exactly what each serialisation can represent.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from astropy.io import votable as astropy_votable
from lxml import etree

from vo_service.metadata import ColumnMeta
from vo_service.votable.fields import FieldSpec, resolve_field

XSD_DIR = Path(astropy_votable.__file__).parent / "data"

ALL_TYPES: tuple[ColumnMeta, ...] = (
    ColumnMeta(name="id", datatype="long", ucd="meta.id;meta.main", description="Row identifier"),
    ColumnMeta(name="ubyte", datatype="unsignedByte"),
    ColumnMeta(name="small", datatype="short"),
    ColumnMeta(name="count", datatype="int", unit="ct"),
    ColumnMeta(name="flux", datatype="float", unit="mJy", ucd="phot.flux"),
    ColumnMeta(name="ra", datatype="double", unit="deg", ucd="pos.eq.ra;meta.main"),
    ColumnMeta(name="flag", datatype="boolean"),
    ColumnMeta(name="label", datatype="char", arraysize="*", description="A <label> & more"),
    ColumnMeta(name="code", datatype="char", arraysize="4"),
    ColumnMeta(name="title", datatype="unicodeChar", arraysize="*"),
    ColumnMeta(name="pos", datatype="double", xtype="point", unit="deg"),
    ColumnMeta(name="fov", datatype="double", xtype="circle", unit="deg"),
    ColumnMeta(name="footprint", datatype="double", xtype="polygon", unit="deg"),
    ColumnMeta(name="obs_date", datatype="char", xtype="timestamp", ucd="time.start"),
    ColumnMeta(name="release", datatype="char", xtype="timestamp"),
    ColumnMeta(name="samples", datatype="int", arraysize="*"),
)

_LABELS = ["alpha", "", "a&b<c>d", "quote\"and'apostrophe", "tab\there", "line\nbreak", "café", "x" * 40]
_TITLES = ["Ωmega", "日本語", "emoji 😀 end", "", "plain", "Привет"]


def _row_values(i: int, rng: np.random.Generator) -> dict[str, Any]:
    """Row ``i`` of the sample: every 7th row has nulls, some carry special values."""
    null = i % 7 == 3
    special = i % 11
    flux: float | None = float(np.float32(rng.normal(10, 3)))
    ra: float | None = float(rng.uniform(0, 360))
    if special == 1:
        flux, ra = float("nan"), float("nan")
    elif special == 2:
        flux, ra = float("inf"), float("-inf")
    n_vertices = 3 + i % 3
    return {
        "id": None if null else i,
        "ubyte": None if null else i % 256,
        "small": None if null else (i * 37) % 65536 - 32767,
        "count": None if null else (-1) ** i * i * 1000,
        "flux": None if null else flux,
        "ra": None if null else ra,
        "flag": None if null else bool(i % 2),
        "label": None if null else _LABELS[i % len(_LABELS)],
        "code": None if null else f"C{i:05d}",
        "title": None if null else _TITLES[i % len(_TITLES)],
        "pos": None if null else [float(rng.uniform(0, 360)), float(rng.uniform(-90, 90))],
        "fov": [1.0 + i, -2.5, 0.25] if i % 5 else [float("nan"), 2.0, 0.5],
        "footprint": None if null else ([] if special == 4 else [float(x) for x in rng.uniform(0, 10, 2 * n_vertices)]),
        "obs_date": None
        if null
        else dt.datetime(2008, 1, 1) + dt.timedelta(seconds=97 * i, microseconds=(i % 3) * 250_000),
        "release": None if null else f"2012-{1 + i % 12:02d}-{1 + i % 28:02d} 12:00:00",
        "samples": None if null else list(range(i % 4)),
    }


_ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.int64(),
    "ubyte": pa.uint8(),
    "small": pa.int16(),
    "count": pa.int32(),
    "flux": pa.float32(),
    "ra": pa.float64(),
    "flag": pa.bool_(),
    "label": pa.string(),
    "code": pa.string(),
    "title": pa.string(),
    "pos": pa.list_(pa.float64()),
    "fov": pa.list_(pa.float64(), 3),
    "footprint": pa.list_(pa.float64()),
    "obs_date": pa.timestamp("us"),
    "release": pa.string(),
    "samples": pa.list_(pa.int32()),
}


def sample_rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [_row_values(i, rng) for i in range(n)]


def to_batch(rows: Sequence[dict[str, Any]], columns: Sequence[ColumnMeta] = ALL_TYPES) -> pa.RecordBatch:
    arrays = [pa.array([row[c.name] for row in rows], _ARROW_TYPES[c.name]) for c in columns]
    return pa.record_batch(arrays, names=[c.name for c in columns])


def split_batches(rows: Sequence[dict[str, Any]], sizes: Sequence[int]) -> Iterator[pa.RecordBatch]:
    """Batches of the given sizes (zero allowed), then the remaining rows."""
    start = 0
    for size in sizes:
        yield to_batch(rows[start : start + size])
        start += size
    if start < len(rows):
        yield to_batch(rows[start:])


# -- oracle ---------------------------------------------------------------------------------


def parse_votable(document: bytes) -> Any:
    return astropy_votable.parse(io.BytesIO(document), verify="exception")


def xsd_errors(document: bytes, version: str) -> list[str]:
    schema = etree.XMLSchema(etree.parse(str(XSD_DIR / f"VOTable.v{version}.xsd")))
    ok = schema.validate(etree.fromstring(document))
    return [] if ok else [str(e) for e in schema.error_log]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "replace").decode()


def iso(value: Any) -> str:
    """How the writer renders a timestamp input (DALI 1.1 §3.3.3), for expectations."""
    if isinstance(value, dt.datetime):
        text = value.isoformat()
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value).replace(" ", "T", 1)


def expected_cell(spec: FieldSpec, value: Any, *, repertoire: str = "votable") -> Any:
    """The canonical form of an input value after a VOTable round trip."""
    if spec.is_text:
        if value is None:
            return ""
        text = iso(value) if spec.is_timestamp else str(value)
        if repertoire == "ascii" or (repertoire == "votable" and spec.datatype == "char"):
            text = _fold(text)
        elif repertoire == "votable":
            text = "".join(c if ord(c) < 0x10000 else "\ufffd" for c in text)
        return text[: spec.count] if spec.count is not None else text
    if spec.is_array:
        if value is None:
            return [None] * spec.count if spec.count is not None else []
        return [None if isinstance(v, float) and math.isnan(v) else v for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def canonical_cell(spec: FieldSpec, data: Any, mask: Any) -> Any:
    """The canonical form of a cell as astropy reads it."""
    if spec.is_text:
        return "" if np.all(mask) and not str(data) else str(data)
    if spec.is_array:
        if spec.count is None and np.ndim(mask) == 0 and bool(mask):
            return []
        values = np.ma.asarray(data)
        element_mask = np.ma.getmaskarray(values) | np.asarray(mask, dtype=bool)
        return [None if m else v.item() for v, m in zip(values.data, element_mask, strict=True)]
    return None if bool(mask) else data.item()


def table_cells(document: bytes, columns: Sequence[ColumnMeta] = ALL_TYPES) -> list[list[Any]]:
    table = parse_votable(document).get_first_table()
    specs = [resolve_field(c) for c in columns]
    array = table.array
    out = []
    for row in range(len(array)):
        out.append([canonical_cell(spec, array[spec.name].data[row], array[spec.name].mask[row]) for spec in specs])
    return out


def expected_cells(
    rows: Sequence[dict[str, Any]], columns: Sequence[ColumnMeta] = ALL_TYPES, *, repertoire: str = "votable"
) -> list[list[Any]]:
    specs = [resolve_field(c) for c in columns]
    return [[expected_cell(s, row[s.name], repertoire=repertoire) for s in specs] for row in rows]


def assert_cells_equal(actual: list[list[Any]], expected: list[list[Any]], specs: Sequence[FieldSpec]) -> None:
    assert len(actual) == len(expected)
    for r, (got_row, want_row) in enumerate(zip(actual, expected, strict=True)):
        for spec, got, want in zip(specs, got_row, want_row, strict=True):
            if spec.datatype == "float" and isinstance(want, float):
                assert got == pytest.approx(float(np.float32(want)), nan_ok=True), (r, spec.name)
            else:
                assert got == want, (r, spec.name, got, want)


def query_statuses(document: bytes) -> list[tuple[str, str]]:
    """(value, text) of every QUERY_STATUS INFO of the results RESOURCE, in order."""
    root = etree.fromstring(document)
    ns = {"v": "http://www.ivoa.net/xml/VOTable/v1.3"}
    return [
        (info.get("value"), (info.text or "").strip())
        for info in root.xpath("v:RESOURCE[@type='results']/v:INFO[@name='QUERY_STATUS']", namespaces=ns)
    ]
