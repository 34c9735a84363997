"""Namespaces and a small lxml helper for the XML that is not built from models.

The VOSI capabilities and registry records are pydantic-xml models
(:mod:`vo_service.vo_models_ext`); the OAI-PMH envelope around the records is written with
:func:`sub`.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

VOSI_CAPABILITIES_NS = "http://www.ivoa.net/xml/VOSICapabilities/v1.0"
VODATASERVICE_NS = "http://www.ivoa.net/xml/VODataService/v1.1"
VORESOURCE_NS = "http://www.ivoa.net/xml/VOResource/v1.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = f"{{{XSI_NS}}}type"


def sub(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
    """A child element with optional text."""
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


__all__ = [
    "VODATASERVICE_NS",
    "VORESOURCE_NS",
    "VOSI_CAPABILITIES_NS",
    "XSI_NS",
    "XSI_TYPE",
    "sub",
]
