"""ADQL text → :mod:`tap.adql.nodes` tree (syntax only), with positioned syntax errors.

The lark LALR(1) parser builds the tree directly through an embedded transformer (no
intermediate parse tree), which keeps a typical query well under a millisecond.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, cast

import lark
from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from tap.adql import nodes as n
from tap.adql.errors import AdqlError
from tap.adql.grammar import GRAMMAR_KEYWORDS, grammar_text
from tap.adql.keywords import is_reserved
from tap.adql.limits import check_limits

#: Longest query text accepted (characters); a guard against absurd inputs.
MAX_QUERY_LENGTH = 100_000
_INT64_MAX = 2**63 - 1

#: ADQL 2.1 §4.7.1 cast targets (plus the geometry types of the same section).
CAST_TYPES = frozenset(
    {
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "REAL",
        "DOUBLE PRECISION",
        "CHAR",
        "VARCHAR",
        "TIMESTAMP",
        "POINT",
        "CIRCLE",
        "POLYGON",
    }
)

_TERMINAL_NAMES: dict[str, str] = {
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "DOT": "'.'",
    "STAR": "'*'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "SOLIDUS": "'/'",
    "PERCENT": "'%'",
    "CONCAT": "'||'",
    "VBAR": "'|'",
    "AMPERSAND": "'&'",
    "CIRCUMFLEX": "'^'",
    "TILDE": "'~'",
    "SEMICOLON": "';'",
    "COMP_OP": "a comparison operator",
    "NUMBER": "a number",
    "HEX_NUMBER": "a number",
    "STRING": "a string literal",
    "REGULAR_IDENTIFIER": "a name",
    "DELIMITED_IDENTIFIER": "a name",
    "$END": "the end of the query",
    "<END-OF-FILE>": "the end of the query",
}
_END_NAMES = frozenset({"$END", "<END-OF-FILE>"})
_PREDICATE_CALL = re.compile(r"\b(contains|intersects)\s*\(", re.IGNORECASE)
_PREDICATE_HINT = "CONTAINS and INTERSECTS return 1 or 0: compare them, as in CONTAINS(...) = 1"


@cache
def _parser() -> lark.Lark:
    """The compiled LALR parser (built on first use, then shared: it is immutable)."""
    return lark.Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        maybe_placeholders=True,
        transformer=_TreeBuilder(),
        cache=False,
    )


def parse(text: str) -> n.Query:
    """Parse one ADQL 2.1 query; raise :class:`AdqlError` with the position on bad syntax or
    beyond the bounds of :mod:`tap.adql.limits`."""
    if not isinstance(text, str):
        raise AdqlError("The query must be text")
    if "\x00" in text:
        raise AdqlError("The query contains a NUL character")
    if not re.sub(r"--[^\n]*", "", text).strip():
        raise AdqlError("The query is empty")
    if len(text) > MAX_QUERY_LENGTH:
        raise AdqlError(f"The query is too long ({len(text)} characters, at most {MAX_QUERY_LENGTH})")
    parser = _parser()
    try:
        query = cast(n.Query, parser.parse(text))
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    check_limits(query)  # before the recursive stages (tap.adql.limits)
    return query


# -- syntax errors ------------------------------------------------------------------------
def _describe_expected(expected: Iterable[str]) -> str:
    names: list[str] = []
    for name in expected:
        described = _TERMINAL_NAMES.get(name, name if name in GRAMMAR_KEYWORDS else None)
        if described is None:
            described = name
        if described not in names:
            names.append(described)
    keywords = sorted(x for x in names if x.isupper())
    others = sorted(x for x in names if not x.isupper())
    ordered = others + keywords
    if len(ordered) > 8:
        ordered = [*ordered[:8], "..."]
    if len(ordered) == 1:
        return ordered[0]
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "end of query"
    value = str(token)
    if len(value) > 40:
        value = value[:37] + "..."
    return f"'{value}'"


def _after_predicate_call(before: str) -> bool:
    """Whether the text so far ends a CONTAINS(...) or INTERSECTS(...) call (a hint heuristic)."""
    stripped = before.rstrip()
    return stripped.endswith(")") and _PREDICATE_CALL.search(stripped) is not None


def _syntax_error(exc: UnexpectedInput, text: str) -> AdqlError:
    line = int(getattr(exc, "line", 0) or 0) or None
    column = int(getattr(exc, "column", 0) or 0) or None
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        expected = set(exc.expected)
        if token.type == "$END":
            # lark gives the end-of-input token the extent of the last real token.
            line, column = token.end_line or 1, token.end_column or 1
            end_hint = f"expected {_describe_expected(expected)}"
            if "COMP_OP" in expected and _after_predicate_call(text):
                end_hint = _PREDICATE_HINT
            return AdqlError("Unexpected end of query", line, column, hint=end_hint)
        line, column = token.line, token.column
        if expected <= _END_NAMES:
            return AdqlError(
                f"Unexpected {_describe_token(token)} after the end of the query",
                line,
                column,
                hint="only one SELECT or WITH query can be submitted",
            )
        if token.type in GRAMMAR_KEYWORDS and expected & {"REGULAR_IDENTIFIER", "DELIMITED_IDENTIFIER"}:
            return AdqlError(
                f"Unexpected keyword {token.type}",
                line,
                column,
                hint=f'{token.type} is a reserved word; write "{str(token).lower()}" to use it as a name, '
                f"or check the syntax before it",
            )
        hint = f"expected {_describe_expected(expected)}"
        start, end = token.start_pos or 0, token.end_pos or 0
        before = text[:start]
        if "COMP_OP" in expected and _after_predicate_call(before):
            hint = _PREDICATE_HINT
        elif re.search(r"\blimit\s*$", before, re.IGNORECASE):
            hint = "ADQL has no LIMIT clause; write SELECT TOP n ... instead"
        elif str(token).startswith("/*") or (str(token) == "/" and text[end:].startswith("*")):
            hint = "ADQL comments start with -- and run to the end of the line"
        if token.line == 1 and token.column == 1:
            hint += " (an ADQL query starts with SELECT or WITH)"
        return AdqlError(f"Unexpected {_describe_token(token)}", line, column, hint=hint)
    if isinstance(exc, UnexpectedCharacters):
        position = exc.pos_in_stream if exc.pos_in_stream is not None else -1
        char = text[position] if 0 <= position < len(text) else ""
        if not char:
            return AdqlError("Unexpected end of query", line, column)
        if char == "'":
            return AdqlError("Unterminated string literal", line, column, hint="close it with a single quote")
        if char == '"':
            return AdqlError(
                "Unterminated or empty delimited identifier", line, column, hint="close it with a double quote"
            )
        if char == ";":
            return AdqlError("Unexpected ';'", line, column, hint="only one query can be submitted")
        shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
        allowed = getattr(exc, "allowed", None) or ()
        expected_hint = f"expected {_describe_expected(allowed)}" if allowed else None
        return AdqlError(f"Unexpected character {shown}", line, column, hint=expected_hint)
    return AdqlError(f"Syntax error: {exc.__class__.__name__}", line, column)


# -- tree building --------------------------------------------------------------------------
def _position(item: Any) -> n.Position:
    if isinstance(item, Token):
        return n.Position(item.line or 0, item.column or 0)
    pos = getattr(item, "pos", None)
    if isinstance(pos, n.Position):
        return pos
    if isinstance(item, tuple) and item:
        return _position(item[0])
    return n.Position(0, 0)


def _first_position(children: Sequence[Any]) -> n.Position:
    for child in children:
        if child is not None:
            pos = _position(child)
            if pos.line:
                return pos
    return n.Position(0, 0)


def _is_keyword(item: Any, *words: str) -> bool:
    return isinstance(item, Token) and item.type in words


def _values(children: Sequence[Any]) -> list[Any]:
    """Children without placeholders and keyword tokens."""
    return [c for c in children if c is not None and not (isinstance(c, Token) and c.type in GRAMMAR_KEYWORDS)]


def _shown(text: str) -> str:
    """A literal as an error message quotes it: long ones abridged, with their length."""
    if len(text) <= 40:
        return text
    return f"{text[:20]}...{text[-8:]} ({len(text)} characters)"


def _int64(digits: str) -> int | None:
    """The value of an unsigned decimal literal, None beyond the 64-bit range.

    The length is checked before converting, so a literal of any length is an ADQL error
    with its position (Python refuses to convert more than 4,300 digits at all).
    """
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(_INT64_MAX)):
        return None
    value = int(significant)
    return value if value <= _INT64_MAX else None


def _integer(token: Token, what: str) -> int:
    text = str(token)
    if not text.isdigit():
        raise AdqlError(f"{what} must be an unsigned integer, not {_shown(text)}", token.line, token.column)
    value = _int64(text)
    if value is None:
        raise AdqlError(f"{what} {_shown(text)} is out of range", token.line, token.column)
    return value


class _TreeBuilder(lark.Transformer[Token, Any]):
    """Reduces grammar rules to :mod:`tap.adql.nodes` objects as the parser recognises them."""

    # -- queries --------------------------------------------------------------------------
    def start(self, children: list[Any]) -> n.Query:
        return cast(n.Query, children[0])

    def query(self, children: list[Any]) -> n.Query:
        with_clause, body = children
        return n.Query(body=body, with_=tuple(with_clause or ()), pos=_first_position(children))

    def with_clause(self, children: list[Any]) -> tuple[n.CommonTable, ...]:
        return tuple(_values(children))

    def with_query(self, children: list[Any]) -> n.CommonTable:
        name, query = _values(children)
        return n.CommonTable(name=name, query=query, pos=name.pos)

    def select_expression(self, children: list[Any]) -> n.SelectExpression:
        body, order_by, offset = children
        return n.SelectExpression(body=body, order_by=tuple(order_by or ()), offset=offset, pos=_position(body))

    def parenthesised_query(self, children: list[Any]) -> n.SelectExpression:
        return cast(n.SelectExpression, children[0])

    def _set_operation(self, op: n.SetOperator, children: list[Any]) -> n.SetOperation:
        left = children[0]
        right = children[-1]
        keyword = next(c for c in children if isinstance(c, Token))
        return n.SetOperation(
            op=op, left=left, right=right, all=any(_is_keyword(c, "ALL") for c in children), pos=_position(keyword)
        )

    def set_union(self, children: list[Any]) -> n.SetOperation:
        return self._set_operation("union", children)

    def set_except(self, children: list[Any]) -> n.SetOperation:
        return self._set_operation("except", children)

    def set_intersect(self, children: list[Any]) -> n.SetOperation:
        return self._set_operation("intersect", children)

    def select_query(self, children: list[Any]) -> n.SelectQuery:
        select, quantifier, top, items, from_items, where, group_by, having = children
        return n.SelectQuery(
            items=items,
            from_items=from_items,
            distinct=quantifier == "distinct",
            top=top,
            where=where,
            group_by=tuple(group_by or ()),
            having=having,
            pos=_position(select),
        )

    def set_quantifier(self, children: list[Any]) -> str:
        return str(children[0]).lower()

    def top_clause(self, children: list[Any]) -> int:
        return _integer(children[1], "The TOP value")

    def offset_clause(self, children: list[Any]) -> int:
        return _integer(children[1], "The OFFSET value")

    def select_all(self, children: list[Any]) -> tuple[n.StarItem, ...]:
        return (n.StarItem(None, pos=_position(children[0])),)

    def select_list(self, children: list[Any]) -> tuple[n.SelectItem | n.StarItem, ...]:
        return tuple(children)

    def derived_column(self, children: list[Any]) -> n.SelectItem:
        values = _values(children)
        expression = values[0]
        alias = values[1] if len(values) > 1 else None
        return n.SelectItem(expression=expression, alias=alias, pos=_position(expression))

    def qualified_star(self, children: list[Any]) -> n.StarItem:
        qualifier = children[0]
        return n.StarItem(qualifier=qualifier, pos=_position(qualifier))

    # -- names ----------------------------------------------------------------------------
    def identifier(self, children: list[Any]) -> n.Identifier:
        token: Token = children[0]
        pos = _position(token)
        if token.type == "DELIMITED_IDENTIFIER":
            return n.Identifier(str(token)[1:-1].replace('""', '"'), delimited=True, pos=pos)
        if str(token).upper() in GRAMMAR_KEYWORDS:
            raise AdqlError(
                f"Unexpected keyword {str(token).upper()}",
                pos.line,
                pos.column,
                hint=f'a name or an expression was expected; write "{str(token).lower()}" (in double quotes) '
                "to use a reserved word as a name",
            )
        if is_reserved(str(token)):
            raise AdqlError(
                f"'{token}' is a reserved word",
                pos.line,
                pos.column,
                hint=f'write "{str(token).lower()}" (in double quotes) to use it as a name',
            )
        return n.Identifier(str(token), delimited=False, pos=pos)

    def single_name(self, children: list[Any]) -> tuple[n.Identifier, ...]:
        return (children[0],)

    def qualified_name(self, children: list[Any]) -> tuple[n.Identifier, ...]:
        return (*children[0], children[1])

    # -- FROM -----------------------------------------------------------------------------
    def from_clause(self, children: list[Any]) -> tuple[n.FromItem, ...]:
        return tuple(_values(children))

    def table_ref(self, children: list[Any]) -> n.TableReference:
        values = _values(children)
        parts: tuple[n.Identifier, ...] = values[0]
        if len(parts) > 3:
            raise AdqlError("A table name has at most three parts (catalog.schema.table)", *_line_col(parts[0]))
        alias = values[1] if len(values) > 1 else None
        return n.TableReference(name=n.TableName(parts, pos=parts[0].pos), alias=alias, pos=parts[0].pos)

    def derived_table(self, children: list[Any]) -> n.DerivedTable:
        values = _values(children)
        query = values[0]
        alias = values[1] if len(values) > 1 else None
        return n.DerivedTable(query=query, alias=alias, pos=_position(query))

    def parenthesised_join(self, children: list[Any]) -> n.Join:
        return cast(n.Join, children[0])

    def joined_table(self, children: list[Any]) -> n.Join:
        left, natural, kind, _join, right, spec = children
        on: n.Condition | None = None
        using: tuple[n.Identifier, ...] | None = None
        if spec is not None:
            if spec[0] == "on":
                on = spec[1]
            else:
                using = spec[1]
        if natural is not None and spec is not None:
            raise AdqlError("A NATURAL join cannot have an ON or USING clause", *_line_col(natural))
        return n.Join(
            left=left,
            right=right,
            kind=kind or "inner",
            natural=natural is not None,
            on=on,
            using=using,
            pos=_position(_join),
        )

    def cross_join(self, children: list[Any]) -> n.Join:
        left, cross, _join, right = children
        return n.Join(left=left, right=right, kind="cross", pos=_position(cross))

    def join_type(self, children: list[Any]) -> str:
        return str(children[0]).lower()

    def join_on(self, children: list[Any]) -> tuple[str, n.Condition]:
        return ("on", children[1])

    def join_using(self, children: list[Any]) -> tuple[str, tuple[n.Identifier, ...]]:
        return ("using", tuple(_values(children)))

    # -- clauses --------------------------------------------------------------------------
    def where_clause(self, children: list[Any]) -> n.Condition:
        return cast(n.Condition, children[1])

    def having_clause(self, children: list[Any]) -> n.Condition:
        return cast(n.Condition, children[1])

    def group_by_clause(self, children: list[Any]) -> tuple[n.Expression, ...]:
        return tuple(_values(children))

    def order_by(self, children: list[Any]) -> tuple[n.OrderItem, ...]:
        return tuple(_values(children))

    def order_item(self, children: list[Any]) -> n.OrderItem:
        expression, direction = children
        return n.OrderItem(expression=expression, descending=_is_keyword(direction, "DESC"), pos=_position(expression))

    # -- conditions -----------------------------------------------------------------------
    def or_condition(self, children: list[Any]) -> n.Or:
        return n.Or(children[0], children[2], pos=_position(children[1]))

    def and_condition(self, children: list[Any]) -> n.And:
        return n.And(children[0], children[2], pos=_position(children[1]))

    def not_condition(self, children: list[Any]) -> n.Not:
        return n.Not(children[1], pos=_position(children[0]))

    def comparison(self, children: list[Any]) -> n.Comparison:
        left, op, right = children
        operator = "<>" if str(op) == "!=" else str(op)
        return n.Comparison(cast(n.ComparisonOperator, operator), left, right, pos=_position(op))

    def between(self, children: list[Any]) -> n.Between:
        operand, negation, keyword, low, _and, high = children
        return n.Between(operand, low, high, negated=negation is not None, pos=_position(keyword))

    def in_list(self, children: list[Any]) -> n.InList:
        operand, negation, keyword, *items = children
        return n.InList(operand, tuple(items), negated=negation is not None, pos=_position(keyword))

    def in_subquery(self, children: list[Any]) -> n.InSubquery:
        operand, negation, keyword, query = children
        return n.InSubquery(operand, query, negated=negation is not None, pos=_position(keyword))

    def _like(self, children: list[Any], case_insensitive: bool) -> n.Like:
        operand, negation, keyword, pattern, _escape, escape = children
        return n.Like(
            operand,
            pattern,
            escape=escape,
            negated=negation is not None,
            case_insensitive=case_insensitive,
            pos=_position(keyword),
        )

    def like(self, children: list[Any]) -> n.Like:
        return self._like(children, case_insensitive=False)

    def ilike(self, children: list[Any]) -> n.Like:
        return self._like(children, case_insensitive=True)

    def null_test(self, children: list[Any]) -> n.IsNull:
        operand, keyword, negation, _null = children
        return n.IsNull(operand, negated=negation is not None, pos=_position(keyword))

    def exists(self, children: list[Any]) -> n.Exists:
        return n.Exists(children[1], pos=_position(children[0]))

    # -- expressions ----------------------------------------------------------------------
    def binary(self, children: list[Any]) -> n.BinaryOp:
        left, op, right = children
        return n.BinaryOp(cast(n.BinaryOperator, str(op)), left, right, pos=_position(op))

    def unary(self, children: list[Any]) -> n.Expression:
        op, operand = children
        pos = _position(op)
        if isinstance(operand, n.Literal) and operand.kind in ("integer", "real") and str(op) in "+-":
            value = operand.value
            assert isinstance(value, int | float)
            return n.Literal(-value if str(op) == "-" else value, operand.kind, pos=pos)
        return n.UnaryOp(cast(n.UnaryOperator, str(op)), operand, pos=pos)

    def number(self, children: list[Any]) -> n.Literal:
        token: Token = children[0]
        text = str(token)
        pos = _position(token)
        if text.isdigit():
            value = _int64(text)
            if value is None:
                raise AdqlError(
                    f"Integer literal {_shown(text)} is out of range",
                    pos.line,
                    pos.column,
                    hint="write it with a decimal point or an exponent to make it a real number",
                )
            return n.Literal(value, "integer", pos=pos)
        real = float(text)
        if not math.isfinite(real):
            raise AdqlError(f"Numeric literal {_shown(text)} is out of range", pos.line, pos.column)
        return n.Literal(real, "real", pos=pos)

    def hex_number(self, children: list[Any]) -> n.Literal:
        token: Token = children[0]
        digits = str(token)[2:].lstrip("0") or "0"
        value = int(digits, 16) if len(digits) <= 16 else _INT64_MAX + 1
        if value > _INT64_MAX:
            raise AdqlError(f"Hexadecimal literal {_shown(str(token))} is out of range", token.line, token.column)
        return n.Literal(value, "integer", pos=_position(token))

    def string(self, children: list[Any]) -> n.Literal:
        token: Token = children[0]
        return n.Literal(str(token)[1:-1].replace("''", "'"), "string", pos=_position(token))

    def null(self, children: list[Any]) -> n.Literal:
        return n.Literal(None, "null", pos=_position(children[0]))

    def column_ref(self, children: list[Any]) -> n.ColumnRef:
        parts: tuple[n.Identifier, ...] = children[0]
        if len(parts) > 4:
            raise AdqlError("A column reference has at most four parts", *_line_col(parts[0]))
        return n.ColumnRef(parts, pos=parts[0].pos)

    def function_call(self, children: list[Any]) -> n.FunctionCall:
        name_token, arguments = children
        pos = _position(name_token)
        name = str(name_token).lower()
        if arguments is None:
            return n.FunctionCall(name, (), pos=pos)
        if arguments == "*":
            return n.FunctionCall(name, (), star=True, pos=pos)
        distinct, args = arguments
        return n.FunctionCall(name, args, distinct=distinct, pos=pos)

    def star_argument(self, children: list[Any]) -> str:
        return "*"

    def value_arguments(self, children: list[Any]) -> tuple[bool, tuple[n.Expression, ...]]:
        quantifier, *args = children
        return quantifier == "distinct", tuple(args)

    def cast(self, children: list[Any]) -> n.Cast:
        values = _values(children)
        operand, target = values
        return n.Cast(operand, target, pos=_position(children[0]))

    def cast_type(self, children: list[Any]) -> n.CastTarget:
        first, second, length = children
        pos = _position(first)
        name = str(first).upper() + (" " + str(second).upper() if second is not None else "")
        if name == "DOUBLE":
            name = "DOUBLE PRECISION"
        if name not in CAST_TYPES:
            raise AdqlError(
                f"Unsupported CAST target type {name}",
                pos.line,
                pos.column,
                hint="use one of " + ", ".join(sorted(CAST_TYPES)),
            )
        size = None
        if length is not None:
            if name not in ("CHAR", "VARCHAR"):
                raise AdqlError(f"Type {name} takes no length", *_line_col(length))
            size = _integer(length, "The string length")
            if size == 0:
                raise AdqlError("The string length must be positive", *_line_col(length))
        return n.CastTarget(name, size, pos=pos)

    def simple_case(self, children: list[Any]) -> n.CaseExpr:
        values = _values(children)
        operand = values[0]
        branches = tuple(v for v in values[1:] if isinstance(v, n.WhenBranch))
        rest = [v for v in values[1:] if not isinstance(v, n.WhenBranch)]
        return n.CaseExpr(operand, branches, rest[0] if rest else None, pos=_position(children[0]))

    def searched_case(self, children: list[Any]) -> n.CaseExpr:
        values = _values(children)
        branches = tuple(v for v in values if isinstance(v, n.WhenBranch))
        rest = [v for v in values if not isinstance(v, n.WhenBranch)]
        return n.CaseExpr(None, branches, rest[0] if rest else None, pos=_position(children[0]))

    def _when(self, children: list[Any]) -> n.WhenBranch:
        when, then = _values(children)
        return n.WhenBranch(when, then, pos=_position(children[0]))

    when_value = _when
    when_condition = _when

    def scalar_subquery(self, children: list[Any]) -> n.ScalarSubquery:
        return n.ScalarSubquery(children[0], pos=_position(children[0]))


def _line_col(item: Any) -> tuple[int, int]:
    pos = _position(item)
    return pos.line, pos.column


__all__: list[str] = ["CAST_TYPES", "MAX_QUERY_LENGTH", "parse"]
