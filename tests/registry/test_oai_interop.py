"""A real OAI-PMH harvester (Sickle) against the registry served by uvicorn."""

from __future__ import annotations

import pytest
from lxml import etree

pytestmark = pytest.mark.interop

RI = "{http://www.ivoa.net/xml/RegistryInterface/v1.0}Resource"


def test_sickle_harvests_every_record(live_server: str) -> None:
    from sickle import Sickle

    harvester = Sickle(f"{live_server}/registry/oai.xml", max_retries=1, timeout=30)
    identify = harvester.Identify()
    assert identify.protocolVersion == "2.0"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert {f.metadataPrefix for f in harvester.ListMetadataFormats()} == {"ivo_vor", "oai_dc"}
    assert [s.setSpec for s in harvester.ListSets()] == ["ivo_managed"]

    records = list(harvester.ListRecords(metadataPrefix="ivo_vor", set="ivo_managed"))
    identifiers = [record.header.identifier for record in records]
    assert "ivo://corot.vo/tap" in identifiers and len(identifiers) == len(set(identifiers))
    for record in records:
        resource = record.xml.find(f".//{RI}")
        assert resource is not None and resource.findtext("identifier") == record.header.identifier
        assert record.header.datestamp == resource.get("updated")

    since = records[0].header.datestamp
    recent = [h.identifier for h in harvester.ListIdentifiers(metadataPrefix="ivo_vor", **{"from": since})]
    assert set(recent) <= set(identifiers) and recent

    tap = harvester.GetRecord(identifier="ivo://corot.vo/tap", metadataPrefix="oai_dc")
    assert tap.metadata["title"] == ["CoRoT VO TAP service"]
    assert etree.QName(tap.xml).localname == "record"
