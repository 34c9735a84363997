"""pydantic-xml models, in vo-models' style, of the IVOA registry types vo-models 0.5 lacks.

vo-models gives VOResource 1.1 (``vr:``), TAPRegExt, VORegistry and the VOSI documents; this
module adds, with the same field conventions:

- VODataService 1.2 table sets (``vs:TableSet``, §3.5; vo-models' column type puts the xtype
  in an element and escapes descriptions twice), ``vs:ParamHTTP`` with its ``vs:InputParam``
  list (§3.5; vo-models' InputParam has no ``name``), ``vs:Coverage`` with the ASCII MOC of
  ``spatial`` and the ``temporal``/``spectral`` intervals (§3.3), ``vs:CatalogResource``
  and ``vs:CatalogService`` (§3.1, §3.2);
- SimpleDALRegExt 1.1 ``cs:ConeSearch`` (§2.1) and ``ssa:SimpleSpectralAccess`` (§2.3);
- ``vr:Organisation`` as a record (VOResource 1.1 §4.1) and ``vg:Registry`` whose
  ``vg:Harvest`` capability keeps its ``maxRecords`` (RegistryInterface 1.1 §2.2);
- the VOSI 1.1 capabilities document over all of them.

pydantic-xml serialises a value with the serialiser of the field's declared type, so every
list of capabilities or interfaces is declared as the union of the concrete types, most
specific first; a subtype absent from the union would lose its own elements.

Rendering happens here only: :func:`xml_document` for a whole document, :func:`xml_element`
for a model embedded in another tree (OAI-PMH answers).
"""

from __future__ import annotations

from typing import Any, Literal, Union

from lxml import etree
from pydantic import AnyUrl
from pydantic_xml import BaseXmlModel, attr, element
from vo_models.tapregext.models import TableAccess
from vo_models.voregistry.models import OAIHTTP, Harvest
from vo_models.voregistry.models import Registry as VgRegistry
from vo_models.voresource.models import AccessURL, Interface, ResourceName, Rights, WebBrowser
from vo_models.voresource.models import Capability as VrCapability
from vo_models.voresource.models import Resource as VrResource
from vo_models.voresource.models import Service as VrService

from vo_service.vosi_xml import XSI_NS

VOSI_CAPABILITIES_NS = "http://www.ivoa.net/xml/VOSICapabilities/v1.0"
VORESOURCE_NS = "http://www.ivoa.net/xml/VOResource/v1.0"
VODATASERVICE_NS = "http://www.ivoa.net/xml/VODataService/v1.1"
VOREGISTRY_NS = "http://www.ivoa.net/xml/VORegistry/v1.0"
RI_NS = "http://www.ivoa.net/xml/RegistryInterface/v1.0"
TAPREGEXT_NS = "http://www.ivoa.net/xml/TAPRegExt/v1.0"
CONESEARCH_NS = "http://www.ivoa.net/xml/ConeSearch/v1.0"
SSA_NS = "http://www.ivoa.net/xml/SSA/v1.1"

CONESEARCH_STANDARD_ID = "ivo://ivoa.net/std/ConeSearch"
SSA_STANDARD_ID = "ivo://ivoa.net/std/SSA"
HIPS_STANDARD_ID = "ivo://ivoa.net/std/hips#hips-1.0"
MOC_STANDARD_ID = "ivo://ivoa.net/std/moc"
VOSI_CAPABILITIES = "ivo://ivoa.net/std/VOSI#capabilities"
VOSI_AVAILABILITY = "ivo://ivoa.net/std/VOSI#availability"

#: Every prefix an ``xsi:type`` value of a capabilities document or a record may use: the
#: prefixes must be declared wherever the value appears (XML Schema 1.0 Part 1 §3.3.4).
TYPE_PREFIXES: dict[str, str] = {
    "xsi": XSI_NS,
    "vr": VORESOURCE_NS,
    "vs": VODATASERVICE_NS,
    "vg": VOREGISTRY_NS,
    "tr": TAPREGEXT_NS,
    "cs": CONESEARCH_NS,
    "ssa": SSA_NS,
}
RECORD_NSMAP: dict[str, str] = {"ri": RI_NS, **TYPE_PREFIXES}
CAPABILITIES_NSMAP: dict[str, str] = {"vosi": VOSI_CAPABILITIES_NS, **TYPE_PREFIXES}

HTTPQueryType = Literal["GET", "POST"]
ParamUse = Literal["required", "optional", "ignored"]


# -- VODataService 1.2 §3.5: ParamHTTP interfaces ---------------------------------------------


class SimpleDataType(BaseXmlModel, tag="dataType", skip_empty=True):
    """``vs:SimpleDataType``: integer, real, boolean, char, string (VODataService 1.2 §3.5.2)."""

    value: str
    arraysize: str | None = attr(name="arraysize", default=None)


class InputParam(BaseXmlModel, tag="param", skip_empty=True):
    """``vs:InputParam``: one name=value argument of a ParamHTTP interface."""

    use: ParamUse = attr(name="use", default="optional")
    std: bool = attr(name="std", default=True)
    name: str = element(tag="name")
    description: str | None = element(tag="description", default=None)
    unit: str | None = element(tag="unit", default=None)
    ucd: str | None = element(tag="ucd", default=None)
    utype: str | None = element(tag="utype", default=None)
    data_type: SimpleDataType | None = element(tag="dataType", default=None)


def input_param(name: str, description: str, datatype: str, use: ParamUse = "optional", *,
                unit: str | None = None, ucd: str | None = None) -> InputParam:
    """A standard ``vs:InputParam`` of a simple ``datatype`` (VODataService 1.2 §3.5.2)."""
    return InputParam(name=name, description=description, use=use, unit=unit, ucd=ucd,
                      data_type=SimpleDataType(value=datatype))


class ParamHTTP(Interface):
    """``vs:ParamHTTP``: a service called by HTTP GET or POST with name=value arguments."""

    type: Literal["vs:ParamHTTP"] = attr(name="type", default="vs:ParamHTTP", ns="xsi")
    query_type: list[HTTPQueryType] = element(tag="queryType", default_factory=list, max_length=2)
    result_type: str | None = element(tag="resultType", default=None)
    param: list[InputParam] = element(tag="param", default_factory=list)
    test_query: str | None = element(tag="testQuery", default=None)


#: Interfaces, most specific first (see the module docstring).
AnyInterface = Union[ParamHTTP, OAIHTTP, WebBrowser, Interface]  # noqa: UP007  # pydantic-xml reads typing.Union


class Capability(VrCapability):
    """``vr:Capability`` whose interfaces keep their own type's elements."""

    interface: list[AnyInterface] = element(tag="interface", default_factory=list)


# -- SimpleDALRegExt 1.1 ------------------------------------------------------------------------


class ConeQuery(BaseXmlModel, tag="testQuery", skip_empty=True):
    """``cs:Query``: a cone that returns records (SimpleDALRegExt 1.1 §2.1)."""

    ra: float = element(tag="ra")
    dec: float = element(tag="dec")
    sr: float = element(tag="sr")
    verb: int | None = element(tag="verb", default=None)
    catalog: str | None = element(tag="catalog", default=None)
    extras: str | None = element(tag="extras", default=None)


class ConeSearch(Capability, nsmap={"cs": CONESEARCH_NS}):
    """``cs:ConeSearch``: the SCS 1.03 capability with its resource-profile limits."""

    standard_id: AnyUrl = attr(name="standardID", default=AnyUrl(CONESEARCH_STANDARD_ID))
    type: Literal["cs:ConeSearch"] = attr(name="type", ns="xsi", default="cs:ConeSearch")
    max_sr: float = element(tag="maxSR")
    max_records: int = element(tag="maxRecords", gt=0)
    verbosity: bool = element(tag="verbosity")
    test_query: ConeQuery | None = element(tag="testQuery", default=None)


class SSAPosition(BaseXmlModel, tag="pos", skip_empty=True):
    """``ssa:PosParam``: a position in decimal degrees."""

    long: float = element(tag="long")
    lat: float = element(tag="lat")
    refframe: str | None = element(tag="refframe", default=None)


class SSAQuery(BaseXmlModel, tag="testQuery", skip_empty=True):
    """``ssa:Query``: a query that returns records (SimpleDALRegExt 1.1 §2.3)."""

    pos: SSAPosition | None = element(tag="pos", default=None)
    size: float | None = element(tag="size", default=None)
    query_data_cmd: str | None = element(tag="queryDataCmd", default=None)


class SimpleSpectralAccess(Capability, nsmap={"ssa": SSA_NS}):
    """``ssa:SimpleSpectralAccess``: the SSA 1.1 capability (SimpleDALRegExt 1.1 §2.3, with
    SimpleDALRegExt 1.2's ``productType``)."""

    standard_id: AnyUrl = attr(name="standardID", default=AnyUrl(SSA_STANDARD_ID))
    type: Literal["ssa:SimpleSpectralAccess"] = attr(name="type", ns="xsi", default="ssa:SimpleSpectralAccess")
    compliance_level: Literal["query", "minimal", "full"] = element(tag="complianceLevel")
    product_type: list[str] = element(tag="productType", default_factory=list)
    data_source: list[str] = element(tag="dataSource", min_length=1)
    creation_type: list[str] = element(tag="creationType", min_length=1)
    supported_frame: list[str] = element(tag="supportedFrame", default_factory=list)
    max_search_radius: float | None = element(tag="maxSearchRadius", default=None)
    max_records: int = element(tag="maxRecords", gt=0)
    default_max_records: int | None = element(tag="defaultMaxRecords", default=None)
    max_aperture: float | None = element(tag="maxAperture", default=None)
    max_file_size: int | None = element(tag="maxFileSize", default=None)
    test_query: SSAQuery | None = element(tag="testQuery", default=None)


#: Capabilities, most specific first (see the module docstring).
AnyCapability = Union[  # noqa: UP007  # pydantic-xml reads typing.Union
    TableAccess, ConeSearch, SimpleSpectralAccess, Harvest, Capability, VrCapability
]


def param_http(url: str, use: Literal["full", "base", "dir"], *, params: tuple[InputParam, ...] = (),
               result_type: str | None = None, role: str | None = "std", version: str | None = None) -> ParamHTTP:
    """A ParamHTTP interface; one with parameters or a result type is called by GET and POST."""
    queries: list[HTTPQueryType] = ["GET", "POST"] if params or result_type else []
    return ParamHTTP(access_url=[AccessURL(value=AnyUrl(url), use=use)], role=role, version=version,
                     query_type=queries, result_type=result_type, param=list(params))


def vosi_capabilities(base_url: str) -> list[Capability]:
    """The VOSI 1.1 capabilities and availability endpoints of a service rooted at ``base_url``."""
    return [
        Capability(standard_id=AnyUrl(VOSI_CAPABILITIES), interface=[param_http(f"{base_url}/capabilities", "full")]),
        Capability(standard_id=AnyUrl(VOSI_AVAILABILITY), interface=[param_http(f"{base_url}/availability", "full")]),
    ]


def hips_capability(survey_url: str, description: str | None = None) -> Capability:
    """The capability of one HiPS (HiPS 1.0 §6.2): its root URL, where ``properties`` is."""
    return Capability(standard_id=AnyUrl(HIPS_STANDARD_ID), description=description,
                      interface=[param_http(survey_url, "base", version="1.0")])


# -- VOSI 1.1 §3.1 ------------------------------------------------------------------------------


class Capabilities(BaseXmlModel, tag="capabilities", ns="vosi", nsmap=CAPABILITIES_NSMAP):
    """The VOSI capabilities document of a service."""

    capability: list[AnyCapability] = element(tag="capability", ns="", nsmap={"": ""}, default_factory=list)


# -- VODataService 1.2 §3.3: coverage ------------------------------------------------------------


class SpatialCoverage(BaseXmlModel, tag="spatial", skip_empty=True):
    """An ASCII MOC (MOC 2.0 §4.3.2) of the sky covered, ICRS unless ``frame`` says otherwise."""

    value: str
    frame: str | None = attr(name="frame", default=None)


class ServiceReference(BaseXmlModel, skip_empty=True):
    """``vs:ServiceReference``: a URL and the standard it follows (``ivo-id``)."""

    value: AnyUrl
    ivo_id: str | None = attr(name="ivo-id", default=None)


class Coverage(BaseXmlModel, tag="coverage", skip_empty=True):
    """``vs:Coverage``: sky (MOC), time (MJD intervals), energy (Joule intervals), the precise
    footprint's URL (``ivo-id`` ivo://ivoa.net/std/moc for a MOC), messengers."""

    spatial: SpatialCoverage | None = element(tag="spatial", default=None)
    temporal: list[str] = element(tag="temporal", default_factory=list)
    spectral: list[str] = element(tag="spectral", default_factory=list)
    footprint: ServiceReference | None = element(tag="footprint", default=None)
    waveband: list[str] = element(tag="waveband", default_factory=list)
    region_of_regard: float | None = element(tag="regionOfRegard", default=None)


def interval(low: float, high: float) -> str:
    """A ``vs:FloatInterval``: two floats as VOTable TABLEDATA writes them."""
    return f"{low!r} {high!r}"


# -- VODataService 1.2 §3.5: table sets ---------------------------------------------------------


class DataType(BaseXmlModel, tag="dataType", nsmap={"xsi": XSI_NS}, skip_empty=True):
    """``vs:VOTableType``: the VOTable datatype, arraysize and xtype (``extendedType``)."""

    type: str = attr(name="type", ns="xsi", default="vs:VOTableType")
    arraysize: str | None = attr(name="arraysize", default=None)
    extended_type: str | None = attr(name="extendedType", default=None)
    value: str


class Column(BaseXmlModel, tag="column", skip_empty=True):
    """``vs:TableParam`` (VODataService 1.2 §3.5.2)."""

    name: str = element(tag="name")
    description: str | None = element(tag="description", default=None)
    unit: str | None = element(tag="unit", default=None)
    ucd: str | None = element(tag="ucd", default=None)
    utype: str | None = element(tag="utype", default=None)
    datatype: DataType
    flag: list[str] = element(tag="flag", default_factory=list)
    std: bool | None = attr(name="std", default=None)


class FKColumn(BaseXmlModel, tag="fkColumn"):
    from_column: str = element(tag="fromColumn")
    target_column: str = element(tag="targetColumn")


class ForeignKey(BaseXmlModel, tag="foreignKey", skip_empty=True):
    target_table: str = element(tag="targetTable")
    fk_column: list[FKColumn] = element(tag="fkColumn")
    description: str | None = element(tag="description", default=None)


class Table(BaseXmlModel, tag="table", skip_empty=True):
    """``vs:Table``; unqualified inside a tableset."""

    type: str | None = attr(name="type", default=None)
    name: str = element(tag="name")
    description: str | None = element(tag="description", default=None)
    utype: str | None = element(tag="utype", default=None)
    column: list[Column] = element(tag="column", default_factory=list)
    foreign_key: list[ForeignKey] = element(tag="foreignKey", default_factory=list)


class Schema(BaseXmlModel, tag="schema", ns="", nsmap={"": ""}, skip_empty=True):
    """``vs:TableSchema``: a named group of tables."""

    name: str = element(tag="name")
    description: str | None = element(tag="description", default=None)
    utype: str | None = element(tag="utype", default=None)
    table: list[Table] = element(tag="table", default_factory=list)


class TableSet(BaseXmlModel, tag="tableset", skip_empty=True):
    """``vs:TableSet`` as a record holds it (unqualified); VOSI 1.1 §3.4 documents subclass it
    with the ``vosi:tableset`` root."""

    schema_: list[Schema] = element(tag="schema", default_factory=list)


# -- records (RegistryInterface 1.1 §2: ri:Resource) -----------------------------------------


class Organisation(VrResource, tag="Resource", ns="ri", nsmap=RECORD_NSMAP):
    """``vr:Organisation`` (VOResource 1.1 §4.1)."""

    type: Literal["vr:Organisation"] = attr(name="type", ns="xsi", default="vr:Organisation")
    facility: list[ResourceName] = element(tag="facility", ns="", default_factory=list)
    instrument: list[ResourceName] = element(tag="instrument", ns="", default_factory=list)


class Registry(VgRegistry, tag="Resource", ns="ri", nsmap=RECORD_NSMAP):
    """``vg:Registry`` whose Harvest capability keeps its ``maxRecords``."""

    capability: list[AnyCapability] = element(tag="capability", ns="", default_factory=list)


class _DataResource(VrService, tag="Resource", ns="ri", nsmap=RECORD_NSMAP):
    """``vs:DataResource`` (VODataService 1.2 §3.1): a service with facility, instrument, coverage."""

    rights: list[Rights] = element(tag="rights", ns="", default_factory=list)
    capability: list[AnyCapability] = element(tag="capability", ns="", default_factory=list)
    facility: list[ResourceName] = element(tag="facility", ns="", default_factory=list)
    instrument: list[ResourceName] = element(tag="instrument", ns="", default_factory=list)
    coverage: Coverage | None = element(tag="coverage", ns="", default=None)
    tableset: TableSet | None = element(tag="tableset", ns="", default=None)


class CatalogResource(_DataResource):
    """``vs:CatalogResource``: a collection with its tables (VODataService 1.2 §3.2)."""

    type: Literal["vs:CatalogResource"] = attr(name="type", ns="xsi", default="vs:CatalogResource")


class CatalogService(_DataResource):
    """``vs:CatalogService``: a service on tabular data (VODataService 1.2 §3.2)."""

    type: Literal["vs:CatalogService"] = attr(name="type", ns="xsi", default="vs:CatalogService")


# -- rendering -------------------------------------------------------------------------------------


def xml_element(model: BaseXmlModel) -> Any:
    """A model as an lxml element, empty optional elements left out.

    Namespace declarations nothing uses (the ``xmlns=""`` vo-models' unqualified elements
    carry) are dropped; those of :data:`TYPE_PREFIXES` stay, as ``xsi:type`` values use them."""
    element = model.to_xml_tree(skip_empty=True)
    etree.cleanup_namespaces(element, keep_ns_prefixes=list(TYPE_PREFIXES))
    return element


def xml_document(model: BaseXmlModel) -> bytes:
    """A model as a UTF-8 document with an XML declaration, indented."""
    return bytes(etree.tostring(xml_element(model), xml_declaration=True, encoding="UTF-8", pretty_print=True))


__all__ = [
    "CAPABILITIES_NSMAP",
    "CONESEARCH_STANDARD_ID",
    "HIPS_STANDARD_ID",
    "MOC_STANDARD_ID",
    "RECORD_NSMAP",
    "SSA_STANDARD_ID",
    "AnyCapability",
    "AnyInterface",
    "Capabilities",
    "Capability",
    "CatalogResource",
    "CatalogService",
    "Column",
    "ConeQuery",
    "ConeSearch",
    "Coverage",
    "DataType",
    "FKColumn",
    "ForeignKey",
    "InputParam",
    "Organisation",
    "ParamHTTP",
    "ParamUse",
    "Registry",
    "SSAPosition",
    "SSAQuery",
    "Schema",
    "ServiceReference",
    "SimpleDataType",
    "SimpleSpectralAccess",
    "SpatialCoverage",
    "Table",
    "TableSet",
    "hips_capability",
    "input_param",
    "interval",
    "param_http",
    "vosi_capabilities",
    "xml_document",
    "xml_element",
]
