"""Hostile queries through /tap/sync: only SELECTs over declared tables reach the database."""

from __future__ import annotations

import pytest
from lxml import etree
from starlette.testclient import TestClient

from tests.tap.helpers import VOTABLE_NS, error_message, sync, table_of

REFUSED = [
    "DROP TABLE corot.targets",
    "SELECT 1 FROM corot.runs; DROP TABLE corot.targets",
    "DELETE FROM corot.targets",
    "INSERT INTO corot.runs VALUES ('x')",
    "UPDATE corot.lightcurves SET access_group = 'public'",
    "CREATE TABLE x AS SELECT * FROM corot.targets",
    "COPY corot.targets TO '/tmp/stolen.csv'",
    "ATTACH '/tmp/other.duckdb' AS other",
    "PRAGMA database_list",
    "SET threads = 1",
    "INSTALL httpfs",
    "LOAD httpfs",
    "CALL pragma_version()",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT read_text('/etc/passwd') FROM corot.runs",
    "SELECT * FROM duckdb_tables()",
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM pg_catalog.pg_tables",
    "SELECT * FROM main.sqlite_master",
    "SELECT getenv('HOME') FROM corot.runs",
    "SELECT current_setting('threads') FROM corot.runs",
    "SELECT version() FROM corot.runs",
    "SELECT corot_histogram(list(vmag), 1, 2, 3) FROM corot.targets",
    "SELECT file_path FROM corot.lightcurves",
    "SELECT _hpx FROM corot.targets",
    "SELECT * FROM tap_upload_x",
    "SELECT * FROM corot.lightcurves UNION ALL SELECT * FROM read_parquet('x')",
    'SELECT "ra"" FROM corot.targets; --" FROM corot.targets',
]


@pytest.mark.parametrize("query", REFUSED)
def test_refused_with_a_message(client: TestClient, query: str) -> None:
    response = sync(client, query)
    assert response.status_code == 400, response.text[:500]
    assert error_message(response)


def test_the_archive_is_intact(client: TestClient) -> None:
    for query in REFUSED:
        sync(client, query)
    assert len(table_of(sync(client, "SELECT run_code FROM corot.runs"))) == 26
    assert table_of(sync(client, "SELECT COUNT(*) AS n FROM corot.lightcurves WHERE access_group = 'public'"))["n"][0]


def test_literals_are_data(client: TestClient) -> None:
    injected = "SELECT run_code FROM corot.runs WHERE run_code = 'x'' OR ''1''=''1'"
    assert len(table_of(sync(client, injected))) == 0
    quoted = table_of(sync(client, "SELECT TOP 1 'it''s; DROP TABLE x --' AS s FROM corot.runs"))
    assert quoted["s"][0] == "it's; DROP TABLE x --"


def test_delimited_names_cannot_break_out(client: TestClient) -> None:
    query = 'SELECT run_code AS "a""; DROP TABLE corot.runs; --" FROM corot.runs'
    response = sync(client, query)
    assert response.status_code == 200
    fields = etree.fromstring(response.content).xpath("//v:FIELD/@name", namespaces=VOTABLE_NS)
    assert fields == ['a"; DROP TABLE corot.runs; --']
    assert len(table_of(sync(client, "SELECT run_code FROM corot.runs"))) == 26
