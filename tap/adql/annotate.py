"""Validation and annotation of a parsed query against the metadata catalogue.

Resolves tables (schema-qualified, or unqualified when unambiguous; common table
expressions first), columns (qualified or not, with ambiguity errors), checks functions
and types, and computes the result columns with their VOTable metadata.  Name matching
follows ADQL 2.1 §2.1.5/2.1.6: regular identifiers are case-insensitive, delimited ones
case-sensitive, and catalogue names count as regular (lower-case) identifiers.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from tap.adql import datatypes as dt
from tap.adql import nodes as n
from tap.adql.annotated import (
    AnnotatedQuery,
    ColumnSlot,
    ColumnSource,
    MergedColumn,
    OrderTarget,
    OutputColumn,
    Resolution,
    ResolvedColumn,
    SelectOutput,
    SourceBinding,
)
from tap.adql.errors import AdqlError
from tap.adql.functions import FunctionSpec, function_table
from vo_service.metadata import Catalogue, TableMeta

_INT32_MAX = 2**31 - 1


def _error(message: str, node: object, hint: str | None = None) -> AdqlError:
    pos = getattr(node, "pos", None)
    if isinstance(pos, n.Position) and pos.line:
        return AdqlError(message, pos.line, pos.column, hint=hint)
    return AdqlError(message, hint=hint)


def _suggest(wanted: str, candidates: Iterable[str]) -> str | None:
    names = sorted(set(candidates))
    close = difflib.get_close_matches(wanted.lower(), [c.lower() for c in names], n=1, cutoff=0.6)
    if not close:
        return None
    original = next(c for c in names if c.lower() == close[0])
    return f"did you mean '{original}'?"


def name_matches(ident: n.Identifier, name: str, delimited: bool) -> bool:
    """ADQL identifier comparison; regular names fold to lower case (§2.1.6)."""
    if ident.delimited and delimited:
        return ident.name == name
    if ident.delimited:
        return ident.name in (name, name.lower())
    if delimited:
        return ident.name.lower() == name
    return ident.name.lower() == name.lower()


# -- scopes ----------------------------------------------------------------------------------
@dataclass
class _Source:
    """A FROM item as seen by name resolution."""

    label: str
    label_delimited: bool
    origin: str
    columns: list[ResolvedColumn]
    #: The catalogue table, when the item is one and has no alias (qualifiable by schema.table).
    table: TableMeta | None = None
    aliased: bool = False
    node: object = None


@dataclass
class _Scope:
    sources: list[_Source] = field(default_factory=list)
    #: Columns reachable without qualifier, in ``SELECT *`` order (USING/NATURAL merge them).
    visible: list[ResolvedColumn] = field(default_factory=list)
    parent: _Scope | None = None


@dataclass
class _Context:
    """Where an expression appears: may it use aggregates, are we inside one already."""

    clause: str
    aggregates: bool = False
    inside_aggregate: bool = False

    def entering_aggregate(self) -> _Context:
        return _Context(self.clause, self.aggregates, True)


@dataclass
class _Cte:
    name: n.Identifier
    internal_name: str
    outputs: tuple[OutputColumn, ...]
    names: tuple[tuple[str, bool], ...]


class _Annotator:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.functions = function_table()
        self.res = Resolution()
        self.ctes: list[_Cte] = []
        self.tables: list[TableMeta] = []
        self.alias_count = 0
        self.output_names: dict[int, tuple[tuple[str, bool], ...]] = {}
        self.grouped_queries: dict[int, bool] = {}

    # -- entry --------------------------------------------------------------------------
    def run(self, query: n.Query) -> AnnotatedQuery:
        for index, cte in enumerate(query.with_):
            if any(name_matches(cte.name, other.name.name, other.name.delimited) for other in self.ctes):
                raise _error(f"Common table expression '{cte.name}' is defined twice", cte.name)
            outputs = self.select_expression(cte.query, None)
            internal_name = f"w{index + 1}"
            self.res.ctes[id(cte)] = internal_name
            self.ctes.append(_Cte(cte.name, internal_name, outputs, self.output_names[id(cte.query)]))
        outputs = self.select_expression(query.body, None)
        unique_tables = tuple({t.name: t for t in self.tables}.values())
        return AnnotatedQuery(query=query, columns=outputs, tables=unique_tables, resolution=self.res)

    def new_alias(self) -> str:
        self.alias_count += 1
        return f"t{self.alias_count}"

    # -- queries ------------------------------------------------------------------------
    def select_expression(self, expr: n.SelectExpression, parent: _Scope | None) -> tuple[OutputColumn, ...]:
        body = expr.body
        scope: _Scope | None = None
        query: n.SelectQuery | None = None
        if isinstance(body, n.SelectQuery):
            outputs, scope = self.select_query(body, parent)
            query = body
        elif isinstance(body, n.SetOperation):
            outputs = self.set_operation(body, parent)
        else:
            outputs = self.select_expression(body, parent)
        names = self.output_names[id(body)]
        for item in expr.order_by:
            self.order_item(item, names, scope, query)
        self.res.outputs[id(expr)] = outputs
        self.output_names[id(expr)] = names
        return outputs

    def set_operation(self, op: n.SetOperation, parent: _Scope | None) -> tuple[OutputColumn, ...]:
        left = self.query_body(op.left, parent)
        right = self.query_body(op.right, parent)
        if len(left) != len(right):
            raise _error(
                f"The operands of {op.op.upper()} have different numbers of columns ({len(left)} and {len(right)})",
                op,
            )
        merged: list[OutputColumn] = []
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            common = dt.common_type([dt.output_type(a), dt.output_type(b)])
            if common is None:
                raise _error(
                    f"Column {index + 1} of the {op.op.upper()} operands has incompatible types "
                    f"({dt.output_type(a).describe()} and {dt.output_type(b).describe()})",
                    op,
                )
            merged.append(
                OutputColumn(
                    name=a.name,
                    datatype=common.datatype,
                    arraysize=common.arraysize,
                    xtype=common.xtype,
                    unit=a.unit,
                    ucd=a.ucd,
                    utype=a.utype,
                    description=a.description,
                    source=a.source if dt.output_type(a) == common else None,
                )
            )
        outputs = tuple(merged)
        self.res.outputs[id(op)] = outputs
        self.output_names[id(op)] = self.output_names[id(op.left)]
        return outputs

    def query_body(self, body: n.QueryBody, parent: _Scope | None) -> tuple[OutputColumn, ...]:
        if isinstance(body, n.SelectQuery):
            return self.select_query(body, parent)[0]
        if isinstance(body, n.SetOperation):
            return self.set_operation(body, parent)
        return self.select_expression(body, parent)

    def select_query(self, query: n.SelectQuery, parent: _Scope | None) -> tuple[tuple[OutputColumn, ...], _Scope]:
        scope = _Scope(parent=parent)
        for from_item in query.from_items:
            sources, visible = self.from_item(from_item, scope)
            scope.sources.extend(sources)
            scope.visible.extend(visible)
        self.check_labels(scope.sources)
        if query.where is not None:
            self.condition(query.where, scope, _Context("WHERE"))
        for term in query.group_by:
            if not _is_position(term) and not self._is_output_alias(term, query, scope):
                self.expression(term, scope, _Context("GROUP BY"))

        aggregate_context = _Context("the select list", aggregates=True)
        selects: list[SelectOutput] = []
        delimited: list[bool] = []
        for item in query.items:
            if isinstance(item, n.StarItem):
                for column in self.expand_star(item, scope):
                    selects.append(SelectOutput(column.name, column.typed, column=column))
                    delimited.append(column.delimited)
            else:
                typed = self.expression(item.expression, scope, aggregate_context)
                selects.append(SelectOutput(self.derived_name(item), typed, expression=item.expression))
                delimited.append(self.name_is_delimited(item))

        for term in query.group_by:
            self.group_term(term, query, scope, selects)
        if query.having is not None:
            self.condition(query.having, scope, _Context("HAVING", aggregates=True))

        grouped = (
            bool(query.group_by)
            or any(s.expression is not None and self.has_aggregate(s.expression) for s in selects)
            or (query.having is not None and self.has_aggregate(query.having))
        )
        if grouped:
            keys = self.group_keys(query, selects)
            for select in selects:
                if select.expression is not None:
                    self.check_grouped(select.expression, keys, scope)
                elif select.column is not None:
                    self.check_grouped_column(select.column, keys, item_node=query)
            if query.having is not None:
                self.check_grouped(query.having, keys, scope)

        names = _unique_names([s.name for s in selects])
        final = tuple(
            SelectOutput(name, s.typed, s.expression, s.column) for name, s in zip(names, selects, strict=True)
        )
        outputs = tuple(self.output_column(s) for s in final)
        self.res.selects[id(query)] = final
        self.res.outputs[id(query)] = outputs
        self.output_names[id(query)] = tuple(zip(names, delimited, strict=True))
        self.grouped_queries[id(query)] = grouped
        return outputs, scope

    def _item_width(self, item: n.SelectItem | n.StarItem, scope: _Scope) -> list[None]:
        if isinstance(item, n.StarItem):
            return [None] * len(self.expand_star(item, scope))
        return [None]

    def name_is_delimited(self, item: n.SelectItem | n.StarItem) -> bool:
        return isinstance(item, n.SelectItem) and item.alias is not None and item.alias.delimited

    def derived_name(self, item: n.SelectItem) -> str:
        if item.alias is not None:
            return item.alias.name
        expr = item.expression
        if isinstance(expr, n.ColumnRef):
            resolved = self.res.columns[id(expr)]
            return resolved.name
        if isinstance(expr, n.FunctionCall):
            return expr.name
        if isinstance(expr, n.Cast):
            if isinstance(expr.operand, n.ColumnRef):
                return self.res.columns[id(expr.operand)].name
            return "cast"
        return "expr"

    def output_column(self, select: SelectOutput) -> OutputColumn:
        value_type, info = select.typed.type, select.typed.info
        source = None
        column = select.column
        if column is None and isinstance(select.expression, n.ColumnRef):
            column = self.res.columns[id(select.expression)]
        if column is not None and column.table is not None and column.column is not None:
            source = f"{column.table.name}.{column.column}"
        return OutputColumn(
            name=select.name,
            datatype=value_type.datatype,
            arraysize=value_type.arraysize,
            xtype=value_type.xtype,
            unit=info.unit,
            ucd=info.ucd,
            utype=info.utype,
            description=info.description,
            source=source,
        )

    # -- FROM ---------------------------------------------------------------------------
    def from_item(self, item: n.FromItem, scope: _Scope) -> tuple[list[_Source], list[ResolvedColumn]]:
        if isinstance(item, n.TableReference):
            source = self.table_reference(item)
            return [source], list(source.columns)
        if isinstance(item, n.DerivedTable):
            source = self.derived_table(item, scope)
            return [source], list(source.columns)
        return self.join(item, scope)

    def table_reference(self, ref: n.TableReference) -> _Source:
        parts = ref.name.parts
        alias = self.new_alias()
        label = ref.alias or parts[-1]
        if len(parts) == 1:
            cte = next((c for c in reversed(self.ctes) if name_matches(parts[0], c.name.name, c.name.delimited)), None)
            if cte is not None:
                self.res.sources[id(ref)] = SourceBinding(alias, "cte", cte_name=cte.internal_name)
                columns = [
                    ResolvedColumn(
                        name=out.name,
                        delimited=delim,
                        source=ColumnSlot(alias, out.name),
                        typed=_typed_output(out),
                        alias=alias,
                        origin=f"'{cte.name.name}'",
                    )
                    for out, (_name, delim) in zip(cte.outputs, cte.names, strict=True)
                ]
                return _Source(
                    label.name, label.delimited, f"'{cte.name.name}'", columns, aliased=ref.alias is not None, node=ref
                )
        table = self.resolve_table(ref.name)
        self.tables.append(table)
        self.res.sources[id(ref)] = SourceBinding(alias, "table", table=table)
        columns = [
            ResolvedColumn(
                name=col.name,
                delimited=False,
                source=ColumnSlot(alias, col.name),
                typed=dt.column_typed(col),
                alias=alias,
                table=table,
                column=col.name,
                origin=table.name,
            )
            for col in table.columns
        ]
        return _Source(
            label.name,
            label.delimited and ref.alias is not None,
            table.name,
            columns,
            table=table,
            aliased=ref.alias is not None,
            node=ref,
        )

    def resolve_table(self, name: n.TableName) -> TableMeta:
        parts = name.parts
        if len(parts) == 3:
            raise _error(f"Unknown catalog '{parts[0]}'", parts[0], hint="write tables as schema.table")
        tables = list(self.catalogue.tables())
        if len(parts) == 2:
            matches = [
                t
                for t in tables
                if name_matches(parts[0], t.schema_name, False) and name_matches(parts[1], t.short_name, False)
            ]
        else:
            matches = [t for t in tables if name_matches(parts[0], t.short_name, False)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(sorted(t.name for t in matches))
            raise _error(f"Table name '{name}' is ambiguous ({names})", name, hint="qualify it with its schema")
        candidates = [t.name for t in tables] + [t.short_name for t in tables]
        hint = _suggest(str(name).replace('"', ""), candidates)
        if len(parts) == 2 and not any(name_matches(parts[0], t.schema_name, False) for t in tables):
            return self._unknown_table(name, f"Unknown schema '{parts[0]}' in table name '{name}'", hint)
        return self._unknown_table(name, f"Unknown table '{name}'", hint)

    def _unknown_table(self, name: n.TableName, message: str, hint: str | None) -> TableMeta:
        raise _error(message, name, hint=hint or "the tables are listed in TAP_SCHEMA.tables")

    def derived_table(self, item: n.DerivedTable, scope: _Scope) -> _Source:
        if item.alias is None:
            raise _error("A subquery in FROM needs a name", item, hint="add AS name after the closing parenthesis")
        outputs = self.select_expression(item.query, scope.parent)
        names = self.output_names[id(item.query)]
        alias = self.new_alias()
        self.res.sources[id(item)] = SourceBinding(alias, "derived")
        origin = f"subquery {item.alias}"
        columns = [
            ResolvedColumn(
                name=out.name,
                delimited=delim,
                source=ColumnSlot(alias, out.name),
                typed=_typed_output(out),
                alias=alias,
                origin=origin,
            )
            for out, (_name, delim) in zip(outputs, names, strict=True)
        ]
        return _Source(item.alias.name, item.alias.delimited, origin, columns, aliased=True, node=item)

    def join(self, join: n.Join, scope: _Scope) -> tuple[list[_Source], list[ResolvedColumn]]:
        left_sources, left_visible = self.from_item(join.left, scope)
        right_sources, right_visible = self.from_item(join.right, scope)
        sources = left_sources + right_sources
        self.check_labels(sources)
        if join.kind == "cross":
            return sources, left_visible + right_visible
        if join.on is not None:
            join_scope = _Scope(sources=sources, visible=left_visible + right_visible, parent=scope.parent)
            self.condition(join.on, join_scope, _Context("ON"))
            return sources, left_visible + right_visible
        if join.using is not None:
            names = list(join.using)
        elif join.natural:
            right_names = {(c.name.lower(), c.delimited) for c in right_visible}
            names = [
                n.Identifier(c.name, c.delimited, pos=join.pos)
                for c in left_visible
                if (c.name.lower(), c.delimited) in right_names
            ]
        else:
            raise _error(
                "A JOIN needs an ON or USING clause", join, hint="use CROSS JOIN (or a comma) for a cartesian product"
            )
        merged: list[ResolvedColumn] = []
        keys: list[tuple[ColumnSource, ColumnSource]] = []
        used_left: list[ResolvedColumn] = []
        used_right: list[ResolvedColumn] = []
        for ident in names:
            left = self._unique_visible(ident, left_visible, "left", join)
            right = self._unique_visible(ident, right_visible, "right", join)
            if not dt.comparable(left.typed.type, right.typed.type):
                raise _error(
                    f"Cannot join column '{ident}' of type {left.typed.type.describe()} with "
                    f"{right.typed.type.describe()}",
                    ident,
                )
            keys.append((left.source, right.source))
            used_left.append(left)
            used_right.append(right)
            # The merged column is the left one (the right one for RIGHT JOIN, either for FULL).
            side = None if join.kind == "full" else (right if join.kind == "right" else left)
            merged.append(
                ResolvedColumn(
                    name=left.name,
                    delimited=left.delimited,
                    source=MergedColumn(left.source, right.source) if side is None else side.source,
                    typed=left.typed,
                    alias=None if side is None else side.alias,
                    table=None if side is None else side.table,
                    column=None if side is None else side.column,
                    origin=left.origin,
                )
            )
        self.res.join_keys[id(join)] = tuple(keys)
        rest_left = [c for c in left_visible if not any(c is u for u in used_left)]
        rest_right = [c for c in right_visible if not any(c is u for u in used_right)]
        return sources, merged + rest_left + rest_right

    def _unique_visible(
        self, ident: n.Identifier, visible: list[ResolvedColumn], side: str, join: n.Join
    ) -> ResolvedColumn:
        matches = [c for c in visible if name_matches(ident, c.name, c.delimited)]
        if not matches:
            hint = _suggest(ident.name, [c.name for c in visible])
            raise _error(f"Join column '{ident}' is not in the {side} operand of the join", ident, hint=hint)
        if len(matches) > 1:
            raise _error(f"Join column '{ident}' is ambiguous in the {side} operand of the join", ident)
        return matches[0]

    def check_labels(self, sources: Sequence[_Source]) -> None:
        for index, source in enumerate(sources):
            for other in sources[:index]:
                same = (
                    (source.label == other.label)
                    if (source.label_delimited or other.label_delimited)
                    else (source.label.lower() == other.label.lower())
                )
                if same:
                    raise _error(
                        f"The name '{source.label}' is used twice in FROM",
                        source.node,
                        hint="give the tables different aliases",
                    )

    def expand_star(self, item: n.StarItem, scope: _Scope) -> list[ResolvedColumn]:
        if item.qualifier is None:
            return list(scope.visible)
        source = self.find_source(item.qualifier, scope, item)
        if source is None:
            raise _error(f"Unknown table '{'.'.join(str(p) for p in item.qualifier)}' in {item.qualifier[-1]}.*", item)
        return list(source.columns)

    def find_source(self, qualifier: Sequence[n.Identifier], scope: _Scope | None, node: object) -> _Source | None:
        while scope is not None:
            found = [s for s in scope.sources if _qualifies(qualifier, s)]
            if len(found) > 1:
                raise _error(
                    f"Table name '{'.'.join(str(p) for p in qualifier)}' is ambiguous",
                    node,
                    hint="give the tables different aliases",
                )
            if found:
                return found[0]
            aliased = [
                s for s in scope.sources if s.aliased and s.table is not None and _qualifies_table(qualifier, s.table)
            ]
            if aliased:
                raise _error(
                    f"Table '{'.'.join(str(p) for p in qualifier)}' has the alias '{aliased[0].label}' here",
                    node,
                    hint=f"write {aliased[0].label}.column",
                )
            scope = scope.parent
        return None

    # -- columns ------------------------------------------------------------------------
    def column_ref(self, ref: n.ColumnRef, scope: _Scope) -> ResolvedColumn:
        column = ref.column
        if ref.qualifier:
            source = self.find_source(ref.qualifier, scope, ref)
            if source is None:
                qualifier = ".".join(str(p) for p in ref.qualifier)
                labels = [s.label for s in _all_sources(scope)]
                raise _error(
                    f"Unknown table '{qualifier}' in column reference '{ref}'",
                    ref,
                    hint=_suggest(qualifier, labels) or f"the tables here are {', '.join(labels)}",
                )
            matches = [c for c in source.columns if name_matches(column, c.name, c.delimited)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise _error(f"Column '{column}' is ambiguous in {source.origin}", ref)
            hint = _suggest(column.name, [c.name for c in source.columns])
            raise _error(f"Unknown column '{column}' in {source.origin}", column, hint=hint)
        current: _Scope | None = scope
        while current is not None:
            matches = [c for c in current.visible if name_matches(column, c.name, c.delimited)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                places = ", ".join(dict.fromkeys(c.origin for c in matches))
                raise _error(
                    f"Column '{column}' is ambiguous: it is in {places}",
                    ref,
                    hint="qualify it with a table name or alias",
                )
            current = current.parent
        candidates = [c.name for c in scope.visible]
        hint = _suggest(column.name, candidates)
        origins = list(dict.fromkeys(s.origin for s in scope.sources))
        where = f" in {origins[0]}" if len(origins) == 1 else ""
        if column.delimited and any(c.lower() == column.name.lower() for c in candidates):
            hint = f'delimited identifiers are case-sensitive; write "{column.name.lower()}" or {column.name.lower()}'
        raise _error(f"Unknown column '{column}'{where}", column, hint=hint)

    # -- GROUP BY / ORDER BY ------------------------------------------------------------
    def _is_output_alias(self, term: n.Expression, query: n.SelectQuery, scope: _Scope) -> bool:
        """A bare name in GROUP BY that is not a column here but names a select-list alias."""
        if not (isinstance(term, n.ColumnRef) and len(term.parts) == 1):
            return False
        ident = term.parts[0]
        if any(name_matches(ident, c.name, c.delimited) for c in scope.visible):
            return False
        return any(
            isinstance(item, n.SelectItem)
            and item.alias is not None
            and name_matches(ident, item.alias.name, item.alias.delimited)
            for item in query.items
        )

    def group_term(self, term: n.Expression, query: n.SelectQuery, scope: _Scope, selects: list[SelectOutput]) -> None:
        if _is_position(term):
            assert isinstance(term, n.Literal) and isinstance(term.value, int)
            if not 1 <= term.value <= len(selects):
                raise _error(f"GROUP BY position {term.value} is not in the select list (1 to {len(selects)})", term)
            chosen = selects[term.value - 1].expression
            if chosen is not None and self.has_aggregate(chosen):
                raise _error(f"GROUP BY position {term.value} refers to an aggregate", term)
            self.res.group[id(term)] = OrderTarget(position=term.value)
        elif self._is_output_alias(term, query, scope):
            assert isinstance(term, n.ColumnRef)
            for item in query.items:
                if (
                    isinstance(item, n.SelectItem)
                    and item.alias is not None
                    and name_matches(term.parts[0], item.alias.name, item.alias.delimited)
                ):
                    if self.has_aggregate(item.expression):
                        raise _error(f"GROUP BY '{term}' refers to an aggregate", term)
                    self.res.group[id(term)] = OrderTarget(position=self._select_position(query, item, scope))
                    break

    def _select_position(self, query: n.SelectQuery, wanted: n.SelectItem, scope: _Scope) -> int:
        position = 0
        for item in query.items:
            if item is wanted:
                return position + 1
            position += len(self._item_width(item, scope))
        raise AssertionError("select item not found")

    def group_keys(self, query: n.SelectQuery, selects: list[SelectOutput]) -> list[object]:
        keys: list[object] = []
        for term in query.group_by:
            target = self.res.group.get(id(term))
            if target is not None and target.position is not None:
                select = selects[target.position - 1]
                if select.expression is not None:
                    keys.append(self.canonical(select.expression))
                elif select.column is not None:
                    keys.append(("column", select.column.source))
            else:
                keys.append(self.canonical(term))
        return keys

    def canonical(self, expr: object) -> object:
        """A structural key of an expression with column references replaced by their sources."""
        if isinstance(expr, n.ColumnRef):
            resolved = self.res.columns.get(id(expr))
            return ("column", resolved.source if resolved else str(expr))
        if isinstance(expr, n.Literal):
            return ("literal", expr.kind, expr.value)
        if isinstance(expr, tuple):
            return tuple(self.canonical(e) for e in expr)
        if hasattr(expr, "__dataclass_fields__"):
            items: list[object] = [type(expr).__name__]
            for name in expr.__dataclass_fields__:
                if name != "pos":
                    items.append(self.canonical(getattr(expr, name)))
            return tuple(items)
        return expr

    def check_grouped(self, expr: object, keys: list[object], scope: _Scope) -> None:
        if self.canonical(expr) in keys:
            return
        if isinstance(expr, n.FunctionCall) and id(expr) in self.res.aggregates:
            return
        if isinstance(expr, n.ColumnRef):
            resolved = self.res.columns[id(expr)]
            if not any(resolved is c for c in _scope_columns(scope)):
                return  # an outer (correlated) reference is constant per group
            raise _error(
                f"Column '{expr}' must appear in GROUP BY or be used in an aggregate function",
                expr,
            )
        if isinstance(expr, n.ScalarSubquery | n.Exists | n.InSubquery):
            if isinstance(expr, n.InSubquery):
                self.check_grouped(expr.operand, keys, scope)
            return
        for child in _children(expr):
            self.check_grouped(child, keys, scope)

    def check_grouped_column(self, column: ResolvedColumn, keys: list[object], item_node: object) -> None:
        if ("column", column.source) not in keys:
            raise _error(
                f"Column '{column.name}' (from *) must appear in GROUP BY or be used in an aggregate function",
                item_node,
            )

    def order_item(
        self,
        item: n.OrderItem,
        names: tuple[tuple[str, bool], ...],
        scope: _Scope | None,
        query: n.SelectQuery | None,
    ) -> None:
        expr = item.expression
        if _is_position(expr):
            assert isinstance(expr, n.Literal) and isinstance(expr.value, int)
            if not 1 <= expr.value <= len(names):
                raise _error(f"ORDER BY position {expr.value} is not in the select list (1 to {len(names)})", expr)
            self.res.order[id(item)] = OrderTarget(position=expr.value)
            return
        if isinstance(expr, n.ColumnRef) and len(expr.parts) == 1:
            for index, (name, delimited) in enumerate(names):
                if name_matches(expr.parts[0], name, delimited):
                    self.res.order[id(item)] = OrderTarget(position=index + 1)
                    return
        if scope is None or query is None:
            raise _error("ORDER BY of a set operation may only name result columns (or their positions)", expr)
        grouped = self.grouped_queries.get(id(query), False)
        self.expression(expr, scope, _Context("ORDER BY", aggregates=grouped))
        selects = self.res.selects[id(query)]
        key = self.canonical(expr)
        for index, select in enumerate(selects):
            if select.expression is not None and self.canonical(select.expression) == key:
                self.res.order[id(item)] = OrderTarget(position=index + 1)
                return
        if query.distinct:
            raise _error("With SELECT DISTINCT, ORDER BY terms must be in the select list", expr)
        if grouped:
            self.check_grouped(expr, self.group_keys(query, list(selects)), scope)
        self.res.order[id(item)] = OrderTarget()

    # -- expressions --------------------------------------------------------------------
    def expression(self, expr: n.Expression, scope: _Scope, ctx: _Context) -> dt.Typed:
        typed = self._expression(expr, scope, ctx)
        self.res.types[id(expr)] = typed
        return typed

    def _expression(self, expr: n.Expression, scope: _Scope, ctx: _Context) -> dt.Typed:
        if isinstance(expr, n.Literal):
            return dt.Typed(_literal_type(expr))
        if isinstance(expr, n.ColumnRef):
            resolved = self.column_ref(expr, scope)
            self.res.columns[id(expr)] = resolved
            return resolved.typed
        if isinstance(expr, n.FunctionCall):
            return self.function_call(expr, scope, ctx)
        if isinstance(expr, n.Cast):
            return self.cast(expr, scope, ctx)
        if isinstance(expr, n.UnaryOp):
            operand = self.expression(expr.operand, scope, ctx)
            if expr.op == "~":
                if not (operand.type.is_integer or operand.type.kind == "null"):
                    raise _error(f"Bitwise NOT needs an integer operand, not {operand.type.describe()}", expr)
                return dt.Typed(operand.type)
            if not operand.type.is_numeric:
                raise _error(f"Unary {expr.op} needs a numeric operand, not {operand.type.describe()}", expr)
            return dt.Typed(
                operand.type if operand.type.kind == "numeric" else dt.INTEGER, dt.ColumnInfo(unit=operand.info.unit)
            )
        if isinstance(expr, n.BinaryOp):
            return self.binary(expr, scope, ctx)
        if isinstance(expr, n.CaseExpr):
            return self.case(expr, scope, ctx)
        assert isinstance(expr, n.ScalarSubquery)
        outputs = self.select_expression(expr.query, scope)
        if len(outputs) != 1:
            raise _error(f"A scalar subquery must return one column, not {len(outputs)}", expr)
        return _typed_output(outputs[0])

    def binary(self, expr: n.BinaryOp, scope: _Scope, ctx: _Context) -> dt.Typed:
        left = self.expression(expr.left, scope, ctx)
        right = self.expression(expr.right, scope, ctx)
        op = expr.op
        if op == "||":
            for side, typed in (("left", left), ("right", right)):
                if typed.type.kind in ("geometry", "array", "boolean"):
                    raise _error(f"Cannot concatenate {typed.type.describe()} ({side} operand of ||)", expr)
            return dt.Typed(dt.STRING)
        if op in ("&", "|", "^"):
            for typed in (left, right):
                if not (typed.type.is_integer or typed.type.kind == "null"):
                    raise _error(f"Bitwise {op} needs integer operands, not {typed.type.describe()}", expr)
            return dt.Typed(dt.numeric_result(left.type, right.type))
        for typed in (left, right):
            if not typed.type.is_numeric:
                raise _error(f"Operator {op} needs numeric operands, not {typed.type.describe()}", expr)
        result = dt.numeric_result(left.type, right.type)
        if op == "/" and not (left.type.is_integer and right.type.is_integer) and result.datatype != "double":
            result = dt.DOUBLE if "double" in (left.type.datatype, right.type.datatype) else result
        unit = _combined_unit(op, expr, left, right)
        return dt.Typed(result, dt.ColumnInfo(unit=unit))

    def case(self, expr: n.CaseExpr, scope: _Scope, ctx: _Context) -> dt.Typed:
        operand = self.expression(expr.operand, scope, ctx) if expr.operand is not None else None
        results: list[dt.Typed] = []
        for branch in expr.branches:
            if operand is not None:
                assert not is_condition(branch.when)
                value = self.expression(branch.when, scope, ctx)  # type: ignore[arg-type]
                if not dt.comparable(operand.type, value.type):
                    raise _error(
                        f"CASE cannot compare {operand.type.describe()} with {value.type.describe()}", branch.when
                    )
            else:
                self.condition(branch.when, scope, ctx)  # type: ignore[arg-type]
            results.append(self.expression(branch.then, scope, ctx))
        if expr.default is not None:
            results.append(self.expression(expr.default, scope, ctx))
        common = dt.common_type([r.type for r in results])
        if common is None:
            raise _error(
                "The branches of CASE have incompatible types: " + ", ".join(r.type.describe() for r in results), expr
            )
        first = next((r for r in results if r.type.kind != "null"), results[0])
        return dt.Typed(common, dt.ColumnInfo(unit=first.info.unit))

    def cast(self, expr: n.Cast, scope: _Scope, ctx: _Context) -> dt.Typed:
        operand = self.expression(expr.operand, scope, ctx)
        target = expr.target.type_name
        kind = operand.type.kind
        if kind in ("geometry", "array", "boolean"):
            raise _error(f"Cannot CAST {operand.type.describe()} to {target}", expr)
        if target in ("POINT", "CIRCLE", "POLYGON"):
            if kind not in ("string", "null"):
                raise _error(f"Only strings (DALI serialisations) can be CAST to {target}", expr)
            return dt.Typed(dt.GEOMETRY_TYPES[target.lower()])
        if target == "TIMESTAMP":
            if kind not in ("string", "timestamp", "null"):
                raise _error(f"Only strings can be CAST to TIMESTAMP, not {operand.type.describe()}", expr)
            return dt.Typed(dt.TIMESTAMP)
        if target in ("CHAR", "VARCHAR"):
            length = expr.target.length
            size = str(length or 1) if target == "CHAR" else (f"{length}*" if length else "*")
            return dt.Typed(dt.ValueType("string", "char", size))
        if kind == "timestamp":
            raise _error(f"Cannot CAST TIMESTAMP to {target}", expr)
        numeric = {
            "SMALLINT": dt.SHORT,
            "INTEGER": dt.INTEGER,
            "BIGINT": dt.BIGINT,
            "REAL": dt.REAL,
            "DOUBLE PRECISION": dt.DOUBLE,
        }[target]
        return dt.Typed(numeric, dt.ColumnInfo(unit=operand.info.unit))

    def function_call(self, call: n.FunctionCall, scope: _Scope, ctx: _Context) -> dt.Typed:
        spec = self.functions.get(call.name)
        if spec is None:
            raise _error(
                f"Unknown function '{call.name}'",
                call,
                hint=_suggest(call.name, self.functions) or "see the service capabilities for the supported functions",
            )
        self._check_call_shape(call, spec)
        inner = ctx
        if spec.aggregate:
            if not ctx.aggregates:
                raise _error(f"Aggregate function {call.name.upper()} is not allowed in {ctx.clause}", call)
            if ctx.inside_aggregate:
                raise _error(f"Aggregate function {call.name.upper()} cannot be nested in another aggregate", call)
            inner = ctx.entering_aggregate()
            self.res.aggregates.add(id(call))
        args = [self.expression(arg, scope, inner) for arg in call.args]
        return spec.check(call, args, self.res)

    def _check_call_shape(self, call: n.FunctionCall, spec: FunctionSpec) -> None:
        count = len(call.args)
        if call.star and spec.name != "count":
            raise _error(f"Only COUNT accepts *, not {call.name.upper()}", call)
        if call.distinct and not spec.aggregate:
            raise _error(f"DISTINCT is only allowed in set functions, not in {call.name.upper()}", call)
        if call.star:
            return
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            if spec.max_args is None:
                expected = f"at least {spec.min_args}"
            elif spec.min_args == spec.max_args:
                expected = str(spec.min_args)
            else:
                expected = f"{spec.min_args} to {spec.max_args}"
            raise _error(
                f"{call.name.upper()} takes {expected} argument{'s' if expected != '1' else ''}, not {count}", call
            )

    def has_aggregate(self, expr: object) -> bool:
        if isinstance(expr, n.FunctionCall) and id(expr) in self.res.aggregates:
            return True
        if isinstance(expr, n.ScalarSubquery | n.Exists):
            return False
        return any(self.has_aggregate(child) for child in _children(expr))

    # -- conditions ---------------------------------------------------------------------
    def condition(self, cond: n.Condition, scope: _Scope, ctx: _Context) -> None:
        if isinstance(cond, n.And | n.Or):
            self.condition(cond.left, scope, ctx)
            self.condition(cond.right, scope, ctx)
        elif isinstance(cond, n.Not):
            self.condition(cond.operand, scope, ctx)
        elif isinstance(cond, n.Comparison):
            left = self.expression(cond.left, scope, ctx)
            right = self.expression(cond.right, scope, ctx)
            if not dt.comparable(left.type, right.type):
                hint = None
                if "geometry" in (left.type.kind, right.type.kind):
                    hint = "compare geometries with CONTAINS(...) = 1 or INTERSECTS(...) = 1"
                raise _error(f"Cannot compare {left.type.describe()} with {right.type.describe()}", cond, hint=hint)
        elif isinstance(cond, n.Between):
            types = [self.expression(e, scope, ctx) for e in (cond.operand, cond.low, cond.high)]
            for other in types[1:]:
                if not dt.comparable(types[0].type, other.type):
                    raise _error(
                        f"BETWEEN cannot compare {types[0].type.describe()} with {other.type.describe()}", cond
                    )
        elif isinstance(cond, n.InList):
            operand = self.expression(cond.operand, scope, ctx)
            for item in cond.items:
                typed = self.expression(item, scope, ctx)
                if not dt.comparable(operand.type, typed.type):
                    raise _error(f"IN cannot compare {operand.type.describe()} with {typed.type.describe()}", item)
        elif isinstance(cond, n.InSubquery):
            operand = self.expression(cond.operand, scope, ctx)
            outputs = self.select_expression(cond.query, scope)
            if len(outputs) != 1:
                raise _error(f"The subquery of IN must return one column, not {len(outputs)}", cond)
            if not dt.comparable(operand.type, dt.output_type(outputs[0])):
                raise _error(
                    f"IN cannot compare {operand.type.describe()} with {dt.output_type(outputs[0]).describe()}", cond
                )
        elif isinstance(cond, n.Like):
            word = "ILIKE" if cond.case_insensitive else "LIKE"
            for part in (cond.operand, cond.pattern, cond.escape):
                if part is None:
                    continue
                typed = self.expression(part, scope, ctx)
                if not typed.type.is_string:
                    raise _error(f"{word} needs strings, not {typed.type.describe()}", part)
            escape = cond.escape
            if isinstance(escape, n.Literal) and isinstance(escape.value, str) and len(escape.value) != 1:
                raise _error("The ESCAPE string must be a single character", escape)
        elif isinstance(cond, n.IsNull):
            self.expression(cond.operand, scope, ctx)
        else:
            self.select_expression(cond.query, scope)


# -- helpers -----------------------------------------------------------------------------------
_CONDITION_TYPES = (n.Comparison, n.Between, n.InList, n.InSubquery, n.Like, n.IsNull, n.Exists, n.And, n.Or, n.Not)


def is_condition(node: object) -> bool:
    """Whether ``node`` is a search condition (as opposed to a value expression)."""
    return isinstance(node, _CONDITION_TYPES)


def _is_position(expr: object) -> bool:
    return isinstance(expr, n.Literal) and expr.kind == "integer"


def _literal_type(expr: n.Literal) -> dt.ValueType:
    if expr.kind == "integer":
        assert isinstance(expr.value, int)
        return dt.INTEGER if abs(expr.value) <= _INT32_MAX else dt.BIGINT
    if expr.kind == "real":
        return dt.DOUBLE
    if expr.kind == "string":
        return dt.STRING
    return dt.NULL


def _typed_output(out: OutputColumn) -> dt.Typed:
    return dt.Typed(
        dt.output_type(out), dt.ColumnInfo(unit=out.unit, ucd=out.ucd, utype=out.utype, description=out.description)
    )


def _combined_unit(op: str, expr: n.BinaryOp, left: dt.Typed, right: dt.Typed) -> str | None:
    """Unit of an arithmetic result where it is unambiguous (ADQL 2.1 §4.9.1 unit inference)."""
    lu, ru = left.info.unit, right.info.unit
    left_const = isinstance(expr.left, n.Literal)
    right_const = isinstance(expr.right, n.Literal)
    if op in ("+", "-", "%"):
        if lu and (lu == ru or right_const):
            return lu
        if ru and left_const and op != "%":
            return ru
        return None
    if op in ("*", "/"):
        if lu and right_const:
            return lu
        if ru and left_const and op == "*":
            return ru
    return None


def _unique_names(names: list[str]) -> list[str]:
    """Make result column names unique, case-insensitively: ra, ra_2, ra_3 ..."""
    seen: set[str] = set()
    #: The last suffix given to each name: the suffixes below it are taken (linear, not quadratic).
    last: dict[str, int] = {}
    result: list[str] = []
    for name in names:
        candidate = name
        counter = last.get(name.lower(), 1)
        while candidate.lower() in seen:
            counter += 1
            candidate = f"{name}_{counter}"
        last[name.lower()] = counter
        seen.add(candidate.lower())
        result.append(candidate)
    return result


def _qualifies(qualifier: Sequence[n.Identifier], source: _Source) -> bool:
    if len(qualifier) == 1:
        return name_matches(qualifier[0], source.label, source.label_delimited)
    if source.aliased or source.table is None:
        return False
    return _qualifies_table(qualifier, source.table)


def _qualifies_table(qualifier: Sequence[n.Identifier], table: TableMeta) -> bool:
    if len(qualifier) == 1:
        return name_matches(qualifier[0], table.short_name, False)
    if len(qualifier) == 2:
        return name_matches(qualifier[0], table.schema_name, False) and name_matches(
            qualifier[1], table.short_name, False
        )
    return False


def _all_sources(scope: _Scope | None) -> Iterator[_Source]:
    while scope is not None:
        yield from scope.sources
        scope = scope.parent


def _scope_columns(scope: _Scope) -> Iterator[ResolvedColumn]:
    for source in scope.sources:
        yield from source.columns
    yield from scope.visible


def _children(node: object) -> Iterator[object]:
    if isinstance(node, tuple):
        for item in node:
            yield from _children(item) if isinstance(item, tuple) else [item]
        return
    fields = getattr(node, "__dataclass_fields__", None)
    if fields is None:
        return
    for name in fields:
        if name == "pos":
            continue
        value = getattr(node, name)
        if isinstance(value, tuple):
            yield from _children(value)
        elif hasattr(value, "__dataclass_fields__"):
            yield value


def annotate(query: n.Query, catalogue: Catalogue) -> AnnotatedQuery:
    """Validate ``query`` against ``catalogue`` and compute its result columns.

    Raises :class:`AdqlError` naming the offending token and its position.
    """
    annotator = _Annotator(catalogue)
    try:
        return annotator.run(query)
    except RecursionError:
        raise AdqlError("The query is nested too deeply") from None


__all__ = ["annotate", "is_condition", "name_matches"]
