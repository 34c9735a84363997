"""Property tests: hostile or broken input only ever raises AdqlError; valid input always runs.

* arbitrary text, token soup and mutations of valid queries → a tree or :class:`AdqlError`,
  never another exception, at every stage (parse, annotate, translate);
* queries generated from a small grammar of valid ADQL over ``corot.targets`` → annotate,
  translate and execute without error, and return the declared columns.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap.adql import AdqlError, annotate, parse, translate_duckdb
from tests.adql.conftest import Archive
from tests.adql.test_security import ALL_QUERIES
from vo_service.metadata import Catalogue
from vo_service.store.duckdb_store import qualified

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)

TOKENS = [
    "SELECT",
    "TOP",
    "DISTINCT",
    "ALL",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "HAVING",
    "ORDER",
    "ASC",
    "DESC",
    "OFFSET",
    "JOIN",
    "LEFT",
    "RIGHT",
    "FULL",
    "OUTER",
    "INNER",
    "NATURAL",
    "CROSS",
    "ON",
    "USING",
    "UNION",
    "INTERSECT",
    "EXCEPT",
    "WITH",
    "AS",
    "AND",
    "OR",
    "NOT",
    "BETWEEN",
    "IN",
    "LIKE",
    "ILIKE",
    "ESCAPE",
    "IS",
    "NULL",
    "EXISTS",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "CAST",
    "DOUBLE",
    "PRECISION",
    "VARCHAR",
    "POINT",
    "CIRCLE",
    "POLYGON",
    "BOX",
    "CONTAINS",
    "INTERSECTS",
    "DISTANCE",
    "AREA",
    "CENTROID",
    "COORD1",
    "REGION",
    "COUNT",
    "AVG",
    "MAX",
    "ABS",
    "MOD",
    "IN_UNIT",
    "COALESCE",
    "ivo_hasword",
    "ivo_histogram",
    "corot.targets",
    "corot.runs",
    "t",
    "r",
    "ra",
    "dec",
    "vmag",
    "run_code",
    "corot_id",
    "star_name",
    "t.ra",
    "r.run_code",
    "*",
    "t.*",
    "(",
    ")",
    ",",
    ".",
    "+",
    "-",
    "*",
    "/",
    "%",
    "||",
    "&",
    "|",
    "^",
    "~",
    "=",
    "<>",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    ";",
    "1",
    "0",
    "-3",
    "1.5e3",
    ".5",
    "0x1F",
    "'ICRS'",
    "'a''b'",
    "''",
    "'deg'",
    '"vmag"',
    '"Mixed"',
    "--",
    "\n",
    "1/0",
    "99999999999999999999",
    "'CIRCLE 1 2 3'",
    "?",
    "$1",
    "[",
    "]",
    "@",
    "#",
]


def pipeline(text: str, catalogue: Catalogue) -> None:
    """Parse, annotate and translate; only AdqlError may escape."""
    try:
        annotated = annotate(parse(text), catalogue)
        sql, params = translate_duckdb(annotated, lambda table: qualified(table.name), 1000)
    except AdqlError as error:
        message = str(error)
    else:
        assert isinstance(sql, str) and isinstance(params, list)
        return
    assert message


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text(catalogue: Catalogue, text: str) -> None:
    pipeline(text, catalogue)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=40))
def test_token_soup(catalogue: Catalogue, tokens: list[str]) -> None:
    pipeline(" ".join(tokens), catalogue)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25))
def test_select_prefixed_token_soup(catalogue: Catalogue, tokens: list[str]) -> None:
    pipeline("SELECT " + " ".join(tokens), catalogue)


@st.composite
def mutated_query(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(ALL_QUERIES))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        position = draw(st.integers(0, len(text) - 1))
        action = draw(st.sampled_from(["delete", "insert", "replace", "token", "cut"]))
        if action == "delete":
            end = position + draw(st.integers(1, 8))
            text = text[:position] + text[end:]
        elif action == "insert":
            text = text[:position] + draw(st.text(min_size=1, max_size=4)) + text[position:]
        elif action == "replace":
            text = text[:position] + draw(st.characters()) + text[position + 1 :]
        elif action == "token":
            text = text[:position] + " " + draw(st.sampled_from(TOKENS)) + " " + text[position:]
        else:
            text = text[:position]
    return text


@FUZZ
@given(mutated_query())
def test_mutated_valid_queries(catalogue: Catalogue, text: str) -> None:
    pipeline(text, catalogue)


# -- valid queries from a small grammar ------------------------------------------------------
NUMERIC_COLUMNS = ["ra", "dec", "vmag", "bmag", "teff", "win_id", "corot_id", "contamination"]
STRING_COLUMNS = ["run_code", "channel", "star_name", "spectral_type", "var_class"]


def numeric(depth: int = 0) -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.sampled_from(NUMERIC_COLUMNS).map(lambda c: f"t.{c}"),
        st.integers(-1000, 1000).map(str),
        st.floats(-1e3, 1e3, allow_nan=False).map(lambda x: f"{x!r}".replace("e", "E") if "e" in repr(x) else repr(x)),
    )
    if depth >= 2:
        return leaves
    inner = numeric(depth + 1)
    return st.one_of(
        leaves,
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda p: f"({p[0]} {p[1]} {p[2]})"),
        st.tuples(st.sampled_from(["ABS", "FLOOR", "CEILING", "ROUND"]), inner).map(lambda p: f"{p[0]}({p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"COALESCE({p[0]}, {p[1]})"),
        inner.map(lambda e: f"DISTANCE(POINT(t.ra, t.dec), POINT(ABS({e}) / 10, 0))"),
        st.tuples(condition_leaf(), inner, inner).map(lambda p: f"CASE WHEN {p[0]} THEN {p[1]} ELSE {p[2]} END"),
    )


def string_expression() -> st.SearchStrategy[str]:
    column = st.sampled_from(STRING_COLUMNS).map(lambda c: f"t.{c}")
    return st.one_of(
        column, column.map(lambda c: f"LOWER({c})"), st.tuples(column, column).map(lambda p: f"{p[0]} || '/' || {p[1]}")
    )


def condition_leaf() -> st.SearchStrategy[str]:
    number = st.sampled_from(NUMERIC_COLUMNS).map(lambda c: f"t.{c}")
    value = st.integers(-100, 1000).map(str)
    return st.one_of(
        st.tuples(number, st.sampled_from(["=", "<>", "<", ">", "<=", ">="]), value).map(" ".join),
        st.tuples(number, value, value).map(lambda p: f"{p[0]} BETWEEN {p[1]} AND {p[2]}"),
        st.tuples(number, st.lists(value, min_size=1, max_size=4)).map(lambda p: f"{p[0]} IN ({', '.join(p[1])})"),
        st.tuples(st.sampled_from(STRING_COLUMNS), st.sampled_from(["'L%'", "'%a_'", "'exo'", "''"])).map(
            lambda p: f"t.{p[0]} LIKE {p[1]}"
        ),
        number.map(lambda c: f"{c} IS NOT NULL"),
        st.tuples(st.floats(0, 360), st.floats(-90, 90), st.floats(0, 5)).map(
            lambda p: f"1 = CONTAINS(POINT(t.ra, t.dec), CIRCLE({p[0]!r}, {p[1]!r}, {p[2]!r}))"
        ),
    )


def condition(depth: int = 0) -> st.SearchStrategy[str]:
    if depth >= 2:
        return condition_leaf()
    inner = condition(depth + 1)
    return st.one_of(
        condition_leaf(),
        st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(lambda p: f"({p[0]} {p[1]} {p[2]})"),
        inner.map(lambda c: f"NOT ({c})"),
    )


@st.composite
def valid_query(draw: st.DrawFn) -> str:
    items = draw(st.lists(st.one_of(numeric(), string_expression()), min_size=1, max_size=4))
    select = ", ".join(f"{item} AS c{i}" for i, item in enumerate(items))
    top = draw(st.one_of(st.none(), st.integers(0, 50)))
    query = f"SELECT {'TOP ' + str(top) + ' ' if top is not None else ''}{select} FROM corot.targets AS t"
    if draw(st.booleans()):
        query += " JOIN corot.runs AS r ON t.run_code = r.run_code"
    if draw(st.booleans()):
        query += " WHERE " + draw(condition())
    if draw(st.booleans()):
        query += " ORDER BY " + ", ".join(
            f"{i + 1} {draw(st.sampled_from(['ASC', 'DESC']))}" for i in range(len(items))
        )
    return query


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(valid_query())
def test_generated_valid_queries_run(archive: Archive, text: str) -> None:
    annotated = annotate(parse(text), archive.catalogue)
    sql, params = translate_duckdb(annotated, lambda table: archive.store.relation_sql(table, _anonymous()), 100)
    batches: list[Any] = list(archive.store.stream_sql(sql, params))
    names = [c.name for c in annotated.columns]
    for batch in batches:
        assert batch.schema.names == names


def _anonymous() -> Any:
    from vo_service.access import Viewer

    return Viewer()
