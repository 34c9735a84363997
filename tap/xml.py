"""Serialising the XML documents of the TAP service (VOSI, TAPRegExt) built from models."""

from __future__ import annotations

from pydantic import AnyUrl
from pydantic_xml import BaseXmlModel

#: VOSI and UWS documents are served as XML (as DaCHS and most TAP services do).
XML_MEDIA_TYPE = "text/xml"


def xml_bytes(model: BaseXmlModel) -> bytes:
    """A model as a UTF-8 document with an XML declaration, empty optional elements left out."""
    data = model.to_xml(skip_empty=True, xml_declaration=True, encoding="UTF-8")
    return data.encode() if isinstance(data, str) else data


def url(value: str) -> AnyUrl:
    """A URI for the vo-models fields typed as URLs (accessURL, standardID)."""
    return AnyUrl(value)


__all__ = ["XML_MEDIA_TYPE", "url", "xml_bytes"]
