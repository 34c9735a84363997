"""VOSI capabilities (TAPRegExt), availability and tables, validated against the IVOA schemas."""

from __future__ import annotations

import pytest
from lxml import etree
from starlette.testclient import TestClient

from tap.adql import LANGUAGE_FEATURES
from tap.capabilities import capabilities_xml, tapregext_uri
from tests.tap.xmlschemas import assert_valid
from vo_service.metadata import load_catalogue
from vo_service.settings import Settings
from vo_service.votable.formats import resolve_format

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def capability(root: etree._Element, standard_id: str) -> etree._Element:
    found = root.xpath("capability[@standardID=$id]", id=standard_id)
    assert len(found) == 1, standard_id
    return found[0]


def test_capabilities_document(client: TestClient) -> None:
    response = client.get("/tap/capabilities")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    root = assert_valid(response.content)
    tap = capability(root, "ivo://ivoa.net/std/TAP")
    assert tap.get(XSI_TYPE) == "tr:TableAccess"
    interface = tap.find("interface")
    assert (interface.get("role"), interface.get("version"), interface.get(XSI_TYPE)) == ("std", "1.1", "vs:ParamHTTP")
    assert interface.findtext("accessURL") == "http://testserver/tap"
    assert interface.find("accessURL").get("use") == "base"
    assert interface.find("securityMethod") is None  # anonymous only: no password accounts in the test settings
    for standard_id, suffix in (("ivo://ivoa.net/std/VOSI#capabilities", "/capabilities"),
                                ("ivo://ivoa.net/std/VOSI#availability", "/availability"),
                                ("ivo://ivoa.net/std/VOSI#tables-1.1", "/tables"),
                                ("ivo://ivoa.net/std/DALI#examples", "/examples")):
        url = capability(root, standard_id).findtext("interface/accessURL")
        assert url == f"http://testserver/tap{suffix}"
        assert client.get(url.removeprefix("http://testserver")).status_code == 200


def test_tapregext_content(client: TestClient, settings: Settings) -> None:
    tap = capability(etree.fromstring(client.get("/tap/capabilities").content), "ivo://ivoa.net/std/TAP")
    language = tap.find("language")
    assert language.findtext("name") == "ADQL"
    assert [v.text for v in language.findall("version")] == ["2.0", "2.1"]
    declared = {(group.get("type"), feature.findtext("form"))
                for group in language.findall("languageFeatures") for feature in group.findall("feature")}
    assert declared == {(tapregext_uri(f.type), f.form) for f in LANGUAGE_FEATURES}
    assert any(form.startswith("ivo_histogram(") for _, form in declared)
    for output in tap.findall("outputFormat"):
        assert resolve_format(output.findtext("mime")).media_type
        for alias in output.findall("alias"):
            assert resolve_format(alias.text).media_type
    assert tap.find("outputFormat[@ivo-id='ivo://ivoa.net/std/TAPRegExt#output-votable-binary2']") is not None
    methods = {m.get("ivo-id").rpartition("#")[2] for m in tap.findall("uploadMethod")}
    assert methods == {"upload-inline", "upload-http", "upload-https"}
    assert tap.find("dataModel").get("ivo-id") == "ivo://ivoa.net/std/ObsCore#core-1.1"
    limits = settings.limits
    assert int(tap.findtext("outputLimit/default")) == limits.maxrec_default
    assert int(tap.findtext("outputLimit/hard")) == limits.maxrec_hard
    assert tap.find("outputLimit/hard").get("unit") == "row"
    assert int(tap.findtext("uploadLimit/hard")) == limits.upload_max_bytes
    assert int(tap.findtext("executionDuration/hard")) == limits.async_duration_max_s
    assert int(tap.findtext("retentionPeriod/default")) == limits.job_destruction_days * 86400


def test_password_accounts_add_a_basic_auth_interface() -> None:
    root = assert_valid(capabilities_xml(Settings(users={"alice": {"password": "x"}}), "https://corot.example/tap"))
    interfaces = capability(root, "ivo://ivoa.net/std/TAP").findall("interface")
    assert [i.find("securityMethod") is None for i in interfaces] == [True, False]
    assert interfaces[1].find("securityMethod").get("standardID") == "ivo://ivoa.net/sso#BasicAA"


def test_availability(client: TestClient) -> None:
    response = client.get("/tap/availability")
    root = assert_valid(response.content)
    namespace = "{http://www.ivoa.net/xml/VOSIAvailability/v1.0}"
    assert root.findtext(f"{namespace}available") == "true"
    assert root.findtext(f"{namespace}upSince")


def test_tables_lists_every_catalogue_table(client: TestClient) -> None:
    root = assert_valid(client.get("/tap/tables").content)
    names = [t.findtext("name") for t in root.iter("table")]
    assert sorted(names) == sorted(t.name for t in load_catalogue().tables())
    targets = next(t for t in root.iter("table") if t.findtext("name") == "corot.targets")
    vmag = next(c for c in targets.iter("column") if c.findtext("name") == "vmag")
    described = (vmag.findtext("unit"), vmag.findtext("ucd"), vmag.find("dataType").text)
    assert described == ("mag", "phot.mag;em.opt.V", "float")
    assert {"indexed", "principal"} <= {f.text for f in vmag.findall("flag")}
    obscore = next(t for t in root.iter("table") if t.findtext("name") == "ivoa.obscore")
    assert obscore.get("type") == "view"
    region = next(c for c in obscore.iter("column") if c.findtext("name") == "s_region")
    assert region.find("dataType").get("extendedType") == "adql:REGION"
    level = [c.findtext("name") for t in root.iter("table") for c in t.iter("column") if "level" in c.findtext("name")]
    assert '"level"' in level


def test_tables_detail_min_has_no_columns(client: TestClient) -> None:
    root = assert_valid(client.get("/tap/tables", params={"DETAIL": "min"}).content)
    assert len(list(root.iter("table"))) == len(list(load_catalogue().tables()))
    assert not list(root.iter("column"))


@pytest.mark.parametrize("name", ["corot.targets", "TAP_SCHEMA.columns", "ivoa.obscore", "CoRoT.Targets"])
def test_one_table(client: TestClient, name: str) -> None:
    response = client.get(f"/tap/tables/{name}")
    root = assert_valid(response.content)
    assert root.tag == "{http://www.ivoa.net/xml/VOSITables/v1.0}table"
    assert root.findtext("name").lower() == name.lower()
    assert len(root.findall("column")) == len(load_catalogue().table(name).columns)


def test_unknown_table_is_not_found(client: TestClient) -> None:
    response = client.get("/tap/tables/corot.nothing")
    assert response.status_code == 404
    assert b"QUERY_STATUS" in response.content


def test_base_page_points_to_the_endpoints(client: TestClient) -> None:
    response = client.get("/tap")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    links = set(etree.fromstring(response.content, etree.HTMLParser()).xpath("//a/@href"))
    assert {f"http://testserver/tap/{name}" for name in ("sync", "async", "capabilities", "tables")} <= links
