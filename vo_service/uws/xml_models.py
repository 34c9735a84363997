"""UWS 1.1 XML documents: vo-models, plus the one piece it lacks (Appendix B schema).

vo-models' ``Parameters`` is meant to be subclassed with one field per parameter name,
which suits a fixed job description language but not a generic job system whose job
types each bring their own parameters.  :class:`ParameterList` is the generic
``<uws:parameters>`` element of the schema: an ordered list of ``<uws:parameter>``,
repeated ids allowed (multi-valued parameters).
"""

from __future__ import annotations

from typing import TypeAlias

from pydantic_xml import BaseXmlModel, element
from vo_models.uws import JobSummary, Parameter
from vo_models.uws.models import NSMAP

UWS_NAMESPACE = NSMAP["uws"]
#: UWS documents are served as XML; DaCHS and most TAP services use text/xml.
UWS_MEDIA_TYPE = "text/xml"


class ParameterList(BaseXmlModel, tag="parameters", ns="uws", nsmap=NSMAP):
    """``<uws:parameters>``: the job's parameters in the order they were given (§2.2.2.4)."""

    parameter: list[Parameter] = element(tag="parameter", default_factory=list)


#: The ``<uws:job>`` document of a generic job (§2.2.2.2).
JobDocument: TypeAlias = JobSummary[ParameterList]


def xml_bytes(model: BaseXmlModel) -> bytes:
    """Serialise a UWS model with an XML declaration.

    Only fields that were set explicitly are written (``exclude_unset``): optional
    elements such as ``runId`` are left out when the job has none, while the elements
    the schema requires but allows to be nil (``ownerId``, ``startTime``, ``endTime``,
    ``destruction``, ``quote``) are set explicitly by the builders and come out as
    ``xsi:nil="true"``.
    """
    data = model.to_xml(exclude_unset=True, xml_declaration=True, encoding="UTF-8")
    return data.encode() if isinstance(data, str) else data


__all__ = ["UWS_MEDIA_TYPE", "UWS_NAMESPACE", "JobDocument", "ParameterList", "xml_bytes"]
