"""PARAM elements with the metadata SSA and DataLink ask for: names outside the column
namespace (``INPUT:POS``, SSA 1.1 §6.2; described by the core's FieldMeta), and VALUES with
MIN, MAX or OPTIONs (DataLink 1.1 §4.3, SODA 1.0 §4.3)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from vo_service.metadata import FieldMeta
from vo_service.votable.envelope import Param
from vo_service.votable.fields import qname


@dataclass(frozen=True)
class DescribedParam(Param):
    """A PARAM with an optional VALUES element (MIN, MAX, OPTIONs) and ``ref``."""

    minimum: str | None = None
    maximum: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # (name, value)

    def element(self) -> Any:
        element = super().element()
        if self.minimum is None and self.maximum is None and not self.options:
            return element
        values = element.find(qname("VALUES"))
        if values is None:
            values = etree.SubElement(element, qname("VALUES"))
        if self.minimum is not None:
            etree.SubElement(values, qname("MIN"), {"value": self.minimum})
        if self.maximum is not None:
            etree.SubElement(values, qname("MAX"), {"value": self.maximum})
        for name, value in self.options:
            attrib = {"name": name, "value": value} if name else {"value": value}
            etree.SubElement(values, qname("OPTION"), attrib)
        return element


@dataclass(frozen=True)
class PrebuiltParam(Param):
    """A PARAM whose element is built once: constant PARAMs of every response of a service
    cost a copy instead of a new rendering per request."""

    built: Any = field(default=None, compare=False)

    @classmethod
    def of(cls, param: Param) -> PrebuiltParam:
        return cls(param.column, param.value, param.id, param.ref, built=param.element())

    def element(self) -> Any:
        return copy.deepcopy(self.built)


def text_param(name: str, value: str, *, description: str = "", ucd: str | None = None,
               utype: str | None = None, ref: str | None = None) -> DescribedParam:
    """A ``char`` PARAM with ``arraysize="*"``."""
    column = FieldMeta(name=name, datatype="char", arraysize="*", ucd=ucd, utype=utype, description=description)
    return DescribedParam(column, value, ref=ref)


__all__ = ["DescribedParam", "PrebuiltParam", "text_param"]
