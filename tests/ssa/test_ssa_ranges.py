"""SSA range lists (SSA 1.1 §8.7.2), ISO 8601 periods, DALI intervals, DIDs, target names."""

from __future__ import annotations

import pytest

from ssa.dids import DidError, product_id_of, publisher_did
from ssa.ranges import Range, RangeError, mjd_of, parse_interval, parse_numeric_list, parse_time_list
from ssa.targets import TargetNames
from vo_service.mission import planets

PID = "EN2_STAR_CHR_0102890318_20070206T133547_20070402T070302"


def test_numeric_ranges() -> None:
    parsed = parse_numeric_list("5e-7/6e-7,/4e-7,9e-7/,7e-7;source", "BAND")
    assert parsed.items == (Range(5e-7, 6e-7), Range(None, 4e-7), Range(9e-7, None), Range(7e-7, 7e-7))
    assert parsed.qualifier == "source"
    assert parse_numeric_list("6/5", "X").items == (Range(5.0, 6.0),)  # ordered lists are sorted
    assert parse_numeric_list("red,1e-7", "BAND", names_allowed=True).items == ("red", Range(1e-7, 1e-7))


@pytest.mark.parametrize("text", ["", "a/b", "1/2/3/4", "1,,2", "nan", "1/inf"])
def test_bad_numeric_ranges(text: str) -> None:
    with pytest.raises(RangeError):
        parse_numeric_list(text, "X")


def test_iso_periods_become_mjd_ranges() -> None:
    (year,) = parse_time_list("2008").items
    assert year == Range(54466.0, 54832.0)  # 2008-01-01 .. 2009-01-01
    (month,) = parse_time_list("2008-02").items
    assert month == Range(54497.0, 54526.0)
    (day,) = parse_time_list("2008-02-29").items
    assert day == Range(54525.0, 54526.0)
    (instant,) = parse_time_list("2008-02-29T12:00:00").items
    assert instant == Range(54525.5, 54525.5)
    (span,) = parse_time_list("2007/2008-06").items
    assert span == Range(54101.0, 54648.0)
    (open_end,) = parse_time_list("2012-10-01/").items
    assert isinstance(open_end, Range)
    assert open_end.high is None and open_end.low == pytest.approx(56201.0)


def test_numbers_other_than_years_are_mjd() -> None:
    assert parse_time_list("54500.5/54600").items == (Range(54500.5, 54600.0),)
    assert parse_time_list("2008").items != (Range(2008.0, 2008.0),)


def test_backward_time_ranges_mean_the_same() -> None:
    assert parse_time_list("2009/2007").items == parse_time_list("2007/2009").items


@pytest.mark.parametrize("text", ["2008-13", "2008-02-30", "yesterday", "2008-1-5", "1/2/3"])
def test_bad_times(text: str) -> None:
    with pytest.raises(RangeError):
        parse_time_list(text)


def test_dali_intervals() -> None:
    assert parse_interval("55000 55001.5", "TIME") == Range(55000.0, 55001.5)
    assert parse_interval("-Inf 5e-7", "BAND") == Range(None, 5e-7)
    assert parse_interval("5e-7 +Inf", "BAND") == Range(5e-7, None)
    for bad in ("1", "1 2 3", "2 1", "a b", "NaN 1"):
        with pytest.raises(RangeError):
            parse_interval(bad, "TIME")


def test_mjd_of_epoch() -> None:
    from datetime import UTC, datetime

    assert mjd_of(datetime(1858, 11, 17, tzinfo=UTC)) == 0.0
    assert mjd_of(datetime(2000, 1, 1, 12, tzinfo=UTC)) == 51544.5


def test_publisher_dids_round_trip() -> None:
    did = publisher_did("ivo://corot.vo", PID)
    assert did == f"ivo://corot.vo/corot?{PID}"
    assert product_id_of(did, "ivo://corot.vo") == PID
    assert product_id_of(f"IVO://CoRoT.VO/corot?{PID}", "ivo://corot.vo") == PID  # authority is case-insensitive
    for bad in ("", PID, f"ivo://other.org/corot?{PID}", f"ivo://corot.vo/lc?{PID}", "ivo://corot.vo/corot?x",
                f"ivo://corot.vo/corot?{PID.lower()}"):
        with pytest.raises(DidError):
            product_id_of(bad, "ivo://corot.vo")


def test_target_names() -> None:
    names = TargetNames.build(planets(), [(1060, "HD 49933")])
    assert names.resolve("CoRoT-7") == {102708694}
    assert names.resolve("corot-7 b") == {102708694}
    assert names.resolve("CoRoT-7b") == {102708694}
    assert names.resolve("HD49933") == {1060}
    assert names.resolve("102890318") == {102890318}
    assert names.resolve("CoRoT 102890318") == {102890318}
    assert names.resolve("CoRoT-ID 7528") == {7528}
    assert names.resolve("Vega") == frozenset()
    assert names.name_of(102708694) == "CoRoT-7"
    assert names.name_of(1060) == "HD 49933"
    assert names.name_of(5) == "CoRoT 5"
