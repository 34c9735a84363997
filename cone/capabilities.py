"""VOSI capabilities of the cone-search service (VOSI 1.1 §3.1, SCS 1.03 §3).

Each endpoint is one ``cs:ConeSearch`` capability (SimpleDALRegExt 1.1 §2.1, ConeSearch
schema v1.0) carrying the resource-profile items maxSR, maxRecords, verbosity and a
testQuery; its interface is a ``vs:ParamHTTP`` with the SCS parameters.  The builders
return models (:mod:`vo_service.vo_models_ext`); the registry records compose the same
models, and the document is rendered once from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cone.profile import CatalogueSpec
from vo_service.vo_models_ext import (
    CONESEARCH_STANDARD_ID,
    AnyCapability,
    Capabilities,
    ConeQuery,
    ConeSearch,
    InputParam,
    input_param,
    param_http,
    vosi_capabilities,
)

#: The SCS 1.03 §2 parameters, and the DALI ones the service also takes.
SCS_PARAMS: tuple[InputParam, ...] = (
    input_param("RA", "Right ascension (ICRS) of the cone centre, decimal degrees [0, 360].", "real",
                "required", unit="deg", ucd="pos.eq.ra"),
    input_param("DEC", "Declination (ICRS) of the cone centre, decimal degrees [-90, 90].", "real",
                "required", unit="deg", ucd="pos.eq.dec"),
    input_param("SR", "Radius of the cone, decimal degrees; 0 returns the columns only.", "real",
                "required", unit="deg", ucd="phys.angSize"),
    input_param("VERB", "Verbosity: 1 (fewest columns), 2 (default) or 3 (all columns).", "integer"),
    input_param("MAXREC", "Maximum number of records to return; 0 returns the columns only.", "integer"),
    input_param("RESPONSEFORMAT", "VOTable (votable, text/xml, application/x-votable+xml, with "
                "serialization=tabledata|binary|binary2).", "string"),
)


@dataclass(frozen=True)
class ConeCapability:
    """What the capability of one endpoint says."""

    spec: CatalogueSpec
    access_url: str
    max_sr: float
    max_records: int


def cone_capability(cone: ConeCapability) -> ConeSearch:
    """The ``cs:ConeSearch`` capability of one endpoint; its testQuery returns records."""
    test = cone.spec.test_query
    return ConeSearch(
        description=f"{cone.spec.title}: {cone.spec.description}",
        interface=[param_http(f"{cone.access_url}?", "base", params=SCS_PARAMS, result_type="text/xml")],
        max_sr=cone.max_sr,
        max_records=cone.max_records,
        verbosity=True,
        test_query=ConeQuery(ra=test.ra, dec=test.dec, sr=test.sr),
    )


def capabilities(service_url: str, cones: Sequence[ConeCapability]) -> list[AnyCapability]:
    """The capabilities of the cone-search service rooted at ``service_url``: VOSI, then one
    cone search per endpoint."""
    return [*vosi_capabilities(service_url), *(cone_capability(cone) for cone in cones)]


def capabilities_document(service_url: str, cones: Sequence[ConeCapability]) -> Capabilities:
    """The VOSI capabilities document of the cone-search service rooted at ``service_url``."""
    return Capabilities(capability=capabilities(service_url, cones))


__all__ = [
    "CONESEARCH_STANDARD_ID",
    "SCS_PARAMS",
    "ConeCapability",
    "capabilities",
    "capabilities_document",
    "cone_capability",
]
