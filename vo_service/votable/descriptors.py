"""DataLink service descriptors (DataLink 1.1 §4) as pydantic-xml models of VOTable 1.4 elements.

A service descriptor is a ``RESOURCE type="meta" utype="adhoc:service"`` holding PARAMs
(standardID, accessURL, contentType, exampleURL) and a ``GROUP name="inputParams"`` of the
service's parameters, each either fixed by its ``value`` or taken row by row from the FIELD
its ``ref`` names (DataLink 1.1 §4.1, §4.3).  Discovery responses (TAP, SCS, SSA) point
clients (TOPCAT, pyvo) to the {links} endpoint this way; DataLink responses describe their
SODA cutout services (SODA 1.0 §4.3).

The models render unqualified elements; the VOTable writer adopts them into the VOTable
namespace of the document they go into.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

from pydantic_xml import BaseXmlModel, attr, element

DATALINK_STANDARD_ID = "ivo://ivoa.net/std/DataLink#links-1.1"
DATALINK_MEDIA_TYPE = "application/x-votable+xml;content=datalink"
SODA_STANDARD_ID = "ivo://ivoa.net/std/SODA#sync-1.0"


class Min(BaseXmlModel, tag="MIN"):
    value: str = attr(name="value")


class Max(BaseXmlModel, tag="MAX"):
    value: str = attr(name="value")


class Option(BaseXmlModel, tag="OPTION", skip_empty=True):
    name: str | None = attr(name="name", default=None)
    value: str = attr(name="value")


class Values(BaseXmlModel, tag="VALUES", skip_empty=True):
    """``VALUES``: the range (MIN, MAX) or the options of a PARAM (VOTable 1.4 §4.8)."""

    min: Min | None = element(tag="MIN", default=None)
    max: Max | None = element(tag="MAX", default=None)
    option: list[Option] = element(tag="OPTION", default_factory=list)


class Param(BaseXmlModel, tag="PARAM", skip_empty=True):
    """``PARAM`` (VOTable 1.4 §4.2): ``value`` is kept even when empty, as VOTable requires it."""

    id: str | None = attr(name="ID", default=None)
    name: str = attr(name="name")
    datatype: str = attr(name="datatype", default="char")
    arraysize: str | None = attr(name="arraysize", default="*")
    unit: str | None = attr(name="unit", default=None)
    ucd: str | None = attr(name="ucd", default=None)
    xtype: str | None = attr(name="xtype", default=None)
    ref: str | None = attr(name="ref", default=None)
    value: str = attr(name="value", default="")
    description: str | None = element(tag="DESCRIPTION", default=None)
    values: Values | None = element(tag="VALUES", default=None)


class Group(BaseXmlModel, tag="GROUP", skip_empty=True):
    name: str = attr(name="name")
    param: list[Param] = element(tag="PARAM", default_factory=list)


class ServiceDescriptor(BaseXmlModel, tag="RESOURCE", skip_empty=True):
    """``RESOURCE type="meta" utype="adhoc:service"`` (DataLink 1.1 §4.1)."""

    type: Literal["meta"] = attr(name="type", default="meta")
    utype: Literal["adhoc:service"] = attr(name="utype", default="adhoc:service")
    id: str | None = attr(name="ID", default=None)
    name: str | None = attr(name="name", default=None)
    description: str | None = element(tag="DESCRIPTION", default=None)
    param: list[Param] = element(tag="PARAM", default_factory=list)
    group: list[Group] = element(tag="GROUP", default_factory=list)

    def element(self) -> Any:
        """The descriptor as an lxml element for the VOTable writer's ``extra_resources``."""
        return self.to_xml_tree(skip_empty=True)


def interval_param(name: str, unit: str, ucd: str, description: str, low: float, high: float) -> Param:
    """A DALI interval input (``double[2]``, xtype interval) bounded by VALUES MIN/MAX."""
    bounds = Values(min=Min(value=repr(float(low))), max=Max(value=repr(float(high))))
    return Param(name=name, datatype="double", arraysize="2", unit=unit, ucd=ucd, xtype="interval",
                 description=description, values=bounds)


def options_param(name: str, ucd: str, description: str, options: list[tuple[str, str]]) -> Param:
    """A string input whose allowed values are OPTIONs (name, value)."""
    return Param(name=name, ucd=ucd, description=description,
                 values=Values(option=[Option(name=label, value=value) for label, value in options]))


def links_descriptor(access_url: str, id_ref: str, description: str, *, name: str = "datalink",
                     xml_id: str | None = None, content_type: bool = True,
                     example_id: str | None = None) -> ServiceDescriptor:
    """The DataLink {links} service, its ID input taken from the FIELD whose XML ID is ``id_ref``
    (DataLink 1.1 §4.1, §4.3); ``example_id`` adds an exampleURL for that identifier."""
    params = [Param(name="standardID", value=DATALINK_STANDARD_ID),
              Param(name="accessURL", value=access_url, ucd="meta.ref.url")]
    if content_type:
        params.append(Param(name="contentType", value=DATALINK_MEDIA_TYPE))
    if example_id:
        params.append(Param(name="exampleURL", value=f"{access_url}?ID={quote(example_id, safe='')}"))
    return ServiceDescriptor(
        id=xml_id, name=name, description=description, param=params,
        group=[Group(name="inputParams", param=[Param(name="ID", ucd="meta.id;meta.main", ref=id_ref)])],
    )


__all__ = [
    "DATALINK_MEDIA_TYPE",
    "DATALINK_STANDARD_ID",
    "SODA_STANDARD_ID",
    "Group",
    "Max",
    "Min",
    "Option",
    "Param",
    "ServiceDescriptor",
    "Values",
    "interval_param",
    "links_descriptor",
    "options_param",
]
