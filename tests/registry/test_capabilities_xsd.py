"""The VOSI capabilities documents of every service, built from models, against the IVOA schemas.

VOSI 1.1 §3.1 with the capability types of TAPRegExt 1.0 and SimpleDALRegExt 1.1
(``cs:ConeSearch``, ``ssa:SimpleSpectralAccess``), validated offline; and the same models
read back from the documents, so a client parsing them sees what the service built.
"""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree
from starlette.testclient import TestClient

from tests.ivoa_xsd import require_schemas, xsd_errors
from vo_service.vo_models_ext import Capabilities, ConeSearch, SimpleSpectralAccess

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


@pytest.mark.parametrize("path", ["/tap/capabilities", "/scs/capabilities", "/ssa/capabilities"])
def test_capabilities_are_schema_valid(client: TestClient, path: str) -> None:
    require_schemas()
    response = client.get(path)
    assert response.status_code == 200
    assert xsd_errors(response.content) == []


def test_the_validator_sees_a_broken_cone_capability(client: TestClient) -> None:
    require_schemas()
    root = etree.fromstring(client.get("/scs/capabilities").content)
    cone = next(c for c in root.iterfind("capability") if c.get(XSI_TYPE) == "cs:ConeSearch")
    cone.remove(cone.find("verbosity"))  # the one element SimpleDALRegExt 1.1 requires
    assert any("verbosity" in line or "testQuery" in line for line in xsd_errors(etree.tostring(root)))


def test_cone_capabilities_read_back_as_models(client: TestClient) -> None:
    document = Capabilities.from_xml(client.get("/scs/capabilities").content)
    cones = [c for c in document.capability if isinstance(c, ConeSearch)]
    assert len(cones) == 3
    for cone in cones:
        assert cone.verbosity is True
        assert cone.max_sr == 10.0
        assert cone.test_query is not None
        interface = cone.interface[0]
        assert [p.name for p in getattr(interface, "param", [])][:3] == ["RA", "DEC", "SR"]
        assert [p.use for p in getattr(interface, "param", [])][:3] == ["required"] * 3


def test_ssa_capability_reads_back_as_a_model(client: TestClient) -> None:
    document = Capabilities.from_xml(client.get("/ssa/capabilities").content)
    ssa = [c for c in document.capability if isinstance(c, SimpleSpectralAccess)]
    assert len(ssa) == 1
    assert ssa[0].compliance_level == "full"
    assert ssa[0].product_type == ["timeseries"]
    assert ssa[0].test_query is not None and ssa[0].test_query.pos is not None
    standards = [str(c.standard_id) for c in document.capability]
    assert standards == ["ivo://ivoa.net/std/VOSI#capabilities", "ivo://ivoa.net/std/VOSI#availability",
                         "ivo://ivoa.net/std/SSA", "ivo://ivoa.net/std/DataLink#links-1.1",
                         "ivo://ivoa.net/std/SODA#sync-1.0"]


def _shape(element: Any) -> tuple[Any, ...]:
    """Tag, attributes, text and children: the element without its namespace declarations."""
    return (element.tag, sorted(element.attrib.items()), (element.text or "").strip(),
            [_shape(child) for child in element])


@pytest.mark.parametrize(("path", "identifier"), [("/ssa/capabilities", "ivo://corot.vo/ssa"),
                                                  ("/tap/capabilities", "ivo://corot.vo/tap")])
def test_a_service_record_holds_the_capabilities_of_its_vosi_document(client: TestClient, path: str,
                                                                       identifier: str) -> None:
    """The registry composes the very capability models the VOSI document is rendered from."""
    vosi = etree.fromstring(client.get(path).content)
    answer = etree.fromstring(client.get("/registry/oai.xml", params={
        "verb": "GetRecord", "identifier": identifier, "metadataPrefix": "ivo_vor"}).content)
    resource = answer.find(".//{http://www.ivoa.net/xml/RegistryInterface/v1.0}Resource")
    stated = [_shape(c) for c in vosi.iterfind("capability")]
    recorded = [_shape(c) for c in resource.iterfind("capability")]
    assert stated and recorded == stated
