"""Output columns → VOTable FIELD/PARAM elements and the cell layout every encoder follows.

A column description (:class:`vo_service.metadata.ColumnMeta` or anything with the same
attributes, see :class:`OutputColumn`) is resolved once into a :class:`FieldSpec`: the
datatype and arraysize actually written, fixed or variable element counts, and whether the
cells are text.  The rules come from VOTable 1.4/1.5 §4 (FIELD attributes), §5.5 (null
values per serialisation) and DALI 1.1 §3 (xtypes timestamp, point, circle, polygon).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from lxml import etree

#: VOTable 1.4 and 1.5 elements all live in the 1.3 namespace (VOTable 1.4 §3, 1.5 §3).
VOTABLE_NS = "http://www.ivoa.net/xml/VOTable/v1.3"
VOTABLE_VERSIONS = ("1.4", "1.5")

Encoding = Literal["binary2", "binary", "tabledata"]

#: Element counts of the DALI geometry xtypes (DALI 1.1 §3.3.5-3.3.7).
GEOMETRY_ARRAYSIZE: Mapping[str, str] = {"point": "2", "circle": "3", "polygon": "*"}

#: Magic null values declared with ``<VALUES null>`` for integers in BINARY, which has no
#: null flags (VOTable 1.4 §5.3, §5.5): the most negative value, 255 for unsignedByte.
INTEGER_NULLS: Mapping[str, int] = {
    "unsignedByte": 255,
    "short": -(2**15),
    "int": -(2**31),
    "long": -(2**63),
}

INTEGER_TYPES = frozenset(INTEGER_NULLS)
FLOAT_TYPES = frozenset({"float", "double"})
TEXT_TYPES = frozenset({"char", "unicodeChar"})
#: Datatypes the encoders stream; ``bit`` and the complex types are never produced by the
#: stores and are refused up front rather than written wrongly.
STREAMABLE_TYPES = INTEGER_TYPES | FLOAT_TYPES | TEXT_TYPES | {"boolean"}

_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_FIXED_ARRAYSIZE = re.compile(r"^[1-9][0-9]*(x[1-9][0-9]*)*$")
_VARIABLE_ARRAYSIZE = re.compile(r"^([1-9][0-9]*)?\*$")


class OutputColumn(Protocol):
    """What the writer needs to know about one output column (the core's FieldMeta and its extensions satisfy it)."""

    @property
    def name(self) -> str: ...
    @property
    def datatype(self) -> str: ...
    @property
    def arraysize(self) -> str | None: ...
    @property
    def xtype(self) -> str | None: ...
    @property
    def unit(self) -> str | None: ...
    @property
    def ucd(self) -> str | None: ...
    @property
    def utype(self) -> str | None: ...
    @property
    def description(self) -> str: ...


@dataclass(frozen=True)
class FieldSpec:
    """One column as it is serialised: resolved datatype/arraysize and cell layout.

    ``count`` is the fixed number of elements per cell (1 for scalars, N for ``arraysize="N"``)
    or None for variable-length cells; ``max_count`` bounds ``arraysize="N*"``.
    """

    name: str
    datatype: str
    arraysize: str | None
    xtype: str | None
    unit: str | None
    ucd: str | None
    utype: str | None
    description: str
    count: int | None
    max_count: int | None

    @property
    def is_text(self) -> bool:
        return self.datatype in TEXT_TYPES

    @property
    def is_array(self) -> bool:
        """A numeric array cell (geometry or any numeric column with an arraysize)."""
        return not self.is_text and self.arraysize is not None

    @property
    def is_timestamp(self) -> bool:
        return self.xtype == "timestamp"

    @property
    def is_variable(self) -> bool:
        return self.count is None


def resolve_field(column: OutputColumn) -> FieldSpec:
    """Resolve a column into the datatype/arraysize that DALI and VOTable prescribe.

    - strings and ``xtype="timestamp"`` are ``char``/``unicodeChar`` with ``arraysize="*"``
      unless the column declares a size (DALI 1.1 §3.3.3);
    - ``point``/``circle``/``polygon`` are double arrays of 2, 3 and any number of values
      (DALI 1.1 §3.3.5-3.3.7); ``float`` is kept when declared;
    - numeric scalars carry no arraysize.
    """
    datatype = column.datatype
    xtype = column.xtype
    arraysize = column.arraysize
    if datatype not in STREAMABLE_TYPES:
        raise ValueError(f"column {column.name!r}: datatype {datatype!r} cannot be written by this service")
    if xtype == "timestamp":
        if datatype not in TEXT_TYPES:
            datatype = "char"
        arraysize = arraysize or "*"
    elif xtype in GEOMETRY_ARRAYSIZE:
        if datatype not in FLOAT_TYPES:
            datatype = "double"
        arraysize = GEOMETRY_ARRAYSIZE[str(xtype)]
    elif datatype in TEXT_TYPES:
        arraysize = arraysize or "*"
    elif datatype == "boolean" and arraysize is not None:
        raise ValueError(f"column {column.name!r}: boolean arrays are not supported")
    count, max_count = _element_counts(column.name, arraysize)
    return FieldSpec(
        name=column.name,
        datatype=datatype,
        arraysize=arraysize,
        xtype=xtype,
        unit=column.unit,
        ucd=column.ucd,
        utype=column.utype,
        description=column.description,
        count=count,
        max_count=max_count,
    )


def _element_counts(name: str, arraysize: str | None) -> tuple[int | None, int | None]:
    if arraysize is None:
        return 1, None
    if _FIXED_ARRAYSIZE.match(arraysize):
        return math.prod(int(part) for part in arraysize.split("x")), None
    match = _VARIABLE_ARRAYSIZE.match(arraysize)
    if match:
        return None, int(match.group(1)) if match.group(1) else None
    raise ValueError(f"column {name!r}: arraysize {arraysize!r} is not supported (use N, NxM, N* or *)")


# -- coordinate and time systems ------------------------------------------------------------


@dataclass(frozen=True)
class CooSys:
    """A COOSYS element (VOTable 1.4 §3.4); DALI positions are ICRS.

    ``refposition`` exists from VOTable 1.5 on and is dropped from 1.4 documents.
    """

    id: str = "coosys"
    system: str = "ICRS"
    epoch: str | None = "J2000"
    equinox: str | None = None
    refposition: str | None = None

    def element(self, version: str) -> Any:
        attrib = {"ID": self.id, "system": self.system}
        if self.equinox:
            attrib["equinox"] = self.equinox
        if self.epoch:
            attrib["epoch"] = self.epoch
        if self.refposition and version != "1.4":
            attrib["refposition"] = self.refposition
        return etree.Element(qname("COOSYS"), attrib)


@dataclass(frozen=True)
class TimeSys:
    """A TIMESYS element (VOTable 1.4 §3.5).

    ``timeorigin`` is a Julian Date (or ``MJD-origin``/``JD-origin``) for numeric times and
    MUST be absent for calendar representations such as ``xtype="timestamp"``.
    """

    timescale: str
    refposition: str
    timeorigin: str | float | None = None
    id: str = "timesys"

    def element(self) -> Any:
        attrib = {"ID": self.id}
        if self.timeorigin is not None:
            attrib["timeorigin"] = str(self.timeorigin)
        attrib["timescale"] = self.timescale
        attrib["refposition"] = self.refposition
        return etree.Element(qname("TIMESYS"), attrib)


_TIME_COORDINATE_UCDS = ("time.epoch", "time.start", "time.end", "time.creation", "time.processing")


def _primary_ucd(spec: FieldSpec) -> str:
    return (spec.ucd or "").split(";", 1)[0].strip().lower()


def default_ref(spec: FieldSpec, coosys: CooSys | None, timesys: Sequence[TimeSys]) -> str | None:
    """The COOSYS/TIMESYS a FIELD refers to when the caller does not say otherwise.

    Equatorial positions (``pos.eq.*`` UCDs, DALI geometry xtypes) refer to the COOSYS;
    time coordinates refer to the first TIMESYS whose representation fits: one with a
    ``timeorigin`` for numeric times, one without for ISO timestamps (VOTable 1.4 §3.5).
    """
    ucd = _primary_ucd(spec)
    if coosys is not None and (ucd.startswith("pos.eq") or spec.xtype in GEOMETRY_ARRAYSIZE):
        return coosys.id
    is_time = spec.is_timestamp or ucd.startswith(_TIME_COORDINATE_UCDS)
    if not is_time or spec.is_array:
        return None
    wants_origin = not spec.is_text
    for system in timesys:
        if (system.timeorigin is not None) == wants_origin:
            return system.id
    return None


def resolve_refs(
    specs: Sequence[FieldSpec],
    coosys: CooSys | None,
    timesys: Sequence[TimeSys],
    explicit: Mapping[str, str | None] | None = None,
) -> list[str | None]:
    """``ref`` of each FIELD: explicit choices (column name → system ID or None) win."""
    known = {s.id for s in timesys} | ({coosys.id} if coosys else set())
    refs: list[str | None] = []
    for spec in specs:
        if explicit is not None and spec.name in explicit:
            ref = explicit[spec.name]
            if ref is not None and ref not in known:
                raise ValueError(f"column {spec.name!r} refers to undeclared system {ref!r}")
            refs.append(ref)
        else:
            refs.append(default_ref(spec, coosys, timesys))
    return refs


# -- elements -------------------------------------------------------------------------------


def qname(tag: str) -> str:
    """Clark notation of a VOTable element name."""
    return f"{{{VOTABLE_NS}}}{tag}"


def field_ids(specs: Sequence[FieldSpec], reserved: set[str]) -> list[str | None]:
    """A unique XML ``ID`` per FIELD (its name when that is a valid, unused NCName)."""
    used = set(reserved)
    ids: list[str | None] = []
    for spec in specs:
        if _NCNAME.match(spec.name) and spec.name not in used:
            used.add(spec.name)
            ids.append(spec.name)
        else:
            ids.append(None)
    return ids


def column_attributes(spec: FieldSpec, field_id: str | None, ref: str | None) -> dict[str, str]:
    """FIELD/PARAM attributes in the order of VOTable 1.4 §4 (name, ID, datatype, ...)."""
    attrib = {"name": spec.name}
    if field_id:
        attrib["ID"] = field_id
    attrib["datatype"] = spec.datatype
    if spec.arraysize is not None:
        attrib["arraysize"] = spec.arraysize
    for key, value in (("unit", spec.unit), ("ucd", spec.ucd), ("utype", spec.utype), ("xtype", spec.xtype)):
        if value:
            attrib[key] = value
    if ref:
        attrib["ref"] = ref
    return attrib


def needs_magic_null(spec: FieldSpec, encoding: Encoding) -> bool:
    """BINARY cannot flag nulls, so integer columns declare a magic value (VOTable 1.4 §5.5)."""
    return encoding == "binary" and spec.datatype in INTEGER_TYPES


def field_element(spec: FieldSpec, *, encoding: Encoding, field_id: str | None = None, ref: str | None = None) -> Any:
    """The FIELD element of one column (VOTable 1.4 §4): attributes, DESCRIPTION, VALUES.

    Nulls are flagged per serialisation: empty TD in TABLEDATA, null bits in BINARY2, and for
    BINARY the ``VALUES null`` magic value of integer columns (floats use NaN, strings and
    variable arrays are empty).
    """
    element = etree.Element(qname("FIELD"), column_attributes(spec, field_id, ref))
    if spec.description:
        etree.SubElement(element, qname("DESCRIPTION")).text = strip_xml_illegal(spec.description)
    if needs_magic_null(spec, encoding):
        etree.SubElement(element, qname("VALUES"), {"null": str(INTEGER_NULLS[spec.datatype])})
    return element


#: Characters XML 1.0 §2.2 does not allow anywhere in a document.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_xml_illegal(text: str) -> str:
    """Drop characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/F)."""
    return XML_ILLEGAL.sub("", text)


__all__ = [
    "FLOAT_TYPES",
    "GEOMETRY_ARRAYSIZE",
    "INTEGER_NULLS",
    "INTEGER_TYPES",
    "TEXT_TYPES",
    "VOTABLE_NS",
    "VOTABLE_VERSIONS",
    "CooSys",
    "Encoding",
    "FieldSpec",
    "OutputColumn",
    "TimeSys",
    "column_attributes",
    "default_ref",
    "field_element",
    "field_ids",
    "needs_magic_null",
    "qname",
    "resolve_field",
    "resolve_refs",
    "strip_xml_illegal",
]
