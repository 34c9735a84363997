"""SSA 1.1 §4.1 queryData parameters → query plans (no database needed)."""

from __future__ import annotations

import pytest

from ssa.params import SSAPlan, parse_query
from ssa.profile import SSAProfile, load_profile
from ssa.soda import SodaError, parse_cutout, select_bands
from ssa.targets import TargetNames
from ssa.timescales import utc_to_tt_mjd
from vo_service.faults import UsageFault
from vo_service.metadata import load_catalogue
from vo_service.mission import planets
from vo_service.params import DaliParams
from vo_service.store.base import Between, Cone, Equals, IntervalOverlap


@pytest.fixture(scope="module")
def profile() -> SSAProfile:
    return load_profile(load_catalogue().table("corot.lightcurves"))


def plan(profile: SSAProfile, **params: str) -> SSAPlan:
    names = TargetNames.build(planets(), [(1060, "HD 49933")])
    return parse_query(DaliParams(params.items()), profile, names, ivo_prefix="ivo://corot.vo",
                       hard_maxrec=5000)


def test_defaults_describe_all_formats(profile: SSAProfile) -> None:
    result = plan(profile)
    assert not result.metadata and not result.empty
    assert [f.key for f in result.formats] == ["votable", "fits", "csv", "png"]
    assert result.maxrec == profile.service.default_maxrec
    assert result.predicates == ()


@pytest.mark.parametrize(
    ("value", "keys"),
    [
        ("ALL", ["votable", "fits", "csv", "png"]),
        ("compliant", ["votable"]),
        ("native", ["fits"]),
        ("fits", ["fits"]),
        ("votable", ["votable"]),
        ("application/x-votable+xml", ["votable"]),
        ("graphic", ["png"]),
        ("image/png,text/csv", ["csv", "png"]),
        ("application/pdf", []),
    ],
)
def test_format_selection(profile: SSAProfile, value: str, keys: list[str]) -> None:
    result = plan(profile, FORMAT=value)
    assert [f.key for f in result.formats] == keys
    assert result.empty == (not keys)


def test_metadata_format(profile: SSAProfile) -> None:
    assert plan(profile, FORMAT="METADATA", POS="bad").metadata  # other parameters are ignored


def test_position_and_size(profile: SSAProfile) -> None:
    result = plan(profile, POS="102.5,-3.25", SIZE="0.5")
    assert result.position is not None and result.position.radius == 0.25
    assert result.predicates == (Cone(102.5, -3.25, 0.25),)
    default = plan(profile, POS="102.5,-3.25;ICRS")
    assert default.position is not None and default.position.radius == profile.service.default_size / 2


@pytest.mark.parametrize(
    "params",
    [
        {"POS": "102.5"},
        {"POS": "a,b"},
        {"POS": "361,0"},
        {"POS": "10,-91"},
        {"POS": "10,10;GALACTIC"},
        {"POS": "10,10", "SIZE": "-1"},
        {"POS": "10,10", "SIZE": "50"},
        {"POS": "10,10", "SIZE": "big"},
        {"TIME": "2008-13"},
        {"TIME": "2008/2009,2010/2011"},
        {"BAND": "unknownband"},
        {"BAND": "1e-7/x"},
        {"BAND": "5e-7;sideways"},
        {"MAXREC": "-1"},
        {"MAXREC": "many"},
        {"REQUEST": "getData"},
        {"VERSION": "2.0"},
        {"CHANNEL": "radio"},
        {"PRODUCT_TYPE": "EN2_STAR_XYZ"},
        {"RUN": "LRx01"},
        {"COROTID": "abc"},
        {"VMAG": "a/b"},
    ],
)
def test_invalid_values_are_usage_faults(profile: SSAProfile, params: dict[str, str]) -> None:
    with pytest.raises(UsageFault):
        plan(profile, **params)


def test_time_becomes_an_overlap_in_tt(profile: SSAProfile) -> None:
    result = plan(profile, TIME="2008-01-01/2008-02-01")
    (predicate,) = result.predicates
    assert isinstance(predicate, IntervalOverlap)
    assert (predicate.low_column, predicate.high_column) == ("t_min", "t_max")
    assert predicate.low == pytest.approx(utc_to_tt_mjd(54466.0), abs=1e-9)
    assert predicate.high == pytest.approx(utc_to_tt_mjd(54498.0), abs=1e-9)  # to the end of 2008-02-01
    assert predicate.low - 54466.0 == pytest.approx(65.184 / 86400, abs=1e-9)  # TT - UTC in 2008


@pytest.mark.parametrize(
    ("band", "empty"),
    [("5e-7/6e-7", False), ("red", False), ("optical", False), ("2e-6/3e-6", True), ("x-ray", True),
     ("/2e-7", True), ("/4e-7", False), ("ALL", False), ("1e-9,6e-7", False)],
)
def test_band_overlaps_the_corot_bandpass(profile: SSAProfile, band: str, empty: bool) -> None:
    assert plan(profile, BAND=band).empty == empty


def test_target_and_ids(profile: SSAProfile) -> None:
    assert plan(profile, TARGETNAME="CoRoT-7").predicates == (Equals("corot_id", (102708694,)),)
    both = plan(profile, TARGETNAME="CoRoT-7", COROTID="102708694,5")
    assert both.predicates == (Equals("corot_id", (102708694,)),)
    nothing = plan(profile, TARGETNAME="CoRoT-7", COROTID="5")
    assert nothing.empty
    assert plan(profile, TARGETNAME="Betelgeuse").empty


def test_service_parameters(profile: SSAProfile) -> None:
    result = plan(profile, RUN="lra01,SRc02", CHANNEL="EXO", PRODUCT_TYPE="en2_star_chr", VMAG="12/14.5")
    assert result.predicates == (
        Equals("run_code", ("LRa01", "SRc02")),
        Equals("channel", ("exo",)),
        Equals("product_type", ("EN2_STAR_CHR",)),
        Between("vmag", 12.0, 14.5),
    )


def test_pubdid_and_collection(profile: SSAProfile) -> None:
    pid = "EN2_STAR_CHR_0102890318_20070206T133547_20070402T070302"
    assert plan(profile, PUBDID=f"ivo://corot.vo/corot?{pid}").predicates == (Equals("product_id", (pid,)),)
    assert plan(profile, PUBDID="ivo://elsewhere/x?y").empty
    assert not plan(profile, COLLECTION="corot").empty
    assert not plan(profile, COLLECTION="ivo://corot.vo/corot").empty
    assert not plan(profile, COLLECTION="n2").empty
    assert plan(profile, COLLECTION="SDSS-DR5").empty


def test_maxrec_is_clipped(profile: SSAProfile) -> None:
    assert plan(profile, MAXREC="10").maxrec == 10
    assert plan(profile, MAXREC="999999").maxrec == 5000


def test_soda_band_selection(profile: SSAProfile) -> None:
    from ssa.ranges import Range

    assert select_bands(profile, "EN2_STAR_CHR", None, ()) == ["white", "red", "green", "blue"]
    assert select_bands(profile, "EN2_STAR_CHR", Range(6e-7, 7e-7), ()) == ["red"]
    assert select_bands(profile, "EN2_STAR_CHR", Range(5.5e-7, 6e-7), ()) == ["red", "green"]
    assert select_bands(profile, "EN2_STAR_CHR", Range(None, None), ()) == ["white", "red", "green", "blue"]
    assert select_bands(profile, "EN2_STAR_CHR", None, ("blue", "white")) == ["white", "blue"]
    assert select_bands(profile, "EN2_STAR_MON", Range(6e-7, 7e-7), ()) == ["white"]
    assert select_bands(profile, "EN2_STAR_MON", None, ("red",)) == []
    assert select_bands(profile, "AN2_STAR", Range(2e-6, 3e-6), ()) == []
    with pytest.raises(SodaError, match="UsageError"):
        select_bands(profile, "AN2_STAR", None, ("purple",))


def test_soda_parameters() -> None:
    request = parse_cutout({"ID": ["ivo://x"], "TIME": ["55000 +Inf"], "COLOUR": ["red,green", "blue"],
                            "RESPONSEFORMAT": ["application/x-votable+xml;serialization=binary2"]})
    assert request.time is not None and request.time.low == 55000.0 and request.time.high is None
    assert request.colours == ("red", "green", "blue")
    assert request.output.key == "votable"
    for params, code in (({}, "UsageError"), ({"ID": ["a", "b"]}, "MultiValuedParamNotSupported"),
                         ({"ID": ["a"], "TIME": ["1"]}, "UsageError"),
                         ({"ID": ["a"], "RESPONSEFORMAT": ["image/png"]}, "UsageError")):
        with pytest.raises(SodaError) as caught:
            parse_cutout(params)
        assert caught.value.code == code
        assert caught.value.text.startswith(f"{code}: ")
