"""DALI and SCS 1.03 error documents, checked with the XSDs, astropy and pyvo."""

from __future__ import annotations

import pytest
from lxml import etree
from pyvo.dal.exceptions import DALQueryError
from pyvo.dal.query import DALResults
from pyvo.dal.scs import SCSResults

from vo_service.faults import NotFoundFault, UsageFault
from vo_service.votable.envelope import Info
from vo_service.votable.errors import error_votable, fault_text, scs_error_votable
from vo_service.votable.fields import VOTABLE_NS

from .oracle import parse_votable, query_statuses, xsd_errors

NS = {"v": VOTABLE_NS}


@pytest.mark.parametrize("version", ["1.4", "1.5"])
def test_dali_error_document(version: str) -> None:
    doc = error_votable(UsageFault("Unknown column 'foo' in SELECT <list> & co"), version=version)
    assert xsd_errors(doc, version) == []
    votable = parse_votable(doc)
    assert votable.version == version
    (resource,) = votable.resources
    assert resource.type == "results"
    assert resource.tables == []
    assert query_statuses(doc) == [("ERROR", "Unknown column 'foo' in SELECT <list> & co")]
    with pytest.raises(DALQueryError, match="Unknown column 'foo'"):
        DALResults(votable, url="http://example.org/tap/sync")


def test_hint_follows_the_message_and_extra_infos_follow_the_status() -> None:
    fault = NotFoundFault("No such product CoRoT-123", hint="Product identifiers look like 'ivo://...'.")
    doc = error_votable(fault, extra_infos=[Info("standardID", "ivo://ivoa.net/std/SSA")])
    infos = etree.fromstring(doc).findall("v:RESOURCE/v:INFO", NS)
    assert [i.get("name") for i in infos] == ["QUERY_STATUS", "standardID"]
    assert infos[0].text == "No such product CoRoT-123\nProduct identifiers look like 'ivo://...'."


def test_plain_messages_and_exceptions() -> None:
    assert fault_text("plain text") == "plain text"
    assert fault_text(ValueError("bad value")) == "bad value"
    assert fault_text(ValueError()) == "ValueError"
    assert query_statuses(error_votable("control \x01 character"))[0] == ("ERROR", "control  character")


def test_scs_error_document() -> None:
    doc = scs_error_votable(UsageFault("RA must be between 0 and 360"))
    assert xsd_errors(doc, "1.4") == []
    root = etree.fromstring(doc)
    (error,) = root.findall("v:INFO", NS)
    assert (error.get("name"), error.get("ID"), error.get("value")) == (
        "Error",
        "Error",
        "RA must be between 0 and 360",
    )
    assert len([e for e in root.iter() if e.get("name") == "Error"]) == 1
    assert query_statuses(doc) == [("ERROR", "RA must be between 0 and 360")]
    votable = parse_votable(doc)
    with pytest.raises(DALQueryError, match="RA must be between 0 and 360"):
        SCSResults(votable, url="http://example.org/scs")
    with pytest.raises(DALQueryError, match="RA must be between 0 and 360"):
        DALResults(votable, url="http://example.org/scs")


def test_scs_error_refuses_a_second_error_info() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        scs_error_votable("x", extra_infos=[Info("Error", "again")])


def test_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        error_votable("x", version="1.1")
