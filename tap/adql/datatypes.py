"""Value types of ADQL expressions and their VOTable serialisation (ADQL 2.1 §3).

Every expression is given a :class:`ValueType` (how its values are serialised: VOTable
datatype, arraysize, xtype) and :class:`ColumnInfo` (unit, UCD, utype, description, carried
over from catalogue columns where the meaning is kept).  The translator casts computed
output columns to the dialect's type (``translate_duckdb.duckdb_type``) so the result batches match
the declared metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from vo_service.metadata import ColumnMeta, FieldMeta, VOTableDatatype

Kind = Literal["numeric", "string", "timestamp", "geometry", "boolean", "null", "array"]
Shape = Literal["point", "circle", "polygon", "region"]

#: Widening order of the numeric VOTable datatypes (ADQL 2.1 §3.1.1 mapping).
_NUMERIC_RANK: dict[str, int] = {"unsignedByte": 0, "short": 1, "int": 2, "long": 3, "float": 4, "double": 5}
_INTEGER_DATATYPES = frozenset({"unsignedByte", "short", "int", "long"})


@dataclass(frozen=True, slots=True)
class ValueType:
    """How values of an expression are typed and serialised."""

    kind: Kind
    datatype: VOTableDatatype
    arraysize: str | None = None
    xtype: str | None = None
    shape: Shape | None = None

    @property
    def is_integer(self) -> bool:
        return self.kind == "numeric" and self.datatype in _INTEGER_DATATYPES

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("numeric", "null")

    @property
    def is_string(self) -> bool:
        return self.kind in ("string", "null")

    @property
    def is_geometry(self) -> bool:
        """Geometry values, including STC-S strings of region columns (xtype adql:REGION)."""
        return self.kind in ("geometry", "null") or self.shape == "region"

    def describe(self) -> str:
        """A short ADQL-ish name for error messages."""
        if self.kind == "geometry":
            return (self.shape or "geometry").upper()
        if self.kind == "numeric":
            return {
                "unsignedByte": "SMALLINT",
                "short": "SMALLINT",
                "int": "INTEGER",
                "long": "BIGINT",
                "float": "REAL",
                "double": "DOUBLE PRECISION",
            }[self.datatype]
        return {"string": "VARCHAR", "timestamp": "TIMESTAMP", "boolean": "BOOLEAN", "null": "NULL", "array": "array"}[
            self.kind
        ]


SHORT = ValueType("numeric", "short")
INTEGER = ValueType("numeric", "int")
BIGINT = ValueType("numeric", "long")
REAL = ValueType("numeric", "float")
DOUBLE = ValueType("numeric", "double")
STRING = ValueType("string", "char", "*")
TIMESTAMP = ValueType("timestamp", "char", "*", "timestamp")
BOOLEAN = ValueType("boolean", "boolean")
NULL = ValueType("null", "char", "*")
POINT = ValueType("geometry", "double", "2", "point", "point")
CIRCLE = ValueType("geometry", "double", "3", "circle", "circle")
POLYGON = ValueType("geometry", "double", "*", "polygon", "polygon")
LONG_ARRAY = ValueType("array", "long", "*")

GEOMETRY_TYPES: dict[str, ValueType] = {"point": POINT, "circle": CIRCLE, "polygon": POLYGON}


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """The annotations of a value that survive into the output FIELD."""

    unit: str | None = None
    ucd: str | None = None
    utype: str | None = None
    description: str = ""


NO_INFO = ColumnInfo()


@dataclass(frozen=True, slots=True)
class Typed:
    """Type plus annotations of one expression."""

    type: ValueType
    info: ColumnInfo = NO_INFO

    def with_info(self, **changes: str | None) -> Typed:
        return Typed(self.type, replace(self.info, **changes))  # type: ignore[arg-type]


def column_type(column: ColumnMeta) -> ValueType:
    """The value type of a catalogue column (timestamps and geometries by xtype)."""
    if column.xtype == "timestamp":
        return ValueType("timestamp", column.datatype, column.arraysize or "*", "timestamp")
    if column.xtype in ("point", "circle", "polygon"):
        return GEOMETRY_TYPES[column.xtype]
    if column.datatype in ("char", "unicodeChar"):
        # Other xtypes are kept: the values pass through unchanged.  STC-S region strings
        # (ObsCore s_region, xtype adql:REGION) can also be used in CONTAINS and INTERSECTS.
        region: Shape | None = "region" if is_region_xtype(column.xtype) else None
        return ValueType("string", column.datatype, column.arraysize, column.xtype, region)
    if column.datatype == "boolean":
        return BOOLEAN
    if column.datatype in _NUMERIC_RANK:
        return ValueType("numeric", column.datatype, column.arraysize, column.xtype)
    return ValueType("string", column.datatype, column.arraysize, column.xtype)


def output_type(column: FieldMeta) -> ValueType:
    """The value type of a query result column from its declared metadata (the inverse of how
    the annotator describes a value type as a FIELD)."""
    if column.xtype == "timestamp":
        return ValueType("timestamp", column.datatype, column.arraysize, "timestamp")
    if column.xtype in ("point", "circle", "polygon"):
        return GEOMETRY_TYPES[column.xtype]
    if column.datatype in ("char", "unicodeChar"):
        shape: Shape | None = "region" if is_region_xtype(column.xtype) else None
        return ValueType("string", column.datatype, column.arraysize, column.xtype, shape)
    if column.datatype == "boolean":
        return BOOLEAN
    if column.arraysize is not None and column.datatype == "long":
        return LONG_ARRAY
    return ValueType("numeric", column.datatype)


def is_region_xtype(xtype: str | None) -> bool:
    """Whether a string column holds STC-S regions (``adql:REGION``, DALI/ObsCore usage)."""
    return xtype is not None and xtype.lower() in ("adql:region", "region")


def column_typed(column: ColumnMeta) -> Typed:
    return Typed(
        column_type(column),
        ColumnInfo(unit=column.unit, ucd=column.ucd, utype=column.utype, description=column.description),
    )


def numeric_result(*types: ValueType) -> ValueType:
    """The widest of numeric operand types (SQL-92 arithmetic promotion); NULLs are ignored."""
    ranks = [_NUMERIC_RANK[t.datatype] for t in types if t.kind == "numeric"]
    if not ranks:
        return INTEGER
    best = max(ranks)
    if best == _NUMERIC_RANK["float"] and any(r == _NUMERIC_RANK["long"] for r in ranks):
        return DOUBLE
    if best <= _NUMERIC_RANK["short"]:
        return SHORT if best == _NUMERIC_RANK["short"] else ValueType("numeric", "short")
    return {2: INTEGER, 3: BIGINT, 4: REAL, 5: DOUBLE}[best]


def common_type(types: list[ValueType]) -> ValueType | None:
    """The type a list of branches (CASE, COALESCE, set operations) unifies to, or None."""
    concrete = [t for t in types if t.kind != "null"]
    if not concrete:
        return NULL
    if all(t == concrete[0] for t in concrete):
        return concrete[0]
    kinds = {t.kind for t in concrete}
    if kinds == {"numeric"}:
        return numeric_result(*concrete)
    if kinds <= {"string", "timestamp"}:
        return TIMESTAMP if kinds == {"timestamp"} else STRING
    if kinds == {"geometry"}:
        shapes = {t.shape for t in concrete}
        return concrete[0] if len(shapes) == 1 else None
    if len(kinds) == 1:
        return concrete[0]
    return None


def comparable(left: ValueType, right: ValueType) -> bool:
    """Whether ``left`` and ``right`` may be compared with ``=``, ``<`` ... (§2.3)."""
    if "null" in (left.kind, right.kind):
        return True
    if left.kind == right.kind:
        return left.kind not in ("geometry", "array")
    return {left.kind, right.kind} == {"timestamp", "string"}


__all__ = [
    "BIGINT",
    "BOOLEAN",
    "CIRCLE",
    "DOUBLE",
    "GEOMETRY_TYPES",
    "INTEGER",
    "LONG_ARRAY",
    "NO_INFO",
    "NULL",
    "POINT",
    "POLYGON",
    "REAL",
    "SHORT",
    "STRING",
    "TIMESTAMP",
    "ColumnInfo",
    "Kind",
    "Shape",
    "Typed",
    "ValueType",
    "column_type",
    "column_typed",
    "common_type",
    "comparable",
    "is_region_xtype",
    "numeric_result",
    "output_type",
]
