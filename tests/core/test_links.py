"""Cross-package links: every DataLink URL the services publish is the one the core states."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

from astropy.io.votable import parse
from lxml import etree
from starlette.testclient import TestClient

from vo_service.links import DATALINK_PATH, datalink_url
from vo_service.settings import Settings
from vo_service.store.factory import open_store


def _votable(content: bytes) -> Any:
    # SCS FIELDs carry UCD1 words, which astropy's UCD1+ check refuses: validity is tested elsewhere.
    return parse(io.BytesIO(content), verify="ignore")


def _descriptor_urls(document: Any) -> list[str]:
    return [
        str(param.value)
        for resource in document.resources
        if resource.type == "meta" and resource.utype == "adhoc:service"
        for param in resource.params
        if param.name == "accessURL" and "datalink" in (resource.name or resource.ID or "")
    ]


def test_every_published_datalink_url_is_the_core_one(client: TestClient, settings: Settings) -> None:
    expected = datalink_url(settings)
    assert expected == f"{settings.base_url}{DATALINK_PATH}"

    # TAP: ObsCore access_url rows, and the service descriptor of a publisher-DID column.  The
    # ObsCore view takes base_url from the settings of the last store opened on the database in
    # this process (other tests open the shared archive with other settings): open one with ours.
    open_store(settings).close()
    tap = client.get("/tap/sync", params={"LANG": "ADQL", "QUERY": (
        "SELECT TOP 3 obs_publisher_did, access_url FROM ivoa.obscore")})
    assert tap.status_code == 200
    document = _votable(tap.content)
    rows = document.get_first_table().to_table()
    assert len(rows) == 3
    for did, url in zip(rows["obs_publisher_did"], rows["access_url"], strict=True):
        parts = urlsplit(str(url))
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == expected
        assert parse_qs(parts.query)["ID"] == [str(did)]
    assert _descriptor_urls(document) == [expected]

    # SCS and SSA answers carry a DataLink service descriptor.
    cone = client.get("/scs/scs.xml", params={"RA": "102.1", "DEC": "-2.0", "SR": "0.7"})
    assert _descriptor_urls(_votable(cone.content)) == [expected]
    ssa = client.get("/ssa/ssap.xml", params={"REQUEST": "queryData", "POS": "102.1,-2.0", "SIZE": "1"})
    assert _descriptor_urls(_votable(ssa.content)) == [expected]

    # The SSA capabilities state the DataLink interface at the same URL.
    capabilities = etree.fromstring(client.get("/ssa/capabilities").content)
    datalink = [
        url.text
        for capability in capabilities.iter("capability")
        if capability.get("standardID", "").startswith("ivo://ivoa.net/std/DataLink")
        for url in capability.iter("accessURL")
    ]
    assert datalink == [expected]

    # And the URL answers: the DataLink document of the first product.
    links = client.get(urlsplit(expected).path, params={"ID": str(rows["obs_publisher_did"][0])})
    assert links.status_code == 200
    assert links.headers["content-type"] == "application/x-votable+xml;content=datalink"
