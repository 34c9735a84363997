"""The DataLink service descriptor of a cone-search response (DataLink 1.1 §4).

The response's ``product_did`` column holds the publisher DID of each record's N2 product;
a ``RESOURCE type="meta" utype="adhoc:service"`` tells clients (TOPCAT, pyvo) to pass it as
ID to the {links} endpoint, which lists the product's files, preview and cutout service.
"""

from __future__ import annotations

from vo_service.votable.descriptors import (
    DATALINK_MEDIA_TYPE,
    DATALINK_STANDARD_ID,
    ServiceDescriptor,
    links_descriptor,
)


def datalink_descriptor(access_url: str, id_field: str, *, example_id: str | None = None) -> ServiceDescriptor:
    """The {links} service, its ID input taken from the FIELD whose XML ID is ``id_field``."""
    return links_descriptor(
        access_url, id_field,
        "DataLink: the N2 light curve of each record (FITS, VOTable, CSV), its preview plot, "
        "related products and a SODA cutout service.",
        example_id=example_id,
    )


__all__ = ["DATALINK_MEDIA_TYPE", "DATALINK_STANDARD_ID", "datalink_descriptor"]
