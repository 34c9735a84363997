"""VOSI capabilities of the /ssa service: SSA queryData, DataLink {links}, SODA {sync}.

- SSA: ``ssa:SimpleSpectralAccess`` (SimpleDALRegExt 1.1, SSA schema v1.1) with the
  compliance level, data source, creation type, frames, limits and a test query;
- DataLink: ``ivo://ivoa.net/std/DataLink#links-1.1`` with a ParamHTTP interface (DataLink
  1.1 §3.3);
- SODA: ``ivo://ivoa.net/std/SODA#sync-1.0`` (SODA 1.0 §2.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

VOSI_CAPABILITIES_NS = "http://www.ivoa.net/xml/VOSICapabilities/v1.0"
VODATASERVICE_NS = "http://www.ivoa.net/xml/VODataService/v1.1"
VORESOURCE_NS = "http://www.ivoa.net/xml/VOResource/v1.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SSA_NS = "http://www.ivoa.net/xml/SSA/v1.1"
_XSI_TYPE = f"{{{XSI_NS}}}type"


@dataclass(frozen=True)
class InterfaceParam:
    """One ``vs:InputParam`` (VODataService 1.1 §3.5)."""

    name: str
    description: str
    datatype: str  # vs:SimpleDataType
    use: str = "optional"
    unit: str | None = None
    ucd: str | None = None


SSA_PARAMS = (
    InterfaceParam("REQUEST", "queryData", "string"),
    InterfaceParam("POS", "Search centre, ra,dec in decimal degrees (ICRS)", "string", unit="deg", ucd="pos.eq"),
    InterfaceParam("SIZE", "Diameter of the search region", "real", unit="deg", ucd="phys.angSize"),
    InterfaceParam("BAND", "Spectral range list in metres, or a band name", "string", unit="m", ucd="em.wl"),
    InterfaceParam("TIME", "Time range, ISO 8601 UTC", "string", ucd="time.interval"),
    InterfaceParam("FORMAT", "Formats to list, or METADATA", "string"),
    InterfaceParam("MAXREC", "Maximum number of rows", "integer"),
    InterfaceParam("COLLECTION", "Data collection", "string"),
    InterfaceParam("TARGETNAME", "Target: CoRoT ID, planet host or star name", "string", ucd="meta.id;src"),
    InterfaceParam("PUBDID", "Publisher dataset identifier", "string"),
)
LINKS_PARAMS = (
    InterfaceParam("ID", "Publisher DID of a light curve (repeatable)", "string", "required", ucd="meta.id;meta.main"),
    InterfaceParam("RESPONSEFORMAT", "votable (default) or application/x-votable+xml", "string"),
)
SODA_PARAMS = (
    InterfaceParam("ID", "Publisher DID of a light curve", "string", "required", ucd="meta.ref.url;meta.curation"),
    InterfaceParam("TIME", "Time interval to extract, MJD (UTC)", "real", unit="d", ucd="time.interval;obs.exposure"),
    InterfaceParam("BAND", "Wavelength interval to extract, metres", "real", unit="m", ucd="em.wl;stat.interval"),
    InterfaceParam("COLOUR", "Band names: white, red, green, blue", "string", ucd="meta.code;instr.filter"),
    InterfaceParam("RESPONSEFORMAT", "application/fits (default), application/x-votable+xml or text/csv", "string"),
)


def _sub(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _interface(capability: Any, url: str, use: str, *, params: Sequence[InterfaceParam] = (),
               result_type: str | None = None, role: str | None = "std") -> None:
    interface = _sub(capability, "interface", **({"role": role} if role else {}))
    interface.set(_XSI_TYPE, "vs:ParamHTTP")
    _sub(interface, "accessURL", url, use=use)
    if params or result_type:
        _sub(interface, "queryType", "GET")
        _sub(interface, "queryType", "POST")
    if result_type:
        _sub(interface, "resultType", result_type)
    for spec in params:
        param = _sub(interface, "param", use=spec.use, std="true")
        _sub(param, "name", spec.name)
        _sub(param, "description", spec.description)
        if spec.unit:
            _sub(param, "unit", spec.unit)
        if spec.ucd:
            _sub(param, "ucd", spec.ucd)
        _sub(param, "dataType", spec.datatype)


@dataclass(frozen=True)
class SSALimits:
    max_search_radius: float
    max_records: int
    default_max_records: int
    test_pos: tuple[float, float]
    test_size: float


def capabilities_document(base: str, limits: SSALimits) -> bytes:
    """The VOSI capabilities document of the service rooted at ``base`` (…/ssa)."""
    nsmap = {"vosi": VOSI_CAPABILITIES_NS, "xsi": XSI_NS, "vs": VODATASERVICE_NS, "vr": VORESOURCE_NS,
             "ssa": SSA_NS}
    root = etree.Element(f"{{{VOSI_CAPABILITIES_NS}}}capabilities", nsmap=nsmap)
    for standard, name in (("ivo://ivoa.net/std/VOSI#capabilities", "capabilities"),
                           ("ivo://ivoa.net/std/VOSI#availability", "availability")):
        _interface(_sub(root, "capability", standardID=standard), f"{base}/{name}", "full", role=None)

    ssa = _sub(root, "capability", standardID="ivo://ivoa.net/std/SSA")
    ssa.set(_XSI_TYPE, "ssa:SimpleSpectralAccess")
    _sub(ssa, "description", "CoRoT N2 light curves (time series) by position, time, band and target.")
    _interface(ssa, f"{base}/ssap.xml?", "base", params=SSA_PARAMS, result_type="text/xml", role="std")
    _sub(ssa, "complianceLevel", "full")
    _sub(ssa, "dataSource", "survey")
    _sub(ssa, "creationType", "archival")
    _sub(ssa, "supportedFrame", "ICRS")
    _sub(ssa, "maxSearchRadius", f"{limits.max_search_radius:g}")
    _sub(ssa, "maxRecords", str(limits.max_records))
    _sub(ssa, "defaultMaxRecords", str(limits.default_max_records))
    test = _sub(ssa, "testQuery")
    pos = _sub(test, "pos")
    _sub(pos, "long", repr(limits.test_pos[0]))
    _sub(pos, "lat", repr(limits.test_pos[1]))
    _sub(test, "size", repr(limits.test_size))

    links = _sub(root, "capability", standardID="ivo://ivoa.net/std/DataLink#links-1.1")
    _interface(links, f"{base}/datalink", "base", params=LINKS_PARAMS,
               result_type="application/x-votable+xml;content=datalink")
    soda = _sub(root, "capability", standardID="ivo://ivoa.net/std/SODA#sync-1.0")
    _interface(soda, f"{base}/soda", "base", params=SODA_PARAMS, result_type="application/fits")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


__all__ = ["SSALimits", "capabilities_document"]
