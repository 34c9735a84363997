"""The DataLink service descriptor of a cone-search response (DataLink 1.1 §4).

The response's ``product_did`` column holds the publisher DID of each record's N2 product;
a ``RESOURCE type="meta" utype="adhoc:service"`` tells clients (TOPCAT, pyvo) to pass it as
ID to the {links} endpoint, which lists the product's files, preview and cutout service.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from lxml import etree

from vo_service.votable.fields import qname

DATALINK_STANDARD_ID = "ivo://ivoa.net/std/DataLink#links-1.1"
DATALINK_MEDIA_TYPE = "application/x-votable+xml;content=datalink"


def _param(parent: Any, name: str, value: str, **extra: str) -> Any:
    attrib = {"name": name, "datatype": "char", "arraysize": "*", **extra, "value": value}
    return etree.SubElement(parent, qname("PARAM"), attrib)


def datalink_descriptor(access_url: str, id_field: str, *, example_id: str | None = None) -> Any:
    """``RESOURCE type="meta" utype="adhoc:service"`` for the {links} endpoint, its ID input
    taken from the FIELD whose XML ID is ``id_field`` (DataLink 1.1 §4.1, §4.3)."""
    resource = etree.Element(qname("RESOURCE"), {"type": "meta", "utype": "adhoc:service", "name": "datalink"})
    etree.SubElement(resource, qname("DESCRIPTION")).text = (
        "DataLink: the N2 light curve of each record (FITS, VOTable, CSV), its preview plot, "
        "related products and a SODA cutout service."
    )
    _param(resource, "standardID", DATALINK_STANDARD_ID)
    _param(resource, "accessURL", access_url, ucd="meta.ref.url")
    _param(resource, "contentType", DATALINK_MEDIA_TYPE)
    if example_id:
        example = f"{access_url}?ID={quote(example_id, safe='')}"
        _param(resource, "exampleURL", example)
    group = etree.SubElement(resource, qname("GROUP"), {"name": "inputParams"})
    _param(group, "ID", "", ucd="meta.id;meta.main", ref=id_field)
    return resource


__all__ = ["DATALINK_MEDIA_TYPE", "DATALINK_STANDARD_ID", "datalink_descriptor"]
