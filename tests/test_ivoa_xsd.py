"""The offline IVOA/OAI-PMH validator accepts valid registry documents and reports broken ones.

The valid documents are hand-built from the schemas' own content models: VOResource 1.1
(Resource, Curation, Content), VODataService (CatalogService, ParamHTTP, TableSet), TAPRegExt
1.0, SimpleDALRegExt (ConeSearch, SSA), VORegistry 1.1, RegistryInterface 1.1 §3 (OAI-PMH
records of metadataPrefix ivo_vor in the set ivo_managed) and OAI-PMH 2.0 §3-§4.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.ivoa_xsd import NS, SCHEMA_DIR_ENV, XSI_TYPE, ivoa_schema, require_schemas, schema_dir, xsd_errors

CREATED = "2024-01-15T10:00:00Z"
UPDATED = "2024-06-01T12:30:00Z"
REGISTRY_ID = "ivo://corot.test/registry"
SERVICE_ID = "ivo://corot.test/archive"


@pytest.fixture(autouse=True)
def _schemas() -> Path:
    return require_schemas()


def q(prefix: str, name: str) -> str:
    """Clark notation of a name in the namespace of ``prefix``."""
    return f"{{{NS[prefix]}}}{name}"


def sub(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
    """An unqualified child (VOResource's elementFormDefault) with optional text."""
    element = etree.SubElement(parent, tag, {key.replace("_", "-"): value for key, value in attrib.items()})
    if text is not None:
        element.text = text
    return element


def typed(parent: Any, tag: str, xsi_type: str, **attrib: str) -> Any:
    element = sub(parent, tag, **attrib)
    element.set(XSI_TYPE, xsi_type)
    return element


def serialize(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def resource(parent: Any | None, xsi_type: str, identifier: str, title: str) -> Any:
    """An ``ri:Resource`` with the VOResource 1.1 core every record needs (title … content)."""
    nsmap = {prefix: NS[prefix] for prefix in ("ri", "vr", "vs", "vg", "tr", "cs", "ssa")}
    nsmap["xsi"] = "http://www.w3.org/2001/XMLSchema-instance"
    attrib = {"created": CREATED, "updated": UPDATED, "status": "active"}
    if parent is None:
        record = etree.Element(q("ri", "Resource"), attrib, nsmap=nsmap)
    else:
        record = etree.SubElement(parent, q("ri", "Resource"), attrib, nsmap=nsmap)
    record.set(XSI_TYPE, xsi_type)
    sub(record, "title", title)
    sub(record, "shortName", "CoRoT")
    sub(record, "identifier", identifier)
    curation = sub(record, "curation")
    sub(curation, "publisher", "CoRoT VO", ivo_id="ivo://corot.test/org")
    creator = sub(curation, "creator")
    sub(creator, "name", "CoRoT Team")
    sub(curation, "date", "2024-01-15", role="Created")
    contact = sub(curation, "contact")
    sub(contact, "name", "CoRoT archive support")
    sub(contact, "email", "support@corot.test")
    content = sub(record, "content")
    sub(content, "subject", "Exoplanets")
    sub(content, "subject", "Asteroseismology")
    sub(content, "description", "Light curves and catalogues of the CoRoT space telescope.")
    sub(content, "referenceURL", "https://corot.test/docs")
    sub(content, "type", "Catalog")
    sub(content, "contentLevel", "Research")
    return record


def param_http(capability: Any, url: str, use: str, role: str | None = "std") -> Any:
    interface = typed(capability, "interface", "vs:ParamHTTP", **({"role": role} if role else {}))
    sub(interface, "accessURL", url, use=use)
    return interface


def catalog_service(parent: Any | None = None) -> Any:
    """A ``vs:CatalogService`` with TAP, cone search, SSA and browser capabilities and a tableset."""
    record = resource(parent, "vs:CatalogService", SERVICE_ID, "CoRoT archive")
    sub(record, "rights", "Public after the proprietary period", rightsURI="https://corot.test/rights")

    tap = typed(record, "capability", "tr:TableAccess", standardID="ivo://ivoa.net/std/TAP")
    param_http(tap, "https://corot.test/tap", "base")
    sub(tap, "dataModel", "ObsCore-1.1", ivo_id="ivo://ivoa.net/std/ObsCore#core-1.1")
    language = sub(tap, "language")
    sub(language, "name", "ADQL")
    sub(language, "version", "2.0", ivo_id="ivo://ivoa.net/std/ADQL#v2.0")
    sub(language, "description", "ADQL 2.0")
    features = sub(language, "languageFeatures", type="ivo://ivoa.net/std/TAPRegExt#features-adqlgeo")
    feature = sub(features, "feature")
    sub(feature, "form", "CONTAINS")
    output = sub(tap, "outputFormat", ivo_id="ivo://ivoa.net/std/TAPRegExt#output-votable-binary2")
    sub(output, "mime", "application/x-votable+xml;serialization=BINARY2")
    sub(output, "alias", "votable/b2")
    sub(tap, "uploadMethod", ivo_id="ivo://ivoa.net/std/TAPRegExt#upload-inline")
    retention = sub(tap, "retentionPeriod")
    sub(retention, "default", "172800")
    duration = sub(tap, "executionDuration")
    sub(duration, "default", "600")
    limit = sub(tap, "outputLimit")
    sub(limit, "default", "20000", unit="row")
    sub(limit, "hard", "10000000", unit="row")

    cone = typed(record, "capability", "cs:ConeSearch", standardID="ivo://ivoa.net/std/ConeSearch")
    interface = param_http(cone, "https://corot.test/scs?", "base")
    sub(interface, "queryType", "GET")
    sub(interface, "resultType", "application/x-votable+xml")
    for name, unit, ucd in (("RA", "deg", "pos.eq.ra"), ("DEC", "deg", "pos.eq.dec"), ("SR", "deg", None)):
        param = sub(interface, "param", use="required", std="true")
        sub(param, "name", name)
        sub(param, "description", f"Cone {name}")
        sub(param, "unit", unit)
        if ucd:
            sub(param, "ucd", ucd)
        sub(param, "dataType", "real")
    sub(cone, "maxSR", "10")
    sub(cone, "maxRecords", "50000")
    sub(cone, "verbosity", "true")
    test_query = sub(cone, "testQuery")
    for name, value in (("ra", "102.5"), ("dec", "-2.1"), ("sr", "0.1")):
        sub(test_query, name, value)

    ssa = typed(record, "capability", "ssa:SimpleSpectralAccess", standardID="ivo://ivoa.net/std/SSA")
    param_http(ssa, "https://corot.test/ssa?", "base")
    sub(ssa, "complianceLevel", "query")
    sub(ssa, "productType", "timeseries")
    sub(ssa, "dataSource", "pointed")
    sub(ssa, "creationType", "archival")
    sub(ssa, "supportedFrame", "ICRS")
    sub(ssa, "maxSearchRadius", "10")
    sub(ssa, "maxRecords", "50000")

    browser = sub(record, "capability")
    sub(typed(browser, "interface", "vr:WebBrowser"), "accessURL", "https://corot.test/", use="full")

    sub(record, "facility", "CoRoT")
    coverage = sub(record, "coverage")
    sub(coverage, "spatial", "0/0-11")
    sub(coverage, "temporal", "54101 56595")
    sub(coverage, "waveband", "Optical")
    tableset = sub(record, "tableset")
    schema = sub(tableset, "schema")
    sub(schema, "name", "corot")
    table = sub(schema, "table", type="table")
    sub(table, "name", "corot.targets")
    sub(table, "description", "Observed targets")
    column = sub(table, "column")
    sub(column, "name", "ra")
    sub(column, "unit", "deg")
    sub(column, "ucd", "pos.eq.ra;meta.main")
    typed(column, "dataType", "vs:TAPType").text = "DOUBLE"
    return record


def registry_record(parent: Any | None = None) -> Any:
    """The ``vg:Registry`` record a publishing registry shows in Identify (RI 1.1 §3.1)."""
    record = resource(parent, "vg:Registry", REGISTRY_ID, "CoRoT publishing registry")
    harvest = typed(record, "capability", "vg:Harvest", standardID="ivo://ivoa.net/std/Registry")
    sub(typed(harvest, "interface", "vg:OAIHTTP", role="std"), "accessURL", "https://corot.test/oai", use="base")
    sub(harvest, "maxRecords", "1000")
    sub(record, "full", "false")
    sub(record, "managedAuthority", "corot.test")
    return record


def authority_record(parent: Any | None = None) -> Any:
    record = resource(parent, "vg:Authority", "ivo://corot.test", "CoRoT naming authority")
    sub(record, "managingOrg", "CoRoT VO", ivo_id="ivo://corot.test/org")
    return record


def oai_response(
    verb: str | None, arguments: Mapping[str, str] | None = None, *, default_namespace: bool = False
) -> Any:
    """The OAI-PMH 2.0 §3.2 envelope: responseDate and the request echoed with its arguments."""
    root = etree.Element(q("oai", "OAI-PMH"), nsmap={None if default_namespace else "oai": NS["oai"]})
    etree.SubElement(root, q("oai", "responseDate")).text = UPDATED
    echo = etree.SubElement(root, q("oai", "request"), ({"verb": verb} if verb else {}) | dict(arguments or {}))
    echo.text = "https://corot.test/oai"
    return root


def oai(parent: Any, name: str, text: str | None = None) -> Any:
    element = etree.SubElement(parent, q("oai", name))
    element.text = text
    return element


def record(parent: Any, datestamp: str = UPDATED, identifier: str = SERVICE_ID) -> Any:
    """An OAI record of RI 1.1 §3: header in ivo_managed, the resource in ``<metadata>``."""
    element = oai(parent, "record")
    header = oai(element, "header")
    oai(header, "identifier", identifier)
    oai(header, "datestamp", datestamp)
    oai(header, "setSpec", "ivo_managed")
    return oai(element, "metadata")


def get_record(datestamp: str = UPDATED) -> Any:
    root = oai_response("GetRecord", {"identifier": SERVICE_ID, "metadataPrefix": "ivo_vor"})
    catalog_service(record(oai(root, "GetRecord"), datestamp))
    return root


def identify() -> Any:
    root = oai_response("Identify")
    body = oai(root, "Identify")
    oai(body, "repositoryName", "CoRoT publishing registry")
    oai(body, "baseURL", "https://corot.test/oai")
    oai(body, "protocolVersion", "2.0")
    oai(body, "adminEmail", "support@corot.test")
    oai(body, "earliestDatestamp", CREATED)
    oai(body, "deletedRecord", "persistent")
    oai(body, "granularity", "YYYY-MM-DDThh:mm:ssZ")
    registry_record(oai(body, "description"))
    return root


def oai_error(code: str) -> Any:
    root = oai_response(None)
    error = oai(root, "error", "Illegal OAI verb")
    error.set("code", code)
    return root


def assert_reported(document: bytes, *fragments: str) -> list[str]:
    errors = xsd_errors(document)
    assert errors, "the invalid document passed validation"
    joined = "\n".join(errors)
    for fragment in fragments:
        assert fragment in joined, joined
    assert all(line.startswith("line ") for line in errors)
    return errors


# --- valid documents ---------------------------------------------------------------------


def test_catalog_service_record_is_valid() -> None:
    assert xsd_errors(serialize(catalog_service())) == []


def test_registry_and_authority_records_are_valid() -> None:
    assert xsd_errors(serialize(registry_record())) == []
    assert xsd_errors(serialize(authority_record())) == []


def test_get_record_response_is_valid() -> None:
    assert xsd_errors(serialize(get_record())) == []


def test_list_records_with_day_datestamp_is_valid() -> None:
    root = oai_response("ListRecords", {"metadataPrefix": "ivo_vor", "set": "ivo_managed", "from": "2024-01-01"})
    body = oai(root, "ListRecords")
    authority_record(record(body, "2024-01-15", "ivo://corot.test"))
    registry_record(record(body, identifier=REGISTRY_ID))
    assert xsd_errors(serialize(root)) == []


def test_identify_response_is_valid() -> None:
    assert xsd_errors(serialize(identify())) == []


def test_error_response_is_valid() -> None:
    assert xsd_errors(serialize(oai_error("badVerb"))) == []


def test_schema_covers_every_vocabulary() -> None:
    """Each namespace has at least one global element or type in the compiled bundle."""
    probes = {
        "ri": "<ri:VOResources xmlns:ri='{ri}' from='1' numberReturned='1' more='false'>"
              "<ri:identifier>ivo://corot.test/archive</ri:identifier></ri:VOResources>",
        "vosi": "<vosi:capabilities xmlns:vosi='{vosi}'/>",
        "vtm": "<vtm:tableset xmlns:vtm='{vtm}'><schema><name>corot</name></schema></vtm:tableset>",
        "avl": "<avl:availability xmlns:avl='{avl}'><avl:available>true</avl:available></avl:availability>",
        "oai_dc": "<oai_dc:dc xmlns:oai_dc='{oai_dc}' xmlns:dc='{dc}'><dc:title>CoRoT</dc:title></oai_dc:dc>",
    }
    for prefix, probe in probes.items():
        assert xsd_errors(probe.format(**NS).encode()) == [], prefix
    assert ivoa_schema() is ivoa_schema()


# --- invalid documents -------------------------------------------------------------------


def test_missing_curation_is_reported() -> None:
    broken = catalog_service()
    broken.remove(broken.find("curation"))
    assert_reported(serialize(broken), "'content'", "curation")
    wrapped = get_record()
    metadata_record = wrapped.find(".//" + q("ri", "Resource"))
    metadata_record.remove(metadata_record.find("curation"))
    assert_reported(serialize(wrapped), "curation")


def test_missing_status_attribute_is_reported() -> None:
    broken = catalog_service()
    del broken.attrib["status"]
    assert_reported(serialize(broken), "status", "required")


@pytest.mark.parametrize(
    ("xpath", "xsi_type", "message"),
    [
        (".", "vs:NoSuchResource", "does not resolve to a type definition"),
        (".", "vs:ParamHTTP", "not validly derived"),
        ("capability", "cs:ConeSearchX", "does not resolve to a type definition"),
        ("capability/interface", "tr:TableAccess", "not validly derived"),
        ("tableset/schema/table/column/dataType", "vs:TableDataType", "abstract"),
    ],
)
def test_wrong_xsi_type_is_reported(xpath: str, xsi_type: str, message: str) -> None:
    broken = catalog_service()
    broken.find(xpath).set(XSI_TYPE, xsi_type)
    assert_reported(serialize(broken), message)


def test_extension_content_is_checked_through_xsi_type() -> None:
    broken = catalog_service()
    broken.find("capability/outputFormat/mime").tag = "mimeType"
    assert_reported(serialize(broken), "mimeType")


def test_unknown_error_code_is_reported() -> None:
    assert_reported(serialize(oai_error("badVerbX")), "badVerbX", "enumeration")


@pytest.mark.parametrize("datestamp", ["2024-06-01 12:30:00", "2024-06-01T12:30:00", "2024-06-01T14:30:00+02:00"])
def test_bad_datestamp_is_reported(datestamp: str) -> None:
    assert_reported(serialize(get_record(datestamp)), "datestamp", "UTCdatetimeType")


def test_metadata_wildcard_is_strict() -> None:
    root = get_record()
    metadata = root.find(".//" + q("oai", "metadata"))
    metadata.remove(metadata[0])
    etree.SubElement(metadata, "{urn:x-unknown}record")
    assert_reported(serialize(root), "strict wildcard")


def test_unqualified_record_under_default_namespace_is_reported() -> None:
    """lxml writes no ``xmlns=""`` for unqualified children of a default-namespace element:
    the record's ``title`` then reads as an OAI element, which the validator must catch."""
    root = oai_response("GetRecord", {"identifier": SERVICE_ID}, default_namespace=True)
    catalog_service(record(oai(root, "GetRecord")))
    assert_reported(serialize(root), q("oai", "title"))


def test_literal_snippets_are_reported() -> None:
    identify_without_email = (
        b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'>"
        b"<responseDate>2024-06-01T12:30:00Z</responseDate><request verb='Identify'>https://corot.test/oai</request>"
        b"<Identify><repositoryName>r</repositoryName><baseURL>https://corot.test/oai</baseURL>"
        b"<protocolVersion>2.0</protocolVersion><earliestDatestamp>2024-01-01</earliestDatestamp>"
        b"<deletedRecord>no</deletedRecord><granularity>YYYY-MM-DD</granularity></Identify></OAI-PMH>"
    )
    assert_reported(identify_without_email, "adminEmail")
    assert assert_reported(b"<OAI-PMH>\n<unclosed></OAI-PMH>")[0].startswith("line 2:")


# --- locating the schemata ---------------------------------------------------------------


def test_environment_variable_overrides_the_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    found = schema_dir()
    assert found is not None
    monkeypatch.setenv(SCHEMA_DIR_ENV, str(found))
    assert schema_dir() == found
    monkeypatch.setenv(SCHEMA_DIR_ENV, str(tmp_path))
    assert schema_dir() is None
    with pytest.raises(FileNotFoundError):
        ivoa_schema()


def test_require_schemas_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SCHEMA_DIR_ENV, str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_schemas()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        require_schemas()


def test_missing_namespace_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    found = schema_dir()
    assert found is not None
    for path in found.glob("*.xsd"):
        if path.name != "TAPRegExt.xsd":
            shutil.copy(path, tmp_path / path.name)
    monkeypatch.setenv(SCHEMA_DIR_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="TAPRegExt"):
        ivoa_schema()
