"""The XML around the rows of a result VOTable, built with lxml and split for streaming.

The whole document except the row data is one lxml tree (VOTable 1.4/1.5 §3, DALI 1.1 §4.4:
``RESOURCE type="results"`` with a leading ``INFO name="QUERY_STATUS"``).  It is serialised
once with two markers, one where the rows go and one after the TABLE where trailing status
INFOs go, and cut there into :class:`Envelope` parts that the writer emits around the rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from vo_service.votable.cells import param_text
from vo_service.votable.fields import (
    INTEGER_NULLS,
    INTEGER_TYPES,
    VOTABLE_NS,
    VOTABLE_VERSIONS,
    CooSys,
    Encoding,
    FieldSpec,
    OutputColumn,
    TimeSys,
    column_attributes,
    field_element,
    field_ids,
    qname,
    resolve_field,
    strip_xml_illegal,
)

_DATA_CONTAINER = {"tabledata": "TABLEDATA", "binary": "BINARY", "binary2": "BINARY2"}


@dataclass(frozen=True)
class Info:
    """An INFO element (VOTable 1.4 §4.8): name and value, optional text content."""

    name: str
    value: str
    content: str | None = None
    id: str | None = None
    ucd: str | None = None

    def element(self, *, namespaced: bool = True) -> Any:
        """The element; ``namespaced=False`` gives an unqualified element for raw insertion
        inside a document whose default namespace is already the VOTable one."""
        attrib = {"name": self.name, "value": strip_xml_illegal(self.value)}
        if self.id:
            attrib["ID"] = self.id
        if self.ucd:
            attrib["ucd"] = self.ucd
        element = etree.Element(qname("INFO") if namespaced else "INFO", attrib)
        if self.content:
            element.text = strip_xml_illegal(self.content)
        return element


@dataclass(frozen=True)
class Param:
    """A PARAM element: a column description and its one value (VOTable 1.4 §4).

    The value follows the TABLEDATA rules of its datatype (space-separated numbers for
    arrays, ISO 8601 for timestamps).  None is an empty value for strings and arrays, NaN
    for floats, and a declared ``VALUES null`` magic value for integers.
    """

    column: OutputColumn
    value: Any
    id: str | None = None
    ref: str | None = None

    def element(self) -> Any:
        spec = resolve_field(self.column)
        attrib = column_attributes(spec, self.id, self.ref)
        magic_null = self.value is None and spec.datatype in INTEGER_TYPES and not spec.is_array
        if magic_null:
            attrib["value"] = str(INTEGER_NULLS[spec.datatype])
        else:
            attrib["value"] = param_text(spec, self.value)
        element = etree.Element(qname("PARAM"), attrib)
        if spec.description:
            etree.SubElement(element, qname("DESCRIPTION")).text = strip_xml_illegal(spec.description)
        if magic_null:
            etree.SubElement(element, qname("VALUES"), {"null": attrib["value"]})
        return element


@dataclass(frozen=True)
class Envelope:
    """A result document cut where the rows and the trailing INFOs go."""

    head: bytes
    data_close: bytes
    tail: bytes
    #: whitespace that puts a trailing INFO on its own, indented line
    trailer_indent: bytes = b"\n"


def trailer_bytes(infos: Sequence[Info], indent: bytes = b"\n") -> bytes:
    """Trailing INFOs (DALI 1.1 §4.4.1/§4.4.2) serialised for insertion after the TABLE.

    They are unqualified elements: inside the document they fall in the VOTable default
    namespace, without repeating its declaration.
    """
    return b"".join(indent + etree.tostring(info.element(namespaced=False)) for info in infos)


def _adopt(parent: Any, element: Any) -> None:
    """Copy a caller's element tree under ``parent``, unqualified tags into the VOTable
    namespace, so the serialiser writes no redundant namespace declarations."""
    if not isinstance(element.tag, str):
        return
    tag = element.tag if element.tag.startswith("{") else qname(element.tag)
    copy = etree.SubElement(parent, tag, dict(element.attrib))
    if element.text and element.text.strip():
        copy.text = element.text
    for child in element:
        _adopt(copy, child)
        if child.tail and child.tail.strip():
            copy[-1].tail = child.tail


def build_tree(
    specs: Sequence[FieldSpec],
    refs: Sequence[str | None],
    *,
    encoding: Encoding,
    version: str,
    data_marker: str | None,
    trailer_marker: str | None,
    resource_infos: Sequence[Info] = (),
    table_infos: Sequence[Info] = (),
    params: Sequence[Param] = (),
    resource_params: Sequence[Param] = (),
    coosys: CooSys | None = None,
    timesys: Sequence[TimeSys] = (),
    query_status: str = "OK",
    query_status_extra: str | None = None,
    extra_resources: Sequence[Any] = (),
    table_name: str | None = None,
    description: str | None = None,
    trailing_infos: Sequence[Info] = (),
) -> Any:
    """The result VOTable as an lxml tree, rows and trailer replaced by markers (or absent).

    ``trailing_infos`` follow the TABLE when the trailer is known up front (metadata-only
    documents); streamed documents get theirs at the trailer marker instead.
    """
    if version not in VOTABLE_VERSIONS:
        raise ValueError(f"VOTable version {version!r} is not supported; use one of {VOTABLE_VERSIONS}")
    if not specs:
        raise ValueError("a result table needs at least one column")
    root = etree.Element(qname("VOTABLE"), {"version": version}, nsmap={None: VOTABLE_NS})
    resource = etree.SubElement(root, qname("RESOURCE"), {"type": "results"})
    resource.append(Info("QUERY_STATUS", query_status, query_status_extra).element())
    for info in resource_infos:
        resource.append(info.element())
    if coosys is not None:
        resource.append(coosys.element(version))
    for system in timesys:
        resource.append(system.element())
    for param in resource_params:
        resource.append(param.element())
    table = etree.SubElement(resource, qname("TABLE"), {"name": table_name} if table_name else {})
    if description:
        etree.SubElement(table, qname("DESCRIPTION")).text = strip_xml_illegal(description)
    for info in table_infos:
        table.append(info.element())
    for param in params:
        table.append(param.element())
    reserved = {s.id for s in timesys} | ({coosys.id} if coosys else set())
    reserved |= {p.id for p in (*params, *resource_params) if p.id}
    reserved |= {i.id for i in (*resource_infos, *table_infos) if i.id}
    reserved |= {e.get("ID") for extra in extra_resources for e in extra.iter() if e.get("ID")}
    ids = field_ids(specs, reserved)
    for spec, field_id, ref in zip(specs, ids, refs, strict=True):
        table.append(field_element(spec, encoding=encoding, field_id=field_id, ref=ref))
    if data_marker is not None:
        data = etree.SubElement(table, qname("DATA"))
        container = etree.SubElement(data, qname(_DATA_CONTAINER[encoding]))
        if encoding == "tabledata":
            container.text = data_marker
        else:
            etree.SubElement(container, qname("STREAM"), {"encoding": "base64"}).text = data_marker
    for info in trailing_infos:
        resource.append(info.element())
    if trailer_marker is not None:
        resource.append(etree.Comment(trailer_marker))
    for extra in extra_resources:
        _adopt(root, extra)
    return root


def serialise(root: Any) -> bytes:
    """UTF-8 XML with a declaration, indented for readability."""
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def build_envelope(specs: Sequence[FieldSpec], refs: Sequence[str | None], **options: Any) -> Envelope:
    """Serialise the document and cut it at the row and trailer positions."""
    token = uuid.uuid4().hex
    data_marker, trailer_marker = f"rows-{token}", f"trailer-{token}"
    tree = build_tree(specs, refs, data_marker=data_marker, trailer_marker=trailer_marker, **options)
    text = serialise(tree)
    data_at = data_marker.encode()
    trailer_at = f"<!--{trailer_marker}-->".encode()
    if text.count(data_at) != 1 or text.count(trailer_at) != 1:
        raise RuntimeError("the document markers are not unique")
    head, rest = text.split(data_at)
    data_close, tail = rest.split(trailer_at)
    closed = data_close.rstrip()
    return Envelope(head=head + b"\n", data_close=closed, tail=tail, trailer_indent=data_close[len(closed) :])


def metadata_document(specs: Sequence[FieldSpec], refs: Sequence[str | None], **options: Any) -> bytes:
    """The same document without DATA: column metadata only (e.g. for VOParquet)."""
    return serialise(build_tree(specs, refs, data_marker=None, trailer_marker=None, **options))


__all__ = [
    "Envelope",
    "Info",
    "Param",
    "build_envelope",
    "build_tree",
    "metadata_document",
    "serialise",
    "trailer_bytes",
]
