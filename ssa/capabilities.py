"""VOSI capabilities of the /ssa service: SSA queryData, DataLink {links}, SODA {sync}.

- SSA: ``ssa:SimpleSpectralAccess`` (SimpleDALRegExt 1.1, SSA schema v1.1) with the
  compliance level, data source, creation type, frames, limits and a test query;
- DataLink: ``ivo://ivoa.net/std/DataLink#links-1.1`` with a ParamHTTP interface (DataLink
  1.1 §3.3);
- SODA: ``ivo://ivoa.net/std/SODA#sync-1.0`` (SODA 1.0 §2.5).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

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

SSA_NS = "http://www.ivoa.net/xml/SSA/v1.1"


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
        param_http_interface(sub(root, "capability", standardID=standard), f"{base}/{name}", "full", role=None)

    ssa = sub(root, "capability", standardID="ivo://ivoa.net/std/SSA")
    ssa.set(XSI_TYPE, "ssa:SimpleSpectralAccess")
    sub(ssa, "description", "CoRoT N2 light curves (time series) by position, time, band and target.")
    param_http_interface(ssa, f"{base}/ssap.xml?", "base", params=SSA_PARAMS, result_type="text/xml", role="std")
    sub(ssa, "complianceLevel", "full")
    sub(ssa, "dataSource", "survey")
    sub(ssa, "creationType", "archival")
    sub(ssa, "supportedFrame", "ICRS")
    sub(ssa, "maxSearchRadius", f"{limits.max_search_radius:g}")
    sub(ssa, "maxRecords", str(limits.max_records))
    sub(ssa, "defaultMaxRecords", str(limits.default_max_records))
    test = sub(ssa, "testQuery")
    pos = sub(test, "pos")
    sub(pos, "long", repr(limits.test_pos[0]))
    sub(pos, "lat", repr(limits.test_pos[1]))
    sub(test, "size", repr(limits.test_size))

    links = sub(root, "capability", standardID="ivo://ivoa.net/std/DataLink#links-1.1")
    param_http_interface(links, f"{base}/datalink", "base", params=LINKS_PARAMS,
               result_type="application/x-votable+xml;content=datalink")
    soda = sub(root, "capability", standardID="ivo://ivoa.net/std/SODA#sync-1.0")
    param_http_interface(soda, f"{base}/soda", "base", params=SODA_PARAMS, result_type="application/fits")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


__all__ = ["SSALimits", "capabilities_document"]
