"""The result of validation: output columns plus how every name in the query was resolved.

:class:`AnnotatedQuery` keeps the syntax tree and a :class:`Resolution`, side tables keyed by
``id()`` of the tree's nodes (the annotated query holds the tree, so the ids stay valid).
Translators read the resolution and never look names up again.  Nothing here is SQL: a
column is named by the internal alias of its relation and its column name
(:class:`ColumnSlot`), or as the merge of two such (:class:`MergedColumn`); each SQL dialect's
translator writes them its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tap.adql import nodes as n
from tap.adql.datatypes import Typed
from vo_service.metadata import FieldMeta, TableMeta


@dataclass(frozen=True, slots=True)
class ColumnSlot:
    """A column of a FROM relation: the relation's internal alias and the column's name."""

    alias: str
    name: str


@dataclass(frozen=True, slots=True)
class MergedColumn:
    """A join column of USING or NATURAL in a FULL join: the first of the two that is not NULL."""

    left: ColumnSource
    right: ColumnSource


#: Where a resolved column's value comes from.
ColumnSource = ColumnSlot | MergedColumn


class OutputColumn(FieldMeta):
    """One column of the query result: the core's field metadata (DALI, VOTable 1.4) and where
    it comes from.

    ``name`` is unique (case-insensitively) among the result columns and is also the column
    name in the SQL result.
    """

    #: ``schema.table.column`` when the column is a catalogue column passed through unchanged.
    source: str | None = None


@dataclass(frozen=True, slots=True)
class ResolvedColumn:
    """A column visible in a FROM scope and where its value comes from."""

    name: str
    delimited: bool
    source: ColumnSource
    typed: Typed
    #: Internal alias of the relation providing a physical column (None for merged columns).
    alias: str | None = None
    #: The catalogue table and column name when this is a column of a catalogue table.
    table: TableMeta | None = None
    column: str | None = None
    #: Where the column comes from, for messages ("corot.targets", "subquery s").
    origin: str = ""


@dataclass(frozen=True, slots=True)
class SourceBinding:
    """How a FROM item is read: a catalogue table, a common table expression or a subquery."""

    alias: str
    kind: Literal["table", "cte", "derived"]
    table: TableMeta | None = None
    cte_name: str | None = None


@dataclass(frozen=True, slots=True)
class SelectOutput:
    """One entry of a select list after ``*`` expansion."""

    name: str
    typed: Typed
    expression: n.Expression | None = None
    column: ResolvedColumn | None = None


@dataclass(frozen=True, slots=True)
class OrderTarget:
    """An ORDER BY (or GROUP BY) term: a 1-based result column position or an expression."""

    position: int | None = None


@dataclass
class Resolution:
    """Side tables of an annotated query, keyed by ``id(node)``."""

    columns: dict[int, ResolvedColumn] = field(default_factory=dict)
    types: dict[int, Typed] = field(default_factory=dict)
    sources: dict[int, SourceBinding] = field(default_factory=dict)
    ctes: dict[int, str] = field(default_factory=dict)
    outputs: dict[int, tuple[OutputColumn, ...]] = field(default_factory=dict)
    selects: dict[int, tuple[SelectOutput, ...]] = field(default_factory=dict)
    order: dict[int, OrderTarget] = field(default_factory=dict)
    group: dict[int, OrderTarget] = field(default_factory=dict)
    join_keys: dict[int, tuple[tuple[ColumnSource, ColumnSource], ...]] = field(default_factory=dict)
    aggregates: set[int] = field(default_factory=set)
    unit_factors: dict[int, float] = field(default_factory=dict)
    regions: dict[int, tuple[str, tuple[float, ...]]] = field(default_factory=dict)


@dataclass(frozen=True)
class AnnotatedQuery:
    """A validated query: its tree, its result columns and its name resolution."""

    query: n.Query
    columns: tuple[OutputColumn, ...]
    tables: tuple[TableMeta, ...]
    resolution: Resolution = field(repr=False, compare=False)


__all__ = [
    "AnnotatedQuery",
    "ColumnSlot",
    "ColumnSource",
    "MergedColumn",
    "OrderTarget",
    "OutputColumn",
    "Resolution",
    "ResolvedColumn",
    "SelectOutput",
    "SourceBinding",
]
