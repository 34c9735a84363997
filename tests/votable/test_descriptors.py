"""DataLink service descriptors (DataLink 1.1 §4) rendered from their models, compared structurally."""

from __future__ import annotations

from typing import Any

from lxml import etree

from ssa.descriptors import CutoutRanges, soda_descriptor
from vo_service.votable.descriptors import links_descriptor


def canonical(element: Any) -> bytes:
    """A tree without insignificant whitespace, in canonical form."""
    parser = etree.XMLParser(remove_blank_text=True)
    return bytes(etree.tostring(etree.fromstring(etree.tostring(element), parser), method="c14n"))


def test_links_descriptor() -> None:
    rendered = links_descriptor("http://x/ssa/datalink", "publisher_did", "The {links} service.",
                                example_id="ivo://corot.vo/~?a b").element()
    expected = etree.fromstring(
        b"""<RESOURCE type="meta" utype="adhoc:service" name="datalink">
          <DESCRIPTION>The {links} service.</DESCRIPTION>
          <PARAM name="standardID" datatype="char" arraysize="*" value="ivo://ivoa.net/std/DataLink#links-1.1"/>
          <PARAM name="accessURL" datatype="char" arraysize="*" ucd="meta.ref.url" value="http://x/ssa/datalink"/>
          <PARAM name="contentType" datatype="char" arraysize="*"
                 value="application/x-votable+xml;content=datalink"/>
          <PARAM name="exampleURL" datatype="char" arraysize="*"
                 value="http://x/ssa/datalink?ID=ivo%3A%2F%2Fcorot.vo%2F~%3Fa%20b"/>
          <GROUP name="inputParams">
            <PARAM name="ID" datatype="char" arraysize="*" ucd="meta.id;meta.main" ref="publisher_did" value=""/>
          </GROUP>
        </RESOURCE>""")
    assert canonical(rendered) == canonical(expected)


def test_soda_descriptor_with_a_fixed_id() -> None:
    ranges = CutoutRanges(54000.5, 54100.25, 3.7e-7, 1e-6, ("white", "red"))
    rendered = soda_descriptor("http://x/ssa/soda", ranges, id_value="ivo://corot.vo/~?p1", xml_id="soda-1").element()
    assert rendered.get("ID") == "soda-1" and rendered.get("name") == "cutout-soda-1"
    assert rendered.get("type") == "meta" and rendered.get("utype") == "adhoc:service"
    params = {p.get("name"): p for p in rendered.iterfind("GROUP[@name='inputParams']/PARAM")}
    assert list(params) == ["ID", "TIME", "BAND", "COLOUR", "RESPONSEFORMAT"]
    assert params["ID"].get("value") == "ivo://corot.vo/~?p1" and params["ID"].get("ref") is None
    time = params["TIME"]
    assert (time.get("datatype"), time.get("arraysize"), time.get("xtype"), time.get("value")) == \
        ("double", "2", "interval", "")
    assert [time.find("VALUES/MIN").get("value"), time.find("VALUES/MAX").get("value")] == ["54000.5", "54100.25"]
    assert [o.get("value") for o in params["COLOUR"].iterfind("VALUES/OPTION")] == ["white", "red"]
    assert [o.get("value") for o in params["RESPONSEFORMAT"].iterfind("VALUES/OPTION")] == \
        ["application/fits", "application/x-votable+xml", "text/csv"]
    standard = rendered.find("PARAM[@name='standardID']")
    assert standard.get("value") == "ivo://ivoa.net/std/SODA#sync-1.0"
