"""Helpers of the TAP tests: requests, VOTable parsing with astropy as the oracle, uploads."""

from __future__ import annotations

import io
import warnings
from typing import Any

from astropy.io.votable import from_table, parse, writeto
from astropy.io.votable.tree import VOTableFile
from astropy.table import Table
from httpx2 import Response
from lxml import etree
from starlette.testclient import TestClient

VOTABLE_NS = {"v": "http://www.ivoa.net/xml/VOTable/v1.3"}

#: CoRoT-7 (CoRoT ID 102708694, observed in LRa01 and LRa06).
COROT7 = (100.95417, -1.06306)
COROT7_ID = 102708694


def sync(client: TestClient, query: str, method: str = "POST", headers: dict[str, str] | None = None,
         **params: str) -> Response:
    """Run ``query`` on /tap/sync (POST form or GET query string)."""
    data = {"LANG": "ADQL", "QUERY": query, **params}
    if method == "GET":
        return client.get("/tap/sync", params=data, headers=headers)
    return client.post("/tap/sync", data=data, headers=headers)


def votable(content: bytes) -> VOTableFile:
    """Parse a VOTable strictly: any deviation from the standard fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return parse(io.BytesIO(content), verify="exception")


def table_of(response: Response) -> Table:
    assert response.status_code == 200, response.text[:2000]
    return votable(response.content).get_first_table().to_table()


def infos(document: VOTableFile) -> list[tuple[str, str]]:
    """(name, value) of the INFOs of the results RESOURCE, in document order."""
    return [(info.name, info.value) for info in document.resources[0].infos]


def error_message(response: Response) -> str:
    """The QUERY_STATUS=ERROR message of a DALI error document (DALI 1.1 §5.2)."""
    root = etree.fromstring(response.content)
    status = root.xpath("//v:RESOURCE[@type='results']/v:INFO[@name='QUERY_STATUS']", namespaces=VOTABLE_NS)
    assert status and status[0].get("value") == "ERROR", response.text
    return str(status[0].text or "")


def votable_bytes(columns: dict[str, Any], xtypes: dict[str, str] | None = None) -> bytes:
    """A VOTable document of the given columns, for uploads."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = from_table(Table(columns))
    for field in document.get_first_table().fields:
        if xtypes and field.name in xtypes:
            field.xtype = xtypes[field.name]
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        writeto(document, buffer)
    return buffer.getvalue()
