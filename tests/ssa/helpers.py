"""Helpers of the SSA/DataLink/SODA tests."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from astropy.io.votable import parse
from astropy.io.votable.tree import VOTableFile
from astropy.table import Table
from starlette.testclient import TestClient

VOT = "{http://www.ivoa.net/xml/VOTable/v1.3}"
DID_PREFIX = "ivo://corot.vo/corot?"


def votable(content: bytes) -> VOTableFile:
    """Strict parse (astropy raises on any VOTable warning)."""
    return parse(io.BytesIO(content), verify="exception")


def ssa_rows(client: TestClient, headers: dict[str, str] | None = None, **params: str) -> Table:
    """The rows of an SSA query (FORMAT=fits unless given: one row per light curve)."""
    query = {"REQUEST": "queryData", "FORMAT": "fits", "MAXREC": "10000", **params}
    response = client.get("/ssa/ssap.xml", params=query, headers=headers or {})
    assert response.status_code == 200, response.text
    table: Table = votable(response.content).get_first_table().to_table()
    return table


def status(document: VOTableFile) -> list[str]:
    return [str(info.value) for info in document.resources[0].infos if info.name == "QUERY_STATUS"]


def _cell(value: Any) -> Any:
    """A links-table cell with nulls (masked values, empty TDs) as None."""
    if value is None or value is np.ma.masked or (isinstance(value, str) and value == ""):
        return None
    return value.item() if isinstance(value, np.generic) else value


def link_rows(content: bytes) -> list[dict[str, Any]]:
    table = votable(content).get_first_table().to_table()
    return [{name: _cell(row[name]) for name in table.colnames} for row in table]
