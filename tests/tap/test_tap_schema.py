"""TAP_SCHEMA 1.1 generated from the catalogue (TAP 1.1 §4), queryable and consistent with /tables."""

from __future__ import annotations

import pytest
from lxml import etree
from starlette.testclient import TestClient

from tap.tap_schema import adql_identifier, size_of, tap_schema_tables
from tests.tap.helpers import sync, table_of
from vo_service.metadata import load_catalogue

SCHEMA_COLUMNS = {
    "TAP_SCHEMA.schemas": ["schema_name", "utype", "description", "schema_index"],
    "TAP_SCHEMA.tables": ["schema_name", "table_name", "table_type", "utype", "description", "table_index"],
    "TAP_SCHEMA.columns": ["table_name", "column_name", "datatype", "arraysize", "xtype", "size", "description",
                           "utype", "unit", "ucd", "indexed", "principal", "std", "column_index"],
    "TAP_SCHEMA.keys": ["key_id", "from_table", "target_table", "description", "utype"],
    "TAP_SCHEMA.key_columns": ["key_id", "from_column", "target_column"],
}


@pytest.mark.parametrize(("name", "expected"), [
    ("ra", "ra"), ("size", '"size"'), ("level", '"level"'), ("TAP_SCHEMA", "TAP_SCHEMA"), ("2mass", '"2mass"'),
    ('odd"name', '"odd""name"'),
])
def test_names_that_need_quotes_are_delimited(name: str, expected: str) -> None:
    assert adql_identifier(name) == expected


@pytest.mark.parametrize(("arraysize", "size"), [(None, None), ("*", None), ("16", 16), ("64*", 64), ("2x3", None)])
def test_size_follows_arraysize(arraysize: str | None, size: int | None) -> None:
    assert size_of(arraysize) == size


def test_every_catalogue_column_has_a_row() -> None:
    catalogue = load_catalogue()
    tables = tap_schema_tables(catalogue)
    for name, columns in SCHEMA_COLUMNS.items():
        assert tables[name].column_names == columns
    rows = tables["TAP_SCHEMA.columns"].to_pylist()
    expected = sum(len(t.columns) for t in catalogue.tables())
    assert len(rows) == expected
    assert len({(r["table_name"], r["column_name"]) for r in rows}) == expected
    for row in rows:
        assert row["principal"] in (0, 1) and row["indexed"] in (0, 1) and row["std"] in (0, 1)
        assert row["size"] == size_of(row["arraysize"])
    names = {r["column_name"] for r in rows if r["table_name"] == "TAP_SCHEMA.columns"}
    assert '"size"' in names and "size" not in names


def test_foreign_keys_point_to_declared_columns() -> None:
    tables = tap_schema_tables(load_catalogue())
    columns = {(r["table_name"], r["column_name"]) for r in tables["TAP_SCHEMA.columns"].to_pylist()}
    keys = {r["key_id"]: r for r in tables["TAP_SCHEMA.keys"].to_pylist()}
    assert {"TAP_SCHEMA.tables", "ivoa.obscore"} <= {k["from_table"] for k in keys.values()}
    for pair in tables["TAP_SCHEMA.key_columns"].to_pylist():
        key = keys[pair["key_id"]]
        assert (key["from_table"], pair["from_column"]) in columns
        assert (key["target_table"], pair["target_column"]) in columns


def test_tap_schema_is_queryable(client: TestClient) -> None:
    result = table_of(sync(client, "SELECT table_name, table_type FROM TAP_SCHEMA.tables ORDER BY table_index"))
    names = list(result["table_name"])
    assert {"corot.targets", "corot.lightcurves", "ivoa.obscore", "TAP_SCHEMA.columns"} <= set(names)
    assert dict(zip(names, result["table_type"], strict=True))["ivoa.obscore"] == "view"
    size = table_of(sync(client, 'SELECT "size", arraysize FROM TAP_SCHEMA.columns WHERE "size" IS NOT NULL'))
    assert all(str(a).rstrip("*") == str(s) for s, a in zip(size["size"], size["arraysize"], strict=True))


def test_tap_schema_agrees_with_vosi_tables(client: TestClient) -> None:
    """Every (table, column, datatype, arraysize, xtype, unit, ucd) of TAP_SCHEMA is in /tables."""
    rows = table_of(sync(client, "SELECT table_name, column_name, datatype, arraysize, xtype, unit, ucd "
                                 "FROM TAP_SCHEMA.columns", MAXREC="100000"))
    root = etree.fromstring(client.get("/tap/tables").content)
    described = set()
    for table in root.iter("table"):
        for column in table.iter("column"):
            datatype = column.find("dataType")
            described.add((
                table.findtext("name"), column.findtext("name"), datatype.text, datatype.get("arraysize"),
                datatype.get("extendedType"), column.findtext("unit"), column.findtext("ucd"),
            ))

    def text(value: object) -> str | None:
        return None if value is None or str(value) in ("", "--") else str(value)

    from_schema = {tuple(text(row[c]) for c in rows.colnames) for row in rows}
    assert from_schema == described
