"""TAP_SCHEMA 1.1 (TAP 1.1 §4), generated from the metadata catalogue.

Every table of the catalogue — the archive tables, ``ivoa.obscore`` and the TAP_SCHEMA
tables themselves — gets its rows here, so TAP_SCHEMA, ``/tap/tables`` and the FIELDs of
query results all say the same thing.  Names that must be written as ADQL delimited
identifiers (reserved words such as ``size`` or ``level``) are stored with their quotes,
as TAP 1.1 §4.2-4.3 requires.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pyarrow as pa

from tap.adql.keywords import is_reserved
from vo_service.metadata import Catalogue, ColumnMeta, ForeignKey, TableMeta

#: Names of the TAP_SCHEMA tables as declared in ``resources/tables/tap_schema.toml``.
TAP_SCHEMA = "TAP_SCHEMA"
SCHEMAS_TABLE = "TAP_SCHEMA.schemas"
TABLES_TABLE = "TAP_SCHEMA.tables"
COLUMNS_TABLE = "TAP_SCHEMA.columns"
KEYS_TABLE = "TAP_SCHEMA.keys"
KEY_COLUMNS_TABLE = "TAP_SCHEMA.key_columns"

_REGULAR_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FIXED_SIZE = re.compile(r"^([0-9]+)\*?$")


def adql_identifier(name: str) -> str:
    """``name`` as it must be written in ADQL: delimited when reserved or irregular (ADQL 2.1 §2.1.3-2.1.5)."""
    if _REGULAR_IDENTIFIER.match(name) and not is_reserved(name):
        return name
    return '"' + name.replace('"', '""') + '"'


def adql_table_name(table: TableMeta) -> str:
    """The qualified table name recommended for queries (TAP 1.1 §4.2)."""
    return ".".join(adql_identifier(part) for part in table.name.split(".", 1))


def size_of(arraysize: str | None) -> int | None:
    """The TAP 1.0 ``"size"`` from an arraysize (TAP 1.1 §4.3): N for ``N`` or ``N*``, else null."""
    if arraysize is None:
        return None
    match = _FIXED_SIZE.match(arraysize)
    return int(match.group(1)) if match else None


def key_id(table: TableMeta, index: int) -> str:
    """A stable identifier of the ``index``-th foreign key of ``table``."""
    return f"{table.name}:fk{index + 1}"


@dataclass(frozen=True)
class KeyRow:
    """One foreign key with its identifier, for TAP_SCHEMA.keys and the VOSI tableset."""

    key_id: str
    table: TableMeta
    key: ForeignKey


def foreign_keys(catalogue: Catalogue) -> Iterator[KeyRow]:
    """Every foreign key of the catalogue whose target is a declared table."""
    for table in catalogue.tables():
        for index, key in enumerate(table.foreign_keys):
            if catalogue.has_table(key.target):
                yield KeyRow(key_id(table, index), table, key)


def _strings(values: list[str | None]) -> pa.Array:
    return pa.array(values, type=pa.string())


def _ints(values: list[int | None]) -> pa.Array:
    return pa.array(values, type=pa.int32())


def _flag(value: bool) -> int:
    return 1 if value else 0


def schemas_table(catalogue: Catalogue) -> pa.Table:
    schemas = list(catalogue.schemas)
    return pa.table({
        "schema_name": _strings([adql_identifier(s.name) for s in schemas]),
        "utype": _strings([s.utype for s in schemas]),
        "description": _strings([s.description or None for s in schemas]),
        "schema_index": _ints([s.schema_index for s in schemas]),
    })


def tables_table(catalogue: Catalogue) -> pa.Table:
    rows = [(schema, table) for schema in catalogue.schemas for table in schema.tables]
    return pa.table({
        "schema_name": _strings([adql_identifier(s.name) for s, _ in rows]),
        "table_name": _strings([adql_table_name(t) for _, t in rows]),
        "table_type": _strings([t.type for _, t in rows]),
        "utype": _strings([t.utype for _, t in rows]),
        "description": _strings([t.description or None for _, t in rows]),
        "table_index": _ints([schema.schema_index * 1000 + t.table_index for schema, t in rows]),
    })


def _column_rows(catalogue: Catalogue) -> Iterator[tuple[TableMeta, int, ColumnMeta]]:
    for table in catalogue.tables():
        for index, column in enumerate(table.columns):
            yield table, index, column


def columns_table(catalogue: Catalogue) -> pa.Table:
    rows = list(_column_rows(catalogue))
    return pa.table({
        "table_name": _strings([adql_table_name(t) for t, _, _ in rows]),
        "column_name": _strings([adql_identifier(c.name) for _, _, c in rows]),
        "datatype": _strings([c.datatype for _, _, c in rows]),
        "arraysize": _strings([c.arraysize for _, _, c in rows]),
        "xtype": _strings([c.xtype for _, _, c in rows]),
        "size": _ints([size_of(c.arraysize) for _, _, c in rows]),
        "description": _strings([c.description or None for _, _, c in rows]),
        "utype": _strings([c.utype for _, _, c in rows]),
        "unit": _strings([c.unit for _, _, c in rows]),
        "ucd": _strings([c.ucd for _, _, c in rows]),
        "indexed": _ints([_flag(c.indexed) for _, _, c in rows]),
        "principal": _ints([_flag(c.principal) for _, _, c in rows]),
        "std": _ints([_flag(c.std) for _, _, c in rows]),
        "column_index": _ints([index + 1 for _, index, _ in rows]),
    })


def keys_table(catalogue: Catalogue) -> pa.Table:
    keys = list(foreign_keys(catalogue))
    return pa.table({
        "key_id": _strings([k.key_id for k in keys]),
        "from_table": _strings([adql_table_name(k.table) for k in keys]),
        "target_table": _strings([adql_table_name(catalogue.table(k.key.target)) for k in keys]),
        "description": _strings([k.key.description or None for k in keys]),
        "utype": _strings([None for _ in keys]),
    })


def key_columns_table(catalogue: Catalogue) -> pa.Table:
    pairs = [(k.key_id, source, target) for k in foreign_keys(catalogue) for source, target in k.key.columns]
    return pa.table({
        "key_id": _strings([p[0] for p in pairs]),
        "from_column": _strings([adql_identifier(p[1]) for p in pairs]),
        "target_column": _strings([adql_identifier(p[2]) for p in pairs]),
    })


def tap_schema_tables(catalogue: Catalogue) -> Mapping[str, pa.Table]:
    """The five TAP_SCHEMA tables, columns in the order declared in the catalogue."""
    built = {
        SCHEMAS_TABLE: schemas_table(catalogue),
        TABLES_TABLE: tables_table(catalogue),
        COLUMNS_TABLE: columns_table(catalogue),
        KEYS_TABLE: keys_table(catalogue),
        KEY_COLUMNS_TABLE: key_columns_table(catalogue),
    }
    ordered = {}
    for name, data in built.items():
        declared = [c.name for c in catalogue.table(name).columns]
        ordered[name] = data.select(declared)
    return ordered


__all__ = [
    "COLUMNS_TABLE",
    "KEYS_TABLE",
    "KEY_COLUMNS_TABLE",
    "SCHEMAS_TABLE",
    "TABLES_TABLE",
    "TAP_SCHEMA",
    "KeyRow",
    "adql_identifier",
    "adql_table_name",
    "foreign_keys",
    "key_id",
    "size_of",
    "tap_schema_tables",
]
