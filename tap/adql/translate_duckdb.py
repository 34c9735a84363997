"""Annotated ADQL → DuckDB SQL with bound parameters.

Every literal of the query becomes a numbered parameter (``$1``, ``$2``, ...; equal
literals share one, so that a GROUP BY expression is textually identical to its select-list
twin); identifiers are internal aliases or quoted catalogue names; tables are read through
the caller's ``relation_sql`` (which applies the access policy); functions map through a
fixed table.  Hence nothing of the query text reaches the SQL text except as quoted names.

Spatial predicates (ADQL 2.1 §4.2.7, §4.2.11 and the preferred cone and crossmatch forms
of §4.2.5) become the exact test written in SQL plus, where it is valid, cheap supersets
that let DuckDB prune: ``_hpx`` ranges (:mod:`vo_service.spatial`) for constant cones and
polygons on indexed tables, and a declination band for crossmatches so that the join runs
as a range (IE) join instead of a nested loop.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any, cast

from tap.adql import datatypes as dt
from tap.adql import nodes as n
from tap.adql.annotated import (
    AnnotatedQuery,
    ColumnSlot,
    ColumnSource,
    OutputColumn,
    ResolvedColumn,
    SelectOutput,
)
from tap.adql.errors import AdqlError
from tap.adql.geometry import ConstantShape, constant_number, split_coordsys
from vo_service.metadata import TableMeta
from vo_service.spatial import (
    HPX_COLUMN,
    GeometryError,
    box_polygon,
    cone_ranges,
    polygon_ranges,
    polygon_vertices,
    within_hemisphere,
)
from vo_service.store.duckdb_store import haversine_sql, quote_ident, scalar_type

RelationSql = Callable[[TableMeta], str]

#: Widening of declination bands and cone radii for index ranges (degrees): absorbs rounding,
#: so the superset predicates never drop a row the exact test keeps.
_BAND_PAD = 1e-9
_RANGE_PAD = 1e-7
_WHITESPACE = r"\s+"

_MATH: dict[str, str] = {
    "abs": "abs",
    "ceiling": "ceil",
    "floor": "floor",
    "degrees": "degrees",
    "radians": "radians",
    "exp": "exp",
    "log": "ln",
    "log10": "log10",
    "sqrt": "sqrt",
    "power": "pow",
    "acos": "acos",
    "asin": "asin",
    "atan": "atan",
    "atan2": "atan2",
    "cos": "cos",
    "cot": "cot",
    "sin": "sin",
    "tan": "tan",
    "lower": "lower",
    "upper": "upper",
    "coalesce": "coalesce",
    "nullif": "nullif",
    "avg": "avg",
    "min": "min",
    "max": "max",
}


class _Params:
    """Numbered query parameters; equal literals (same type and value) share a number."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[tuple[str, Any], int] = {}

    def add(self, value: Any) -> str:
        key = (type(value).__name__, tuple(value) if isinstance(value, list) else value)
        number = self._index.get(key)
        if number is None:
            self.values.append(value)
            number = len(self.values)
            self._index[key] = number
        return f"${number}"


def duckdb_type(value_type: dt.ValueType) -> str:
    """The DuckDB type that holds values of ``value_type`` (matches the store's physical types)."""
    if value_type.kind == "geometry":
        return "DOUBLE[]"
    if value_type.kind == "timestamp":
        return "TIMESTAMP"
    if value_type.kind == "array":
        return "BIGINT[]"
    if value_type.kind in ("string", "null"):
        return "VARCHAR"
    return scalar_type(value_type.datatype)


def column_sql(source: ColumnSource) -> str:
    """SQL reading a resolved column: ``"alias"."name"``, or COALESCE of a FULL join's merged pair."""
    if isinstance(source, ColumnSlot):
        return f"{quote_ident(source.alias)}.{quote_ident(source.name)}"
    return f"COALESCE({column_sql(source.left)}, {column_sql(source.right)})"


class _Translator:
    def __init__(self, annotated: AnnotatedQuery, relation_sql: RelationSql) -> None:
        self.annotated = annotated
        self.res = annotated.resolution
        self.relation_sql = relation_sql
        self.params = _Params()

    # -- queries ------------------------------------------------------------------------
    def query(self, limit: int | None) -> str:
        query = self.annotated.query
        prefix = ""
        if query.with_:
            ctes = [
                f"{quote_ident(self.res.ctes[id(cte)])} AS ({self.select_expression(cte.query)})" for cte in query.with_
            ]
            prefix = "WITH " + ", ".join(ctes) + " "
        return prefix + self.select_expression(query.body, limit)

    def select_expression(
        self, expr: n.SelectExpression, limit: int | None = None, targets: Sequence[OutputColumn] | None = None
    ) -> str:
        body = expr.body
        top: int | None = None
        if isinstance(body, n.SelectQuery):
            sql = self.select_query(body, targets)
            top = body.top
        elif isinstance(body, n.SetOperation):
            sql = self.set_operation(body, targets)
        else:
            sql = "(" + self.select_expression(body, targets=targets) + ")"
        if expr.order_by:
            sql += " ORDER BY " + ", ".join(self.order_item(item) for item in expr.order_by)
        rows = top if limit is None else (limit if top is None else min(top, limit))
        if rows is not None:
            sql += f" LIMIT {self.params.add(int(rows))}"
        if expr.offset is not None:
            sql += f" OFFSET {self.params.add(int(expr.offset))}"
        return sql

    def order_item(self, item: n.OrderItem) -> str:
        target = self.res.order[id(item)]
        direction = " DESC" if item.descending else " ASC"
        if target.position is not None:
            return f"{int(target.position)}{direction}"
        return self.expression(item.expression) + direction

    def set_operation(self, op: n.SetOperation, targets: Sequence[OutputColumn] | None) -> str:
        wanted = targets or self.res.outputs[id(op)]
        left = self.operand(op.left, wanted)
        right = self.operand(op.right, wanted)
        keyword = {"union": "UNION", "except": "EXCEPT", "intersect": "INTERSECT"}[op.op]
        return f"{left} {keyword}{' ALL' if op.all else ''} {right}"

    def operand(self, body: n.QueryBody, targets: Sequence[OutputColumn]) -> str:
        if isinstance(body, n.SelectQuery):
            sql = self.select_query(body, targets)
            if body.top is not None:
                sql += f" LIMIT {self.params.add(int(body.top))}"
            return f"({sql})"
        if isinstance(body, n.SetOperation):
            return f"({self.set_operation(body, targets)})"
        return f"({self.select_expression(body, targets=targets)})"

    def select_query(self, query: n.SelectQuery, targets: Sequence[OutputColumn] | None = None) -> str:
        selects = self.res.selects[id(query)]
        own = self.res.outputs[id(query)]
        items = []
        for index, select in enumerate(selects):
            target = targets[index] if targets is not None else own[index]
            items.append(f"{self.select_value(select, own[index], target)} AS {quote_ident(select.name)}")
        sql = "SELECT " + ("DISTINCT " if query.distinct else "") + ", ".join(items)
        sql += " FROM " + ", ".join(self.from_item(item) for item in query.from_items)
        if query.where is not None:
            sql += " WHERE " + self.condition(query.where, positive=True)
        if query.group_by:
            sql += " GROUP BY " + ", ".join(self.group_term(term, selects) for term in query.group_by)
        if query.having is not None:
            sql += " HAVING " + self.condition(query.having, positive=True)
        return sql

    def select_value(self, select: SelectOutput, own: OutputColumn, target: OutputColumn) -> str:
        if select.column is not None:
            sql = column_sql(select.column.source)
            plain = True
        else:
            assert select.expression is not None
            sql = self.value(select.expression)
            plain = isinstance(select.expression, n.ColumnRef)
        same_type = (own.datatype, own.arraysize, own.xtype) == (target.datatype, target.arraysize, target.xtype)
        if plain and same_type:
            return sql
        value_type = dt.output_type(target)
        if value_type.kind in ("geometry", "array"):
            return sql
        return f"CAST({sql} AS {duckdb_type(value_type)})"

    def group_term(self, term: n.Expression, selects: Sequence[SelectOutput]) -> str:
        target = self.res.group.get(id(term))
        if target is not None and target.position is not None:
            select = selects[target.position - 1]
            if select.column is not None:
                return column_sql(select.column.source)
            assert select.expression is not None
            return self.value(select.expression)
        return self.value(term)

    # -- FROM ---------------------------------------------------------------------------
    def from_item(self, item: n.FromItem) -> str:
        if isinstance(item, n.TableReference):
            binding = self.res.sources[id(item)]
            if binding.kind == "cte":
                assert binding.cte_name is not None
                return f"{quote_ident(binding.cte_name)} AS {quote_ident(binding.alias)}"
            assert binding.table is not None
            return f"{self.relation_sql(binding.table)} AS {quote_ident(binding.alias)}"
        if isinstance(item, n.DerivedTable):
            binding = self.res.sources[id(item)]
            return f"({self.select_expression(item.query)}) AS {quote_ident(binding.alias)}"
        left, right = self.from_item(item.left), self.from_item(item.right)
        if item.kind == "cross":
            return f"({left} CROSS JOIN {right})"
        keyword = {
            "inner": "INNER JOIN",
            "left": "LEFT OUTER JOIN",
            "right": "RIGHT OUTER JOIN",
            "full": "FULL OUTER JOIN",
        }[item.kind]
        if item.on is not None:
            condition = self.condition(item.on, positive=True)
        else:
            keys = self.res.join_keys.get(id(item), ())
            condition = " AND ".join(f"({column_sql(a)} = {column_sql(b)})" for a, b in keys) if keys else "TRUE"
        return f"({left} {keyword} {right} ON {condition})"

    # -- value expressions ----------------------------------------------------------------
    def type_of(self, expr: n.Expression) -> dt.ValueType:
        return self.res.types[id(expr)].type

    def value(self, expr: n.Expression) -> str:
        """SQL of a value expression (geometries as DOUBLE[] lists, predicates as 0/1)."""
        return self.expression(expr)

    def expression(self, expr: n.Expression) -> str:
        if isinstance(expr, n.Literal):
            if expr.kind == "null":
                return "NULL"
            return self.params.add(expr.value)
        if isinstance(expr, n.ColumnRef):
            return column_sql(self.res.columns[id(expr)].source)
        if isinstance(expr, n.FunctionCall):
            return self.function(expr)
        if isinstance(expr, n.Cast):
            return self.cast(expr)
        if isinstance(expr, n.UnaryOp):
            return f"({expr.op} {self.expression(expr.operand)})"
        if isinstance(expr, n.BinaryOp):
            return self.binary(expr)
        if isinstance(expr, n.CaseExpr):
            parts = ["CASE"]
            if expr.operand is not None:
                parts.append(self.expression(expr.operand))
            for branch in expr.branches:
                if expr.operand is not None:
                    when = self.expression(cast(n.Expression, branch.when))
                else:
                    when = self.condition(cast(n.Condition, branch.when), positive=False)
                parts.append(f"WHEN {when} THEN {self.expression(branch.then)}")
            if expr.default is not None:
                parts.append(f"ELSE {self.expression(expr.default)}")
            parts.append("END")
            return "(" + " ".join(parts) + ")"
        return f"({self.select_expression(expr.query)})"

    def binary(self, expr: n.BinaryOp) -> str:
        left, right = self.expression(expr.left), self.expression(expr.right)
        op = expr.op
        if op == "/" and self.type_of(expr.left).is_integer and self.type_of(expr.right).is_integer:
            return f"({left} // {right})"
        if op == "^":
            return f"xor({left}, {right})"
        if op == "||":
            if self.type_of(expr.left).kind != "string":
                left = f"CAST({left} AS VARCHAR)"
            if self.type_of(expr.right).kind != "string":
                right = f"CAST({right} AS VARCHAR)"
        return f"({left} {op} {right})"

    def cast(self, expr: n.Cast) -> str:
        operand = self.expression(expr.operand)
        target = expr.target
        if target.type_name in ("POINT", "CIRCLE", "POLYGON"):
            separator = self.params.add(_WHITESPACE)
            return f"CAST(regexp_split_to_array(trim({operand}), {separator}) AS DOUBLE[])"
        if target.type_name in ("CHAR", "VARCHAR"):
            text = f"CAST({operand} AS VARCHAR)"
            if target.length is not None:
                return f"left({text}, {self.params.add(int(target.length))})"
            return text
        duck = {
            "SMALLINT": "SMALLINT",
            "INTEGER": "INTEGER",
            "BIGINT": "BIGINT",
            "REAL": "FLOAT",
            "DOUBLE PRECISION": "DOUBLE",
            "TIMESTAMP": "TIMESTAMP",
        }[target.type_name]
        return f"CAST({operand} AS {duck})"

    def double(self, expr: n.Expression) -> str:
        value_type = self.type_of(expr)
        sql = self.expression(expr)
        if value_type.kind == "numeric" and value_type.datatype == "double":
            return sql
        return f"CAST({sql} AS DOUBLE)"

    # -- functions ------------------------------------------------------------------------
    def function(self, call: n.FunctionCall) -> str:
        name = call.name
        args = call.args
        if name in _MATH:
            distinct = "DISTINCT " if call.distinct else ""
            return f"{_MATH[name]}({distinct}{', '.join(self.expression(a) for a in args)})"
        if name == "count":
            if call.star:
                return "count(*)"
            return f"count({'DISTINCT ' if call.distinct else ''}{self.expression(args[0])})"
        if name == "sum":
            return f"sum({'DISTINCT ' if call.distinct else ''}{self.expression(args[0])})"
        if name in ("round", "truncate"):
            function = "round" if name == "round" else "trunc"
            if len(args) == 1:
                return f"{function}({self.expression(args[0])})"
            return f"{function}({self.double(args[0])}, CAST({self.expression(args[1])} AS INTEGER))"
        if name == "mod":
            if self.type_of(args[0]).is_integer and self.type_of(args[1]).is_integer:
                return f"({self.expression(args[0])} % {self.expression(args[1])})"
            return f"({self.double(args[0])} % {self.double(args[1])})"
        if name == "pi":
            return "pi()"
        if name == "rand":
            return "random()"
        if name == "in_unit":
            factor = self.res.unit_factors[id(call)]
            return f"({self.double(args[0])} * {self.params.add(float(factor))})"
        if name in _GEOMETRY_VALUES:
            return _GEOMETRY_VALUES[name](self, call)
        if name in ("contains", "intersects"):
            return f"CAST({self.predicate(call, positive=False)} AS INTEGER)"
        return self.udf(call)

    def udf(self, call: n.FunctionCall) -> str:
        name, args = call.name, call.args
        sql = [self.expression(a) for a in args] if name not in ("ivo_healpix_index",) else []
        if name == "ivo_healpix_index":
            order = f"CAST({self.expression(args[0])} AS INTEGER)"
            if len(args) == 2:
                ra, dec = self.point_parts(args[1])
            else:
                ra, dec = self.double(args[1]), self.double(args[2])
            return f"corot_healpix_index({order}, {ra}, {dec})"
        if name == "ivo_healpix_center":
            return f"corot_healpix_center(CAST({sql[0]} AS INTEGER), CAST({sql[1]} AS BIGINT))"
        if name == "ivo_hasword":
            return f"corot_hasword({sql[0]}, {sql[1]})"
        if name == "ivo_nocasematch":
            return f"CAST(({sql[0]} ILIKE {sql[1]}) AS INTEGER)"
        if name == "ivo_hashlist_has":
            hash_sign = self.params.add("#")
            return (
                f"CAST((NOT contains({sql[1]}, {hash_sign}) AND "
                f"list_contains(string_split(lower({sql[0]}), {hash_sign}), lower({sql[1]}))) AS INTEGER)"
            )
        if name == "ivo_string_agg":
            return f"string_agg({sql[0]}, {sql[1]})"
        if name in ("ivo_histogram", "gavo_histogram"):
            return (
                f"corot_histogram(list(CAST({sql[0]} AS DOUBLE)), CAST({sql[1]} AS DOUBLE), "
                f"CAST({sql[2]} AS DOUBLE), CAST({sql[3]} AS INTEGER))"
            )
        if name == "ivo_interval_overlaps":
            a1, b1, a2, b2 = sql
            return f"CAST(({a1} <= {b1} AND {a2} <= {b2} AND {a1} <= {b2} AND {a2} <= {b1}) AS INTEGER)"
        if name in ("ivo_to_mjd", "ivo_to_jd"):
            offset = 40587.0 if name == "ivo_to_mjd" else 2440587.5
            return f"(epoch(CAST({sql[0]} AS TIMESTAMP)) / 86400.0 + {self.params.add(offset)})"
        if name == "ivo_normal_random":
            return f"({sql[0]} + {sql[1]} * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))"
        raise AdqlError(f"Function '{name}' has no translation", call.pos.line, call.pos.column)

    # -- geometry values ------------------------------------------------------------------
    def shape(self, expr: n.Expression) -> str:
        shape = self.type_of(expr).shape
        if shape is None:
            raise AdqlError("A geometry of unknown shape cannot be used here", expr.pos.line, expr.pos.column)
        return shape

    def constant_shape(self, expr: n.Expression) -> ConstantShape | None:
        """The geometry when it is fully known now (constant coordinates), else None."""
        if not isinstance(expr, n.FunctionCall):
            return None
        if expr.name == "region":
            kind, values = self.res.regions[id(expr)]
            return ConstantShape(kind, values)  # type: ignore[arg-type]
        if expr.name not in ("point", "circle", "box", "polygon"):
            return None
        _cs, args = split_coordsys(expr)
        numbers: list[float] = []
        for arg in args:
            if self.type_of(arg).shape == "point":
                inner = self.constant_shape(arg)
                if inner is None:
                    return None
                numbers.extend(inner.values)
                continue
            value = constant_number(arg)
            if value is None:
                return None
            numbers.append(float(value))
        if expr.name == "point":
            return ConstantShape("point", tuple(numbers))
        if expr.name == "circle":
            return ConstantShape("circle", tuple(numbers))
        if expr.name == "box":
            corners = box_polygon(*numbers)[0]
            return ConstantShape("polygon", tuple(float(x) for x in corners))
        return ConstantShape("polygon", tuple(numbers))

    def constant_list(self, values: Sequence[float]) -> str:
        return f"CAST({self.params.add([float(v) for v in values])} AS DOUBLE[])"

    def point_parts(self, expr: n.Expression) -> tuple[str, str]:
        """SQL of the two coordinates of a POINT-valued expression."""
        if isinstance(expr, n.FunctionCall):
            if expr.name == "point":
                _cs, args = split_coordsys(expr)
                return self.double(args[0]), self.double(args[1])
            if expr.name == "centroid" and self.type_of(expr.args[0]).shape in ("point", "circle"):
                parts = (
                    self.point_parts(expr.args[0])
                    if self.type_of(expr.args[0]).shape == "point"
                    else self.circle_parts(expr.args[0])[:2]
                )
                return parts[0], parts[1]
            constant = self.constant_shape(expr)
            if constant is not None:
                return self.params.add(constant.values[0]), self.params.add(constant.values[1])
        value = self.expression(expr)
        return f"({value})[1]", f"({value})[2]"

    def circle_parts(self, expr: n.Expression) -> tuple[str, str, str]:
        if isinstance(expr, n.FunctionCall):
            if expr.name == "circle":
                _cs, args = split_coordsys(expr)
                if len(args) == 2:
                    ra, dec = self.point_parts(args[0])
                    return ra, dec, self.double(args[1])
                return self.double(args[0]), self.double(args[1]), self.double(args[2])
            constant = self.constant_shape(expr)
            if constant is not None:
                return tuple(self.params.add(v) for v in constant.values[:3])  # type: ignore[return-value]
        value = self.expression(expr)
        return f"({value})[1]", f"({value})[2]", f"({value})[3]"

    def polygon_list(self, expr: n.Expression) -> str:
        constant = self.constant_shape(expr)
        if constant is not None and constant.kind == "polygon":
            return self.constant_list(constant.values)
        if isinstance(expr, n.FunctionCall):
            _cs, args = split_coordsys(expr)
            if expr.name == "polygon":
                coordinates: list[str] = []
                for arg in args:
                    if self.type_of(arg).shape == "point":
                        coordinates.extend(self.point_parts(arg))
                    else:
                        coordinates.append(self.double(arg))
                return f"list_value({', '.join(coordinates)})"
            if expr.name == "box":
                if len(args) == 3:
                    ra, dec = self.point_parts(args[0])
                    width, height = self.double(args[1]), self.double(args[2])
                else:
                    ra, dec, width, height = (self.double(a) for a in args)
                return f"corot_box({ra}, {dec}, {width}, {height})"
        return self.expression(expr)

    def geometry_list(self, expr: n.Expression) -> str:
        """A geometry value as its DALI DOUBLE[] list."""
        shape = self.shape(expr)
        if shape == "point":
            ra, dec = self.point_parts(expr)
            return f"list_value({ra}, {dec})"
        if shape == "circle":
            return f"list_value({', '.join(self.circle_parts(expr))})"
        return self.polygon_list(expr)

    # -- spatial predicates -----------------------------------------------------------------
    def predicate(self, call: n.FunctionCall, positive: bool) -> str:
        """Boolean SQL of CONTAINS(a, b) or INTERSECTS(a, b)."""
        a, b = call.args
        shape_a, shape_b = self.shape(a), self.shape(b)
        relation = call.name
        if "region" in (shape_a, shape_b):
            function = "corot_geom_contains" if relation == "contains" else "corot_geom_intersects"
            kind_a, list_a = self.kind_and_list(a, shape_a)
            kind_b, list_b = self.kind_and_list(b, shape_b)
            return f"{function}({kind_a}, {list_a}, {kind_b}, {list_b})"
        if relation == "intersects":
            if shape_b == "point" and shape_a != "point":
                a, b, shape_a, shape_b = b, a, shape_b, shape_a
            if shape_a == "point":
                relation = "contains"
        if relation == "contains" and shape_a == "point":
            if shape_b == "circle":
                return self.point_in_circle(a, b, positive)
            if shape_b == "polygon":
                return self.point_in_polygon(a, b, positive)
            ra1, dec1 = self.point_parts(a)
            ra2, dec2 = self.point_parts(b)
            return f"({haversine_sql(ra1, dec1, ra2, dec2)} <= 1e-12)"
        if shape_a == "circle" and shape_b == "circle":
            ra1, dec1, r1 = self.circle_parts(a)
            ra2, dec2, r2 = self.circle_parts(b)
            distance = haversine_sql(ra1, dec1, ra2, dec2)
            if relation == "contains":
                return f"({distance} + radians({r1}) <= radians({r2}))"
            return f"({distance} <= radians({r1}) + radians({r2}))"
        function = "corot_geom_contains" if relation == "contains" else "corot_geom_intersects"
        return (
            f"{function}({self.params.add(shape_a)}, {self.geometry_list(a)}, "
            f"{self.params.add(shape_b)}, {self.geometry_list(b)})"
        )

    def kind_and_list(self, expr: n.Expression, shape: str) -> tuple[str, str]:
        """Shape name and DALI list of a geometry; STC-S strings are parsed row by row."""
        if shape == "region":
            text = self.expression(expr)
            return f"corot_stcs_kind({text})", f"corot_stcs_values({text})"
        return self.params.add(shape), self.geometry_list(expr)

    def spatial_alias(self, point: n.Expression) -> tuple[str, TableMeta] | None:
        """(alias, table) when ``point`` is POINT(t.ra, t.dec) on the indexed position of ``t``."""
        if not (isinstance(point, n.FunctionCall) and point.name == "point"):
            return None
        _cs, args = split_coordsys(point)
        if not all(isinstance(a, n.ColumnRef) for a in args):
            return None
        ra, dec = (self.res.columns[id(a)] for a in args)
        return self._spatial_pair(ra, dec)

    def _spatial_pair(self, ra: ResolvedColumn, dec: ResolvedColumn) -> tuple[str, TableMeta] | None:
        table = ra.table
        if (
            table is None
            or table.spatial is None
            or ra.alias is None
            or ra.alias != dec.alias
            or dec.table is not table
        ):
            return None
        binding_ok = any(b.alias == ra.alias and b.kind == "table" for b in self.res.sources.values())
        if not binding_ok or (ra.column, dec.column) != (table.spatial.ra, table.spatial.dec):
            return None
        return ra.alias, table

    def hpx_ranges(self, alias: str, ranges: Sequence[tuple[int, int]]) -> str:
        column = f"{quote_ident(alias)}.{quote_ident(HPX_COLUMN)}"
        parts = [f"{column} BETWEEN {self.params.add(int(lo))} AND {self.params.add(int(hi))}" for lo, hi in ranges]
        return "(" + " OR ".join(parts) + ")"

    def point_in_circle(self, point: n.Expression, circle: n.Expression, positive: bool) -> str:
        ra, dec = self.point_parts(point)
        cra, cdec, radius = self.circle_parts(circle)
        exact = f"({haversine_sql(ra, dec, cra, cdec)} <= radians({radius}))"
        if not positive:
            return exact
        supersets = [self.dec_band(dec, cdec, radius)]
        spatial = self.spatial_alias(point)
        constant = self.constant_shape(circle)
        if spatial is not None and constant is not None:
            supersets.insert(0, self.cone_ranges(spatial[0], constant.values))
        return "(" + " AND ".join([s for s in supersets if s] + [exact]) + ")"

    def point_in_polygon(self, point: n.Expression, polygon: n.Expression, positive: bool) -> str:
        ra, dec = self.point_parts(point)
        exact = f"corot_polygon_contains({self.polygon_list(polygon)}, {ra}, {dec})"
        if not positive:
            return exact
        spatial = self.spatial_alias(point)
        constant = self.constant_shape(polygon)
        if spatial is None or constant is None:
            return exact
        values = constant.values
        if not _valid_positions(values) or not _small_polygon(values):
            return exact  # the exact test decides (NULL for polygons it cannot handle)
        try:
            ranges = polygon_ranges(list(values[0::2]), list(values[1::2]))
        except (ValueError, RuntimeError, TypeError):
            return exact
        return f"({self.hpx_ranges(spatial[0], ranges)} AND {exact})"

    def cone_ranges(self, alias: str, circle: Sequence[float]) -> str:
        ra, dec, radius = circle[:3]
        if not (_valid_positions((ra, dec)) and math.isfinite(radius) and radius >= 0):
            return ""  # no pruning: the exact test alone decides
        try:
            ranges = cone_ranges(ra, dec, radius + _RANGE_PAD)
        except (ValueError, RuntimeError, TypeError):
            return ""
        return self.hpx_ranges(alias, ranges)

    def dec_band(self, dec: str, centre_dec: str, radius: str) -> str:
        """|dec - centre_dec| <= radius: a superset of the cone that range joins can use."""
        pad = self.params.add(_BAND_PAD)
        return f"({dec} BETWEEN ({centre_dec}) - ({radius}) - {pad} AND ({centre_dec}) + ({radius}) + {pad})"

    def distance_points(self, call: n.FunctionCall) -> tuple[n.Expression | None, tuple[str, str], tuple[str, str]]:
        args = call.args
        if len(args) == 2:
            return args[0], self.point_parts(args[0]), self.point_parts(args[1])
        return None, (self.double(args[0]), self.double(args[1])), (self.double(args[2]), self.double(args[3]))

    def distance_limit(self, call: n.FunctionCall, op: str, limit: n.Expression, positive: bool) -> str:
        """``DISTANCE(p1, p2) < r`` (or <=): the preferred cone/crossmatch form of ADQL 2.1 §4.2.5."""
        _first, (ra1, dec1), (ra2, dec2) = self.distance_points(call)
        radius = self.expression(limit)
        exact = f"(degrees({haversine_sql(ra1, dec1, ra2, dec2)}) {op} {radius})"
        if not positive:
            return exact
        supersets = [self.dec_band(dec1, dec2, radius)]
        radius_value = constant_number(limit)
        spatial, centre = self._distance_spatial(call)
        if spatial is not None and centre is not None and radius_value is not None:
            ranges = self.cone_ranges(spatial[0], (*centre, float(radius_value)))
            if ranges:
                supersets.insert(0, ranges)
        return "(" + " AND ".join([*supersets, exact]) + ")"

    def _distance_spatial(
        self, call: n.FunctionCall
    ) -> tuple[tuple[str, TableMeta] | None, tuple[float, float] | None]:
        args = call.args
        if len(args) == 2:
            for point, other in ((args[0], args[1]), (args[1], args[0])):
                spatial = self.spatial_alias(point)
                constant = self.constant_shape(other)
                if spatial is not None and constant is not None:
                    return spatial, (constant.values[0], constant.values[1])
            return None, None
        for (ra, dec), (cra, cdec) in (
            ((args[0], args[1]), (args[2], args[3])),
            ((args[2], args[3]), (args[0], args[1])),
        ):
            if isinstance(ra, n.ColumnRef) and isinstance(dec, n.ColumnRef):
                spatial = self._spatial_pair(self.res.columns[id(ra)], self.res.columns[id(dec)])
                ra_value, dec_value = constant_number(cra), constant_number(cdec)
                if spatial is not None and ra_value is not None and dec_value is not None:
                    return spatial, (float(ra_value), float(dec_value))
        return None, None

    # -- conditions -----------------------------------------------------------------------
    def condition(self, cond: n.Condition, positive: bool) -> str:
        """SQL of a search condition; ``positive`` when rows failing it are just dropped."""
        if isinstance(cond, n.And):
            return f"({self.condition(cond.left, positive)} AND {self.condition(cond.right, positive)})"
        if isinstance(cond, n.Or):
            return f"({self.condition(cond.left, positive)} OR {self.condition(cond.right, positive)})"
        if isinstance(cond, n.Not):
            return f"(NOT {self.condition(cond.operand, positive=False)})"
        if isinstance(cond, n.Comparison):
            return self.comparison(cond, positive)
        if isinstance(cond, n.Between):
            keyword = "NOT BETWEEN" if cond.negated else "BETWEEN"
            return (
                f"({self.expression(cond.operand)} {keyword} {self.expression(cond.low)} "
                f"AND {self.expression(cond.high)})"
            )
        if isinstance(cond, n.InList):
            keyword = "NOT IN" if cond.negated else "IN"
            items = ", ".join(self.expression(item) for item in cond.items)
            return f"({self.expression(cond.operand)} {keyword} ({items}))"
        if isinstance(cond, n.InSubquery):
            keyword = "NOT IN" if cond.negated else "IN"
            return f"({self.expression(cond.operand)} {keyword} ({self.select_expression(cond.query)}))"
        if isinstance(cond, n.Like):
            keyword = ("NOT " if cond.negated else "") + ("ILIKE" if cond.case_insensitive else "LIKE")
            sql = f"{self.expression(cond.operand)} {keyword} {self.expression(cond.pattern)}"
            if cond.escape is not None:
                sql += f" ESCAPE {self.expression(cond.escape)}"
            return f"({sql})"
        if isinstance(cond, n.IsNull):
            return f"({self.expression(cond.operand)} IS {'NOT ' if cond.negated else ''}NULL)"
        return f"(EXISTS ({self.select_expression(cond.query)}))"

    def comparison(self, cond: n.Comparison, positive: bool) -> str:
        left, right, op = cond.left, cond.right, cond.op
        for call, other in ((left, right), (right, left)):
            if (
                isinstance(call, n.FunctionCall)
                and call.name in ("contains", "intersects")
                and op in ("=", "<>")
                and isinstance(other, n.Literal)
                and other.kind == "integer"
                and other.value in (0, 1)
            ):
                holds = (other.value == 1) != (op == "<>")
                if holds:
                    return self.predicate(call, positive)
                return f"(NOT {self.predicate(call, positive=False)})"
        if isinstance(left, n.FunctionCall) and left.name == "distance" and op in ("<", "<="):
            return self.distance_limit(left, op, right, positive)
        if isinstance(right, n.FunctionCall) and right.name == "distance" and op in (">", ">="):
            return self.distance_limit(right, "<" if op == ">" else "<=", left, positive)
        return f"({self.expression(left)} {op} {self.expression(right)})"


def _valid_positions(values: Sequence[float]) -> bool:
    """Finite (ra, dec) pairs with |dec| <= 90: the HEALPix helpers accept only those."""
    return all(math.isfinite(v) for v in values) and all(-90.0 <= d <= 90.0 for d in values[1::2])


def _small_polygon(values: Sequence[float]) -> bool:
    """Whether a constant polygon is one the spherical geometry handles (less than a hemisphere)."""
    try:
        return within_hemisphere(polygon_vertices(values))
    except GeometryError:
        return False


def _point_value(t: _Translator, call: n.FunctionCall) -> str:
    ra, dec = t.point_parts(call)
    return f"list_value({ra}, {dec})"


def _centroid(t: _Translator, call: n.FunctionCall) -> str:
    shape = t.shape(call.args[0])
    if shape == "polygon":
        return f"corot_polygon_centroid({t.polygon_list(call.args[0])})"
    ra, dec = t.point_parts(call)
    return f"list_value({ra}, {dec})"


def _area(t: _Translator, call: n.FunctionCall) -> str:
    shape = t.shape(call.args[0])
    if shape == "point":
        return "CAST(0 AS DOUBLE)"
    if shape == "circle":
        _ra, _dec, radius = t.circle_parts(call.args[0])
        return f"degrees(degrees(2 * pi() * (1 - cos(radians({radius})))))"
    return f"corot_polygon_area({t.polygon_list(call.args[0])})"


def _coord(index: int) -> Callable[[_Translator, n.FunctionCall], str]:
    def translate(t: _Translator, call: n.FunctionCall) -> str:
        return t.point_parts(call.args[0])[index]

    return translate


def _coordsys(t: _Translator, call: n.FunctionCall) -> str:
    argument = call.args[0]
    if isinstance(argument, n.FunctionCall):
        literal, _rest = split_coordsys(argument)
        if literal is not None and argument.name in ("point", "circle", "box", "polygon") and literal.value:
            return t.params.add(str(literal.value))
    return t.params.add("ICRS")


def _distance(t: _Translator, call: n.FunctionCall) -> str:
    _first, (ra1, dec1), (ra2, dec2) = t.distance_points(call)
    return f"degrees({haversine_sql(ra1, dec1, ra2, dec2)})"


_GEOMETRY_VALUES: dict[str, Callable[[_Translator, n.FunctionCall], str]] = {
    "point": _point_value,
    "circle": lambda t, call: t.geometry_list(call),
    "box": lambda t, call: t.polygon_list(call),
    "polygon": lambda t, call: t.polygon_list(call),
    "region": lambda t, call: t.constant_list(t.res.regions[id(call)][1]),
    "centroid": _centroid,
    "area": _area,
    "coord1": _coord(0),
    "coord2": _coord(1),
    "coordsys": _coordsys,
    "distance": _distance,
    "ivo_healpix_center": lambda t, call: t.udf(call),
}


def translate_duckdb(
    annotated: AnnotatedQuery, relation_sql: RelationSql, limit: int | None = None
) -> tuple[str, list[Any]]:
    """DuckDB SQL and its parameters for an annotated query.

    ``relation_sql(table)`` gives the SQL of the relation to read for a catalogue table (a
    quoted name, or a filtered subquery for access-controlled tables).  ``limit`` caps the
    number of rows of the whole result (the caller passes MAXREC + 1 to detect overflow);
    it combines with the query's own TOP as min(TOP, limit).
    """
    if limit is not None and limit < 0:
        raise ValueError("limit must not be negative")
    translator = _Translator(annotated, relation_sql)
    try:
        sql = translator.query(limit)
    except RecursionError:
        raise AdqlError("The query is nested too deeply") from None
    return _renumber(sql, translator.params.values)


_PLACEHOLDER = re.compile(r'"(?:[^"]|"")*"|\$(\d+)')


def _renumber(sql: str, values: list[Any]) -> tuple[str, list[Any]]:
    """Keep only the parameters the SQL uses, numbered by first appearance.

    Geometry helpers may build a fragment (and register its literals) that the final SQL
    does not contain; DuckDB refuses parameters that no placeholder uses.  Quoted
    identifiers are skipped, so a ``$1`` inside a column alias is left alone.
    """
    mapping: dict[int, int] = {}
    used: list[Any] = []

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(0)
        old = int(match.group(1))
        if old not in mapping:
            used.append(values[old - 1])
            mapping[old] = len(used)
        return f"${mapping[old]}"

    return _PLACEHOLDER.sub(replace, sql), used


__all__ = ["RelationSql", "translate_duckdb"]
