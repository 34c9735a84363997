"""Building blocks of VOSI capabilities documents shared by the protocol packages.

VODataService 1.1 §3.5 ``vs:ParamHTTP`` interfaces with their ``vs:InputParam`` list,
written with lxml so every protocol states its interface the same way.
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
XSI_TYPE = f"{{{XSI_NS}}}type"


@dataclass(frozen=True)
class InterfaceParam:
    """One ``vs:InputParam`` of a ParamHTTP interface (VODataService 1.1 §3.5)."""

    name: str
    description: str
    datatype: str  # vs:SimpleDataType: integer, real, boolean, char, string
    use: str = "optional"
    unit: str | None = None
    ucd: str | None = None


def sub(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
    """A child element with optional text."""
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def param_http_interface(
    capability: Any,
    url: str,
    use: str,
    *,
    params: Sequence[InterfaceParam] = (),
    result_type: str | None = None,
    role: str | None = "std",
) -> Any:
    """A ``vs:ParamHTTP`` interface: access URL, query types, result type, parameters."""
    interface = sub(capability, "interface", **({"role": role} if role else {}))
    interface.set(XSI_TYPE, "vs:ParamHTTP")
    sub(interface, "accessURL", url, use=use)
    if params or result_type:
        sub(interface, "queryType", "GET")
        sub(interface, "queryType", "POST")
    if result_type:
        sub(interface, "resultType", result_type)
    for spec in params:
        param = sub(interface, "param", use=spec.use, std="true")
        sub(param, "name", spec.name)
        sub(param, "description", spec.description)
        if spec.unit:
            sub(param, "unit", spec.unit)
        if spec.ucd:
            sub(param, "ucd", spec.ucd)
        sub(param, "dataType", spec.datatype)
    return interface


__all__ = [
    "VODATASERVICE_NS",
    "VORESOURCE_NS",
    "VOSI_CAPABILITIES_NS",
    "XSI_NS",
    "XSI_TYPE",
    "InterfaceParam",
    "param_http_interface",
    "sub",
]
