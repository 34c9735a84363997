"""The built HiPS surveys are published in the registry (HiPS 1.0 §6.2), so that registry-driven
discovery (Aladin, the CDS MocServer) finds them: one record per survey, its creator_did as
identifier, a HiPS capability at the survey root and the survey's MOC as coverage."""

from __future__ import annotations

from typing import Any

from lxml import etree
from mocpy import MOC
from starlette.testclient import TestClient

from hips.report import BuildReport
from tests.ivoa_xsd import require_schemas, xsd_errors
from vo_service.app import create_app
from vo_service.settings import Settings

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "ri": "http://www.ivoa.net/xml/RegistryInterface/v1.0"}
OAI = "/registry/oai.xml"


def properties(client: TestClient, survey: str) -> dict[str, str]:
    text = client.get(f"/hips/{survey}/properties").text
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def record(client: TestClient, identifier: str) -> Any:
    document = client.get(OAI, params={"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "ivo_vor"})
    root = etree.fromstring(document.content)
    assert root.find("oai:error", NS) is None, identifier
    return root.find(".//ri:Resource", NS)


def test_every_built_survey_has_a_record(settings: Settings, built_hips: dict[str, BuildReport]) -> None:
    require_schemas()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        listed = etree.fromstring(client.get(OAI, params={"verb": "ListIdentifiers", "metadataPrefix": "ivo_vor"})
                                  .content)
        identifiers = [e.text for e in listed.iterfind(".//oai:identifier", NS)]
        collection = record(client, "ivo://corot.vo/corot")
        served_by = {r.find("relatedResource").get("ivo-id") for r in collection.iterfind("content/relationship")}
        for survey in ("fields", "targets"):
            declared = properties(client, survey)
            identifier = declared["creator_did"]
            assert identifier in identifiers and identifier in served_by
            resource = record(client, identifier)
            assert resource.findtext("title") == declared["obs_title"]
            capability = resource.find("capability[@standardID='ivo://ivoa.net/std/hips#hips-1.0']")
            root_url = capability.findtext("interface/accessURL")
            assert root_url == f"http://testserver/hips/{survey}"
            # a client follows the access URL to the survey's properties
            assert properties(client, root_url.removeprefix("http://testserver/hips/")) == declared
            survey_moc = MOC.load(settings.hips_dir / survey / "Moc.fits", format="fits")
            coverage = MOC.from_string(resource.findtext("coverage/spatial"), format="ascii")
            assert survey_moc.difference(coverage).empty()  # the coverage holds the whole survey
            assert coverage.sky_fraction < 2 * survey_moc.sky_fraction + 1e-3
            document = client.get(OAI, params={"verb": "GetRecord", "identifier": identifier,
                                               "metadataPrefix": "ivo_vor"}).content
            assert xsd_errors(document) == [], survey
            # the collection and the services on it cover every survey of it
            for holder in ("ivo://corot.vo/corot", "ivo://corot.vo/scs/targets", "ivo://corot.vo/ssa"):
                held = MOC.from_string(record(client, holder).findtext("coverage/spatial"), format="ascii")
                assert survey_moc.difference(held).empty(), holder
