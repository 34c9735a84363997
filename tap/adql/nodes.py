"""The ADQL abstract syntax tree: one frozen dataclass per construct of the ADQL 2.1 grammar.

Nodes carry the position of their first token (``pos``) for error messages; positions are
left out of equality, so two spellings of the same expression compare equal (this is how
GROUP BY terms are matched against the select list).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal as TypingLiteral


@dataclass(frozen=True, slots=True)
class Position:
    """1-based line and column of a token in the query text."""

    line: int
    column: int


#: Position of nodes built in code rather than parsed (tests, rewrites).
NOWHERE = Position(0, 0)


# -- names --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Identifier:
    """A regular (case-insensitive) or delimited (``"..."``, case-sensitive) identifier."""

    name: str
    delimited: bool = False
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)

    @property
    def folded(self) -> str:
        """The name compared against catalogue names: regular identifiers fold to lower case."""
        return self.name if self.delimited else self.name.lower()

    def __str__(self) -> str:
        return '"' + self.name.replace('"', '""') + '"' if self.delimited else self.name


# -- value expressions (ADQL 2.1 <value_expression>) -----------------------------------------
LiteralKind = TypingLiteral["integer", "real", "string", "null"]


@dataclass(frozen=True, slots=True)
class Literal:
    """A numeric, string or NULL literal (§2.1.7)."""

    value: int | float | str | None
    kind: LiteralKind
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """``[[[catalog.]schema.]table.]column`` (<column_reference>)."""

    parts: tuple[Identifier, ...]
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)

    @property
    def column(self) -> Identifier:
        return self.parts[-1]

    @property
    def qualifier(self) -> tuple[Identifier, ...]:
        return self.parts[:-1]

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts)


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """Any function: math, trigonometric, geometric, string, set (aggregate) or user-defined.

    ``name`` is lower-cased (function names are regular identifiers, hence case-insensitive).
    ``star`` marks ``COUNT(*)``; ``distinct`` the set quantifier of a set function.
    """

    name: str
    args: tuple[Expression, ...]
    distinct: bool = False
    star: bool = False
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class CastTarget:
    """The target type of ``CAST`` (§4.7.1): a type name and an optional length."""

    type_name: str
    length: int | None = None
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Cast:
    operand: Expression
    target: CastTarget
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


UnaryOperator = TypingLiteral["+", "-", "~"]
BinaryOperator = TypingLiteral["+", "-", "*", "/", "%", "||", "&", "|", "^"]


@dataclass(frozen=True, slots=True)
class UnaryOp:
    op: UnaryOperator
    operand: Expression
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class BinaryOp:
    op: BinaryOperator
    left: Expression
    right: Expression
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class WhenBranch:
    """``WHEN condition THEN result`` (searched) or ``WHEN value THEN result`` (simple CASE)."""

    when: Condition | Expression
    then: Expression
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class CaseExpr:
    operand: Expression | None
    branches: tuple[WhenBranch, ...]
    default: Expression | None
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class ScalarSubquery:
    query: SelectExpression
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


Expression = Literal | ColumnRef | FunctionCall | Cast | UnaryOp | BinaryOp | CaseExpr | ScalarSubquery


# -- search conditions (<search_condition>) -------------------------------------------------
ComparisonOperator = TypingLiteral["=", "<>", "<", ">", "<=", ">="]


@dataclass(frozen=True, slots=True)
class Comparison:
    op: ComparisonOperator
    left: Expression
    right: Expression
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Between:
    operand: Expression
    low: Expression
    high: Expression
    negated: bool = False
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class InList:
    operand: Expression
    items: tuple[Expression, ...]
    negated: bool = False
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class InSubquery:
    operand: Expression
    query: SelectExpression
    negated: bool = False
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Like:
    """``LIKE`` or (``case_insensitive``) ``ILIKE`` with an optional ``ESCAPE`` character."""

    operand: Expression
    pattern: Expression
    escape: Expression | None = None
    negated: bool = False
    case_insensitive: bool = False
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class IsNull:
    operand: Expression
    negated: bool = False
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Exists:
    query: SelectExpression
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class And:
    left: Condition
    right: Condition
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Or:
    left: Condition
    right: Condition
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Condition
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


Condition = Comparison | Between | InList | InSubquery | Like | IsNull | Exists | And | Or | Not


# -- FROM clause ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TableName:
    """``[[catalog.]schema.]table`` (<table_name>)."""

    parts: tuple[Identifier, ...]
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts)


@dataclass(frozen=True, slots=True)
class TableReference:
    name: TableName
    alias: Identifier | None = None
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class DerivedTable:
    query: SelectExpression
    alias: Identifier | None
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


JoinKind = TypingLiteral["inner", "left", "right", "full", "cross"]


@dataclass(frozen=True, slots=True)
class Join:
    """``left [NATURAL] [INNER|LEFT|RIGHT|FULL [OUTER]] JOIN right [ON ...|USING (...)]``."""

    left: FromItem
    right: FromItem
    kind: JoinKind = "inner"
    natural: bool = False
    on: Condition | None = None
    using: tuple[Identifier, ...] | None = None
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


FromItem = TableReference | DerivedTable | Join


# -- queries ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SelectItem:
    """``value_expression [AS alias]`` (<derived_column>)."""

    expression: Expression
    alias: Identifier | None = None
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class StarItem:
    """``*`` (no qualifier) or ``qualifier.*``."""

    qualifier: tuple[Identifier, ...] | None = None
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class SelectQuery:
    """One ``SELECT`` block (<select_query>)."""

    items: tuple[SelectItem | StarItem, ...]
    from_items: tuple[FromItem, ...]
    distinct: bool = False
    top: int | None = None
    where: Condition | None = None
    group_by: tuple[Expression, ...] = ()
    having: Condition | None = None
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


SetOperator = TypingLiteral["union", "except", "intersect"]


@dataclass(frozen=True, slots=True)
class SetOperation:
    """``left UNION|EXCEPT|INTERSECT [ALL] right`` (§4.6)."""

    op: SetOperator
    left: QueryBody
    right: QueryBody
    all: bool = False
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class OrderItem:
    expression: Expression
    descending: bool = False
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class SelectExpression:
    """A query body with its ORDER BY and OFFSET (<select_expression>)."""

    body: QueryBody
    order_by: tuple[OrderItem, ...] = ()
    offset: int | None = None
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


QueryBody = SelectQuery | SetOperation | SelectExpression


@dataclass(frozen=True, slots=True)
class CommonTable:
    """``name AS (query)`` of a WITH clause (§4.5)."""

    name: Identifier
    query: SelectExpression
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Query:
    """A complete ADQL query: optional common table expressions and the main query."""

    body: SelectExpression
    with_: tuple[CommonTable, ...] = ()
    pos: Position = field(default=NOWHERE, compare=False, kw_only=True)


Node = (
    Expression
    | Condition
    | FromItem
    | SelectItem
    | StarItem
    | QueryBody
    | OrderItem
    | CommonTable
    | Query
    | WhenBranch
    | CastTarget
    | TableName
    | Identifier
)

__all__ = [
    "And",
    "Between",
    "BinaryOp",
    "BinaryOperator",
    "CaseExpr",
    "Cast",
    "CastTarget",
    "ColumnRef",
    "CommonTable",
    "Comparison",
    "ComparisonOperator",
    "Condition",
    "DerivedTable",
    "Exists",
    "Expression",
    "FromItem",
    "FunctionCall",
    "Identifier",
    "InList",
    "InSubquery",
    "IsNull",
    "Join",
    "JoinKind",
    "Like",
    "Literal",
    "LiteralKind",
    "Node",
    "Not",
    "Or",
    "OrderItem",
    "Position",
    "Query",
    "QueryBody",
    "ScalarSubquery",
    "SelectExpression",
    "SelectItem",
    "SelectQuery",
    "SetOperation",
    "SetOperator",
    "StarItem",
    "TableName",
    "TableReference",
    "UnaryOp",
    "UnaryOperator",
    "WhenBranch",
]
