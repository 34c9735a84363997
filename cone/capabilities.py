"""VOSI capabilities and availability of the cone-search service (VOSI 1.1, SCS 1.03 §3).

Each endpoint is one ``cs:ConeSearch`` capability (SimpleDALRegExt 1.1, ConeSearch schema
v1.0) carrying the resource-profile items maxSR, maxRecords, verbosity and a testQuery;
its interface is a ``vs:ParamHTTP`` with the SCS parameters.  The availability document is
the VOSI one from vo-models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from cone.profile import CatalogueSpec
from vo_service.vosi_xml import (
    VODATASERVICE_NS,
    VORESOURCE_NS,
    VOSI_CAPABILITIES_NS,
    XSI_NS,
    XSI_TYPE,
    InterfaceParam,
    param_http_interface,
    sub,
)

CONESEARCH_NS = "http://www.ivoa.net/xml/ConeSearch/v1.0"
CONESEARCH_STANDARD_ID = "ivo://ivoa.net/std/ConeSearch"


SCS_PARAMS: tuple[InterfaceParam, ...] = (
    InterfaceParam("RA", "Right ascension (ICRS) of the cone centre, decimal degrees [0, 360].", "real",
                   "required", "deg", "pos.eq.ra"),
    InterfaceParam("DEC", "Declination (ICRS) of the cone centre, decimal degrees [-90, 90].", "real",
                   "required", "deg", "pos.eq.dec"),
    InterfaceParam("SR", "Radius of the cone, decimal degrees; 0 returns the columns only.", "real",
                   "required", "deg", "phys.angSize"),
    InterfaceParam("VERB", "Verbosity: 1 (fewest columns), 2 (default) or 3 (all columns).", "integer"),
    InterfaceParam("MAXREC", "Maximum number of records to return; 0 returns the columns only.", "integer"),
    InterfaceParam("RESPONSEFORMAT", "VOTable (votable, text/xml, application/x-votable+xml, with "
                   "serialization=tabledata|binary|binary2).", "string"),
)


def _vosi_capability(parent: Any, standard_id: str, url: str) -> None:
    capability = sub(parent, "capability", standardID=standard_id)
    interface = sub(capability, "interface")
    interface.set(XSI_TYPE, "vs:ParamHTTP")
    sub(interface, "accessURL", url, use="full")


@dataclass(frozen=True)
class ConeCapability:
    """What the capability of one endpoint says."""

    spec: CatalogueSpec
    access_url: str
    max_sr: float
    max_records: int


def capabilities_document(service_url: str, cones: Sequence[ConeCapability]) -> bytes:
    """The VOSI capabilities of the cone-search service rooted at ``service_url``."""
    nsmap = {"vosi": VOSI_CAPABILITIES_NS, "xsi": XSI_NS, "vs": VODATASERVICE_NS, "vr": VORESOURCE_NS,
             "cs": CONESEARCH_NS}
    root = etree.Element(f"{{{VOSI_CAPABILITIES_NS}}}capabilities", nsmap=nsmap)
    _vosi_capability(root, "ivo://ivoa.net/std/VOSI#capabilities", f"{service_url}/capabilities")
    _vosi_capability(root, "ivo://ivoa.net/std/VOSI#availability", f"{service_url}/availability")
    for cone in cones:
        capability = sub(root, "capability", standardID=CONESEARCH_STANDARD_ID)
        capability.set(XSI_TYPE, "cs:ConeSearch")
        sub(capability, "description", f"{cone.spec.title}: {cone.spec.description}")
        param_http_interface(capability, f"{cone.access_url}?", "base", params=SCS_PARAMS, result_type="text/xml")
        sub(capability, "maxSR", f"{cone.max_sr:g}")
        sub(capability, "maxRecords", str(cone.max_records))
        sub(capability, "verbosity", "true")
        test = sub(capability, "testQuery")
        sub(test, "ra", repr(cone.spec.test_query.ra))
        sub(test, "dec", repr(cone.spec.test_query.dec))
        sub(test, "sr", repr(cone.spec.test_query.sr))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


__all__ = [
    "CONESEARCH_STANDARD_ID",
    "SCS_PARAMS",
    "ConeCapability",
    "InterfaceParam",
    "capabilities_document",
]
