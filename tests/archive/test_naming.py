"""N2 product names and archive paths (CoRoT data spec §2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.naming import (
    PRODUCT_TYPES,
    archive_path,
    find_product_type,
    parse_product_name,
    product_name,
)


def test_real_names_are_reproduced() -> None:
    assert (
        product_name("EN2_STAR_CHR", 102890318, datetime(2007, 2, 6, 13, 35, 47), datetime(2007, 4, 2, 7, 3, 2))
        == "EN2_STAR_CHR_0102890318_20070206T133547_20070402T070302"
    )
    assert (
        product_name("AN2_STAR", 7528, datetime(2007, 4, 11, 15, 7, 52), datetime(2007, 5, 8, 21, 35, 52))
        == "AN2_STAR_0000007528_20070411T150752_20070508T213552"
    )


def test_aware_times_are_converted_to_utc() -> None:
    paris = timezone(timedelta(hours=2))
    name = product_name(
        "EN2_STAR_MON", 1, datetime(2007, 2, 6, 15, 35, 47, tzinfo=paris), datetime(2007, 4, 2, 9, 3, 2, tzinfo=paris)
    )
    assert name == "EN2_STAR_MON_0000000001_20070206T133547_20070402T070302"


def test_parse_accepts_paths_and_suffixes() -> None:
    parsed = parse_product_name("N2-4.4/2012/01/12/EN2_STAR_IMAG_0102708694_20120112T183055_20120329T093058.fits")
    assert parsed.product_type == "EN2_STAR_IMAG"
    assert parsed.corot_id == 102708694
    assert parsed.start == datetime(2012, 1, 12, 18, 30, 55, tzinfo=UTC)
    assert parsed.end == datetime(2012, 3, 29, 9, 30, 58, tzinfo=UTC)
    assert parsed.channel == "exo"
    assert parse_product_name("AN2_STAR_0000007528_20070411T150752_20070508T213552.fits.gz").channel == "astero"


@pytest.mark.parametrize(
    "name",
    [
        "",
        "EN2_STAR_XYZ_0102890318_20070206T133547_20070402T070302",
        "EN2_STAR_CHR_102890318_20070206T133547_20070402T070302",
        "EN2_STAR_CHR_0102890318_20071306T133547_20070402T070302",
        "EN2_STAR_CHR_0102890318_20070402T070302_20070206T133547",
        "EN2_WINDESCRIPTOR_0102890318_20070206T133547_20070402T070302",
        "EN2_STAR_CHR_0102890318_20070206T133547",
    ],
)
def test_parse_rejects_non_names(name: str) -> None:
    with pytest.raises(ValueError, match=r"name|stamp"):
        parse_product_name(name)


def test_build_rejects_bad_parts() -> None:
    start, end = datetime(2007, 2, 6), datetime(2007, 4, 2)
    with pytest.raises(ValueError, match="product type"):
        product_name("EN2_STAR", 1, start, end)
    with pytest.raises(ValueError, match="10-digit"):
        product_name("EN2_STAR_CHR", 10_000_000_000, start, end)
    with pytest.raises(ValueError, match="precedes"):
        product_name("EN2_STAR_CHR", 1, end, start)


def test_archive_path_uses_the_run_start() -> None:
    name = "EN2_STAR_CHR_0102890318_20070206T133547_20070402T070302"
    expected = f"N2-4.4/2007/02/03/{name}.fits"
    assert archive_path(name, datetime(2007, 2, 3, 13, 5, 53)) == expected
    assert archive_path(f"{name}.fits", date(2007, 2, 3)) == expected


def test_find_product_type_in_free_text() -> None:
    assert find_product_type("EN2_STAR_MON_0100725706_x.fits") == "EN2_STAR_MON"
    assert find_product_type("an2_star_0000007528") == "AN2_STAR"
    assert find_product_type("lightcurve.fits") is None


@given(
    product_type=st.sampled_from(PRODUCT_TYPES),
    corot_id=st.integers(min_value=0, max_value=9_999_999_999),
    start=st.datetimes(min_value=datetime(2006, 12, 27), max_value=datetime(2013, 6, 20)),
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=200)),
)
def test_round_trip(product_type: str, corot_id: int, start: datetime, length: timedelta) -> None:
    start = start.replace(microsecond=0)
    length = timedelta(seconds=int(length.total_seconds()))
    name = product_name(product_type, corot_id, start, start + length)
    parsed = parse_product_name(name)
    assert (parsed.product_type, parsed.corot_id) == (product_type, corot_id)
    assert parsed.start == start.replace(tzinfo=UTC)
    assert parsed.end == (start + length).replace(tzinfo=UTC)
    assert parsed.name == name
