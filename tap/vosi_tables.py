"""VOSI 1.1 tables (VOSI 1.1 §3.4, VODataService 1.2 ``vs:Table``) from the catalogue.

The VODataService table models are :mod:`vo_service.vo_models_ext`'s (vo-models' column type
puts ``xtype`` in an element that VODataService 1.2 does not have and escapes descriptions
twice); the registry records carry the same models.

``/tables`` lists every schema and table; ``detail=min`` leaves out the columns and
foreign keys (VOSI 1.1 §3.4), which ``/tables/{schema.table}`` then gives one table at a
time.  Names are those of TAP_SCHEMA (:mod:`tap.tap_schema`), quotes included.
"""

from __future__ import annotations

from pydantic_xml import BaseXmlModel, attr, element

from tap.tap_schema import adql_identifier, adql_table_name, foreign_keys
from vo_service.metadata import Catalogue, ColumnMeta, TableMeta
from vo_service.vo_models_ext import Column, DataType, FKColumn, ForeignKey, Schema, Table
from vo_service.vo_models_ext import TableSet as VsTableSet

VOSI_TABLES_NS = "http://www.ivoa.net/xml/VOSITables/v1.0"
VODATASERVICE_NS = "http://www.ivoa.net/xml/VODataService/v1.1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

_NSMAP = {"vosi": VOSI_TABLES_NS, "vs": VODATASERVICE_NS, "xsi": XSI_NS}


class TableSet(VsTableSet, tag="tableset", ns="vosi", nsmap=_NSMAP, skip_empty=True):
    """The ``vosi:tableset`` document of ``/tables``."""


class StandaloneTable(BaseXmlModel, tag="table", ns="vosi", nsmap={**_NSMAP, "": ""}, skip_empty=True):
    """The ``vosi:table`` document of ``/tables/{name}`` (VOSI 1.1 §3.4)."""

    type: str | None = attr(name="type", default=None)
    name: str = element(tag="name", ns="")
    description: str | None = element(tag="description", ns="", default=None)
    utype: str | None = element(tag="utype", ns="", default=None)
    column: list[Column] = element(tag="column", ns="", default_factory=list)
    foreign_key: list[ForeignKey] = element(tag="foreignKey", ns="", default_factory=list)


def column_model(column: ColumnMeta, primary: bool = False) -> Column:
    """A catalogue column as a VODataService ``column``."""
    flags = [name for name, value in (("indexed", column.indexed), ("primary", primary)) if value]
    if column.principal:
        flags.append("principal")
    return Column(
        name=adql_identifier(column.name),
        description=column.description or None,
        unit=column.unit,
        ucd=column.ucd,
        utype=column.utype,
        datatype=DataType(value=column.datatype, arraysize=column.arraysize, extended_type=column.xtype),
        flag=flags,
        std=True if column.std else None,
    )


def _foreign_keys(catalogue: Catalogue, table: TableMeta) -> list[ForeignKey]:
    keys = []
    for row in foreign_keys(catalogue):
        if row.table.name != table.name:
            continue
        keys.append(ForeignKey(
            target_table=adql_table_name(catalogue.table(row.key.target)),
            fk_column=[FKColumn(from_column=adql_identifier(a), target_column=adql_identifier(b))
                       for a, b in row.key.columns],
            description=row.key.description or None,
        ))
    return keys


def _table_type(table: TableMeta) -> str:
    return "view" if table.type == "view" else "table"


def table_model(catalogue: Catalogue, table: TableMeta, *, detail: bool = True) -> Table:
    return Table(
        type=_table_type(table),
        name=adql_table_name(table),
        description=table.description or None,
        utype=table.utype,
        column=[column_model(c, c.name in table.primary_key) for c in table.columns] if detail else [],
        foreign_key=_foreign_keys(catalogue, table) if detail else [],
    )


def tableset(catalogue: Catalogue, *, detail: bool = True) -> TableSet:
    """Every schema and table of the catalogue (VOSI 1.1 tableset)."""
    return TableSet(schema_=[
        Schema(
            name=adql_identifier(schema.name),
            description=schema.description or None,
            utype=schema.utype,
            table=[table_model(catalogue, t, detail=detail) for t in schema.tables],
        )
        for schema in catalogue.schemas
    ])


def standalone_table(catalogue: Catalogue, table: TableMeta) -> StandaloneTable:
    """One table with all its columns, for ``/tables/{name}``."""
    full = table_model(catalogue, table)
    return StandaloneTable(
        type=full.type, name=full.name, description=full.description, utype=full.utype,
        column=full.column, foreign_key=full.foreign_key,
    )


def find_table(catalogue: Catalogue, name: str) -> TableMeta | None:
    """The table ``/tables/{name}`` names: its TAP_SCHEMA name or its catalogue name (any case)."""
    for table in catalogue.tables():
        if name in (adql_table_name(table), table.name) or name.lower() == table.name.lower():
            return table
    return None


__all__ = [
    "Column",
    "DataType",
    "StandaloneTable",
    "Table",
    "TableSet",
    "column_model",
    "find_table",
    "standalone_table",
    "table_model",
    "tableset",
]
