"""Offline XML-Schema validation of registry records and OAI-PMH responses for the tests.

The IVOA schemas (VOResource 1.1, VODataService, VORegistry, RegistryInterface, TAPRegExt,
SimpleDALRegExt's ConeSearch/SSA/SIA/SLAP, StandardsRegExt, DocRegExt, VOSI) and OAI-PMH 2.0
with oai_dc come from DaCHS (Debian package ``python3-gavo``).  Their ``xs:import`` elements
name remote locations (``http://docs.g-vo.org/schemata/...``, ``http://vo.ari.uni-heidelberg.de/
...``) that are never fetched: a resolver maps every namespace URI and every schemaLocation
found in the local files to the local file declaring that ``targetNamespace``.  One wrapper
schema imports all namespaces, so ``xsi:type`` extensions (XML Schema 1.0 Part 1 §2.6.1) and
OAI-PMH's strict ``##other`` wildcards in ``<metadata>`` (OAI-PMH 2.0 §2.5) are checked
against the real declarations.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

#: Overrides where the schemata folder is looked for (a folder holding VOResource.xsd etc.).
SCHEMA_DIR_ENV = "IVOA_SCHEMA_DIR"
#: Where Debian's python3-gavo installs them.
DEBIAN_SCHEMA_DIR = Path("/usr/lib/python3/dist-packages/gavo/resources/schemata")

XS_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = f"{{{XSI_NS}}}type"

#: Conventional prefix → namespace of every vocabulary the compiled schema covers.
NS: Mapping[str, str] = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ri": "http://www.ivoa.net/xml/RegistryInterface/v1.0",
    "vg": "http://www.ivoa.net/xml/VORegistry/v1.0",
    "vr": "http://www.ivoa.net/xml/VOResource/v1.0",
    "vs": "http://www.ivoa.net/xml/VODataService/v1.1",
    "tr": "http://www.ivoa.net/xml/TAPRegExt/v1.0",
    "cs": "http://www.ivoa.net/xml/ConeSearch/v1.0",
    "ssa": "http://www.ivoa.net/xml/SSA/v1.1",
    "sia": "http://www.ivoa.net/xml/SIA/v1.1",
    "slap": "http://www.ivoa.net/xml/SLAP/v1.0",
    "vstd": "http://www.ivoa.net/xml/StandardsRegExt/v1.0",
    "doc": "http://www.ivoa.net/xml/DocRegExt/v1",
    "vosi": "http://www.ivoa.net/xml/VOSICapabilities/v1.0",
    "vtm": "http://www.ivoa.net/xml/VOSITables/v1.0",
    "avl": "http://www.ivoa.net/xml/VOSIAvailability/v1.0",
}

#: Namespaces declared by more than one local file, and the file that stands for them.  DaCHS
#: ships two SSA schemas; SSA.xsd is the SimpleDALRegExt 1.2 one (with ``productType`` and free
#: ``supportedFrame``), SSA-v1.2.xsd its predecessor.
_CHOSEN_FILES: Mapping[str, str] = {NS["ssa"]: "SSA.xsd"}
_BUNDLE_NS = "urn:x-corot-vo:tests:ivoa-schema-bundle"


def _is_schema_dir(path: Path) -> bool:
    return (path / "VOResource.xsd").is_file() and (path / "OAI-PMH.xsd").is_file()


def schema_dir() -> Path | None:
    """The folder of IVOA schemata: ``$IVOA_SCHEMA_DIR`` when set, else DaCHS's copy, else None."""
    override = os.environ.get(SCHEMA_DIR_ENV)
    if override:
        path = Path(override)
        return path if _is_schema_dir(path) else None
    candidates = [DEBIAN_SCHEMA_DIR]
    spec = importlib.util.find_spec("gavo")  # a pip-installed gavodachs on this interpreter's path
    if spec is not None and spec.submodule_search_locations:
        candidates.extend(Path(p) / "resources" / "schemata" for p in spec.submodule_search_locations)
    return next((path for path in candidates if _is_schema_dir(path)), None)


def require_schemas() -> Path:
    """The schemata folder; skip when absent locally, fail in CI (which installs python3-gavo)."""
    found = schema_dir()
    if found is not None:
        return found
    hint = f"install python3-gavo (apt) or set {SCHEMA_DIR_ENV}"
    if os.environ.get("CI"):
        pytest.fail(f"the IVOA XML schemata are required in CI: {hint}")
    pytest.skip(f"IVOA XML schemata not found: {hint}")


def _target_namespace(path: Path) -> str | None:
    """The ``targetNamespace`` of a schema document, read from its root element only."""
    for _event, root in etree.iterparse(str(path), events=("start",), no_network=True, resolve_entities=False):
        namespace = root.get("targetNamespace")
        return str(namespace) if namespace is not None else None
    return None


def _imports(path: Path) -> Iterator[tuple[str, str]]:
    """(namespace, schemaLocation) of every ``xs:import`` in a schema document."""
    tree = etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False))
    for element in tree.iter(f"{{{XS_NS}}}import"):
        namespace, location = element.get("namespace"), element.get("schemaLocation")
        if namespace and location:
            yield str(namespace), str(location)


def _local_locations(directory: Path) -> dict[str, Path]:
    """URL → local file: each namespace URI, and each schemaLocation the local files import it from.

    The location is mapped through the import's namespace, not its file name, because some
    imports name the wrong file (region-v1.20.xsd imports STCcoords from stc-v1.20.xsd).
    """
    declared: dict[str, list[Path]] = {}
    for path in sorted(directory.glob("*.xsd")):
        namespace = _target_namespace(path)
        if namespace:
            declared.setdefault(namespace, []).append(path)
    by_namespace: dict[str, Path] = {}
    for namespace, paths in declared.items():
        chosen = _CHOSEN_FILES.get(namespace)
        if chosen is not None and directory / chosen in paths:
            by_namespace[namespace] = directory / chosen
        elif len(paths) == 1:
            by_namespace[namespace] = paths[0]
    locations = dict(by_namespace)
    for path in by_namespace.values():
        for namespace, location in _imports(path):
            if namespace in by_namespace:
                locations.setdefault(location, by_namespace[namespace])
    return locations


class _LocalSchemaResolver(etree.Resolver):  # type: ignore[misc]  # lxml ships no type hints
    """Serves schema imports from local files so that compiling never touches the network."""

    def __init__(self, locations: Mapping[str, Path]) -> None:
        super().__init__()
        self._locations = locations

    def resolve(self, system_url: str, _public_id: str | None, context: Any) -> Any:
        local = self._locations.get(system_url)
        return None if local is None else self.resolve_filename(str(local), context)


@functools.cache
def _compiled_bundle(directory: Path) -> Any:
    locations = _local_locations(directory)
    missing = sorted(namespace for namespace in NS.values() if namespace not in locations)
    if missing:
        raise FileNotFoundError(f"no schema in {directory} declares {', '.join(missing)}")
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalSchemaResolver(locations))
    # Elements made by this parser carry its resolvers into the schema compilation.
    wrapper = parser.makeelement(f"{{{XS_NS}}}schema", {"targetNamespace": _BUNDLE_NS}, nsmap={"xs": XS_NS})
    for namespace in NS.values():
        etree.SubElement(wrapper, f"{{{XS_NS}}}import", namespace=namespace, schemaLocation=namespace)
    return etree.XMLSchema(etree.ElementTree(wrapper))


def ivoa_schema() -> etree.XMLSchema:
    """One compiled schema covering every namespace of :data:`NS` (compiled once per folder)."""
    directory = schema_dir()
    if directory is None:
        raise FileNotFoundError(f"no IVOA schemata folder (install python3-gavo or set {SCHEMA_DIR_ENV})")
    return _compiled_bundle(directory)


def _lines(log: Any) -> list[str]:
    return [f"line {entry.line}: {entry.message}" for entry in log]


def xsd_errors(document: bytes) -> list[str]:
    """Why ``document`` is not well-formed or not schema-valid, one ``line N: message`` each; [] if valid."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError as error:  # the parser's own log: the global one also holds schema warnings
        return _lines(parser.error_log) or [f"line {error.lineno}: {error.msg}"]
    schema = ivoa_schema()
    if schema.validate(root):
        return []
    return _lines(schema.error_log) or ["document is not valid"]


__all__ = [
    "NS",
    "SCHEMA_DIR_ENV",
    "XSI_TYPE",
    "ivoa_schema",
    "require_schemas",
    "schema_dir",
    "xsd_errors",
]
