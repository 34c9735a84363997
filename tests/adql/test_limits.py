"""The bounds of tap.adql.limits: queries whose planning would cost far too much, or would
recurse beyond Python's limit, are positioned usage errors naming the limit, answered quickly;
queries just within the bounds go through every stage."""

from __future__ import annotations

import math
import re
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from tap.adql import AdqlError, annotate, parse, translate_duckdb
from tap.adql.limits import MAX_FROM_TABLES, MAX_NESTING, MAX_POLYGON_VERTICES, MAX_SELECT_ITEMS
from vo_service.metadata import Catalogue, TableMeta

TARGETS = "corot.targets"
T = TypeVar("T")


def polygon(vertices: int, points: bool = False) -> str:
    angles = [2 * math.pi * i / vertices for i in range(vertices)]
    if points:
        corners = ", ".join(f"POINT({100 + math.cos(a):.3f}, {math.sin(a):.3f})" for a in angles)
    else:
        corners = ", ".join(f"{100 + math.cos(a):.3f}, {math.sin(a):.3f}" for a in angles)
    return f"SELECT ra FROM {TARGETS} WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), POLYGON('ICRS', {corners}))"


def select_list(items: int) -> str:
    return "SELECT " + ", ".join(["ra"] * items) + f" FROM {TARGETS}"


def joins(tables: int) -> str:
    return f"SELECT t0.ra FROM {TARGETS} AS t0 " + " ".join(
        f"JOIN {TARGETS} AS t{i} ON t{i}.corot_id = t0.corot_id" for i in range(1, tables))


def or_chain(terms: int) -> str:
    return f"SELECT ra FROM {TARGETS} WHERE " + " OR ".join(["ra=1"] * terms)


def plus_chain(terms: int) -> str:
    return f"SELECT ra FROM {TARGETS} WHERE ra > 1" + "+1" * terms


def nested_calls(levels: int) -> str:
    return "SELECT " + "ABS(" * levels + "ra" + ")" * levels + f" FROM {TARGETS}"


def nested_subqueries(levels: int) -> str:
    return "SELECT ra FROM " + "(SELECT ra FROM " * levels + TARGETS + ") AS t" * levels


def nested_not(levels: int) -> str:
    return f"SELECT ra FROM {TARGETS} WHERE " + "NOT " * levels + "ra = 1"


def nested_case(levels: int) -> str:
    return "SELECT " + "CASE WHEN ra > 1 THEN " * levels + "1" + " END" * levels + f" FROM {TARGETS}"


def unions(selects: int) -> str:
    return " UNION ".join([f"SELECT ra FROM {TARGETS}"] * selects)


def in_subqueries(levels: int) -> str:
    return (f"SELECT ra FROM {TARGETS} WHERE " + f"ra IN (SELECT ra FROM {TARGETS} WHERE " * levels + "1=1"
            + ")" * levels)


DEEP: list[Callable[[int], str]] = [or_chain, plus_chain, nested_calls, nested_subqueries, nested_not, nested_case,
                                    unions, in_subqueries]


def largest_accepted(build: Callable[[int], str]) -> int:
    low, high = 1, 2000
    while low < high:
        middle = (low + high + 1) // 2
        try:
            parse(build(middle))
            low = middle
        except AdqlError:
            high = middle - 1
    return low


def _with_stack(depth: int, work: Callable[[], T]) -> T:
    """Run ``work`` below ``depth`` extra frames, as a server thread runs it below its framework."""
    return work() if depth == 0 else _with_stack(depth - 1, work)


@pytest.mark.parametrize("build", DEEP, ids=[b.__name__ for b in DEEP])
def test_deepest_accepted_query_goes_through_every_stage(build: Callable[[int], str], catalogue: Catalogue) -> None:
    """Just within MAX_NESTING, annotation and translation stay well away from the recursion
    limit, even 300 frames down."""
    levels = largest_accepted(build)
    assert 1 < levels < 2000
    tree = parse(build(levels))

    def relation(table: TableMeta) -> str:
        return table.name

    assert sys.getrecursionlimit() >= 1000
    sql, _ = _with_stack(300, lambda: translate_duckdb(annotate(tree, catalogue), relation, limit=10))
    assert "SELECT" in sql
    with pytest.raises(AdqlError, match=f"nested more than {MAX_NESTING} levels deep"):
        parse(build(levels + 1))


@pytest.mark.parametrize(("query", "hint"), [
    (or_chain(12_000), "IN (...)"),
    (plus_chain(30_000), "nest less deeply"),
    (nested_calls(10_000), "nest less deeply"),
    (nested_not(20_000), "nest less deeply"),
    (nested_subqueries(2_000), "nest less deeply"),
])
def test_hostile_nesting_is_a_positioned_error_answered_quickly(query: str, hint: str) -> None:
    start = time.perf_counter()
    with pytest.raises(AdqlError) as error:
        parse(query)
    assert time.perf_counter() - start < 10
    message = str(error.value)
    assert f"nested more than {MAX_NESTING} levels deep" in message and hint in message
    assert re.search(r"\(line 1, column \d+\)", message)


def test_nested_parentheses_alone_make_no_depth(catalogue: Catalogue) -> None:
    query = f"SELECT ra FROM {TARGETS} WHERE ra > " + "(" * 5000 + "1" + ")" * 5000
    annotated = annotate(parse(query), catalogue)
    assert [column.name for column in annotated.columns] == ["ra"]


@pytest.mark.parametrize("points", [False, True])
def test_polygon_vertices(points: bool, catalogue: Catalogue) -> None:
    annotate(parse(polygon(MAX_POLYGON_VERTICES, points)), catalogue)
    query = polygon(MAX_POLYGON_VERTICES + 1, points)
    with pytest.raises(AdqlError) as error:
        parse(query)
    assert str(error.value).startswith(
        f"The POLYGON has {MAX_POLYGON_VERTICES + 1} vertices, more than the {MAX_POLYGON_VERTICES} allowed "
        f"(line 1, column {query.index('POLYGON') + 1})")


def test_select_list_size(catalogue: Catalogue) -> None:
    start = time.perf_counter()
    annotated = annotate(parse(select_list(MAX_SELECT_ITEMS)), catalogue)
    assert time.perf_counter() - start < 10
    names = [column.name for column in annotated.columns]
    assert names[:3] == ["ra", "ra_2", "ra_3"] and names[-1] == f"ra_{MAX_SELECT_ITEMS}"
    assert len(set(names)) == MAX_SELECT_ITEMS
    with pytest.raises(AdqlError) as error:
        parse(select_list(MAX_SELECT_ITEMS + 1))
    column = len("SELECT ") + 1 + 4 * MAX_SELECT_ITEMS
    assert str(error.value).startswith(
        f"The select list has {MAX_SELECT_ITEMS + 1} items, more than the {MAX_SELECT_ITEMS} allowed "
        f"(line 1, column {column})")


def test_tables_joined(catalogue: Catalogue) -> None:
    annotate(parse(joins(MAX_FROM_TABLES)), catalogue)
    with pytest.raises(AdqlError, match=f"joins {MAX_FROM_TABLES + 1} tables, more than the {MAX_FROM_TABLES} "
                                        r"allowed \(line 1, column 1\)"):
        parse(joins(MAX_FROM_TABLES + 1))
    # the bound is per FROM clause: a union of single-table queries is no join
    annotate(parse(unions(MAX_FROM_TABLES + 5)), catalogue)


def test_unique_names_of_repeated_columns_are_linear(catalogue: Catalogue) -> None:
    """Repeated names get suffixes ra, ra_2, ... without a quadratic search."""
    query = "SELECT " + ", ".join(["ra", "RA", "dec AS Ra_2"] * 300) + f" FROM {TARGETS}"
    names = [column.name for column in annotate(parse(query), catalogue).columns]
    assert len({name.lower() for name in names}) == 900
    assert names[:6] == ["ra", "ra_2", "Ra_2_2", "ra_3", "ra_4", "Ra_2_3"]


def test_stcs_region_polygon_vertices(catalogue: Catalogue) -> None:
    def region(vertices: int) -> str:
        angles = [2 * math.pi * i / vertices for i in range(vertices)]
        corners = " ".join(f"{100 + math.cos(a):.3f} {math.sin(a):.3f}" for a in angles)
        return (f"SELECT ra FROM {TARGETS} WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), "
                f"REGION('POLYGON ICRS {corners}'))")

    annotate(parse(region(MAX_POLYGON_VERTICES)), catalogue)
    query = region(MAX_POLYGON_VERTICES + 1)
    with pytest.raises(AdqlError) as error:
        annotate(parse(query), catalogue)
    assert str(error.value).startswith(
        f"The POLYGON has {MAX_POLYGON_VERTICES + 1} vertices, more than the {MAX_POLYGON_VERTICES} allowed "
        f"(line 1, column {query.index('REGION(') + 8})")
