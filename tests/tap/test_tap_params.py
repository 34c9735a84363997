"""TAP request parameters: case-folding, LANG, REQUEST, MAXREC, formats (TAP 1.1 §2.3, DALI 1.1 §3)."""

from __future__ import annotations

import pytest

from tap.params import query_request
from vo_service.faults import UsageFault
from vo_service.params import DaliParams
from vo_service.settings import Limits

LIMITS = Limits(maxrec_default=100, maxrec_hard=1000)


def request_of(**params: str) -> DaliParams:
    return DaliParams(list(params.items()))


def test_parameter_names_are_case_insensitive() -> None:
    params = DaliParams([("LaNg", "ADQL"), ("query", "SELECT 1"), ("MaxRec", "5")])
    checked = query_request(params, LIMITS)
    assert (checked.lang, checked.query, checked.maxrec) == ("ADQL", "SELECT 1", 5)


@pytest.mark.parametrize(("value", "expected"), [("ADQL", "ADQL"), ("adql-2.0", "ADQL-2.0"), ("ADQL-2.1", "ADQL-2.1")])
def test_supported_languages(value: str, expected: str) -> None:
    assert query_request(request_of(LANG=value, QUERY="SELECT 1"), LIMITS).lang == expected


@pytest.mark.parametrize("value", ["SQL", "ADQL-3.0", "PQL", "ADQL2.0"])
def test_unknown_language_is_a_usage_error(value: str) -> None:
    with pytest.raises(UsageFault, match="Unknown query language"):
        query_request(request_of(LANG=value, QUERY="SELECT 1"), LIMITS)


def test_lang_and_query_are_required() -> None:
    with pytest.raises(UsageFault, match="LANG"):
        query_request(request_of(QUERY="SELECT 1"), LIMITS)
    with pytest.raises(UsageFault, match="QUERY"):
        query_request(request_of(LANG="ADQL", QUERY="   "), LIMITS)


def test_request_is_optional_but_must_be_doquery() -> None:
    assert query_request(request_of(REQUEST="doQuery", LANG="ADQL", QUERY="SELECT 1"), LIMITS).query == "SELECT 1"
    with pytest.raises(UsageFault, match="doQuery"):
        query_request(request_of(REQUEST="getCapabilities", LANG="ADQL", QUERY="SELECT 1"), LIMITS)


def test_maxrec_default_and_hard_limit() -> None:
    assert query_request(request_of(LANG="ADQL", QUERY="q"), LIMITS).maxrec == 100
    capped = query_request(request_of(LANG="ADQL", QUERY="q", MAXREC="5000"), LIMITS)
    assert (capped.maxrec, capped.requested_maxrec) == (1000, 5000)
    assert query_request(request_of(LANG="ADQL", QUERY="q", MAXREC="0"), LIMITS).maxrec == 0


@pytest.mark.parametrize("value", ["-1", "ten", "1.5", "1e3"])
def test_bad_maxrec_is_a_usage_error(value: str) -> None:
    with pytest.raises(UsageFault, match="MAXREC"):
        query_request(request_of(LANG="ADQL", QUERY="q", MAXREC=value), LIMITS)


def test_format_and_responseformat() -> None:
    assert query_request(request_of(LANG="ADQL", QUERY="q"), LIMITS).output.name == "votable"
    assert query_request(request_of(LANG="ADQL", QUERY="q", FORMAT="csv"), LIMITS).output.name == "csv"
    both = query_request(request_of(LANG="ADQL", QUERY="q", RESPONSEFORMAT="tsv", FORMAT="csv"), LIMITS)
    assert both.output.name == "tsv"
    with pytest.raises(UsageFault, match="RESPONSEFORMAT"):
        query_request(request_of(LANG="ADQL", QUERY="q", RESPONSEFORMAT="image/png"), LIMITS)


def test_repeated_single_valued_parameter() -> None:
    same = DaliParams([("LANG", "ADQL"), ("lang", "ADQL"), ("QUERY", "q")])
    assert query_request(same, LIMITS).lang == "ADQL"
    with pytest.raises(UsageFault, match="QUERY was given 2 different values"):
        query_request(DaliParams([("LANG", "ADQL"), ("QUERY", "a"), ("query", "b")]), LIMITS)


def test_uploads_accumulate_and_unknown_parameters_are_ignored() -> None:
    params = DaliParams([("LANG", "ADQL"), ("QUERY", "q"), ("UPLOAD", "a,param:a"), ("upload", "b,param:b"),
                        ("COLOUR", "blue")])
    checked = query_request(params, LIMITS)
    assert checked.uploads == ("a,param:a", "b,param:b")
