"""DataLink service descriptors (DataLink 1.1 §4) for the {links} endpoint and SODA {sync}.

Descriptors are ``RESOURCE type="meta" utype="adhoc:service"`` models
(:mod:`vo_service.votable.descriptors`).  In a discovery response (SSA, SCS) their ID input
refers to the FIELD holding publisher DIDs; in a links response each light curve gets its
own SODA descriptor with the ID fixed and the TIME, BAND and COLOUR ranges of that light
curve in VALUES (SODA 1.0 §4.3, "SODA Service Descriptor from DataLink").
"""

from __future__ import annotations

from dataclasses import dataclass

from vo_service.votable.descriptors import (
    DATALINK_MEDIA_TYPE,
    DATALINK_STANDARD_ID,
    SODA_STANDARD_ID,
    Group,
    Param,
    ServiceDescriptor,
    interval_param,
    links_descriptor,
    options_param,
)

#: Output formats of the SODA service (RESPONSEFORMAT values, DALI 1.1 §3.2.4).
SODA_FORMATS: tuple[tuple[str, str], ...] = (
    ("FITS binary table", "application/fits"),
    ("VOTable time series", "application/x-votable+xml"),
    ("Comma-separated values", "text/csv"),
)


def datalink_descriptor(access_url: str, id_field: str, *, example_id: str | None = None) -> ServiceDescriptor:
    """The {links} service, its ID taken from the FIELD with XML ID ``id_field``."""
    return links_descriptor(
        access_url, id_field,
        "DataLink: files of the light curve (FITS, VOTable, CSV), its preview plot, "
        "the same target's other light curves and a SODA cutout service.",
        example_id=example_id,
    )


@dataclass(frozen=True)
class CutoutRanges:
    """What a SODA descriptor announces about its light curve(s)."""

    time_min: float  # MJD (UTC)
    time_max: float
    band_min: float  # metres
    band_max: float
    colours: tuple[str, ...]


def soda_descriptor(
    access_url: str,
    ranges: CutoutRanges,
    *,
    id_value: str = "",
    id_ref: str | None = None,
    xml_id: str | None = None,
) -> ServiceDescriptor:
    """The SODA {sync} service: ID fixed (``id_value``) or from a FIELD (``id_ref``), with the
    standard TIME and BAND parameters (SODA 1.0 §3.3, three-factor semantics §3.5) and the
    service-defined COLOUR and RESPONSEFORMAT."""
    inputs = [
        Param(name="ID", value=id_value, ucd="meta.ref.url;meta.curation", ref=id_ref,
              description="Publisher DID of the light curve"),
        interval_param("TIME", "d", "time.interval;obs.exposure",
                       "Time interval to extract, MJD (UTC); -Inf and +Inf for open ends",
                       ranges.time_min, ranges.time_max),
        interval_param("BAND", "m", "em.wl;stat.interval",
                       "Wavelength interval to extract, metres: selects the colour channels it overlaps",
                       ranges.band_min, ranges.band_max),
        options_param("COLOUR", "meta.code;instr.filter",
                      "Photometric band(s) by name (white is the sum of the colours of chromatic products)",
                      [(name, name) for name in ranges.colours]),
        options_param("RESPONSEFORMAT", "meta.code.mime", "Format of the cut light curve (default application/fits)",
                      list(SODA_FORMATS)),
    ]
    return ServiceDescriptor(
        id=xml_id,
        name=f"cutout-{xml_id}" if xml_id else "soda-cutout",
        description="SODA cutout of a CoRoT light curve: a time interval (TIME, MJD UTC) and photometric "
                    "bands (BAND in metres, or COLOUR by name) of the N2 product.",
        param=[Param(name="standardID", value=SODA_STANDARD_ID),
               Param(name="accessURL", value=access_url, ucd="meta.ref.url")],
        group=[Group(name="inputParams", param=inputs)],
    )


__all__ = [
    "DATALINK_MEDIA_TYPE",
    "DATALINK_STANDARD_ID",
    "SODA_FORMATS",
    "SODA_STANDARD_ID",
    "CutoutRanges",
    "datalink_descriptor",
    "soda_descriptor",
]
