"""Bounds on the size of a parsed ADQL query, checked before any recursive stage runs.

TAP 1.1 §2.3.5 lets a service refuse a query it cannot answer with a usage error.  The
execution time limit of the store only applies once the SQL runs; the cost of *planning*
(annotating and translating the tree, computing HEALPix ranges) and the exact geometric
tests grow with the size of the query itself, and the annotator and translator walk the
tree recursively.  This walk is iterative, linear in the size of the tree and stops at the
first bound exceeded, answering a positioned :class:`AdqlError` that names the limit:

* :data:`MAX_NESTING` levels of nested expressions, conditions and subqueries: a chain of
  ``a OR b OR ...`` or ``1 + 1 + ...`` nests one level per operator, a function call two, a
  subquery about three (the bound keeps the recursive stages far from Python's recursion
  limit, and the SQL within DuckDB's expression depth of 1000);
* :data:`MAX_SELECT_ITEMS` items in one select list;
* :data:`MAX_FROM_TABLES` tables (or subqueries) joined in one FROM clause;
* :data:`MAX_POLYGON_VERTICES` vertices of one POLYGON.
"""

from __future__ import annotations

from tap.adql import nodes as n
from tap.adql.errors import AdqlError
from tap.adql.geometry import split_coordsys

#: Deepest nesting of expressions, conditions and subqueries (tree levels).
MAX_NESTING = 200
#: Most items in one select list (``*`` counts as one).
MAX_SELECT_ITEMS = 1000
#: Most tables and subqueries joined in one FROM clause.
MAX_FROM_TABLES = 32
#: Most vertices of one POLYGON.
MAX_POLYGON_VERTICES = 1000


#: Levels a node counts for, where the recursive stages take more stack per level than usual.
_WEIGHTS: dict[type, int] = {n.FunctionCall: 2}


def _error(message: str, pos: n.Position, hint: str) -> AdqlError:
    return AdqlError(message, pos.line or None, pos.column or None, hint=hint)


def _from_tables(items: tuple[n.FromItem, ...]) -> int:
    """Tables and subqueries of one FROM clause (the leaves of its join trees)."""
    count = 0
    pending: list[n.FromItem] = list(items)
    while pending:
        item = pending.pop()
        if isinstance(item, n.Join):
            pending += (item.left, item.right)
        else:
            count += 1
    return count


def _polygon_vertices(call: n.FunctionCall) -> float:
    """Vertices of POLYGON([coordsys,] ra1, dec1, ... | point1, point2, ...)."""
    _, args = split_coordsys(call)
    return sum(1.0 if isinstance(arg, n.FunctionCall) and arg.name == "point" else 0.5 for arg in args)


def check_polygon_vertices(vertices: float, pos: n.Position) -> None:
    """Refuse a POLYGON (or STC-S REGION polygon) of more than :data:`MAX_POLYGON_VERTICES` vertices."""
    if vertices > MAX_POLYGON_VERTICES:
        raise _error(f"The POLYGON has {int(vertices)} vertices, more than the {MAX_POLYGON_VERTICES} allowed",
                     pos, "simplify the polygon, or cover the region with several smaller ones")


def _check_node(node: object) -> None:
    if isinstance(node, n.SelectQuery):
        if len(node.items) > MAX_SELECT_ITEMS:
            raise _error(f"The select list has {len(node.items)} items, more than the {MAX_SELECT_ITEMS} allowed",
                         node.items[MAX_SELECT_ITEMS].pos, "select fewer columns, or split the query")
        tables = _from_tables(node.from_items)
        if tables > MAX_FROM_TABLES:
            raise _error(f"The FROM clause joins {tables} tables, more than the {MAX_FROM_TABLES} allowed",
                         node.pos, "join fewer tables in one query")
    elif isinstance(node, n.FunctionCall) and node.name == "polygon":
        check_polygon_vertices(_polygon_vertices(node), node.pos)


def check_limits(query: n.Query) -> None:
    """Raise :class:`AdqlError` at the first bound of this module that ``query`` exceeds."""
    # (node, its depth, the AND and OR levels above it)
    pending: list[tuple[object, int, int]] = [(query, 0, 0)]
    while pending:
        node, depth, logical = pending.pop()
        if isinstance(node, tuple):
            pending += ((item, depth, logical) for item in node)
            continue
        names = getattr(node, "__dataclass_fields__", None)
        if names is None or isinstance(node, n.Position):
            continue
        if depth > MAX_NESTING:
            pos = getattr(node, "pos", n.NOWHERE)
            raise _error(f"The query is nested more than {MAX_NESTING} levels deep", pos,
                         "write a long list of OR terms as IN (...), or upload the values as a table "
                         "(UPLOAD) and join it" if 2 * logical > depth else "nest less deeply")
        _check_node(node)
        below = depth + _WEIGHTS.get(type(node), 1)
        above = logical + isinstance(node, n.Or | n.And)
        for name in names:
            child = getattr(node, name)
            if name != "pos" and (isinstance(child, tuple) or hasattr(child, "__dataclass_fields__")):
                pending.append((child, below, above))


__all__ = [
    "MAX_FROM_TABLES",
    "MAX_NESTING",
    "MAX_POLYGON_VERTICES",
    "MAX_SELECT_ITEMS",
    "check_limits",
    "check_polygon_vertices",
]
