"""Syntax: one case per ADQL 2.1 construct (Appendix A BNF), and positioned syntax errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tap.adql import AdqlError, parse
from tap.adql import nodes as n


def select(query: n.Query) -> Any:
    body = query.body.body
    assert isinstance(body, n.SelectQuery)
    return body


def first_expr(query: n.Query) -> Any:
    item = select(query).items[0]
    assert isinstance(item, n.SelectItem)
    return item.expression


def where(query: n.Query) -> Any:
    cond = select(query).where
    assert cond is not None
    return cond


def body(query: n.Query) -> Any:
    return query.body.body


def ident(name: str, delimited: bool = False) -> n.Identifier:
    return n.Identifier(name, delimited)


def col(*parts: str) -> n.ColumnRef:
    return n.ColumnRef(tuple(ident(p) for p in parts))


def lit(value: int | float | str | None) -> n.Literal:
    kind = {int: "integer", float: "real", str: "string", type(None): "null"}[type(value)]
    return n.Literal(value, kind)  # type: ignore[arg-type]


def table(*parts: str, alias: str | None = None) -> n.TableReference:
    return n.TableReference(n.TableName(tuple(ident(p) for p in parts)), ident(alias) if alias else None)


CASES: list[tuple[str, Callable[[n.Query], object], object]] = [
    # select list
    ("SELECT * FROM t", lambda q: select(q).items, (n.StarItem(None),)),
    ("SELECT ALL a FROM t", lambda q: select(q).distinct, False),
    ("SELECT DISTINCT a FROM t", lambda q: select(q).distinct, True),
    ("SELECT TOP 5 a FROM t", lambda q: select(q).top, 5),
    ("SELECT DISTINCT TOP 3 a FROM t", lambda q: (select(q).distinct, select(q).top), (True, 3)),
    (
        "SELECT a AS x, b y FROM t",
        lambda q: [i.alias for i in select(q).items],
        [ident("x"), ident("y")],
    ),
    (
        "SELECT t.*, s.u.* FROM t",
        lambda q: select(q).items,
        (n.StarItem((ident("t"),)), n.StarItem((ident("s"), ident("u")))),
    ),
    ('SELECT "Mixed Case" FROM t', first_expr, n.ColumnRef((ident("Mixed Case", True),))),
    ('SELECT "a""b" FROM t', first_expr, n.ColumnRef((ident('a"b', True),))),
    ("SELECT s.t.c FROM s.t", first_expr, col("s", "t", "c")),
    ("select A from T", first_expr, col("A")),
    # FROM and joins
    ("SELECT a FROM s.t AS u", lambda q: select(q).from_items, (table("s", "t", alias="u"),)),
    ("SELECT a FROM t u, v", lambda q: select(q).from_items, (table("t", alias="u"), table("v"))),
    (
        "SELECT a FROM t JOIN u ON t.x = u.x",
        lambda q: select(q).from_items,
        (n.Join(table("t"), table("u"), "inner", on=n.Comparison("=", col("t", "x"), col("u", "x"))),),
    ),
    (
        "SELECT a FROM t INNER JOIN u USING (x, y)",
        lambda q: select(q).from_items[0],
        n.Join(table("t"), table("u"), "inner", using=(ident("x"), ident("y"))),
    ),
    ("SELECT a FROM t LEFT JOIN u USING (x)", lambda q: select(q).from_items[0].kind, "left"),
    ("SELECT a FROM t LEFT OUTER JOIN u USING (x)", lambda q: select(q).from_items[0].kind, "left"),
    ("SELECT a FROM t RIGHT OUTER JOIN u USING (x)", lambda q: select(q).from_items[0].kind, "right"),
    ("SELECT a FROM t FULL JOIN u USING (x)", lambda q: select(q).from_items[0].kind, "full"),
    (
        "SELECT a FROM t NATURAL JOIN u",
        lambda q: select(q).from_items[0],
        n.Join(table("t"), table("u"), "inner", natural=True),
    ),
    (
        "SELECT a FROM t NATURAL LEFT OUTER JOIN u",
        lambda q: select(q).from_items[0],
        n.Join(table("t"), table("u"), "left", natural=True),
    ),
    ("SELECT a FROM t CROSS JOIN u", lambda q: select(q).from_items[0], n.Join(table("t"), table("u"), "cross")),
    (
        "SELECT a FROM t JOIN u USING (x) JOIN v USING (y)",
        lambda q: select(q).from_items[0],
        n.Join(n.Join(table("t"), table("u"), using=(ident("x"),)), table("v"), using=(ident("y"),)),
    ),
    (
        "SELECT a FROM t JOIN (u JOIN v USING (y)) USING (x)",
        lambda q: select(q).from_items[0],
        n.Join(table("t"), n.Join(table("u"), table("v"), using=(ident("y"),)), using=(ident("x"),)),
    ),
    (
        "SELECT a FROM (SELECT a FROM t) AS s",
        lambda q: select(q).from_items[0].alias,
        ident("s"),
    ),
    # WHERE predicates
    ("SELECT a FROM t WHERE a BETWEEN 1 AND 2", where, n.Between(col("a"), lit(1), lit(2))),
    (
        "SELECT a FROM t WHERE a NOT BETWEEN 1 AND 2 AND b = 3",
        where,
        n.And(n.Between(col("a"), lit(1), lit(2), negated=True), n.Comparison("=", col("b"), lit(3))),
    ),
    ("SELECT a FROM t WHERE a IN (1, 2, 3)", where, n.InList(col("a"), (lit(1), lit(2), lit(3)))),
    ("SELECT a FROM t WHERE a NOT IN ('x')", where, n.InList(col("a"), (lit("x"),), negated=True)),
    ("SELECT a FROM t WHERE a LIKE 'x%'", where, n.Like(col("a"), lit("x%"))),
    (
        "SELECT a FROM t WHERE a NOT ILIKE 'x!%' ESCAPE '!'",
        where,
        n.Like(col("a"), lit("x!%"), lit("!"), negated=True, case_insensitive=True),
    ),
    ("SELECT a FROM t WHERE a IS NULL", where, n.IsNull(col("a"))),
    ("SELECT a FROM t WHERE a IS NOT NULL", where, n.IsNull(col("a"), negated=True)),
    ("SELECT a FROM t WHERE a != 1", where, n.Comparison("<>", col("a"), lit(1))),
    (
        "SELECT a FROM t WHERE a <> 1 OR a >= 2 AND a <= 3",
        where,
        n.Or(
            n.Comparison("<>", col("a"), lit(1)),
            n.And(n.Comparison(">=", col("a"), lit(2)), n.Comparison("<=", col("a"), lit(3))),
        ),
    ),
    (
        "SELECT a FROM t WHERE NOT a = 1 AND b > 2",
        where,
        n.And(n.Not(n.Comparison("=", col("a"), lit(1))), n.Comparison(">", col("b"), lit(2))),
    ),
    ("SELECT a FROM t WHERE (a = 1 OR b = 2) AND c < 3", lambda q: type(where(q)).__name__, "And"),
    ("SELECT a FROM t WHERE (a) = 1", where, n.Comparison("=", col("a"), lit(1))),
    # subqueries
    ("SELECT a FROM t WHERE a IN (SELECT b FROM u)", lambda q: type(where(q)).__name__, "InSubquery"),
    (
        "SELECT a FROM t WHERE NOT EXISTS (SELECT b FROM u WHERE u.b = t.a)",
        lambda q: type(where(q).operand).__name__,
        "Exists",
    ),
    ("SELECT (SELECT max(b) FROM u) FROM t", lambda q: type(first_expr(q)).__name__, "ScalarSubquery"),
    ("SELECT a FROM t WHERE a IN ((SELECT 1 FROM u), 2)", lambda q: len(where(q).items), 2),
    # grouping and ordering
    (
        "SELECT a, COUNT(*) FROM t GROUP BY a HAVING COUNT(*) > 1",
        lambda q: (select(q).group_by, select(q).having),
        ((col("a"),), n.Comparison(">", n.FunctionCall("count", (), star=True), lit(1))),
    ),
    (
        "SELECT a FROM t ORDER BY a DESC, 2, b + 1 ASC",
        lambda q: q.body.order_by,
        (n.OrderItem(col("a"), True), n.OrderItem(lit(2)), n.OrderItem(n.BinaryOp("+", col("b"), lit(1)))),
    ),
    ("SELECT a FROM t ORDER BY a OFFSET 10", lambda q: q.body.offset, 10),
    ("SELECT TOP 1 a FROM t OFFSET 5", lambda q: (select(q).top, q.body.offset), (1, 5)),
    # set operations and WITH
    ("SELECT a FROM t UNION SELECT a FROM u", lambda q: (body(q).op, body(q).all), ("union", False)),
    (
        "SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY 1",
        lambda q: (body(q).all, len(q.body.order_by)),
        (True, 1),
    ),
    ("SELECT a FROM t EXCEPT SELECT a FROM u", lambda q: body(q).op, "except"),
    (
        "SELECT a FROM t UNION SELECT a FROM u INTERSECT SELECT a FROM v",
        lambda q: (body(q).op, body(q).right.op),
        ("union", "intersect"),
    ),
    (
        "(SELECT TOP 2 a FROM t ORDER BY a) UNION (SELECT a FROM u)",
        lambda q: body(q).left.order_by[0].expression,
        col("a"),
    ),
    (
        "WITH x AS (SELECT a FROM t), y AS (SELECT a FROM x) SELECT a FROM y",
        lambda q: [c.name.name for c in q.with_],
        ["x", "y"],
    ),
    # expressions
    ("SELECT a + b * c FROM t", first_expr, n.BinaryOp("+", col("a"), n.BinaryOp("*", col("b"), col("c")))),
    ("SELECT (a + b) * c FROM t", first_expr, n.BinaryOp("*", n.BinaryOp("+", col("a"), col("b")), col("c"))),
    ("SELECT a - b - c FROM t", first_expr, n.BinaryOp("-", n.BinaryOp("-", col("a"), col("b")), col("c"))),
    (
        "SELECT -a, -1.5, +2 FROM t",
        lambda q: [i.expression for i in select(q).items],
        [n.UnaryOp("-", col("a")), lit(-1.5), lit(2)],
    ),
    ("SELECT a % 10 FROM t", first_expr, n.BinaryOp("%", col("a"), lit(10))),
    ("SELECT 'x' || a || 'y' FROM t", first_expr, n.BinaryOp("||", n.BinaryOp("||", lit("x"), col("a")), lit("y"))),
    (
        "SELECT a | b & c ^ ~d FROM t",
        first_expr,
        n.BinaryOp("|", col("a"), n.BinaryOp("^", n.BinaryOp("&", col("b"), col("c")), n.UnaryOp("~", col("d")))),
    ),
    (
        "SELECT 12, 12.5, .5, 1e3, 1.5E-2, 0x1F, 0XfF FROM t",
        lambda q: [i.expression.value for i in select(q).items],
        [12, 12.5, 0.5, 1000.0, 0.015, 31, 255],
    ),
    ("SELECT 'Earth''s satellite' FROM t", first_expr, lit("Earth's satellite")),
    ("SELECT '' FROM t", first_expr, lit("")),
    ("SELECT NULL FROM t", first_expr, lit(None)),
    (
        "SELECT COUNT(DISTINCT a), AVG(ALL b) FROM t",
        lambda q: [i.expression for i in select(q).items],
        [n.FunctionCall("count", (col("a"),), distinct=True), n.FunctionCall("avg", (col("b"),))],
    ),
    (
        "SELECT PI(), RAND(), Round(a, 2) FROM t",
        lambda q: [i.expression for i in select(q).items],
        [n.FunctionCall("pi", ()), n.FunctionCall("rand", ()), n.FunctionCall("round", (col("a"), lit(2)))],
    ),
    (
        "SELECT CAST(a AS DOUBLE PRECISION), CAST(b AS VARCHAR(10)), CAST(c AS char) FROM t",
        lambda q: [i.expression.target for i in select(q).items],
        [n.CastTarget("DOUBLE PRECISION"), n.CastTarget("VARCHAR", 10), n.CastTarget("CHAR")],
    ),
    (
        "SELECT CASE WHEN a > 1 THEN 'x' WHEN a > 0 THEN 'y' ELSE 'z' END FROM t",
        first_expr,
        n.CaseExpr(
            None,
            (
                n.WhenBranch(n.Comparison(">", col("a"), lit(1)), lit("x")),
                n.WhenBranch(n.Comparison(">", col("a"), lit(0)), lit("y")),
            ),
            lit("z"),
        ),
    ),
    (
        "SELECT CASE a WHEN 1 THEN 'one' END FROM t",
        first_expr,
        n.CaseExpr(col("a"), (n.WhenBranch(lit(1), lit("one")),), None),
    ),
    (
        "SELECT COALESCE(a, 0), NULLIF(a, 0), IN_UNIT(a, 'km') FROM t",
        lambda q: [i.expression.name for i in select(q).items],
        ["coalesce", "nullif", "in_unit"],
    ),
    (
        "SELECT a FROM t WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 10, -20.5, 1/60.))",
        lambda q: where(q).right.args[1].args[0],
        lit("ICRS"),
    ),
    (
        "SELECT DISTANCE(POINT(1, 2), POINT(3, 4)), DISTANCE(1, 2, 3, 4) FROM t",
        lambda q: [len(i.expression.args) for i in select(q).items],
        [2, 4],
    ),
    ("SELECT ivo_hasword(a, 'x') FROM t", first_expr, n.FunctionCall("ivo_hasword", (col("a"), lit("x")))),
    # lexical details
    ("SELECT a -- the column\nFROM t -- and the table", lambda q: select(q).from_items, (table("t"),)),
    ("SELECT a\n  FROM t\n WHERE b = 1;", lambda q: where(q).pos, n.Position(3, 10)),
    ("SELECT a FROM t;", lambda q: select(q).from_items, (table("t"),)),
    ("SELECT a FROM t WHERE a = 1 --- comment with ' and \" inside", where, n.Comparison("=", col("a"), lit(1))),
]


@pytest.mark.parametrize(("text", "extract", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_parse(text: str, extract: Callable[[n.Query], object], expected: object) -> None:
    assert extract(parse(text)) == expected


ERRORS = [
    ("", None, None, "empty"),
    ("   -- only a comment", None, None, "empty"),
    ("SELECT a FORM t", 1, 15, "expected ',' or FROM"),
    ("SELECT FROM t", 1, 8, "Unexpected keyword FROM"),
    ("SELECT a FROM", 1, 14, "Unexpected end of query"),
    ("SELECT a FROM t WHERE", 1, 22, "Unexpected end of query"),
    ("SELECT a FROM t; DROP TABLE t", 1, 18, "after the end of the query"),
    ("SELECT a FROM t; SELECT b FROM u", 1, 18, "only one SELECT"),
    ("DROP TABLE corot.targets", 1, 1, "starts with SELECT or WITH"),
    ("INSERT INTO t VALUES (1)", 1, 1, "Unexpected 'INSERT'"),
    ("UPDATE t SET a = 1", 1, 1, "Unexpected 'UPDATE'"),
    ("DELETE FROM t", 1, 1, "Unexpected 'DELETE'"),
    ("CREATE TABLE x (a INTEGER)", 1, 1, "Unexpected 'CREATE'"),
    ("SELECT level FROM corot.datasets", 1, 8, "'level' is a reserved word"),
    ("SELECT a FROM t AS size", 1, 20, "reserved word"),
    ("SELECT 'abc FROM t", 1, 8, "Unterminated string"),
    ('SELECT "abc FROM t', 1, 8, "Unterminated"),
    ("SELECT a FROM t WHERE a = #1", 1, 27, "Unexpected character '#'"),
    ("SELECT a\nFROM t\nWHERE a = 1 2", 3, 13, "Unexpected '2'"),
    ("SELECT TOP 1.5 a FROM t", 1, 12, "TOP value must be an unsigned integer"),
    ("SELECT a FROM t OFFSET -1", 1, 24, "Unexpected '-'"),
    ("SELECT CAST(a AS blob) FROM t", 1, 18, "Unsupported CAST target type BLOB"),
    ("SELECT CAST(a AS INTEGER(5)) FROM t", 1, 26, "takes no length"),
    ("SELECT 99999999999999999999 FROM t", 1, 8, "out of range"),
    ("SELECT 0x8000000000000000 FROM t", 1, 8, "out of range"),
    ("SELECT 1" + "0" * 5000 + " FROM t", 1, 8, "Integer literal 10000000000000000000...00000000 (5001 characters)"),
    ("SELECT a FROM t WHERE a =\n 1" + "0" * 5000 + ".5", 2, 2, "Numeric literal"),
    ("SELECT TOP " + "9" * 5000 + " a FROM t", 1, 12, "TOP value"),
    ("SELECT a FROM t OFFSET " + "9" * 5000, 1, 24, "OFFSET value"),
    ("SELECT 0x" + "f" * 5000 + " FROM t", 1, 8, "Hexadecimal literal"),
    ("SELECT a FROM t WHERE a = ANY (SELECT b FROM u)", 1, 32, "Unexpected"),
    ("SELECT a FROM t JOIN u", None, None, None),  # parses; annotation requires ON/USING
    ("SELECT a FROM t NATURAL JOIN u USING (x)", 1, 17, "NATURAL join cannot have"),
    ("SELECT a FROM t WHERE a.b.c.d.e = 1", 1, 23, "at most four parts"),
    ("SELECT a FROM t LIMIT 10", 1, 23, "write SELECT TOP n"),
    ("SELECT a FROM t /* comment */", 1, 17, "ADQL comments start with --"),
    ("SELECT a FROM t WHERE x IN ()", 1, 29, "Unexpected ')'"),
    ("SELECT a FROM t\x00", None, None, "NUL"),
    ("SELECT a FROM t WHERE CONTAINS(POINT(1, 2), CIRCLE(1, 2, 3))", 1, 61, "as in CONTAINS(...) = 1"),
    ("SELECT a FROM t WHERE CONTAINS(POINT(1, 2), CIRCLE(1, 2, 3)) AND b = 1", 1, 62, "as in CONTAINS(...) = 1"),
]


@pytest.mark.parametrize(("text", "line", "column", "message"), ERRORS, ids=[e[0][:50] or "empty" for e in ERRORS])
def test_syntax_errors(text: str, line: int | None, column: int | None, message: str | None) -> None:
    if message is None:
        parse(text)
        return
    with pytest.raises(AdqlError) as caught:
        parse(text)
    error = caught.value
    assert message in str(error)
    assert (error.line, error.column) == (line, column)
    if line is not None:
        assert f"(line {line}, column {column})" in str(error)


def test_long_literals_within_range_keep_their_value() -> None:
    """Leading zeros do not count against the 64-bit range, however many there are."""
    query = parse("SELECT " + "0" * 5000 + "9223372036854775807, 0x" + "0" * 5000 + "ff FROM t")
    literals = [item.expression for item in query.body.body.items]  # type: ignore[union-attr]
    assert [literal.value for literal in literals] == [2**63 - 1, 255]  # type: ignore[union-attr]


def test_keywords_are_case_insensitive() -> None:
    assert parse("sElEcT a fRoM t wHeRe a bEtWeEn 1 AnD 2") == parse("SELECT a FROM t WHERE a BETWEEN 1 AND 2")


def test_positions_ignore_in_equality_but_are_kept() -> None:
    first = parse("SELECT a FROM t")
    second = parse("SELECT  a  FROM  t")
    assert first == second
    assert first_expr(first).pos == n.Position(1, 8)
    assert first_expr(second).pos == n.Position(1, 9)


def test_long_and_deep_queries_are_errors_not_crashes() -> None:
    with pytest.raises(AdqlError, match="too long"):
        parse("SELECT a FROM t WHERE " + " OR ".join(["a = 1"] * 20_000))
    deep = "SELECT " + "(" * 3000 + "1" + ")" * 3000 + " FROM t"
    query = parse(deep)  # LALR keeps its own stack: deep nesting parses
    assert isinstance(first_expr(query), n.Literal)


def test_deep_nesting_is_refused_before_the_later_stages() -> None:
    deep = "SELECT " + "ABS(" * 2000 + "1" + ")" * 2000 + " FROM corot.runs"
    with pytest.raises(AdqlError, match="nested more than 200 levels deep"):
        parse(deep)
