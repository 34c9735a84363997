"""RESPONSEFORMAT resolution and the CSV, TSV, FITS and Parquet encoders."""

from __future__ import annotations

import csv
import io
import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from astropy.io import fits
from astropy.io.votable import parse

from vo_service.faults import UsageFault
from vo_service.metadata import ColumnMeta
from vo_service.votable.fields import CooSys, resolve_field
from vo_service.votable.formats import (
    ACCEPTED_FORMATS,
    VOPARQUET_CONTENT_KEY,
    VOPARQUET_VERSION_KEY,
    OutputFormat,
    accepted_values,
    resolve_format,
)

from .oracle import ALL_TYPES, expected_cell, expected_cells, split_batches, to_batch, xsd_errors

SPECS = [resolve_field(c) for c in ALL_TYPES]
VOT = "application/x-votable+xml"


@pytest.mark.parametrize(
    ("value", "name", "encoding", "media_type"),
    [
        (None, "votable", "binary2", "application/x-votable+xml;serialization=BINARY2"),
        ("", "votable", "binary2", "application/x-votable+xml;serialization=BINARY2"),
        ("votable", "votable", "binary2", "application/x-votable+xml;serialization=BINARY2"),
        ("VOTable", "votable", "binary2", "application/x-votable+xml;serialization=BINARY2"),
        ("application/x-votable+xml", "votable", "binary2", "application/x-votable+xml;serialization=BINARY2"),
        ("text/xml", "votable", "binary2", "text/xml"),
        (f"{VOT};serialization=binary2", "votable", "binary2", f"{VOT};serialization=BINARY2"),
        (f"{VOT}; serialization=BINARY", "votable", "binary", f"{VOT};serialization=BINARY"),
        (f"{VOT};serialization=TABLEDATA", "votable", "tabledata", f"{VOT};serialization=TABLEDATA"),
        ("text/xml;serialization=tabledata", "votable", "tabledata", "text/xml"),
        ("votable/td", "votable", "tabledata", "application/x-votable+xml;serialization=TABLEDATA"),
        ("votabletd", "votable", "tabledata", "application/x-votable+xml;serialization=TABLEDATA"),
        ("votable/b", "votable", "binary", "application/x-votable+xml;serialization=BINARY"),
        ("votable/b2", "votable", "binary2", "application/x-votable+xml;serialization=BINARY2"),
        (f"{VOT};content=datalink", "votable", "binary2", f"{VOT};serialization=BINARY2;content=datalink"),
        ("csv", "csv", "binary2", "text/csv;header=present"),
        ("text/csv", "csv", "binary2", "text/csv;header=present"),
        ("text/csv; charset=UTF-8; header=absent", "csv", "binary2", "text/csv;header=absent"),
        ("tsv", "tsv", "binary2", "text/tab-separated-values"),
        ("text/tab-separated-values", "tsv", "binary2", "text/tab-separated-values"),
        ("fits", "fits", "binary2", "application/fits"),
        ("application/fits", "fits", "binary2", "application/fits"),
        ("parquet", "parquet", "binary2", "application/vnd.apache.parquet"),
        ("application/vnd.apache.parquet", "parquet", "binary2", "application/vnd.apache.parquet"),
    ],
)  # fmt: skip
def test_resolve_format(value: str | None, name: str, encoding: str, media_type: str) -> None:
    chosen = resolve_format(value)
    assert chosen.name == name
    assert chosen.media_type == media_type
    if name == "votable":
        assert chosen.votable_encoding == encoding
        assert chosen.votable_version == "1.4"
        assert chosen.extension == "vot"


def test_votable_version_parameter() -> None:
    assert resolve_format("application/x-votable+xml;version=1.5").votable_version == "1.5"


@pytest.mark.parametrize(
    "value",
    [
        "application/json",
        "votable/xyz",
        "application/x-votable+xml;serialization=FITS",
        "application/x-votable+xml;version=1.2",
        "text/csv;charset=latin-1",
        "text/csv;delimiter=;",
        "application/fits;x=y",
        "text/html",
        "application/x-votable+xml;broken",
    ],
)
def test_unknown_formats_are_usage_faults(value: str) -> None:
    with pytest.raises(UsageFault) as caught:
        resolve_format(value)
    assert caught.value.status_code == 400
    assert "accepted values" in caught.value.message
    for accepted in ("votable", "text/csv", "application/fits", "application/vnd.apache.parquet", "tsv"):
        assert accepted in caught.value.message


def test_every_listed_value_resolves() -> None:
    for value in accepted_values():
        assert isinstance(resolve_format(value), OutputFormat)
    for choice in ACCEPTED_FORMATS:
        assert resolve_format(choice.media_type).media_type == choice.media_type
        for alias in choice.aliases:
            assert resolve_format(alias).media_type == choice.media_type


def _encode(fmt: str, batches: Any, **kwargs: Any) -> bytes:
    return b"".join(resolve_format(fmt).encode(ALL_TYPES, batches, **kwargs))


def _check_text_cell(spec: Any, got: str, value: Any) -> None:
    """One CSV/TSV cell against the input value (TABLEDATA conventions, TAP 1.1 §3)."""
    if value is None:
        assert got == "" or (spec.count is not None and spec.is_array), (spec.name, got)
        return
    if spec.is_text:
        assert got == expected_cell(spec, value, repertoire="unicode"), (spec.name, got, value)
    elif spec.datatype == "boolean":
        assert got == ("true" if value else "false")
    elif spec.is_array:
        numbers = [float(x) for x in got.split()]
        np.testing.assert_allclose(numbers, [float(v) for v in value])
    elif isinstance(value, float) and not math.isfinite(value):
        assert got == ("NaN" if math.isnan(value) else "+Inf" if value > 0 else "-Inf")
    elif spec.datatype in ("float", "double"):
        assert float(got) == pytest.approx(value, rel=1e-7)
    else:
        assert got == str(value)


def test_csv_round_trip(rows: list[dict[str, Any]]) -> None:
    data = _encode("csv", split_batches(rows, [10, 0, 33]))
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert parsed[0] == [c.name for c in ALL_TYPES]
    assert len(parsed) == len(rows) + 1
    for row, values in zip(parsed[1:], rows, strict=True):
        for spec, got in zip(SPECS, row, strict=True):
            _check_text_cell(spec, got, values[spec.name])


def test_csv_quotes_only_where_needed() -> None:
    columns = [ColumnMeta(name="s", datatype="char", arraysize="*"), ColumnMeta(name="n", datatype="int")]
    batch = pa.record_batch(
        [pa.array(["a,b", 'say "hi"', "plain", "two\nlines", None]), pa.array([1, 2, 3, 4, 5])], names=["s", "n"]
    )
    data = b"".join(resolve_format("csv").encode(columns, [batch]))
    assert data.decode() == 's,n\r\n"a,b",1\r\n"say ""hi""",2\r\nplain,3\r\n"two\nlines",4\r\n,5\r\n'


def test_csv_without_header_and_with_maxrec(rows: list[dict[str, Any]]) -> None:
    data = b"".join(resolve_format("text/csv;header=absent").encode(ALL_TYPES, [to_batch(rows)], max_records=3))
    lines = data.split(b"\r\n")
    assert len(lines) == 4
    assert lines[0].startswith(b"0,0,-32767,")


def test_tsv_has_no_separators_inside_values() -> None:
    columns = [ColumnMeta(name="s", datatype="char", arraysize="*"), ColumnMeta(name="d", datatype="double")]
    batch = pa.record_batch([pa.array(["a\tb", "c\nd", "é"]), pa.array([1.5, None, float("nan")])], names=["s", "d"])
    data = b"".join(resolve_format("tsv").encode(columns, [batch])).decode()
    assert data == "s\td\na b\t1.5\nc d\t\né\tNaN\n"


def test_csv_empty_result_is_just_the_header() -> None:
    assert _encode("csv", []) == (",".join(c.name for c in ALL_TYPES) + "\r\n").encode()


def test_csv_error_after_output_propagates(rows: list[dict[str, Any]]) -> None:
    def failing() -> Iterator[pa.RecordBatch]:
        yield to_batch(rows[:3])
        raise RuntimeError("boom")

    chunks = resolve_format("csv").encode(ALL_TYPES, failing())
    first = next(chunks)
    assert first.startswith(b"id,")
    with pytest.raises(RuntimeError, match="boom"):
        next(chunks)


def _read_fits(data: bytes) -> Any:
    hdus = fits.open(io.BytesIO(data))
    hdus.verify("exception")
    return hdus


def test_fits_round_trip(rows: list[dict[str, Any]]) -> None:
    data = _encode("fits", split_batches(rows, [40, 0, 7]), table_name="corot results")
    assert len(data) % 2880 == 0
    with _read_fits(data) as hdus, warnings.catch_warnings():
        warnings.simplefilter("error")
        table = hdus[1]
        assert table.header["EXTNAME"] == "corot results"
        assert table.header["NAXIS2"] == len(rows)
        assert table.header["TUNIT5"] == "mJy"
        assert table.header["TUCD6"] == "pos.eq.ra;meta.main"
        assert table.header["TFORM11"] == "2D"
        assert table.header["TFORM13"].startswith("PD(")
        records = fits.open(io.BytesIO(data), logical_as_bytes=True)[1].data
        expected = expected_cells(rows, repertoire="ascii")
        for r, want in enumerate(expected):
            for index, (spec, value) in enumerate(zip(SPECS, want, strict=True)):
                got = records[spec.name][r]
                if spec.datatype == "boolean":
                    assert got == {None: b"", True: b"T", False: b"F"}[value]  # numpy drops the NUL
                elif spec.is_text:
                    assert got == value, (r, spec.name)
                elif spec.is_array:
                    values = [None if np.isnan(v) else float(v) for v in np.asarray(got, dtype=float)]
                    assert values == value, (r, spec.name)
                elif value is None:
                    null = table.header.get(f"TNULL{index + 1}")
                    assert np.isnan(got) if null is None else got == null, (r, spec.name)
                elif spec.datatype == "float":
                    assert got == pytest.approx(np.float32(value), nan_ok=True)
                else:
                    assert got == value, (r, spec.name)


def test_fits_empty_and_truncated_results(rows: list[dict[str, Any]]) -> None:
    with _read_fits(_encode("fits", [])) as hdus:
        assert hdus[1].header["NAXIS2"] == 0
        assert hdus[1].header["TFIELDS"] == len(ALL_TYPES)
    with _read_fits(_encode("fits", [to_batch(rows)], max_records=5)) as hdus:
        assert hdus[1].header["NAXIS2"] == 5


def test_parquet_round_trip_with_voparquet_metadata(rows: list[dict[str, Any]]) -> None:
    data = _encode("parquet", split_batches(rows, [100]), max_records=200, coosys=CooSys(), table_name="results")
    table = pq.read_table(io.BytesIO(data))
    assert table.num_rows == 200
    assert table.column_names == [c.name for c in ALL_TYPES]
    assert table.schema.field("count").type == pa.int32()
    assert table.schema.field("pos").type == pa.list_(pa.float64())
    assert table.column("title").to_pylist()[:6] == [r["title"] for r in rows[:6]]
    assert table.column("release").to_pylist()[0] == "2012-01-01T12:00:00"
    metadata = pq.read_metadata(io.BytesIO(data)).metadata
    assert metadata[VOPARQUET_VERSION_KEY.encode()] == b"1.0"
    document = metadata[VOPARQUET_CONTENT_KEY.encode()]
    assert xsd_errors(document, "1.4") == []
    votable = parse(io.BytesIO(document), verify="exception")
    resource = votable.resources[0]
    assert [i.value for i in resource.infos if i.name == "QUERY_STATUS"] == ["OK", "OVERFLOW"]
    fields = resource.tables[0].fields
    assert [f.name for f in fields] == [c.name for c in ALL_TYPES]
    assert {f.name: f.ref for f in fields}["ra"] == "coosys"
    assert {f.name: f.unit for f in fields}["flux"] == "mJy"


def test_parquet_keeps_nulls_and_unicode() -> None:
    columns = [ColumnMeta(name="s", datatype="char", arraysize="*"), ColumnMeta(name="i", datatype="short")]
    batch = pa.record_batch([pa.array(["Déjà 😀", None]), pa.array([None, 7], pa.int64())], names=["s", "i"])
    table = pq.read_table(io.BytesIO(b"".join(resolve_format("parquet").encode(columns, [batch]))))
    assert table.to_pylist() == [{"s": "Déjà 😀", "i": None}, {"s": None, "i": 7}]
    assert table.schema.field("i").type == pa.int16()


def test_spooled_formats_fail_before_their_first_byte(rows: list[dict[str, Any]]) -> None:
    def failing() -> Iterator[pa.RecordBatch]:
        yield to_batch(rows[:3])
        raise RuntimeError("boom")

    for fmt in ("fits", "parquet"):
        chunks = resolve_format(fmt).encode(ALL_TYPES, failing())
        with pytest.raises(RuntimeError, match="boom"):
            next(chunks)
