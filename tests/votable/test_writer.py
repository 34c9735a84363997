"""The streaming VOTable writer, checked against astropy, the XSDs and pyvo."""

from __future__ import annotations

import base64
import decimal
import inspect
import io
import warnings
from collections.abc import Generator, Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from lxml import etree
from pyvo.dal.exceptions import DALOverflowWarning, DALQueryError
from pyvo.dal.query import DALResults

from vo_service.faults import TimeoutFault, UsageFault
from vo_service.metadata import ColumnMeta
from vo_service.store.base import QueryTimeout, StoreError
from vo_service.votable import writer
from vo_service.votable.envelope import Info, Param
from vo_service.votable.fields import VOTABLE_NS, CooSys, Encoding, TimeSys, resolve_field
from vo_service.votable.writer import prime, write_votable

from .oracle import (
    ALL_TYPES,
    assert_cells_equal,
    expected_cells,
    parse_votable,
    query_statuses,
    split_batches,
    table_cells,
    to_batch,
    xsd_errors,
)

ENCODINGS = ("binary2", "binary", "tabledata")
VERSIONS = ("1.4", "1.5")
SPECS = [resolve_field(c) for c in ALL_TYPES]
NS = {"v": VOTABLE_NS}


def document(*args: Any, **kwargs: Any) -> bytes:
    return b"".join(write_votable(*args, **kwargs))


def dal_results(doc: bytes) -> DALResults:
    return DALResults(parse_votable(doc), url="http://example.org/test")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_round_trip_every_datatype(rows: list[dict[str, Any]], encoding: str, version: str) -> None:
    doc = document(ALL_TYPES, split_batches(rows, [50, 0, 1, 64]), encoding=encoding, version=version)
    assert xsd_errors(doc, version) == []
    assert_cells_equal(table_cells(doc), expected_cells(rows), SPECS)
    assert query_statuses(doc) == [("OK", "")]
    root = etree.fromstring(doc)
    assert root.get("version") == version
    assert root.tag == f"{{{VOTABLE_NS}}}VOTABLE"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_output_does_not_depend_on_batch_boundaries(
    rows: list[dict[str, Any]], encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = document(ALL_TYPES, [to_batch(rows)], encoding=encoding)
    monkeypatch.setattr(writer, "CHUNK_ROWS", 7)
    pieces = document(ALL_TYPES, split_batches(rows, [1, 2, 3, 0, 5, 8, 13, 21]), encoding=encoding)
    assert pieces == whole


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_empty_result_has_fields_and_no_rows(encoding: str) -> None:
    for batches in ([], [to_batch([])]):
        doc = document(ALL_TYPES, batches, encoding=encoding)
        table = parse_votable(doc).get_first_table()
        assert len(table.array) == 0
        assert [f.name for f in table.fields] == [c.name for c in ALL_TYPES]
        assert query_statuses(doc) == [("OK", "")]
        assert xsd_errors(doc, "1.4") == []


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_overflow_is_reported_after_the_table(rows: list[dict[str, Any]], encoding: str) -> None:
    doc = document(ALL_TYPES, split_batches(rows, [30, 30]), encoding=encoding, max_records=45)
    assert_cells_equal(table_cells(doc), expected_cells(rows[:45]), SPECS)
    assert [status for status, _ in query_statuses(doc)] == ["OK", "OVERFLOW"]
    resource = etree.fromstring(doc).find("v:RESOURCE", NS)
    children = [etree.QName(child).localname for child in resource]
    assert children.index("TABLE") < len(children) - 1
    assert resource[-1].get("value") == "OVERFLOW"
    assert xsd_errors(doc, "1.4") == []
    with pytest.warns(DALOverflowWarning):
        results = dal_results(doc)
    assert len(results) == 45


@pytest.mark.parametrize(("max_records", "sizes", "overflow"), [(60, [30, 30], False), (60, [30, 30, 1], True)])
def test_overflow_only_when_another_row_exists(
    rows: list[dict[str, Any]], max_records: int, sizes: list[int], overflow: bool
) -> None:
    batches = [to_batch(rows[sum(sizes[:i]) : sum(sizes[: i + 1])]) for i in range(len(sizes))]
    doc = document(ALL_TYPES, [*batches, to_batch([])], max_records=max_records)
    assert len(parse_votable(doc).get_first_table().array) == min(max_records, sum(sizes))
    assert ("OVERFLOW" in [s for s, _ in query_statuses(doc)]) is overflow


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_prepared_template_streams_each_document_afresh(rows: list[dict[str, Any]], encoding: Encoding) -> None:
    template = writer.prepare_votable(ALL_TYPES, encoding=encoding, coosys=CooSys(), table_name="t")
    overflowing = b"".join(template.stream([to_batch(rows)], max_records=10))
    complete = b"".join(template.stream(split_batches(rows, [3, 4])))
    assert overflowing == document(ALL_TYPES, [to_batch(rows)], encoding=encoding, coosys=CooSys(), table_name="t",
                                   max_records=10)
    assert complete == document(ALL_TYPES, [to_batch(rows)], encoding=encoding, coosys=CooSys(), table_name="t")
    assert [s for s, _ in query_statuses(complete)] == ["OK"]
    assert_cells_equal(table_cells(complete), expected_cells(rows), SPECS)


def test_maxrec_zero_reads_nothing_and_overflows() -> None:
    def batches() -> Generator[pa.RecordBatch, None, None]:
        raise AssertionError("MAXREC=0 must not fetch rows")
        yield  # pragma: no cover - makes this a generator

    source = batches()
    doc = document(ALL_TYPES, source, max_records=0)
    assert [s for s, _ in query_statuses(doc)] == ["OK", "OVERFLOW"]
    assert len(parse_votable(doc).get_first_table().array) == 0
    assert inspect.getgeneratorstate(source) == inspect.GEN_CLOSED


def test_source_is_closed_once_the_limit_is_reached(rows: list[dict[str, Any]]) -> None:
    state: dict[str, Any] = {"produced": 0, "closed": False}

    def endless() -> Iterator[pa.RecordBatch]:
        try:
            while True:
                state["produced"] += 1
                yield to_batch(rows[:10])
        finally:
            state["closed"] = True

    doc = document(ALL_TYPES, endless(), max_records=25)
    assert len(parse_votable(doc).get_first_table().array) == 25
    assert state == {"produced": 3, "closed": True}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(
    ("error", "message"),
    [
        (QueryTimeout("The query exceeded the execution time limit of 5 s"), "execution time limit of 5 s"),
        (TimeoutFault("Query timed out after 5 s"), "Query timed out after 5 s"),
        (StoreError("Conversion Error: could not convert"), "Conversion Error: could not convert"),
    ],
)
def test_error_after_output_started_is_reported_in_band(
    rows: list[dict[str, Any]], encoding: str, error: Exception, message: str
) -> None:
    def failing() -> Iterator[pa.RecordBatch]:
        yield to_batch(rows[:20])
        yield to_batch(rows[20:30])
        raise error

    doc = document(ALL_TYPES, failing(), encoding=encoding)
    assert xsd_errors(doc, "1.4") == []
    assert_cells_equal(table_cells(doc), expected_cells(rows[:30]), SPECS)
    statuses = query_statuses(doc)
    assert statuses[0] == ("OK", "")
    assert statuses[-1][0] == "ERROR"
    assert message in statuses[-1][1]
    with pytest.raises(DALQueryError, match=r"time|Conversion"):
        dal_results(doc)


def test_unexpected_errors_are_hidden_from_users_but_reported(rows: list[dict[str, Any]]) -> None:
    seen: list[BaseException] = []

    def failing() -> Iterator[pa.RecordBatch]:
        yield to_batch(rows[:5])
        raise RuntimeError("secret internal detail")

    doc = document(ALL_TYPES, failing(), on_error=seen.append)
    status, text = query_statuses(doc)[-1]
    assert status == "ERROR"
    assert "secret" not in text
    assert text == "Internal error while writing the result table"
    assert len(seen) == 1
    assert isinstance(seen[0], RuntimeError)


def test_column_count_mismatch_is_an_in_band_error(rows: list[dict[str, Any]]) -> None:
    doc = document(ALL_TYPES[:3], [to_batch(rows[:5])])
    status, text = query_statuses(doc)[-1]
    assert status == "ERROR"
    assert "16 columns, 3 were declared" in text


def test_errors_before_the_first_byte_propagate(rows: list[dict[str, Any]]) -> None:
    def failing() -> Iterator[pa.RecordBatch]:
        raise UsageFault("Column foo does not exist")
        yield  # pragma: no cover - makes this a generator

    chunks = write_votable(ALL_TYPES, failing())
    with pytest.raises(UsageFault, match="foo"):
        prime(chunks)


def test_prime_keeps_the_whole_stream(rows: list[dict[str, Any]]) -> None:
    direct = document(ALL_TYPES, [to_batch(rows)])
    primed = b"".join(prime(write_votable(ALL_TYPES, [to_batch(rows)])))
    assert primed == direct


def test_arguments_are_checked_before_streaming() -> None:
    with pytest.raises(ValueError, match="encoding"):
        write_votable(ALL_TYPES, [], encoding="fits")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="version"):
        write_votable(ALL_TYPES, [], version="1.3")
    with pytest.raises(ValueError, match="at least one column"):
        write_votable([], [])
    with pytest.raises(ValueError, match="max_records"):
        write_votable(ALL_TYPES, [], max_records=-1)
    with pytest.raises(ValueError, match="undeclared system"):
        write_votable(ALL_TYPES, [], refs={"ra": "nowhere"})


def _service_descriptor() -> Any:
    resource = etree.Element("RESOURCE", type="meta", utype="adhoc:service", ID="cutout")
    etree.SubElement(resource, "PARAM", name="accessURL", datatype="char", arraysize="*", value="http://x/soda")
    group = etree.SubElement(resource, "GROUP", name="inputParams")
    etree.SubElement(group, "PARAM", name="ID", datatype="char", arraysize="*", value="", ref="id")
    return resource


@pytest.mark.parametrize("version", VERSIONS)
def test_envelope_metadata(rows: list[dict[str, Any]], version: str) -> None:
    coosys = CooSys(refposition="BARYCENTER")
    timesys = [
        TimeSys(timescale="TT", refposition="TOPOCENTER", timeorigin="MJD-origin", id="tt_mjd"),
        TimeSys(timescale="UTC", refposition="TOPOCENTER", id="utc_iso"),
    ]
    columns = [
        *ALL_TYPES,
        ColumnMeta(name="t_min", datatype="double", unit="d", ucd="time.start;obs.exposure"),
    ]
    batch = to_batch(rows[:3]).append_column("t_min", pa.array([54000.5, None, 54001.0]))
    doc = document(
        columns,
        [batch],
        version=version,
        resource_infos=[Info("standardID", "ivo://ivoa.net/std/TAP"), Info("QUERY", "SELECT * FROM x")],
        table_infos=[Info("citation", "2009A&A...506..411B", ucd="meta.bib.bibcode")],
        params=[
            Param(ColumnMeta(name="maxrec", datatype="int"), 3),
            Param(ColumnMeta(name="center", datatype="double", xtype="point"), (10.0, -20.5)),
            Param(ColumnMeta(name="missing", datatype="long"), None),
        ],
        resource_params=[Param(ColumnMeta(name="band", datatype="char", arraysize="*"), "white")],
        coosys=coosys,
        timesys=timesys,
        query_status_extra="Query successful",
        extra_resources=[_service_descriptor()],
        table_name="results",
        description="CoRoT results & more",
    )
    assert xsd_errors(doc, version) == []
    votable = parse_votable(doc)
    results, meta = votable.resources
    assert results.type == "results"
    assert meta.type == "meta"
    assert meta.utype == "adhoc:service"
    assert [i.name for i in results.infos] == ["QUERY_STATUS", "standardID", "QUERY"]
    assert results.infos[0].content == "Query successful"
    table = results.tables[0]
    assert table.name == "results"
    assert table.description == "CoRoT results & more"
    assert table.infos[0].value == "2009A&A...506..411B"
    params = {p.name: p for p in table.params}
    assert params["maxrec"].value == 3
    assert list(params["center"].value) == [10.0, -20.5]
    assert params["missing"].values.null == params["missing"].value == -(2**63)
    assert results.params[0].value == "white"
    fields = {f.name: f for f in table.fields}
    assert fields["ra"].ref == "coosys"
    assert fields["pos"].ref == "coosys"
    assert fields["obs_date"].ref == "utc_iso"
    assert fields["t_min"].ref == "tt_mjd"
    assert fields["id"].ref is None
    assert fields["label"].description == "A <label> & more"
    assert fields["pos"].arraysize == "2"
    assert fields["footprint"].arraysize == "*"
    root = etree.fromstring(doc)
    coosys_element = root.find("v:RESOURCE/v:COOSYS", NS)
    assert coosys_element.get("system") == "ICRS"
    assert coosys_element.get("epoch") == "J2000"
    assert (coosys_element.get("refposition") is not None) is (version == "1.5")
    assert root.find("v:RESOURCE/v:TIMESYS[@ID='tt_mjd']", NS).get("timeorigin") == "MJD-origin"
    assert root.find("v:RESOURCE/v:TIMESYS[@ID='utc_iso']", NS).get("timeorigin") is None
    assert b'xmlns="' + VOTABLE_NS.encode() + b'"' in doc.split(b">", 2)[1]
    assert doc.count(b"xmlns=") == 1


def test_explicit_refs_override_the_defaults(rows: list[dict[str, Any]]) -> None:
    doc = document(ALL_TYPES, [to_batch(rows[:2])], coosys=CooSys(), refs={"ra": None, "pos": "coosys"})
    fields = {f.name: f for f in parse_votable(doc).get_first_table().fields}
    assert fields["ra"].ref is None
    assert fields["pos"].ref == "coosys"


def test_field_ids_stay_unique_next_to_other_ids() -> None:
    columns = [
        ColumnMeta(name="coosys", datatype="double", ucd="pos.eq.ra"),
        ColumnMeta(name="cutout", datatype="int"),
        ColumnMeta(name="x", datatype="int"),
    ]
    doc = document(columns, [], coosys=CooSys(), extra_resources=[_service_descriptor()])
    assert xsd_errors(doc, "1.4") == []
    root = etree.fromstring(doc)
    ids = [e.get("ID") for e in root.iter() if e.get("ID")]
    assert sorted(ids) == ["coosys", "cutout", "x"]
    assert root.find(".//v:FIELD[@name='coosys']", NS).get("ref") == "coosys"


def _tabledata_cells(doc: bytes) -> list[list[str]]:
    root = etree.fromstring(doc)
    return [[td.text or "" for td in tr] for tr in root.iterfind(".//v:TABLEDATA/v:TR", NS)]


def test_tabledata_nulls_nan_and_infinities_are_distinct() -> None:
    columns = [ColumnMeta(name="f", datatype="float"), ColumnMeta(name="i", datatype="int")]
    batch = pa.record_batch(
        [pa.array([float("nan"), None, float("inf"), -float("inf"), 1e-7], pa.float32()), pa.array([1, None, 3, 4, 5])],
        names=["f", "i"],
    )
    cells = _tabledata_cells(document(columns, [batch], encoding="tabledata"))
    assert cells == [["NaN", "1"], ["", ""], ["+Inf", "3"], ["-Inf", "4"], ["1e-7", "5"]]


def test_binary2_flags_nulls_but_not_nan() -> None:
    columns = [ColumnMeta(name=f"c{i}", datatype="double") for i in range(9)]
    values = [pa.array([float("nan"), None]) for _ in range(9)]
    doc = document(columns, [pa.record_batch(values, names=[c.name for c in columns])])
    raw = base64.b64decode(etree.fromstring(doc).find(".//v:STREAM", NS).text)
    row_bytes = 2 + 9 * 8
    assert len(raw) == 2 * row_bytes
    assert raw[0:2] == b"\x00\x00"  # NaN is a value, not a null
    assert raw[row_bytes : row_bytes + 2] == b"\xff\x80"  # 9 null bits, MSB first, padding zero
    assert np.isnan(np.frombuffer(raw[2:row_bytes], dtype=">f8")).all()


def test_tabledata_escapes_markup_and_drops_illegal_characters() -> None:
    columns = [
        ColumnMeta(name="s", datatype="char", arraysize="*"),
        ColumnMeta(name="u", datatype="unicodeChar", arraysize="*"),
    ]
    texts = ["a<b>&c", "]]> end", "ctrl\x01\x02x", "cr\rlf\n", "  spaced  ", "nul\x00"]
    unicode = ["\ufffe\uffffz", "é<", "", "\x0b", "tab\t", "x"]
    batch = pa.record_batch([pa.array(texts), pa.array(unicode)], names=["s", "u"])
    doc = document(columns, [batch], encoding="tabledata")
    parse_votable(doc)
    cells = _tabledata_cells(doc)
    assert [row[0] for row in cells] == ["a<b>&c", "]]> end", "ctrlx", "cr\rlf\n", "  spaced  ", "nul"]
    assert [row[1] for row in cells] == ["z", "é<", "", "", "tab\t", "x"]
    assert b"&lt;b&gt;&amp;c" in doc
    assert b"&#13;" in doc


def test_char_is_ascii_and_unicode_char_is_ucs2() -> None:
    columns = [
        ColumnMeta(name="c", datatype="char", arraysize="*"),
        ColumnMeta(name="u", datatype="unicodeChar", arraysize="*"),
        ColumnMeta(name="u3", datatype="unicodeChar", arraysize="3"),
    ]
    batch = pa.record_batch(
        [pa.array(["Déjà vu °C", "naïve"]), pa.array(["Déjà 😀", "日本"]), pa.array(["αβγδ", "z"])],
        names=["c", "u", "u3"],
    )
    for encoding in ENCODINGS:
        array = parse_votable(document(columns, [batch], encoding=encoding)).get_first_table().array
        assert list(array["c"]) == ["Deja vu ?C", "naive"], encoding
        assert list(array["u"]) == ["Déjà \ufffd", "日本"], encoding
        assert list(array["u3"]) == ["αβγ", "z"], encoding


def test_timestamps_from_arrow_types_and_strings() -> None:
    columns = [ColumnMeta(name="t", datatype="char", xtype="timestamp")]
    inputs = [
        (pa.array([0, 1_500_000, None], pa.timestamp("us")), ["1970-01-01T00:00:00", "1970-01-01T00:00:01.5", ""]),
        (pa.array([0, 86_400], pa.timestamp("s", tz="Europe/Paris")), ["1970-01-01T00:00:00", "1970-01-02T00:00:00"]),
        (pa.array([1, 2], pa.timestamp("ns")), ["1970-01-01T00:00:00.000000001", "1970-01-01T00:00:00.000000002"]),
        (pa.array([0, 365], pa.date32()), ["1970-01-01", "1971-01-01"]),
        (
            pa.array(["2008-01-02 03:04:05", "2008-01-02", "2008-01-02T03:04:05+00"]),
            ["2008-01-02T03:04:05", "2008-01-02", "2008-01-02T03:04:05"],
        ),
    ]  # fmt: skip
    for array, expected in inputs:
        for encoding in ENCODINGS:
            doc = document(columns, [pa.record_batch([array], names=["t"])], encoding=encoding)
            assert list(parse_votable(doc).get_first_table().array["t"]) == expected, (array.type, encoding)


def test_columns_arrive_in_other_arrow_types() -> None:
    columns = [
        ColumnMeta(name="d", datatype="double"),
        ColumnMeta(name="i", datatype="int"),
        ColumnMeta(name="s", datatype="char", arraysize="*"),
        ColumnMeta(name="n", datatype="long"),
        ColumnMeta(name="p", datatype="double", xtype="polygon"),
    ]
    batch = pa.record_batch(
        [
            pa.array([decimal.Decimal("1.25"), None], pa.decimal128(10, 2)),
            pa.array([7, 8], pa.int64()),
            pa.array(["large", None], pa.large_string()),
            pa.nulls(2),
            pa.array([[1, 2, 3, 4, 5, 6], None], pa.large_list(pa.float32())),
        ],
        names=["d", "i", "s", "n", "p"],
    )
    for encoding in ENCODINGS:
        array = parse_votable(document(columns, [batch], encoding=encoding)).get_first_table().array
        assert array["d"][0] == 1.25
        assert np.ma.is_masked(array["d"][1])
        assert list(array["i"]) == [7, 8]
        assert array["s"][0] == "large"
        assert np.ma.is_masked(array["n"][0])
        assert list(array["p"][0]) == [1, 2, 3, 4, 5, 6]


def test_out_of_range_values_fail_in_band() -> None:
    columns = [ColumnMeta(name="i", datatype="short")]
    doc = document(columns, [pa.record_batch([pa.array([1, 70_000])], names=["i"])])
    status, text = query_statuses(doc)[-1]
    assert status == "ERROR"
    assert "70000" in text


def test_wrong_geometry_length_fails_in_band() -> None:
    columns = [ColumnMeta(name="p", datatype="double", xtype="point")]
    doc = document(columns, [pa.record_batch([pa.array([[1.0, 2.0, 3.0]])], names=["p"])])
    status, text = query_statuses(doc)[-1]
    assert status == "ERROR"
    assert "requires 2" in text


def test_pyvo_reads_a_successful_result(rows: list[dict[str, Any]]) -> None:
    doc = document(ALL_TYPES, [to_batch(rows[:10])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = dal_results(doc)
    assert len(results) == 10
    assert results.fieldnames[:3] == ("id", "ubyte", "small")
    assert list(results["id"][:3]) == [0, 1, 2]


def test_chunks_are_bytes_and_the_head_comes_first(rows: list[dict[str, Any]]) -> None:
    chunks = list(write_votable(ALL_TYPES, split_batches(rows, [100, 100])))
    assert all(isinstance(c, bytes) for c in chunks)
    assert chunks[0].startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert chunks[0].rstrip().endswith(b'<STREAM encoding="base64">')
    assert len(chunks) >= 4
    assert io.BytesIO(b"".join(chunks)).read().endswith(b"</VOTABLE>\n")
