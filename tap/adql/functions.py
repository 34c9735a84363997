"""The function table: every function an ADQL query may call, with arity and type rules.

Covers ADQL 2.1 §2.3 (math and trigonometric functions), the set functions of SQL-92,
§4.2 (geometry), §4.3 (user-defined functions: the IVOA UDF catalogue functions this
service offers), §4.4 (LOWER/UPPER), §4.8 (COALESCE), §4.9 (IN_UNIT), plus NULLIF.
A name not in this table is an error; the translator has an entry for each name here and
for nothing else, so no other backend function can be reached from a query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from astropy import units as u

from tap.adql import datatypes as dt
from tap.adql import nodes as n
from tap.adql.annotated import Resolution
from tap.adql.errors import AdqlError
from tap.adql.geometry import check_coordsys, parse_stcs, split_coordsys
from tap.adql.limits import check_polygon_vertices

Check = Callable[[n.FunctionCall, list[dt.Typed], Resolution], dt.Typed]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    min_args: int
    max_args: int | None
    check: Check
    aggregate: bool = False


def _fail(message: str, node: n.Expression | n.FunctionCall, hint: str | None = None) -> AdqlError:
    return AdqlError(message, node.pos.line, node.pos.column, hint=hint)


def _require(call: n.FunctionCall, args: list[dt.Typed], index: int, test: str, what: str) -> None:
    typed = args[index].type
    ok = {
        "numeric": typed.is_numeric,
        "integer": typed.is_integer or typed.kind == "null",
        "string": typed.is_string,
        "geometry": typed.is_geometry,
        "point": typed.kind == "null" or typed.shape == "point",
        "time": typed.kind in ("timestamp", "string", "null"),
    }[test]
    if not ok:
        node = call.args[index]
        raise _fail(f"Argument {index + 1} of {call.name.upper()} must be {what}, not {typed.describe()}", node)


def _numeric_args(call: n.FunctionCall, args: list[dt.Typed], start: int = 0) -> None:
    for index in range(start, len(args)):
        _require(call, args, index, "numeric", "numeric")


def _double(unit: str | None = None, ucd: str | None = None) -> dt.Typed:
    return dt.Typed(dt.DOUBLE, dt.ColumnInfo(unit=unit, ucd=ucd))


# -- math (ADQL 2.1 §2.3) -----------------------------------------------------------------
def _math_double(unit: str | None = None) -> Check:
    def check(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
        _numeric_args(call, args)
        return _double(unit)

    return check


def _keeps_integer(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    """ABS, CEILING, FLOOR, ROUND, TRUNCATE: integers stay integers, the rest is DOUBLE."""
    _numeric_args(call, args)
    if len(args) > 1:
        _require(call, args, 1, "integer", "an integer")
    first = args[0]
    info = dt.ColumnInfo(unit=first.info.unit)
    if first.type.is_integer and len(args) == 1:
        return dt.Typed(first.type, info)
    return dt.Typed(dt.DOUBLE, info)


def _mod(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _numeric_args(call, args)
    if args[0].type.is_integer and args[1].type.is_integer:
        return dt.Typed(dt.numeric_result(args[0].type, args[1].type), dt.ColumnInfo(unit=args[0].info.unit))
    return dt.Typed(dt.DOUBLE, dt.ColumnInfo(unit=args[0].info.unit))


def _rand(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _numeric_args(call, args)
    return _double()


# -- set functions ----------------------------------------------------------------------------
def _count(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    if not call.star and len(args) != 1:
        raise _fail("COUNT takes one argument or *", call)
    return dt.Typed(dt.BIGINT, dt.ColumnInfo(ucd="meta.number"))


def _avg(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _numeric_args(call, args)
    info = args[0].info
    return dt.Typed(dt.DOUBLE, dt.ColumnInfo(unit=info.unit, ucd=info.ucd))


def _sum(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _numeric_args(call, args)
    value_type = dt.BIGINT if args[0].type.is_integer or args[0].type.kind == "null" else dt.DOUBLE
    return dt.Typed(value_type, dt.ColumnInfo(unit=args[0].info.unit))


def _min_max(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    if args[0].type.kind in ("geometry", "array"):
        raise _fail(f"{call.name.upper()} cannot be applied to {args[0].type.describe()}", call.args[0])
    info = args[0].info
    return dt.Typed(args[0].type, dt.ColumnInfo(unit=info.unit, ucd=info.ucd, description=info.description))


def _string_agg(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _require(call, args, 0, "string", "a string")
    _require(call, args, 1, "string", "a string")
    return dt.Typed(dt.STRING)


def _histogram(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _numeric_args(call, args)
    _require(call, args, 3, "integer", "an integer")
    return dt.Typed(dt.LONG_ARRAY, dt.ColumnInfo(ucd="meta.number"))


# -- strings and conditionals ---------------------------------------------------------------
def _case_fold(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _require(call, args, 0, "string", "a string")
    return dt.Typed(dt.STRING, dt.ColumnInfo(ucd=args[0].info.ucd))


def _coalesce(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    common = dt.common_type([a.type for a in args])
    if common is None:
        kinds = ", ".join(a.type.describe() for a in args)
        raise _fail(f"The arguments of {call.name.upper()} must have the same type (got {kinds})", call)
    first = next((a for a in args if a.type.kind != "null"), args[0])
    return dt.Typed(common, first.info)


def _nullif(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    if not dt.comparable(args[0].type, args[1].type):
        raise _fail(f"NULLIF cannot compare {args[0].type.describe()} with {args[1].type.describe()}", call)
    return args[0]


def _in_unit(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    """IN_UNIT (ADQL 2.1 §4.9.1): a multiplicative conversion between VOUnits."""
    _require(call, args, 0, "numeric", "numeric")
    target = call.args[1]
    if not (isinstance(target, n.Literal) and target.kind == "string" and isinstance(target.value, str)):
        raise _fail("The second argument of IN_UNIT must be a string literal naming a VOUnit", target)
    source_unit = args[0].info.unit
    if not source_unit:
        raise _fail(
            "IN_UNIT cannot convert a value without a unit",
            call.args[0],
            hint="only columns (and expressions of them) with a declared unit can be converted",
        )
    try:
        wanted = u.Unit(target.value, format="vounit")
    except ValueError:
        raise _fail(f"'{target.value}' is not a valid VOUnit", target) from None
    try:
        source = u.Unit(source_unit, format="vounit")
        factor = float(source.to(wanted))
    except (ValueError, u.UnitsError) as exc:
        raise _fail(
            f"Cannot convert from '{source_unit}' to '{target.value}'", call, hint=str(exc).split("\n")[0]
        ) from None
    res.unit_factors[id(call)] = factor
    info = args[0].info
    return dt.Typed(dt.DOUBLE, dt.ColumnInfo(unit=target.value, ucd=info.ucd))


# -- geometry (ADQL 2.1 §4.2) ---------------------------------------------------------------
def _coordinate_args(call: n.FunctionCall, args: list[dt.Typed]) -> list[dt.Typed]:
    """Check and drop the optional coordinate-system literal of a geometry constructor."""
    coordsys, _rest = split_coordsys(call)
    if coordsys is not None:
        assert isinstance(coordsys.value, str)
        check_coordsys(coordsys.value, coordsys.pos)
        return args[1:]
    return args


def _shift(call: n.FunctionCall) -> tuple[n.FunctionCall, int]:
    coordsys, rest = split_coordsys(call)
    offset = 1 if coordsys is not None else 0
    return n.FunctionCall(call.name, rest, pos=call.pos), offset


def _point(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    values = _coordinate_args(call, args)
    shifted, _ = _shift(call)
    if len(values) != 2:
        raise _fail("POINT takes two coordinates (plus an optional coordinate system)", call)
    _numeric_args(shifted, values)
    return dt.Typed(dt.POINT, dt.ColumnInfo(ucd="pos.eq"))


def _circle(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    values = _coordinate_args(call, args)
    shifted, _ = _shift(call)
    if len(values) == 2:
        _require(shifted, values, 0, "point", "a POINT")
        _require(shifted, values, 1, "numeric", "numeric")
    elif len(values) == 3:
        _numeric_args(shifted, values)
    else:
        raise _fail("CIRCLE takes a centre (POINT or two coordinates) and a radius", call)
    return dt.Typed(dt.CIRCLE)


def _box(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    values = _coordinate_args(call, args)
    shifted, _ = _shift(call)
    if len(values) == 3:
        _require(shifted, values, 0, "point", "a POINT")
        _numeric_args(shifted, values, 1)
    elif len(values) == 4:
        _numeric_args(shifted, values)
    else:
        raise _fail("BOX takes a centre (POINT or two coordinates), a width and a height", call)
    return dt.Typed(dt.POLYGON)


def _polygon(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    values = _coordinate_args(call, args)
    shifted, _ = _shift(call)
    if values and all(v.type.shape == "point" for v in values):
        if len(values) < 3:
            raise _fail("A POLYGON needs at least three vertices", call)
    else:
        if len(values) < 6 or len(values) % 2:
            raise _fail("A POLYGON needs at least three vertices, given as POINTs or as coordinate pairs", call)
        _numeric_args(shifted, values)
    return dt.Typed(dt.POLYGON)


def _region(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    text = call.args[0]
    if not (isinstance(text, n.Literal) and text.kind == "string" and isinstance(text.value, str)):
        raise _fail("REGION takes a string literal (ADQL 2.1 §4.2.13)", text)
    shape = parse_stcs(text.value, text.pos)
    if shape.kind == "polygon":
        check_polygon_vertices(len(shape.values) // 2, text.pos)
    res.regions[id(call)] = (shape.kind, shape.values)
    return dt.Typed(dt.GEOMETRY_TYPES[shape.kind])


def _no_region(call: n.FunctionCall, args: list[dt.Typed]) -> None:
    if args[0].type.shape == "region":
        raise _fail(
            f"{call.name.upper()} of STC-S region strings is not supported",
            call.args[0],
            hint="region columns can be used in CONTAINS and INTERSECTS",
        )


def _centroid(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _require(call, args, 0, "geometry", "a geometry")
    _no_region(call, args)
    return dt.Typed(dt.POINT, dt.ColumnInfo(ucd="pos.eq"))


def _area(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _require(call, args, 0, "geometry", "a geometry")
    _no_region(call, args)
    return _double("deg**2", "phys.angArea")


def _coord(ucd: str) -> Check:
    def check(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
        _require(call, args, 0, "point", "a POINT")
        return _double("deg", ucd)

    return check


def _coordsys(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _require(call, args, 0, "geometry", "a geometry")
    return dt.Typed(dt.STRING)


def _distance(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    if len(args) == 2:
        _require(call, args, 0, "point", "a POINT")
        _require(call, args, 1, "point", "a POINT")
    elif len(args) == 4:
        _numeric_args(call, args)
    else:
        raise _fail("DISTANCE takes two POINTs or four coordinates", call)
    return _double("deg", "pos.angDistance")


def _predicate(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    for index in range(2):
        _require(call, args, index, "geometry", "a geometry")
    return dt.Typed(dt.INTEGER)


# -- user-defined functions (IVOA UDF catalogue) -------------------------------------------
def _healpix_index(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _require(call, args, 0, "integer", "an integer HEALPix order")
    if len(args) == 2:
        _require(call, args, 1, "point", "a POINT")
    elif len(args) == 3:
        _numeric_args(call, args, 1)
    else:
        raise _fail("ivo_healpix_index takes (order, long, lat) or (order, point)", call)
    return dt.Typed(dt.BIGINT, dt.ColumnInfo(ucd="pos.healpix"))


def _healpix_center(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _require(call, args, 0, "integer", "an integer HEALPix order")
    _require(call, args, 1, "integer", "an integer HEALPix index")
    return dt.Typed(dt.POINT, dt.ColumnInfo(ucd="pos.eq"))


def _string_predicate(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    for index in range(len(args)):
        _require(call, args, index, "string", "a string")
    return dt.Typed(dt.INTEGER)


def _interval_overlaps(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _numeric_args(call, args)
    return dt.Typed(dt.INTEGER)


def _to_julian(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _require(call, args, 0, "time", "a TIMESTAMP")
    return _double("d", "time.epoch")


def _normal_random(call: n.FunctionCall, args: list[dt.Typed], res: Resolution) -> dt.Typed:
    _numeric_args(call, args)
    return _double(args[0].info.unit)


def _spec(name: str, min_args: int, max_args: int | None, check: Check, aggregate: bool = False) -> FunctionSpec:
    return FunctionSpec(name, min_args, max_args, check, aggregate)


def function_table() -> dict[str, FunctionSpec]:
    """Every callable function by lower-case name."""
    specs = [
        # ADQL 2.1 §2.3 mathematical and trigonometrical functions
        _spec("abs", 1, 1, _keeps_integer),
        _spec("ceiling", 1, 1, _keeps_integer),
        _spec("floor", 1, 1, _keeps_integer),
        _spec("round", 1, 2, _keeps_integer),
        _spec("truncate", 1, 2, _keeps_integer),
        _spec("degrees", 1, 1, _math_double("deg")),
        _spec("radians", 1, 1, _math_double("rad")),
        _spec("exp", 1, 1, _math_double()),
        _spec("log", 1, 1, _math_double()),
        _spec("log10", 1, 1, _math_double()),
        _spec("sqrt", 1, 1, _math_double()),
        _spec("power", 2, 2, _math_double()),
        _spec("mod", 2, 2, _mod),
        _spec("pi", 0, 0, _math_double()),
        _spec("rand", 0, 1, _rand),
        _spec("acos", 1, 1, _math_double("rad")),
        _spec("asin", 1, 1, _math_double("rad")),
        _spec("atan", 1, 1, _math_double("rad")),
        _spec("atan2", 2, 2, _math_double("rad")),
        _spec("cos", 1, 1, _math_double()),
        _spec("cot", 1, 1, _math_double()),
        _spec("sin", 1, 1, _math_double()),
        _spec("tan", 1, 1, _math_double()),
        # set functions
        _spec("count", 0, 1, _count, aggregate=True),
        _spec("avg", 1, 1, _avg, aggregate=True),
        _spec("sum", 1, 1, _sum, aggregate=True),
        _spec("min", 1, 1, _min_max, aggregate=True),
        _spec("max", 1, 1, _min_max, aggregate=True),
        # §4.4 strings, §4.8 conditionals, §4.9 units
        _spec("lower", 1, 1, _case_fold),
        _spec("upper", 1, 1, _case_fold),
        _spec("coalesce", 1, None, _coalesce),
        _spec("nullif", 2, 2, _nullif),
        _spec("in_unit", 2, 2, _in_unit),
        # §4.2 geometry
        _spec("point", 2, 3, _point),
        _spec("circle", 2, 4, _circle),
        _spec("box", 3, 5, _box),
        _spec("polygon", 3, None, _polygon),
        _spec("region", 1, 1, _region),
        _spec("centroid", 1, 1, _centroid),
        _spec("area", 1, 1, _area),
        _spec("coord1", 1, 1, _coord("pos.eq.ra")),
        _spec("coord2", 1, 1, _coord("pos.eq.dec")),
        _spec("coordsys", 1, 1, _coordsys),
        _spec("distance", 2, 4, _distance),
        _spec("contains", 2, 2, _predicate),
        _spec("intersects", 2, 2, _predicate),
        # §4.3 user-defined functions (IVOA UDF catalogue)
        _spec("ivo_healpix_index", 2, 3, _healpix_index),
        _spec("ivo_healpix_center", 2, 2, _healpix_center),
        _spec("ivo_hasword", 2, 2, _string_predicate),
        _spec("ivo_nocasematch", 2, 2, _string_predicate),
        _spec("ivo_hashlist_has", 2, 2, _string_predicate),
        _spec("ivo_string_agg", 2, 2, _string_agg, aggregate=True),
        _spec("ivo_histogram", 4, 4, _histogram, aggregate=True),
        _spec("gavo_histogram", 4, 4, _histogram, aggregate=True),
        _spec("ivo_interval_overlaps", 4, 4, _interval_overlaps),
        _spec("ivo_to_mjd", 1, 1, _to_julian),
        _spec("ivo_to_jd", 1, 1, _to_julian),
        _spec("ivo_normal_random", 2, 2, _normal_random),
    ]
    return {spec.name: spec for spec in specs}


__all__ = ["Check", "FunctionSpec", "function_table"]
