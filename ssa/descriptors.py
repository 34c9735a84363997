"""DataLink service descriptors (DataLink 1.1 §4) for the {links} endpoint and SODA {sync}.

Descriptors are ``RESOURCE type="meta" utype="adhoc:service"`` elements.  In a discovery
response (SSA, SCS) their ID input refers to the FIELD holding publisher DIDs; in a links
response each light curve gets its own SODA descriptor with the ID fixed and the TIME, BAND
and COLOUR ranges of that light curve in VALUES (SODA 1.0 §4.3, "SODA Service Descriptor
from DataLink").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from lxml import etree

from vo_service.votable.fields import qname

DATALINK_STANDARD_ID = "ivo://ivoa.net/std/DataLink#links-1.1"
DATALINK_MEDIA_TYPE = "application/x-votable+xml;content=datalink"
SODA_STANDARD_ID = "ivo://ivoa.net/std/SODA#sync-1.0"
#: Output formats of the SODA service (RESPONSEFORMAT values, DALI 1.1 §3.2.4).
SODA_FORMATS: tuple[tuple[str, str], ...] = (
    ("FITS binary table", "application/fits"),
    ("VOTable time series", "application/x-votable+xml"),
    ("Comma-separated values", "text/csv"),
)


def _param(parent: Any, name: str, value: str, *, datatype: str = "char", arraysize: str | None = "*",
           **extra: str) -> Any:
    attrib = {"name": name, "datatype": datatype}
    if arraysize:
        attrib["arraysize"] = arraysize
    attrib.update(extra)
    attrib["value"] = value
    return etree.SubElement(parent, qname("PARAM"), attrib)


def _describe(element: Any, text: str) -> None:
    etree.SubElement(element, qname("DESCRIPTION")).text = text


def datalink_descriptor(access_url: str, id_field: str, *, example_id: str | None = None) -> Any:
    """The {links} service, its ID taken from the FIELD with XML ID ``id_field``."""
    resource = etree.Element(qname("RESOURCE"), {"type": "meta", "utype": "adhoc:service", "name": "datalink"})
    _describe(resource, "DataLink: files of the light curve (FITS, VOTable, CSV), its preview plot, "
                        "the same target's other light curves and a SODA cutout service.")
    _param(resource, "standardID", DATALINK_STANDARD_ID)
    _param(resource, "accessURL", access_url, ucd="meta.ref.url")
    _param(resource, "contentType", DATALINK_MEDIA_TYPE)
    if example_id:
        _param(resource, "exampleURL", f"{access_url}?ID={quote(example_id, safe='')}")
    group = etree.SubElement(resource, qname("GROUP"), {"name": "inputParams"})
    _param(group, "ID", "", ucd="meta.id;meta.main", ref=id_field)
    return resource


@dataclass(frozen=True)
class CutoutRanges:
    """What a SODA descriptor announces about its light curve(s)."""

    time_min: float  # MJD (UTC)
    time_max: float
    band_min: float  # metres
    band_max: float
    colours: tuple[str, ...]


def _interval(group: Any, name: str, unit: str, ucd: str, description: str, low: float, high: float) -> None:
    param = _param(group, name, "", datatype="double", arraysize="2", unit=unit, ucd=ucd, xtype="interval")
    _describe(param, description)
    values = etree.SubElement(param, qname("VALUES"))
    etree.SubElement(values, qname("MIN"), {"value": repr(float(low))})
    etree.SubElement(values, qname("MAX"), {"value": repr(float(high))})


def _options(param: Any, options: Sequence[tuple[str, str]]) -> None:
    values = etree.SubElement(param, qname("VALUES"))
    for name, value in options:
        etree.SubElement(values, qname("OPTION"), {"name": name, "value": value})


def soda_descriptor(
    access_url: str,
    ranges: CutoutRanges,
    *,
    id_value: str = "",
    id_ref: str | None = None,
    xml_id: str | None = None,
) -> Any:
    """The SODA {sync} service: ID fixed (``id_value``) or from a FIELD (``id_ref``), with the
    standard TIME and BAND parameters (SODA 1.0 §3.3, three-factor semantics §3.5) and the
    service-defined COLOUR and RESPONSEFORMAT."""
    attrib = {"type": "meta", "utype": "adhoc:service", "name": f"cutout-{xml_id}" if xml_id else "soda-cutout"}
    if xml_id:
        attrib["ID"] = xml_id
    resource = etree.Element(qname("RESOURCE"), attrib)
    _describe(resource, "SODA cutout of a CoRoT light curve: a time interval (TIME, MJD UTC) and photometric "
                        "bands (BAND in metres, or COLOUR by name) of the N2 product.")
    _param(resource, "standardID", SODA_STANDARD_ID)
    _param(resource, "accessURL", access_url, ucd="meta.ref.url")
    group = etree.SubElement(resource, qname("GROUP"), {"name": "inputParams"})
    extra = {"ref": id_ref} if id_ref else {}
    identifier = _param(group, "ID", id_value, ucd="meta.ref.url;meta.curation", **extra)
    _describe(identifier, "Publisher DID of the light curve")
    _interval(group, "TIME", "d", "time.interval;obs.exposure",
              "Time interval to extract, MJD (UTC); -Inf and +Inf for open ends", ranges.time_min, ranges.time_max)
    _interval(group, "BAND", "m", "em.wl;stat.interval",
              "Wavelength interval to extract, metres: selects the colour channels it overlaps",
              ranges.band_min, ranges.band_max)
    colour = _param(group, "COLOUR", "", ucd="meta.code;instr.filter")
    _describe(colour, "Photometric band(s) by name (white is the sum of the colours of chromatic products)")
    _options(colour, [(name, name) for name in ranges.colours])
    response = _param(group, "RESPONSEFORMAT", "", ucd="meta.code.mime")
    _describe(response, "Format of the cut light curve (default application/fits)")
    _options(response, SODA_FORMATS)
    return resource


__all__ = [
    "DATALINK_MEDIA_TYPE",
    "DATALINK_STANDARD_ID",
    "SODA_FORMATS",
    "SODA_STANDARD_ID",
    "CutoutRanges",
    "datalink_descriptor",
    "soda_descriptor",
]
