"""OAI-PMH 2.0 over the registry records (RegistryInterface 1.1 §3), through the ASGI app."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree
from starlette.testclient import TestClient

from tests.ivoa_xsd import require_schemas, xsd_errors
from vo_service.app import create_app
from vo_service.settings import Settings

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "ri": "http://www.ivoa.net/xml/RegistryInterface/v1.0",
      "dc": "http://purl.org/dc/elements/1.1/", "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
XSI_TYPE = f"{{{NS['xsi']}}}type"
OAI = "/registry/oai.xml"


def oai(client: TestClient, **params: str) -> Any:
    response = client.get(OAI, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    return etree.fromstring(response.content)


def error_code(root: Any) -> str | None:
    error = root.find("oai:error", NS)
    return None if error is None else str(error.get("code"))


def identifiers(client: TestClient) -> list[str]:
    root = oai(client, verb="ListIdentifiers", metadataPrefix="ivo_vor")
    return [str(e.text) for e in root.iterfind(".//oai:header/oai:identifier", NS)]


def record(client: TestClient, identifier: str) -> Any:
    root = oai(client, verb="GetRecord", identifier=identifier, metadataPrefix="ivo_vor")
    assert error_code(root) is None
    return root.find(".//oai:metadata/ri:Resource", NS)


def test_identify_describes_the_repository_and_embeds_the_registry_record(client: TestClient) -> None:
    root = oai(client, verb="Identify")
    identify = root.find("oai:Identify", NS)
    assert identify.findtext("oai:baseURL", namespaces=NS) == "http://testserver/registry/oai.xml"
    assert identify.findtext("oai:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("oai:deletedRecord", namespaces=NS) == "persistent"
    registry = identify.find("oai:description/ri:Resource", NS)
    assert registry.get(XSI_TYPE) == "vg:Registry"
    assert registry.findtext("identifier") == "ivo://corot.vo/registry"
    assert registry.findtext("managedAuthority") == "corot.vo"
    capability = registry.find("capability")
    assert capability.get("standardID") == "ivo://ivoa.net/std/Registry"
    assert capability.findtext("interface/accessURL") == "http://testserver/registry/oai.xml"
    assert root.find("oai:request", NS).get("verb") == "Identify"


def test_formats_and_sets(client: TestClient) -> None:
    formats = oai(client, verb="ListMetadataFormats")
    assert {e.text for e in formats.iterfind(".//oai:metadataPrefix", NS)} == {"ivo_vor", "oai_dc"}
    assert error_code(oai(client, verb="ListMetadataFormats", identifier="ivo://corot.vo/tap")) is None
    assert error_code(oai(client, verb="ListMetadataFormats", identifier="ivo://corot.vo/nope")) == "idDoesNotExist"
    sets = oai(client, verb="ListSets")
    assert [e.text for e in sets.iterfind(".//oai:setSpec", NS)] == ["ivo_managed"]


def test_every_resource_is_listed_once_and_managed(client: TestClient) -> None:
    found = identifiers(client)
    assert len(found) == len(set(found))
    assert set(found) >= {"ivo://corot.vo", "ivo://corot.vo/org", "ivo://corot.vo/registry", "ivo://corot.vo/corot",
                          "ivo://corot.vo/tap", "ivo://corot.vo/scs/targets", "ivo://corot.vo/scs/exo",
                          "ivo://corot.vo/scs/astero", "ivo://corot.vo/ssa"}
    headers = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="ivo_managed")
    assert all(h.findtext("oai:setSpec", namespaces=NS) == "ivo_managed" for h in headers.iterfind(".//oai:header", NS))
    records = oai(client, verb="ListRecords", metadataPrefix="ivo_vor")
    resources = records.findall(".//oai:metadata/ri:Resource", NS)
    assert [r.findtext("identifier") for r in resources] == found
    for resource in resources:  # the OAI datestamp is the record's own "updated"
        header = resource.getparent().getparent().find("oai:header", NS)
        assert header.findtext("oai:datestamp", namespaces=NS) == resource.get("updated")


def test_tap_record_carries_the_service_capabilities_and_tables(client: TestClient) -> None:
    tap = record(client, "ivo://corot.vo/tap")
    assert tap.get(XSI_TYPE) == "vs:CatalogService"
    standards = [c.get("standardID") for c in tap.iterfind("capability")]
    assert "ivo://ivoa.net/std/TAP" in standards
    capabilities = etree.fromstring(client.get("/tap/capabilities").content)
    assert standards == [c.get("standardID") for c in capabilities.iterfind("capability")]
    tables = {t.findtext("name") for t in tap.iterfind("tableset/schema/table")}
    assert {"corot.targets", "corot.lightcurves", "ivoa.obscore"} <= tables
    assert tap.find("capability[@standardID='ivo://ivoa.net/std/TAP']").get(XSI_TYPE) == "tr:TableAccess"
    relation = tap.find("content/relationship")
    assert relation.findtext("relationshipType") == "service-for"
    assert relation.find("relatedResource").get("ivo-id") == "ivo://corot.vo/corot"


@pytest.mark.parametrize(("suffix", "path"),
                         [("targets", "/scs/scs.xml"), ("exo", "/scs/exo"), ("astero", "/scs/astero")])
def test_one_cone_search_per_record(client: TestClient, suffix: str, path: str) -> None:
    resource = record(client, f"ivo://corot.vo/scs/{suffix}")
    cones = resource.findall("capability[@standardID='ivo://ivoa.net/std/ConeSearch']")
    assert len(cones) == 1
    assert cones[0].get(XSI_TYPE) == "cs:ConeSearch"
    assert cones[0].findtext("interface/accessURL").startswith(f"http://testserver{path}")
    assert resource.find("capability[@standardID='ivo://ivoa.net/std/VOSI#capabilities']") is not None


def test_ssa_record_and_the_collection(client: TestClient) -> None:
    ssa = record(client, "ivo://corot.vo/ssa")
    standards = {c.get("standardID") for c in ssa.iterfind("capability")}
    assert {"ivo://ivoa.net/std/SSA", "ivo://ivoa.net/std/DataLink#links-1.1",
            "ivo://ivoa.net/std/SODA#sync-1.0"} <= standards
    collection = record(client, "ivo://corot.vo/corot")
    assert collection.get(XSI_TYPE) == "vs:CatalogResource"
    served_by = {r.find("relatedResource").get("ivo-id") for r in collection.iterfind("content/relationship")
                 if r.findtext("relationshipType") == "served-by"}
    assert served_by == {"ivo://corot.vo/tap", "ivo://corot.vo/scs/targets", "ivo://corot.vo/scs/exo",
                         "ivo://corot.vo/scs/astero", "ivo://corot.vo/ssa"}
    assert {s.findtext("name") for s in collection.iterfind("tableset/schema")} == {"corot"}
    assert collection.findtext("curation/contact/email")


def test_dublin_core(client: TestClient) -> None:
    root = oai(client, verb="GetRecord", identifier="ivo://corot.vo/tap", metadataPrefix="oai_dc")
    dc = root.find(".//oai:metadata/{http://www.openarchives.org/OAI/2.0/oai_dc/}dc", NS)
    assert dc.findtext("dc:identifier", namespaces=NS) == "ivo://corot.vo/tap"
    assert dc.findtext("dc:title", namespaces=NS) == "CoRoT VO TAP service"
    assert "exoplanets" in {e.text for e in dc.iterfind("dc:subject", NS)}


def test_date_selection(client: TestClient) -> None:
    everything = identifiers(client)
    assert error_code(oai(client, verb="ListRecords", metadataPrefix="ivo_vor", **{"from": "2999-01-01"})) == \
        "noRecordsMatch"
    assert error_code(oai(client, verb="ListIdentifiers", metadataPrefix="ivo_vor", until="2000-01-01")) == \
        "noRecordsMatch"
    root = oai(client, verb="ListIdentifiers", metadataPrefix="ivo_vor",
               **{"from": "2000-01-01", "until": "2999-12-31"})
    assert [e.text for e in root.iterfind(".//oai:identifier", NS)] == everything
    stamp = root.findtext(".//oai:datestamp", namespaces=NS)
    same = oai(client, verb="ListIdentifiers", metadataPrefix="ivo_vor", **{"from": stamp, "until": stamp})
    assert error_code(same) is None


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "ListThings"}, "badVerb"),
        ({"verb": "identify"}, "badVerb"),
        ({"verb": "Identify", "metadataPrefix": "ivo_vor"}, "badArgument"),
        ({"verb": "GetRecord", "identifier": "ivo://corot.vo/tap"}, "badArgument"),
        ({"verb": "GetRecord", "identifier": "ivo://corot.vo/tap", "metadataPrefix": "marc"},
         "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "identifier": "ivo://elsewhere/x", "metadataPrefix": "ivo_vor"}, "idDoesNotExist"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc"}, "cannotDisseminateFormat"),
        ({"verb": "ListRecords", "metadataPrefix": "ivo_vor", "from": "2024-13-45"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "ivo_vor", "from": "2024-01-01T00:00:00"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "ivo_vor", "from": "2024-01-01",
          "until": "2025-01-01T00:00:00Z"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "ivo_vor", "from": "2025-01-01", "until": "2024-01-01"},
         "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "ivo_vor", "set": "other"}, "noRecordsMatch"),
        ({"verb": "ListRecords", "resumptionToken": "garbage"}, "badResumptionToken"),
        ({"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "ivo_vor"}, "badArgument"),
        ({"verb": "ListSets", "resumptionToken": "x"}, "badResumptionToken"),
    ],
)
def test_errors_are_oai_error_codes(client: TestClient, params: dict[str, str], code: str) -> None:
    root = oai(client, **params)
    assert error_code(root) == code
    request = root.find("oai:request", NS)
    if code in {"badVerb", "badArgument"}:
        assert request.attrib == {}  # OAI-PMH 2.0 §3.6: no attributes echoed for these errors


def test_repeated_arguments_and_post(client: TestClient) -> None:
    response = client.get(OAI, params=[("verb", "Identify"), ("verb", "Identify")])
    assert error_code(etree.fromstring(response.content)) == "badVerb"
    response = client.get(OAI, params=[("verb", "ListRecords"), ("metadataPrefix", "ivo_vor"),
                                       ("metadataPrefix", "oai_dc")])
    assert error_code(etree.fromstring(response.content)) == "badArgument"
    posted = client.post(OAI, data={"verb": "GetRecord", "identifier": "ivo://corot.vo/ssa",
                                    "metadataPrefix": "ivo_vor"})
    assert error_code(etree.fromstring(posted.content)) is None


def test_every_response_is_valid_against_the_ivoa_and_oai_schemas(client: TestClient) -> None:
    """OAI-PMH 2.0 with the records checked strictly (RegistryInterface, VOResource 1.1,
    VODataService, VORegistry, TAPRegExt, SimpleDALRegExt), offline."""
    require_schemas()
    requests: list[dict[str, str]] = [
        {"verb": "Identify"}, {"verb": "ListMetadataFormats"}, {"verb": "ListSets"},
        {"verb": "ListIdentifiers", "metadataPrefix": "ivo_vor"},
        {"verb": "ListRecords", "metadataPrefix": "ivo_vor"}, {"verb": "ListRecords", "metadataPrefix": "oai_dc"},
        {"verb": "Nonsense"}, {"verb": "ListRecords", "metadataPrefix": "ivo_vor", "from": "2999-01-01"},
    ]
    requests += [{"verb": "GetRecord", "identifier": identifier, "metadataPrefix": prefix}
                 for identifier in identifiers(client) for prefix in ("ivo_vor", "oai_dc")]
    for params in requests:
        assert xsd_errors(client.get(OAI, params=params).content) == [], params


def test_the_validator_sees_a_broken_record(client: TestClient) -> None:
    require_schemas()
    document = client.get(OAI, params={"verb": "GetRecord", "identifier": "ivo://corot.vo/tap",
                                       "metadataPrefix": "ivo_vor"}).content
    root = etree.fromstring(document)
    resource = root.find(".//ri:Resource", NS)
    resource.remove(resource.find("curation"))
    assert any("curation" in line for line in xsd_errors(etree.tostring(root)))


def test_a_registry_that_cannot_be_built_leaves_the_services_up(settings: Settings,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import registry.routes as registry_routes
    from registry.profile import ServiceSpec, load_profile

    profile = load_profile()
    broken = profile.model_copy(update={"services": (
        *profile.services, ServiceSpec(suffix="nowhere", title="t", description="d", vosi="/nowhere"))})
    monkeypatch.setattr(registry_routes, "load_profile", lambda: broken)
    with TestClient(create_app(settings), raise_server_exceptions=False) as other:
        response = other.get(OAI, params={"verb": "Identify"})
        assert response.status_code == 503
        assert other.get("/scs/scs.xml", params={"RA": "102", "DEC": "-2", "SR": "0.1"}).status_code == 200
