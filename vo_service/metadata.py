"""The metadata catalogue: tables and columns declared once in ``resources/tables/*.toml``.

Everything that describes a table to the outside world (TAP_SCHEMA, VOSI tables, VOTable
FIELDs, the SCS/SSA profiles, registry tablesets) is derived from these frozen models.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from resources import TABLES_DIR

VOTableDatatype = Literal[
    "boolean",
    "bit",
    "unsignedByte",
    "short",
    "int",
    "long",
    "char",
    "unicodeChar",
    "float",
    "double",
    "floatComplex",
    "doubleComplex",
]

#: ADQL/TAP_SCHEMA 1.0 style type names for each VOTable datatype (used where clients
#: still expect them, e.g. the ``std`` adql types in VOSI tables).
ADQL_TYPES: Mapping[str, str] = {
    "boolean": "BOOLEAN",
    "unsignedByte": "SMALLINT",
    "short": "SMALLINT",
    "int": "INTEGER",
    "long": "BIGINT",
    "float": "REAL",
    "double": "DOUBLE",
    "char": "VARCHAR",
    "unicodeChar": "VARCHAR",
}

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class FieldMeta(BaseModel):
    """What describes one VOTable FIELD or PARAM (VOTable 1.4 §4.1–4.2, DALI 1.1 §3): the one
    shape of column metadata in the service.

    Catalogue columns (:class:`ColumnMeta`), ADQL result columns, the SSA and DataLink fields
    and PARAMs are this type or extend it.  Any name is allowed (``INPUT:POS``, ``ID``).
    """

    model_config = _FROZEN

    name: str
    datatype: VOTableDatatype
    arraysize: str | None = None
    xtype: str | None = None
    unit: str | None = None
    ucd: str | None = None
    utype: str | None = None
    description: str = ""

    def as_field(self, **changes: str | None) -> FieldMeta:
        """This metadata alone (an extension's own attributes dropped), with ``changes`` applied."""
        values: dict[str, object] = {name: getattr(self, name) for name in FieldMeta.model_fields}
        values.update(changes)
        return FieldMeta.model_validate(values)


class ColumnMeta(FieldMeta):
    """A column of a catalogue table: its field metadata plus the TAP_SCHEMA flags (TAP 1.1 §4.3)."""

    principal: bool = False
    indexed: bool = False
    std: bool = False
    #: SCS verbosity level at which the column is returned (1 = minimal ... 3 = all).
    verb: int = Field(default=3, ge=1, le=3)

    @field_validator("name")
    @classmethod
    def _lower_identifier(cls, value: str) -> str:
        if not value.isidentifier() or value != value.lower():
            raise ValueError(f"column name {value!r} must be a lower-case identifier")
        return value

    @property
    def adql_type(self) -> str:
        """The TAP 1.0 style ADQL type name (``VARCHAR``, ``DOUBLE``, ``TIMESTAMP``, ...)."""
        if self.xtype == "timestamp":
            return "TIMESTAMP"
        if self.xtype in {"point", "circle", "polygon", "region"}:
            return self.xtype.upper()
        if (self.datatype in {"char", "unicodeChar"} and self.arraysize is not None
                and not self.arraysize.endswith("*")):
            return "CHAR"
        return ADQL_TYPES.get(self.datatype, "VARCHAR")


class SpatialMeta(BaseModel):
    """Names of the columns that hold a table's main ICRS position (HEALPix-indexed)."""

    model_config = _FROZEN

    ra: str
    dec: str


class ForeignKey(BaseModel):
    """A foreign key for TAP_SCHEMA.keys / key_columns."""

    model_config = _FROZEN

    target: str
    columns: list[tuple[str, str]]
    description: str = ""


class TableMeta(BaseModel):
    """One table (or view) as the outside world sees it."""

    model_config = _FROZEN

    name: str
    description: str = ""
    utype: str | None = None
    type: Literal["table", "view"] = "table"
    columns: tuple[ColumnMeta, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    spatial: SpatialMeta | None = None
    #: rows carry ``access_group``/``release_date`` and pass through the access layer.
    access_controlled: bool = False
    #: position of the table in TAP_SCHEMA.tables.table_index (lower first).
    table_index: int = 0

    @property
    def schema_name(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def short_name(self) -> str:
        return self.name.split(".", 1)[1]

    def column(self, name: str) -> ColumnMeta:
        """Column by (case-insensitive) name; KeyError when absent."""
        lowered = name.lower()
        for col in self.columns:
            if col.name == lowered:
                return col
        raise KeyError(name)

    def has_column(self, name: str) -> bool:
        return any(col.name == name.lower() for col in self.columns)

    @model_validator(mode="after")
    def _check(self) -> TableMeta:
        if "." not in self.name:
            raise ValueError(f"table name {self.name!r} must be qualified as schema.table")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate column in {self.name}")
        for key in self.primary_key:
            if key not in names:
                raise ValueError(f"primary key {key} not a column of {self.name}")
        if self.spatial and not {self.spatial.ra, self.spatial.dec} <= set(names):
            raise ValueError(f"spatial columns of {self.name} are not declared")
        if self.access_controlled and not {"access_group", "release_date"} <= set(names):
            raise ValueError(f"{self.name} is access controlled but lacks access_group/release_date")
        return self


class SchemaMeta(BaseModel):
    """A schema (TAP_SCHEMA.schemas row) and its tables."""

    model_config = _FROZEN

    name: str
    description: str = ""
    utype: str | None = None
    tables: tuple[TableMeta, ...] = ()
    schema_index: int = 0


class Catalogue(BaseModel):
    """All schemas and tables of the service, looked up case-insensitively."""

    model_config = _FROZEN

    schemas: tuple[SchemaMeta, ...]

    def tables(self) -> Iterator[TableMeta]:
        for schema in self.schemas:
            yield from schema.tables

    def table(self, name: str) -> TableMeta:
        """Table by qualified, case-insensitive name; KeyError when absent."""
        lowered = name.lower()
        for table in self.tables():
            if table.name.lower() == lowered:
                return table
        raise KeyError(name)

    def has_table(self, name: str) -> bool:
        try:
            self.table(name)
        except KeyError:
            return False
        return True

    def with_schema(self, schema: SchemaMeta) -> Catalogue:
        """A new catalogue with ``schema`` added or replaced (e.g. TAP_UPLOAD per request)."""
        kept = tuple(s for s in self.schemas if s.name.lower() != schema.name.lower())
        return Catalogue(schemas=(*kept, schema))


def _load_schema_file(path: Path) -> SchemaMeta:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    schema = raw.get("schema", {})
    tables = []
    for index, table in enumerate(raw.get("tables", [])):
        table.setdefault("table_index", index)
        tables.append(TableMeta.model_validate(table))
    for table in tables:
        if table.schema_name != schema["name"]:
            raise ValueError(f"{path.name}: table {table.name} outside schema {schema['name']}")
    return SchemaMeta(
        name=schema["name"],
        description=schema.get("description", ""),
        utype=schema.get("utype"),
        schema_index=int(schema.get("index", 0)),
        tables=tuple(tables),
    )


def load_catalogue(directory: Path = TABLES_DIR) -> Catalogue:
    """Read and validate every ``*.toml`` table declaration under ``directory``."""
    schemas = [_load_schema_file(path) for path in sorted(directory.glob("*.toml"))]
    schemas.sort(key=lambda s: (s.schema_index, s.name))
    return Catalogue(schemas=tuple(schemas))


__all__ = [
    "ADQL_TYPES",
    "Catalogue",
    "ColumnMeta",
    "FieldMeta",
    "ForeignKey",
    "SchemaMeta",
    "SpatialMeta",
    "TableMeta",
    "VOTableDatatype",
    "load_catalogue",
]
