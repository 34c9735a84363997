"""The VOResource 1.1 records of the service, built from the declaration and the VOSI documents.

Records (RegistryInterface 1.1 §2): the naming authority (``vg:Authority``), the
organisation that manages it (``vr:Organisation``), this publishing registry
(``vg:Registry`` with its OAI-PMH ``vg:Harvest`` capability), the CoRoT collection
(``vs:CatalogResource`` with its table set) and one ``vs:CatalogService`` per service.  A
service record copies its capabilities (and, for TAP, its table set) from the service's own
VOSI documents, so the registry never states something the service does not.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from registry.profile import CollectionSpec, Described, RegistryProfile, ServiceSpec
from vo_service.curation import Curation, load_curation
from vo_service.services import VosiDocuments
from vo_service.settings import Settings
from vo_service.vosi_xml import VODATASERVICE_NS, VORESOURCE_NS, XSI_NS, XSI_TYPE, sub

RI_NS = "http://www.ivoa.net/xml/RegistryInterface/v1.0"
VG_NS = "http://www.ivoa.net/xml/VORegistry/v1.0"
REGISTRY_STANDARD_ID = "ivo://ivoa.net/std/Registry"
#: Prefixes every record declares; those of the copied capabilities are added to them.
BASE_NSMAP: Mapping[str, str] = {"ri": RI_NS, "vr": VORESOURCE_NS, "vs": VODATASERVICE_NS, "vg": VG_NS,
                                 "xsi": XSI_NS}


class RecordError(ValueError):
    """The declaration and the VOSI documents do not make a consistent record."""


@dataclass
class Record:
    """One registry record: the ``ri:Resource`` element and what OAI-PMH headers need."""

    identifier: str
    element: Any
    title: str
    description: str
    resource_type: str
    subjects: tuple[str, ...]
    publisher: str
    updated: datetime = field(default_factory=lambda: datetime(1970, 1, 1, tzinfo=UTC))

    def digest(self) -> str:
        """A hash of the content, ``updated`` aside: what tells a changed record."""
        element = copy.deepcopy(self.element)
        element.attrib.pop("updated", None)
        return hashlib.sha256(etree.tostring(element, method="c14n")).hexdigest()

    def stamp(self, updated: datetime) -> None:
        self.updated = updated
        self.element.set("updated", utc_timestamp(updated))


@dataclass(frozen=True)
class Tombstone:
    """A record this registry published once and no longer does (OAI-PMH 2.0 §2.5.1)."""

    identifier: str
    updated: datetime


def utc_timestamp(moment: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ``: VOResource UTCTimestamp and OAI-PMH datestamps (seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RecordBuilder:
    """Builds the records of one service deployment (settings) from the declaration."""

    def __init__(self, profile: RegistryProfile, settings: Settings, curation: Curation | None = None) -> None:
        self.profile = profile
        self.settings = settings
        self.curation = curation or load_curation()

    # -- identifiers and URLs ------------------------------------------------------------
    def ivoid(self, suffix: str) -> str:
        return f"ivo://{self.settings.authority}" + (f"/{suffix}" if suffix else "")

    def url(self, path: str) -> str:
        return f"{self.settings.base_url}{path}"

    # -- the common parts -------------------------------------------------------------------
    def _resource(self, spec: Described, xsi_type: str, nsmap: Mapping[str, str] | None = None) -> Any:
        element = etree.Element(f"{{{RI_NS}}}Resource", nsmap={**BASE_NSMAP, **(nsmap or {})})
        element.set(XSI_TYPE, xsi_type)
        element.set("created", self.curation.created)
        element.set("updated", self.curation.created)
        element.set("status", "active")
        sub(element, "title", spec.title)
        if spec.short_name:
            sub(element, "shortName", spec.short_name)
        sub(element, "identifier", self.ivoid(spec.suffix))
        self._curation(element)
        return element

    def _curation(self, resource: Any) -> None:
        declared = self.curation
        curation = sub(resource, "curation")
        sub(curation, "publisher", self.settings.title, **{"ivo-id": self.ivoid(self.profile.organisation.suffix)})
        sub(sub(curation, "creator"), "name", declared.creator)
        sub(curation, "date", declared.created[:10], role="Created")
        sub(curation, "version", declared.version)
        contact = sub(curation, "contact")
        sub(contact, "name", declared.contact_name)
        sub(contact, "email", self.settings.contact_email)

    def _content(self, resource: Any, spec: Described, *, types: Sequence[str] = (),
                 levels: Sequence[str] = (), relations: Sequence[tuple[str, str, str]] = ()) -> None:
        content = sub(resource, "content")
        for subject in self.curation.subjects:
            sub(content, "subject", subject)
        sub(content, "description", spec.description)
        sub(content, "referenceURL", self.url(self.curation.reference_url))
        for kind in types:
            sub(content, "type", kind)
        for level in levels:
            sub(content, "contentLevel", level)
        for relation, ivoid, title in relations:
            relationship = sub(content, "relationship")
            sub(relationship, "relationshipType", relation)
            sub(relationship, "relatedResource", title, **{"ivo-id": ivoid})

    def _rights(self, resource: Any) -> None:
        sub(resource, "rights", self.curation.rights, rightsURI=self.curation.rights_uri)

    def _record(self, spec: Described, element: Any, resource_type: str) -> Record:
        return Record(identifier=self.ivoid(spec.suffix), element=element, title=spec.title,
                      description=spec.description, resource_type=resource_type,
                      subjects=self.curation.subjects, publisher=self.settings.title)

    # -- the records --------------------------------------------------------------------
    def organisation(self) -> Record:
        spec = self.profile.organisation
        element = self._resource(spec, "vr:Organisation")
        self._content(element, spec, types=("Organisation",))
        return self._record(spec, element, "Organisation")

    def authority(self) -> Record:
        spec = self.profile.authority
        element = self._resource(spec, "vg:Authority")
        self._content(element, spec)
        sub(element, "managingOrg", self.settings.title,
            **{"ivo-id": self.ivoid(self.profile.organisation.suffix)})
        return self._record(spec, element, "Authority")

    def registry(self, oai_path: str) -> Record:
        """The publishing registry (RegistryInterface 1.1 §2.2): OAI-PMH at ``oai_path``."""
        spec = self.profile.registry
        element = self._resource(spec, "vg:Registry")
        self._content(element, spec, types=("Registry",))
        capability = sub(element, "capability", standardID=REGISTRY_STANDARD_ID)
        capability.set(XSI_TYPE, "vg:Harvest")
        interface = sub(capability, "interface", role="std")
        interface.set(XSI_TYPE, "vg:OAIHTTP")
        sub(interface, "accessURL", self.url(oai_path), use="base")
        sub(capability, "maxRecords", str(spec.max_records))
        sub(element, "full", "false")
        sub(element, "managedAuthority", self.settings.authority)
        return self._record(spec, element, "Registry")

    def collection(self, tables: bytes | None) -> Record:
        """The CoRoT collection as a ``vs:CatalogResource`` (VODataService 1.2 §3.2)."""
        spec: CollectionSpec = self.profile.collection
        element = self._resource(spec, "vs:CatalogResource")
        relations = [("served-by", self.ivoid(service.suffix), service.title) for service in self.profile.services]
        self._content(element, spec, types=spec.type, levels=spec.content_level, relations=relations)
        self._rights(element)
        if spec.facility:
            sub(element, "facility", spec.facility)
        if spec.instrument:
            sub(element, "instrument", spec.instrument)
        if spec.wavebands:
            coverage = sub(element, "coverage")
            for band in spec.wavebands:
                sub(coverage, "waveband", band)
        if tables is not None:
            element.append(tableset(tables, spec.schemas))
        return self._record(spec, element, "CatalogResource")

    def service(self, spec: ServiceSpec, documents: VosiDocuments) -> Record:
        """A ``vs:CatalogService`` with the capabilities its VOSI document states."""
        capabilities_root = etree.fromstring(documents.capabilities)
        capabilities = select_capabilities(capabilities_root, spec.endpoint_standard, spec.access_suffix)
        if not capabilities:
            raise RecordError(f"{self.ivoid(spec.suffix)}: no capability of {spec.vosi} matches the declaration")
        prefixes = {prefix: uri for prefix, uri in capabilities_root.nsmap.items() if prefix}
        clashes = {p for p, uri in prefixes.items() if BASE_NSMAP.get(p, uri) != uri}
        if clashes:
            raise RecordError(f"{spec.vosi}: namespace prefixes {sorted(clashes)} clash with the record's")
        element = self._resource(spec, "vs:CatalogService", prefixes)
        collection = self.profile.collection
        self._content(element, spec, relations=[("service-for", self.ivoid(collection.suffix), collection.title)])
        self._rights(element)
        for capability in capabilities:
            element.append(copy.deepcopy(capability))
        if spec.tables and documents.tables is not None:
            element.append(tableset(documents.tables, ()))
        return self._record(spec, element, "CatalogService")

    def all(self, documents: Mapping[str, VosiDocuments], oai_path: str) -> list[Record]:
        """Every record, services in declaration order; the collection's tables from TAP's VOSI."""
        records = [self.authority(), self.organisation(), self.registry(oai_path)]
        tap_tables = next((documents[s.vosi].tables for s in self.profile.services
                           if s.tables and s.vosi in documents), None)
        records.append(self.collection(tap_tables))
        for spec in self.profile.services:
            if spec.vosi not in documents:
                raise RecordError(f"{self.ivoid(spec.suffix)}: no VOSI documents for {spec.vosi}")
            records.append(self.service(spec, documents[spec.vosi]))
        return records


def select_capabilities(root: Any, endpoint_standard: str | None, access_suffix: str | None) -> list[Any]:
    """The capability elements of a VOSI capabilities document that a record keeps: all of
    them, but of ``endpoint_standard`` only those whose access URL path ends with
    ``access_suffix``."""
    kept = []
    for capability in root.iterfind("capability"):
        if endpoint_standard is not None and capability.get("standardID") == endpoint_standard:
            paths = [urlsplit(url.text or "").path for url in capability.iterfind("interface/accessURL")]
            if access_suffix is None or not any(path.endswith(access_suffix) for path in paths):
                continue
        kept.append(capability)
    return kept


def tableset(document: bytes, schemas: Iterable[str]) -> Any:
    """A record's ``tableset`` from a VOSI tables document, restricted to ``schemas`` if given."""
    root = etree.fromstring(document)
    wanted = {name.lower() for name in schemas}
    result = etree.Element("tableset")
    for schema in root.iterfind("schema"):
        name = (schema.findtext("name") or "").lower()
        if wanted and name not in wanted:
            continue
        result.append(copy.deepcopy(schema))
    return result


__all__ = ["BASE_NSMAP", "REGISTRY_STANDARD_ID", "RI_NS", "VG_NS", "Record", "RecordBuilder", "RecordError",
           "Tombstone", "select_capabilities", "tableset", "utc_timestamp"]
