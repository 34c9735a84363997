"""Column descriptions → FIELD attributes (VOTable 1.4 §4, DALI 1.1 §3.3)."""

from __future__ import annotations

import pytest
from lxml import etree

from vo_service.metadata import ColumnMeta, load_catalogue
from vo_service.votable.fields import (
    VOTABLE_NS,
    CooSys,
    Encoding,
    TimeSys,
    field_element,
    field_ids,
    resolve_field,
    resolve_refs,
)

NS = {"v": VOTABLE_NS}


@pytest.mark.parametrize(
    ("column", "datatype", "arraysize", "count"),
    [
        (ColumnMeta(name="s", datatype="char"), "char", "*", None),
        (ColumnMeta(name="s", datatype="char", arraysize="16*"), "char", "16*", None),
        (ColumnMeta(name="s", datatype="unicodeChar", arraysize="8"), "unicodeChar", "8", 8),
        (ColumnMeta(name="t", datatype="char", xtype="timestamp"), "char", "*", None),
        (ColumnMeta(name="t", datatype="double", xtype="timestamp"), "char", "*", None),
        (ColumnMeta(name="p", datatype="double", xtype="point"), "double", "2", 2),
        (ColumnMeta(name="p", datatype="float", arraysize="*", xtype="point"), "float", "2", 2),
        (ColumnMeta(name="c", datatype="double", xtype="circle"), "double", "3", 3),
        (ColumnMeta(name="g", datatype="char", xtype="polygon"), "double", "*", None),
        (ColumnMeta(name="m", datatype="int", arraysize="2x3"), "int", "2x3", 6),
        (ColumnMeta(name="x", datatype="long"), "long", None, 1),
    ],
)
def test_resolved_datatype_and_arraysize(
    column: ColumnMeta, datatype: str, arraysize: str | None, count: int | None
) -> None:
    spec = resolve_field(column)
    assert (spec.datatype, spec.arraysize, spec.count) == (datatype, arraysize, count)


def test_bounded_variable_arraysize_keeps_its_bound() -> None:
    spec = resolve_field(ColumnMeta(name="s", datatype="char", arraysize="16*"))
    assert spec.is_variable
    assert spec.max_count == 16


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (ColumnMeta(name="z", datatype="doubleComplex"), "cannot be written"),
        (ColumnMeta(name="b", datatype="bit", arraysize="8"), "cannot be written"),
        (ColumnMeta(name="a", datatype="int", arraysize="2x*"), "not supported"),
        (ColumnMeta(name="f", datatype="boolean", arraysize="3"), "boolean arrays"),
    ],
)
def test_unsupported_columns_are_refused(column: ColumnMeta, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_field(column)


def test_field_element_attributes_and_description() -> None:
    column = ColumnMeta(
        name="ra",
        datatype="double",
        unit="deg",
        ucd="pos.eq.ra;meta.main",
        utype="stc:AstroCoords.Position2D.Value2.C1",
        description="Right ascension \x01(ICRS)",
    )
    element = field_element(resolve_field(column), encoding="binary2", field_id="ra", ref="coosys")
    assert etree.QName(element).namespace == VOTABLE_NS
    assert dict(element.attrib) == {
        "name": "ra",
        "ID": "ra",
        "datatype": "double",
        "unit": "deg",
        "ucd": "pos.eq.ra;meta.main",
        "utype": "stc:AstroCoords.Position2D.Value2.C1",
        "ref": "coosys",
    }
    assert element.findtext("v:DESCRIPTION", namespaces=NS) == "Right ascension (ICRS)"
    assert element.find("v:VALUES", NS) is None


@pytest.mark.parametrize(
    ("datatype", "null"),
    [("unsignedByte", "255"), ("short", "-32768"), ("int", "-2147483648"), ("long", "-9223372036854775808")],
)
def test_binary_integers_declare_a_magic_null(datatype: str, null: str) -> None:
    spec = resolve_field(ColumnMeta.model_validate({"name": "n", "datatype": datatype}))
    assert field_element(spec, encoding="binary").find("v:VALUES", NS).get("null") == null
    encodings: tuple[Encoding, ...] = ("binary2", "tabledata")
    for encoding in encodings:
        assert field_element(spec, encoding=encoding).find("v:VALUES", NS) is None


def test_floats_never_declare_a_magic_null() -> None:
    spec = resolve_field(ColumnMeta(name="f", datatype="double"))
    assert field_element(spec, encoding="binary").find("v:VALUES", NS) is None


def test_default_refs_follow_ucds_and_representations() -> None:
    columns = [
        ColumnMeta(name="ra", datatype="double", ucd="pos.eq.ra;meta.main"),
        ColumnMeta(name="dec", datatype="double", ucd="pos.eq.dec"),
        ColumnMeta(name="glon", datatype="double", ucd="pos.galactic.lon"),
        ColumnMeta(name="poly", datatype="double", xtype="polygon"),
        ColumnMeta(name="mjd", datatype="double", ucd="time.epoch;obs"),
        ColumnMeta(name="dur", datatype="double", ucd="time.duration"),
        ColumnMeta(name="iso", datatype="char", xtype="timestamp", ucd="time.start"),
        ColumnMeta(name="name", datatype="char", arraysize="*", ucd="meta.id"),
    ]
    specs = [resolve_field(c) for c in columns]
    timesys = [TimeSys("TT", "TOPOCENTER", "MJD-origin", id="mjd_tt"), TimeSys("UTC", "TOPOCENTER", id="utc")]
    refs = resolve_refs(specs, CooSys(id="icrs"), timesys)
    assert refs == ["icrs", "icrs", None, "icrs", "mjd_tt", None, "utc", None]
    assert resolve_refs(specs, None, ()) == [None] * len(specs)
    iso_only = resolve_refs(specs, None, [TimeSys("UTC", "TOPOCENTER", id="utc")])
    assert iso_only[4] is None
    assert iso_only[6] == "utc"


def test_field_ids_avoid_reserved_and_invalid_names() -> None:
    specs = [resolve_field(ColumnMeta(name=n, datatype="int")) for n in ("coosys", "a", "b")]
    assert field_ids(specs, {"coosys"}) == [None, "a", "b"]


def test_coosys_and_timesys_elements() -> None:
    coosys = CooSys(refposition="BARYCENTER")
    assert dict(coosys.element("1.4").attrib) == {"ID": "coosys", "system": "ICRS", "epoch": "J2000"}
    assert coosys.element("1.5").get("refposition") == "BARYCENTER"
    timesys = TimeSys(timescale="TT", refposition="TOPOCENTER", timeorigin=2400000.5)
    assert dict(timesys.element().attrib) == {
        "ID": "timesys",
        "timeorigin": "2400000.5",
        "timescale": "TT",
        "refposition": "TOPOCENTER",
    }


def test_every_catalogue_column_resolves() -> None:
    for table in load_catalogue().tables():
        for column in table.columns:
            spec = resolve_field(column)
            assert spec.datatype in {
                "char",
                "unicodeChar",
                "double",
                "float",
                "int",
                "long",
                "short",
                "boolean",
                "unsignedByte",
            }
            if column.datatype == "char":
                assert spec.arraysize is not None
