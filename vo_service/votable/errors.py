"""Error documents: the DALI error VOTable and its Simple Cone Search 1.03 variant.

DALI 1.1 §4.2 and §4.4.2 (TAP 1.1 §3.3): an error is reported as a VOTable whose
``RESOURCE type="results"`` holds ``INFO name="QUERY_STATUS" value="ERROR"`` with the
message as content; no TABLE is needed (TAP 1.0 Erratum 5).  Every DALI protocol of the
service renders its faults through :func:`error_votable`.

SCS 1.03 §2.3 predates DALI: an error document carries an ``INFO name="Error"`` (with
Erratum 1, exactly one element named ``Error``) whose ``value`` explains the problem,
preferably as a direct child of VOTABLE (Erratum 3 example).  :func:`scs_error_votable`
writes that and, for DALI-style clients, the results RESOURCE with the ERROR status too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxml import etree

from vo_service.faults import ServiceFault
from vo_service.votable.envelope import Info, serialise
from vo_service.votable.fields import VOTABLE_NS, VOTABLE_VERSIONS, qname

#: Messages quote the values they refuse; beyond this many characters the middle is left out,
#: so that a value of megabytes does not come back whole in its error document.
MAX_MESSAGE_CHARS = 2000


def _abridged(text: str) -> str:
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    head, tail = MAX_MESSAGE_CHARS * 3 // 4, MAX_MESSAGE_CHARS // 5
    return f"{text[:head]} [... {len(text) - head - tail} characters left out ...] {text[-tail:]}"


def fault_text(fault_or_message: ServiceFault | BaseException | str) -> str:
    """The text a user reads: the message, then any hint on the next line (DALI 1.1 §4.2
    lets implementations add explanatory text after the required text); abridged beyond
    :data:`MAX_MESSAGE_CHARS`."""
    if isinstance(fault_or_message, str):
        return _abridged(fault_or_message)
    if isinstance(fault_or_message, ServiceFault):
        if fault_or_message.hint:
            return _abridged(f"{fault_or_message.message}\n{fault_or_message.hint}")
        return _abridged(fault_or_message.message)
    return _abridged(str(fault_or_message) or type(fault_or_message).__name__)


def _root(version: str) -> Any:
    if version not in VOTABLE_VERSIONS:
        raise ValueError(f"VOTable version {version!r} is not supported; use one of {VOTABLE_VERSIONS}")
    return etree.Element(qname("VOTABLE"), {"version": version}, nsmap={None: VOTABLE_NS})


def _results_resource(root: Any, message: str, extra_infos: Sequence[Info]) -> None:
    resource = etree.SubElement(root, qname("RESOURCE"), {"type": "results"})
    resource.append(Info("QUERY_STATUS", "ERROR", message).element())
    for info in extra_infos:
        resource.append(info.element())


def error_votable(
    fault_or_message: ServiceFault | BaseException | str,
    *,
    version: str = "1.4",
    extra_infos: Sequence[Info] = (),
) -> bytes:
    """The DALI error document for a fault (or a plain message).

    ``extra_infos`` follow the status INFO in the results RESOURCE (DALI 1.1 §4.4.3, e.g.
    ``standardID`` or echoed parameters).
    """
    root = _root(version)
    _results_resource(root, fault_text(fault_or_message), extra_infos)
    return serialise(root)


def scs_error_votable(
    fault_or_message: ServiceFault | BaseException | str,
    *,
    version: str = "1.4",
    extra_infos: Sequence[Info] = (),
) -> bytes:
    """The Simple Cone Search 1.03 error document (§2.3, Errata 1-3), DALI-compatible.

    ``VOTABLE/INFO[@name="Error"]/@value`` holds the message for SCS clients; the results
    RESOURCE repeats it as the DALI QUERY_STATUS=ERROR for DALI clients.  ``extra_infos``
    must not be named ``Error``.
    """
    if any(info.name == "Error" for info in extra_infos):
        raise ValueError("an SCS error document has exactly one INFO named 'Error'")
    message = fault_text(fault_or_message)
    root = _root(version)
    root.append(Info("Error", message, id="Error").element())
    _results_resource(root, message, extra_infos)
    return serialise(root)


__all__ = ["MAX_MESSAGE_CHARS", "error_votable", "fault_text", "scs_error_votable"]
