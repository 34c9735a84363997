"""Validation of XML documents against the official IVOA schemas kept in ``xsd/``.

One composite schema imports every namespace from the local copies, and an lxml resolver
maps the remote ``schemaLocation`` URLs the schemas use for each other to those copies,
so validation needs no network.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

XSD_DIR = Path(__file__).resolve().parent / "xsd"

#: Namespace → local schema file.
SCHEMAS: dict[str, str] = {
    "http://www.ivoa.net/xml/VOResource/v1.0": "VOResource-v1.1.xsd",
    "http://www.ivoa.net/xml/VODataService/v1.1": "VODataService-v1.2.xsd",
    "http://www.ivoa.net/xml/STC/stc-v1.30.xsd": "stc-v1.30.xsd",
    "http://www.w3.org/1999/xlink": "xlink.xsd",
    "http://www.ivoa.net/xml/TAPRegExt/v1.0": "TAPRegExt-v1.0.xsd",
    "http://www.ivoa.net/xml/VOSICapabilities/v1.0": "VOSICapabilities-v1.0.xsd",
    "http://www.ivoa.net/xml/VOSIAvailability/v1.0": "VOSIAvailability-v1.0.xsd",
    "http://www.ivoa.net/xml/VOSITables/v1.0": "VOSITables-v1.1.xsd",
    "http://www.ivoa.net/xml/UWS/v1.0": "UWS-v1.1.xsd",
}

#: The file names schemas use in their own imports, besides the namespace URIs.
_ALIASES = {
    "VOResource-v1.0.xsd": "VOResource-v1.1.xsd",
    "VOResource.xsd": "VOResource-v1.1.xsd",
    "xlink.xsd": "xlink.xsd",
    "stc-v1.30.xsd": "stc-v1.30.xsd",
}


class _LocalResolver(etree.Resolver):  # type: ignore[misc]
    def resolve(self, url: str, pubid: str, context: Any) -> Any:
        name = SCHEMAS.get(url) or _ALIASES.get(url.rsplit("/", 1)[-1])
        if name is None:
            return None
        return self.resolve_filename(str(XSD_DIR / name), context)


@cache
def composite_schema() -> etree.XMLSchema:
    """One schema covering every namespace above."""
    xs = "http://www.w3.org/2001/XMLSchema"
    root = etree.Element(f"{{{xs}}}schema", nsmap={"xs": xs})
    for namespace in SCHEMAS:
        etree.SubElement(root, f"{{{xs}}}import", namespace=namespace, schemaLocation=namespace)
    parser = etree.XMLParser()
    parser.resolvers.add(_LocalResolver())
    document = etree.fromstring(etree.tostring(root), parser, base_url=str(XSD_DIR / "composite.xsd"))
    return etree.XMLSchema(etree.ElementTree(document))


def assert_valid(document: bytes) -> Any:
    """Parse ``document``, validate it, return the root element (or fail with the errors)."""
    root = etree.fromstring(document)
    schema = composite_schema()
    if not schema.validate(root):
        errors = "\n".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        raise AssertionError(f"document is not schema-valid:\n{errors}")
    return root
