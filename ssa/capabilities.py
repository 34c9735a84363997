"""VOSI capabilities of the /ssa service: SSA queryData, DataLink {links}, SODA {sync}.

- SSA: ``ssa:SimpleSpectralAccess`` (SimpleDALRegExt 1.1 §2.3, SSA schema v1.1) with the
  compliance level, product type (SimpleDALRegExt 1.2), data source, creation type, frames,
  limits and a test query;
- DataLink: ``ivo://ivoa.net/std/DataLink#links-1.1`` with a ParamHTTP interface (DataLink
  1.1 §3.3);
- SODA: ``ivo://ivoa.net/std/SODA#sync-1.0`` (SODA 1.0 §2.5).

The builders return models (:mod:`vo_service.vo_models_ext`); the registry record composes
the same models, and the document is rendered once from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import AnyUrl

from vo_service.vo_models_ext import (
    AnyCapability,
    Capabilities,
    Capability,
    SimpleSpectralAccess,
    SSAPosition,
    SSAQuery,
    input_param,
    param_http,
    vosi_capabilities,
)
from vo_service.votable.descriptors import DATALINK_MEDIA_TYPE, DATALINK_STANDARD_ID, SODA_STANDARD_ID

SSA_PARAMS = (
    input_param("REQUEST", "queryData", "string"),
    input_param("POS", "Search centre, ra,dec in decimal degrees (ICRS)", "string", unit="deg", ucd="pos.eq"),
    input_param("SIZE", "Diameter of the search region", "real", unit="deg", ucd="phys.angSize"),
    input_param("BAND", "Spectral range list in metres, or a band name", "string", unit="m", ucd="em.wl"),
    input_param("TIME", "Time range, ISO 8601 UTC", "string", ucd="time.interval"),
    input_param("FORMAT", "Formats to list, or METADATA", "string"),
    input_param("MAXREC", "Maximum number of rows", "integer"),
    input_param("COLLECTION", "Data collection", "string"),
    input_param("TARGETNAME", "Target: CoRoT ID, planet host or star name", "string", ucd="meta.id;src"),
    input_param("PUBDID", "Publisher dataset identifier", "string"),
)
LINKS_PARAMS = (
    input_param("ID", "Publisher DID of a light curve (repeatable)", "string", "required", ucd="meta.id;meta.main"),
    input_param("RESPONSEFORMAT", "votable (default) or application/x-votable+xml", "string"),
)
SODA_PARAMS = (
    input_param("ID", "Publisher DID of a light curve", "string", "required", ucd="meta.ref.url;meta.curation"),
    input_param("TIME", "Time interval to extract, MJD (UTC)", "real", unit="d", ucd="time.interval;obs.exposure"),
    input_param("BAND", "Wavelength interval to extract, metres", "real", unit="m", ucd="em.wl;stat.interval"),
    input_param("COLOUR", "Band names: white, red, green, blue", "string", ucd="meta.code;instr.filter"),
    input_param("RESPONSEFORMAT", "application/fits (default), application/x-votable+xml or text/csv", "string"),
)


@dataclass(frozen=True)
class SSALimits:
    max_search_radius: float
    max_records: int
    default_max_records: int
    test_pos: tuple[float, float]
    test_size: float


def ssa_capability(base: str, limits: SSALimits) -> SimpleSpectralAccess:
    """The SSA 1.1 queryData capability of the service rooted at ``base`` (…/ssa)."""
    return SimpleSpectralAccess(
        description="CoRoT N2 light curves (time series) by position, time, band and target.",
        interface=[param_http(f"{base}/ssap.xml?", "base", params=SSA_PARAMS, result_type="text/xml")],
        compliance_level="full",
        product_type=["timeseries"],
        data_source=["survey"],
        creation_type=["archival"],
        supported_frame=["ICRS"],
        max_search_radius=limits.max_search_radius,
        max_records=limits.max_records,
        default_max_records=limits.default_max_records,
        test_query=SSAQuery(pos=SSAPosition(long=limits.test_pos[0], lat=limits.test_pos[1]), size=limits.test_size),
    )


def capabilities(base: str, datalink: str, limits: SSALimits) -> list[AnyCapability]:
    """VOSI, SSA, DataLink {links} (at ``datalink``) and SODA {sync} of the service rooted at ``base``."""
    links = Capability(standard_id=AnyUrl(DATALINK_STANDARD_ID), interface=[
        param_http(datalink, "base", params=LINKS_PARAMS,
                   result_type=DATALINK_MEDIA_TYPE)])
    soda = Capability(standard_id=AnyUrl(SODA_STANDARD_ID), interface=[
        param_http(f"{base}/soda", "base", params=SODA_PARAMS, result_type="application/fits")])
    return [*vosi_capabilities(base), ssa_capability(base, limits), links, soda]


def capabilities_document(base: str, datalink: str, limits: SSALimits) -> Capabilities:
    """The VOSI capabilities document of the service rooted at ``base`` (…/ssa)."""
    return Capabilities(capability=capabilities(base, datalink, limits))


__all__ = ["DATALINK_STANDARD_ID", "SODA_STANDARD_ID", "SSALimits", "capabilities", "capabilities_document",
           "ssa_capability"]
