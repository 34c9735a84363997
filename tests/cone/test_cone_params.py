"""SCS 1.03 §2 parameter rules: what is a valid cone search, what is an error."""

from __future__ import annotations

import pytest

from cone.params import SCS_MEDIA_TYPE, ConeError, ConeRequest, parse_cone_request, parse_output
from vo_service.params import DaliParams


def parse(**params: str) -> ConeRequest:
    return parse_cone_request(DaliParams(params.items()), max_sr=10.0, default_verb=2,
                              default_maxrec=100, hard_maxrec=1000)


def test_valid_search_with_defaults() -> None:
    request = parse(RA="102.5", DEC="-3.1", SR="0.1")
    assert (request.ra, request.dec, request.sr) == (102.5, -3.1, 0.1)
    assert request.verb == 2
    assert request.maxrec == 100
    assert request.output.encoding == "binary2"
    assert request.output.media_type == SCS_MEDIA_TYPE
    assert not request.metadata_only


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"DEC": "0", "SR": "1"}, "RA is required"),
        ({"RA": "0", "SR": "1"}, "DEC is required"),
        ({"RA": "0", "DEC": "0"}, "SR is required"),
        ({"RA": "", "DEC": "0", "SR": "1"}, "RA is required"),
        ({"RA": "as3f", "DEC": "0", "SR": "1"}, "not a valid decimal number"),
        ({"RA": "0", "DEC": "north", "SR": "1"}, "not a valid decimal number"),
        ({"RA": "nan", "DEC": "0", "SR": "1"}, "not a finite number"),
        ({"RA": "0", "DEC": "0", "SR": "inf"}, "not a finite number"),
        ({"RA": "360.5", "DEC": "0", "SR": "1"}, "RA=360.5 is out of range"),
        ({"RA": "-0.1", "DEC": "0", "SR": "1"}, "out of range"),
        ({"RA": "10", "DEC": "91", "SR": "1"}, "DEC=91 is out of range"),
        ({"RA": "10", "DEC": "-90.01", "SR": "1"}, "out of range"),
        ({"RA": "10", "DEC": "0", "SR": "-1"}, "negative"),
        ({"RA": "10", "DEC": "0", "SR": "10.5"}, "exceeds the largest search radius"),
        ({"RA": "10", "DEC": "0", "SR": "1", "VERB": "4"}, "VERB='4' is not valid"),
        ({"RA": "10", "DEC": "0", "SR": "1", "VERB": "two"}, "VERB"),
        ({"RA": "10", "DEC": "0", "SR": "1", "MAXREC": "-1"}, "expected a non-negative integer"),
        ({"RA": "10", "DEC": "0", "SR": "1", "MAXREC": "ten"}, "expected a non-negative integer"),
        ({"RA": "10", "DEC": "0", "SR": "1", "RESPONSEFORMAT": "text/html"}, "not supported"),
    ],
)
def test_invalid_searches_are_errors(params: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConeError) as caught:
        parse(**params)
    assert fragment in caught.value.message


def test_range_limits_are_inclusive() -> None:
    for ra, dec in (("0", "-90"), ("360", "90")):
        assert parse(RA=ra, DEC=dec, SR="10").sr == 10.0


def test_sr_zero_is_a_metadata_query_not_an_error() -> None:
    assert parse(RA="10", DEC="0", SR="0").metadata_only


def test_verb_and_maxrec() -> None:
    assert parse(RA="10", DEC="0", SR="1", VERB="3").verb == 3
    assert parse(RA="10", DEC="0", SR="1", MAXREC="0").maxrec == 0
    assert parse(RA="10", DEC="0", SR="1", MAXREC="5000").maxrec == 1000  # clipped to the hard limit


def test_conflicting_repeats_are_errors() -> None:
    with pytest.raises(ConeError, match="different values"):
        parse_cone_request(DaliParams([("RA", "1"), ("ra", "2"), ("DEC", "0"), ("SR", "1")]), max_sr=10, default_verb=2,
                           default_maxrec=10, hard_maxrec=10)


@pytest.mark.parametrize(
    ("value", "encoding", "media_type"),
    [
        ("votable", "binary2", SCS_MEDIA_TYPE),
        ("text/xml", "binary2", "text/xml"),
        ("application/x-votable+xml;serialization=tabledata", "tabledata",
         "application/x-votable+xml;serialization=tabledata"),
        ("application/x-votable+xml", "binary2", "application/x-votable+xml"),
        ("application/x-votable+xml;serialization=BINARY2", "binary2",
         "application/x-votable+xml;serialization=BINARY2"),
        ("application/x-votable+xml; serialization=binary", "binary",
         "application/x-votable+xml; serialization=binary"),
    ],
)
def test_responseformat(value: str, encoding: str, media_type: str) -> None:
    choice = parse_output(value)
    assert choice.encoding == encoding
    assert choice.media_type == media_type


def test_unknown_serialization_is_an_error() -> None:
    with pytest.raises(ConeError, match="serialization"):
        parse_output("votable;serialization=fits")
