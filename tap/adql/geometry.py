"""Geometry constants: constant folding of coordinates, coordinate systems, STC-S regions.

ADQL 2.1 §4.2.3 makes the coordinate-system argument of POINT, CIRCLE, BOX and POLYGON an
optional, deprecated string literal; this service holds ICRS data only and accepts the
system names that mean ICRS (or say nothing).  REGION (§4.2.13) takes an STC-S string
(TAP 1.0 §6 / STC-S note); the shapes POSITION, CIRCLE, BOX and POLYGON are supported.

Constant geometries are what the translator turns into HEALPix index ranges, so folding
follows SQL arithmetic exactly (integer division truncates, as it does in the query).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tap.adql import nodes as n
from tap.adql.errors import AdqlError
from vo_service.spatial import GeometryError, is_icrs, stcs_shape

ShapeKind = Literal["point", "circle", "polygon"]


@dataclass(frozen=True, slots=True)
class ConstantShape:
    """A geometry known at translation time; ``values`` in DALI order (degrees)."""

    kind: ShapeKind
    values: tuple[float, ...]


def constant_number(expr: n.Expression) -> int | float | None:
    """The value of a numeric constant expression (literals and + - * /), else None."""
    if isinstance(expr, n.Literal):
        return expr.value if expr.kind in ("integer", "real") and not isinstance(expr.value, str) else None
    if isinstance(expr, n.UnaryOp) and expr.op in "+-":
        value = constant_number(expr.operand)
        if value is None:
            return None
        return -value if expr.op == "-" else value
    if isinstance(expr, n.BinaryOp) and expr.op in ("+", "-", "*", "/"):
        left, right = constant_number(expr.left), constant_number(expr.right)
        if left is None or right is None:
            return None
        if expr.op == "+":
            return left + right
        if expr.op == "-":
            return left - right
        if expr.op == "*":
            return left * right
        if right == 0:
            return None
        if isinstance(left, int) and isinstance(right, int):
            quotient = abs(left) // abs(right)
            return quotient if (left >= 0) == (right >= 0) else -quotient
        return left / right
    return None


def check_coordsys(value: str, pos: n.Position) -> None:
    """Refuse coordinate systems other than ICRS (this service cannot transform positions)."""
    if is_icrs(value):
        return
    raise AdqlError(
        f"Unsupported coordinate system '{value}'",
        pos.line,
        pos.column,
        hint="all positions here are ICRS; use 'ICRS' or leave the coordinate system out",
    )


def split_coordsys(call: n.FunctionCall) -> tuple[n.Literal | None, tuple[n.Expression, ...]]:
    """The optional leading coordinate-system literal of a geometry constructor and the rest."""
    if call.args and isinstance(call.args[0], n.Literal) and call.args[0].kind == "string":
        return call.args[0], call.args[1:]
    return None, call.args


def parse_stcs(text: str, pos: n.Position) -> ConstantShape:
    """A constant shape from an STC-S region string (the REGION argument)."""
    shape = text.split(maxsplit=1)[0].upper() if text.strip() else ""
    if shape.startswith(("UNION", "INTERSECTION", "NOT", "DIFFERENCE")):
        raise AdqlError(
            f"STC-S {shape.split('(')[0]} regions are not supported",
            pos.line,
            pos.column,
            hint="use CONTAINS or INTERSECTS with the simple shapes and combine them with OR/AND",
        )
    try:
        kind, values = stcs_shape(text)
    except GeometryError as exc:
        raise AdqlError(
            f"Cannot use the STC-S region '{text}': {exc}",
            pos.line,
            pos.column,
            hint="supported: POSITION ra dec, CIRCLE ra dec r, BOX ra dec w h, POLYGON ra1 dec1 ra2 dec2 ra3 dec3 ...",
        ) from None
    return ConstantShape(kind, tuple(values))  # type: ignore[arg-type]


__all__ = ["ConstantShape", "ShapeKind", "check_coordsys", "constant_number", "parse_stcs", "split_coordsys"]
