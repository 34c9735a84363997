"""OAI-PMH 2.0 over the registry records, as RegistryInterface 1.1 §3 asks.

The six verbs (OAI-PMH 2.0 §4), the metadata formats ``ivo_vor`` (VOResource records, RI
1.1 §3.1) and ``oai_dc`` (Dublin Core, required by OAI-PMH), the set ``ivo_managed`` (RI
1.1 §3.2: the records this registry manages, here all of them), datestamps with second
granularity, and OAI-PMH's error codes (§3.6) with HTTP 200.  Every list fits in one
response below ``max_records``; larger lists are cut with resumption tokens that encode
the request and the offset, so they need no server state.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lxml import etree

from registry.records import RI_NS, Record, Tombstone, utc_timestamp
from vo_service.vosi_xml import XSI_NS, sub

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
RI_SCHEMA = "http://www.ivoa.net/xml/RegistryInterface/v1.0"
MANAGED_SET = "ivo_managed"
#: metadataPrefix → (schema, namespace), OAI-PMH 2.0 §4.4.
FORMATS: Mapping[str, tuple[str, str]] = {
    "ivo_vor": (RI_SCHEMA, RI_NS),
    "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS),
}
VERBS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    # verb: (required arguments, optional arguments); resumptionToken is exclusive (§3.5).
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set", "resumptionToken"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set", "resumptionToken"})),
}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class OaiError(Exception):
    """An OAI-PMH error condition (§3.6): ``code`` is one of the protocol's error codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Repository:
    """What Identify tells (§4.2) and what the list verbs list."""

    name: str
    base_url: str
    admin_email: str
    records: Sequence[Record]
    registry_record: Record
    max_records: int
    #: records published once and gone since: listed with status="deleted" (§2.5.1).
    tombstones: Sequence[Tombstone] = ()

    @property
    def entries(self) -> list[Record | Tombstone]:
        return [*self.records, *self.tombstones]

    @property
    def earliest(self) -> datetime:
        return min(entry.updated for entry in self.entries)

    def find(self, identifier: str) -> Record | Tombstone:
        for entry in self.entries:
            if entry.identifier.lower() == identifier.lower():
                return entry
        raise OaiError("idDoesNotExist", f"No record has the identifier {identifier!r}")


@dataclass(frozen=True)
class Selection:
    """The arguments of a list request, as carried by a resumption token."""

    verb: str
    prefix: str
    start: datetime | None
    until: datetime | None
    offset: int = 0

    def token(self, offset: int) -> str:
        state = {"verb": self.verb, "prefix": self.prefix, "offset": offset,
                 "from": None if self.start is None else utc_timestamp(self.start),
                 "until": None if self.until is None else utc_timestamp(self.until)}
        return base64.urlsafe_b64encode(json.dumps(state, sort_keys=True).encode()).decode().rstrip("=")

    @classmethod
    def from_token(cls, verb: str, token: str) -> Selection:
        try:
            padded = token + "=" * (-len(token) % 4)
            state = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if state["verb"] != verb or not isinstance(state["offset"], int) or state["offset"] < 0:
                raise ValueError("token of another request")
            return cls(verb, str(state["prefix"]), _parse_stamp(state["from"], upper=False),
                       _parse_stamp(state["until"], upper=True), int(state["offset"]))
        except (ValueError, KeyError, TypeError, binascii.Error, OaiError) as exc:
            raise OaiError("badResumptionToken", f"The resumptionToken {token!r} is not valid") from exc


def _parse_stamp(text: str | None, *, upper: bool) -> datetime | None:
    """An OAI-PMH UTCdatetime (§3.3.1), day or second granularity; a day bound covers the day."""
    if text is None:
        return None
    try:
        if _SECOND.match(text):
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if _DAY.match(text):
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) - timedelta(seconds=1) if upper else moment
    except ValueError:
        pass
    raise OaiError("badArgument", f"{text!r} is not a date (YYYY-MM-DD) or time (YYYY-MM-DDThh:mm:ssZ) in UTC")


def _xml_text(value: str) -> bool:
    """Whether XML 1.0 can carry ``value`` (§2.2 Char): the response echoes the arguments."""
    return all(char in "\t\n\r" or " " <= char <= "\ud7ff" or "\ue000" <= char <= "\ufffd"
               or "\U00010000" <= char <= "\U0010ffff" for char in value)


def _arguments(params: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, str]]:
    """The verb and its arguments; repeated or unknown arguments are badArgument (§3.1.1)."""
    verbs = params.get("verb", [])
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OaiError("badVerb", "The verb must be given once and be one of " + ", ".join(VERBS))
    verb = verbs[0]
    arguments: dict[str, str] = {}
    required, optional = VERBS[verb]
    allowed = required | optional
    for name, values in params.items():
        if name == "verb":
            continue
        if name not in allowed:
            raise OaiError("badArgument", f"{verb} does not take the argument {name!r}")
        if len(values) != 1:
            raise OaiError("badArgument", f"The argument {name!r} is repeated")
        if not _xml_text(values[0]):
            raise OaiError("badArgument", f"The argument {name!r} holds characters XML cannot carry")
        arguments[name] = values[0]
    if "resumptionToken" in arguments:
        if len(arguments) > 1:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument")
        return verb, arguments
    missing = required - arguments.keys()
    if missing:
        raise OaiError("badArgument", f"{verb} requires the argument(s) {', '.join(sorted(missing))}")
    return verb, arguments


def _selection(verb: str, arguments: Mapping[str, str]) -> Selection:
    if "resumptionToken" in arguments:
        return Selection.from_token(verb, arguments["resumptionToken"])
    prefix = arguments["metadataPrefix"]
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"The metadata format {prefix!r} is not supported; "
                                                  "use ivo_vor or oai_dc")
    start, until = arguments.get("from"), arguments.get("until")
    if start and until and (_DAY.match(start) is None) != (_DAY.match(until) is None):
        raise OaiError("badArgument", "from and until must have the same granularity")
    selection = Selection(verb, prefix, _parse_stamp(start, upper=False), _parse_stamp(until, upper=True))
    if selection.start and selection.until and selection.start > selection.until:
        raise OaiError("badArgument", "from is later than until")
    set_spec = arguments.get("set")
    if set_spec is not None and set_spec != MANAGED_SET:
        raise OaiError("noRecordsMatch", f"This registry has no set {set_spec!r}; its set is {MANAGED_SET}")
    return selection


# -- documents --------------------------------------------------------------------------------


def _envelope(base_url: str, verb: str | None, arguments: Mapping[str, str]) -> Any:
    # A prefix, not the default namespace: the unqualified elements of the VOResource
    # records inside must stay in no namespace.
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={"oai": OAI_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    _oai(root, "responseDate", utc_timestamp(datetime.now(UTC)))
    request = _oai(root, "request", base_url)
    if verb is not None:  # §3.6: attributes only when there is no badVerb/badArgument error
        request.set("verb", verb)
        for name, value in sorted(arguments.items()):
            request.set(name, value)
    return root


def _header(parent: Any, record: Record | Tombstone) -> None:
    header = _oai(parent, "header", **({"status": "deleted"} if isinstance(record, Tombstone) else {}))
    _oai(header, "identifier", record.identifier)
    _oai(header, "datestamp", utc_timestamp(record.updated))
    _oai(header, "setSpec", MANAGED_SET)


def _record(parent: Any, entry: Record | Tombstone, prefix: str) -> None:
    """A record: header, and metadata unless it is deleted (OAI-PMH 2.0 §2.5)."""
    item = _oai(parent, "record")
    _header(item, entry)
    if isinstance(entry, Record):
        _metadata(item, entry, prefix)


def _dublin_core(record: Record) -> Any:
    dc = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
    dc.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    sub(dc, f"{{{DC_NS}}}title", record.title)
    sub(dc, f"{{{DC_NS}}}identifier", record.identifier)
    sub(dc, f"{{{DC_NS}}}publisher", record.publisher)
    for subject in record.subjects:
        sub(dc, f"{{{DC_NS}}}subject", subject)
    sub(dc, f"{{{DC_NS}}}description", record.description)
    sub(dc, f"{{{DC_NS}}}type", record.resource_type)
    sub(dc, f"{{{DC_NS}}}date", utc_timestamp(record.updated)[:10])
    return dc


def _metadata(parent: Any, record: Record, prefix: str) -> None:
    metadata = _oai(parent, "metadata")
    if prefix == "oai_dc":
        metadata.append(_dublin_core(record))
    else:
        metadata.append(copy.deepcopy(record.element))


def _identify(root: Any, repository: Repository) -> None:
    identify = _oai(root, "Identify")
    _oai(identify, "repositoryName", repository.name)
    _oai(identify, "baseURL", repository.base_url)
    _oai(identify, "protocolVersion", "2.0")
    _oai(identify, "adminEmail", repository.admin_email)
    _oai(identify, "earliestDatestamp", utc_timestamp(repository.earliest))
    _oai(identify, "deletedRecord", "persistent")
    _oai(identify, "granularity", "YYYY-MM-DDThh:mm:ssZ")
    description = _oai(identify, "description")
    description.append(copy.deepcopy(repository.registry_record.element))


def _list(root: Any, repository: Repository, selection: Selection) -> None:
    matching = [entry for entry in repository.entries
                if (selection.start is None or entry.updated >= selection.start)
                and (selection.until is None or entry.updated <= selection.until)]
    if not matching:
        raise OaiError("noRecordsMatch", "No record matches these arguments")
    if selection.offset >= len(matching):
        raise OaiError("badResumptionToken", "The resumptionToken points beyond the list")
    end = selection.offset + repository.max_records
    element = _oai(root, selection.verb)
    for entry in matching[selection.offset:end]:
        if selection.verb == "ListIdentifiers":
            _header(element, entry)
        else:
            _record(element, entry, selection.prefix)
    if selection.offset or end < len(matching):
        # The last part carries an empty token (§3.5).
        _oai(element, "resumptionToken", selection.token(end) if end < len(matching) else None,
             completeListSize=str(len(matching)), cursor=str(selection.offset))


def error_document(base_url: str, code: str, message: str) -> bytes:
    """An error response (§3.6) to a request refused before its arguments were read (too
    large, malformed): the request element echoes no arguments."""
    root = _envelope(base_url, None, {})
    _oai(root, "error", message, code=code)
    return _serialise(root)


def answer(repository: Repository, params: Mapping[str, Sequence[str]]) -> bytes:
    """The OAI-PMH response document for one request (always HTTP 200, §3.1.2.1)."""
    try:
        verb, arguments = _arguments(params)
    except OaiError as exc:
        root = _envelope(repository.base_url, None, {})
        _oai(root, "error", exc.message, code=exc.code)
        return _serialise(root)
    root = _envelope(repository.base_url, verb, arguments)
    try:
        _verb(root, repository, verb, arguments)
    except OaiError as exc:
        for child in list(root)[2:]:
            root.remove(child)
        if exc.code in {"badVerb", "badArgument"}:  # §3.6: then the request echoes no arguments
            root.find(f"{{{OAI_NS}}}request").attrib.clear()
        _oai(root, "error", exc.message, code=exc.code)
    return _serialise(root)


def _verb(root: Any, repository: Repository, verb: str, arguments: Mapping[str, str]) -> None:
    if verb == "Identify":
        _identify(root, repository)
    elif verb == "ListMetadataFormats":
        if "identifier" in arguments:
            repository.find(arguments["identifier"])
        formats = _oai(root, "ListMetadataFormats")
        for prefix, (schema, namespace) in FORMATS.items():
            entry = _oai(formats, "metadataFormat")
            _oai(entry, "metadataPrefix", prefix)
            _oai(entry, "schema", schema)
            _oai(entry, "metadataNamespace", namespace)
    elif verb == "ListSets":
        if "resumptionToken" in arguments:
            raise OaiError("badResumptionToken", "This registry's set list never needs a resumptionToken")
        sets = _oai(root, "ListSets")
        entry = _oai(sets, "set")
        _oai(entry, "setSpec", MANAGED_SET)
        _oai(entry, "setName", "Resources managed by this registry")
    elif verb == "GetRecord":
        prefix = arguments["metadataPrefix"]
        record = repository.find(arguments["identifier"])
        if prefix not in FORMATS:
            raise OaiError("cannotDisseminateFormat", f"The metadata format {prefix!r} is not supported")
        _record(_oai(root, "GetRecord"), record, prefix)
    else:
        _list(root, repository, _selection(verb, arguments))


def _serialise(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _oai(parent: Any, name: str, text: str | None = None, **attrib: str) -> Any:
    """An element of the OAI-PMH namespace."""
    return sub(parent, f"{{{OAI_NS}}}{name}", text, **attrib)


__all__ = ["FORMATS", "MANAGED_SET", "OAI_NS", "OaiError", "Repository", "Selection", "answer", "error_document"]
