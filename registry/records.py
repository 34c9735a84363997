"""The VOResource 1.1 records of the service, composed from models.

Records (RegistryInterface 1.1 §2): the naming authority (``vg:Authority``), the
organisation that manages it (``vr:Organisation``), this publishing registry
(``vg:Registry`` with its OAI-PMH ``vg:Harvest`` capability), the CoRoT collection
(``vs:CatalogResource`` with its table set), one ``vs:CatalogService`` per service and one
per HiPS survey of the service's authority (HiPS 1.0 §6.2, from its properties and MOC).  A
service record holds the very capability models its service states in its VOSI capabilities
document (and, for TAP, the table set of its VOSI tables document), so the registry never
states something the service does not.  Each record is a pydantic-xml model (vo-models and
:mod:`vo_service.vo_models_ext`), rendered once into the element OAI-PMH answers copy.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from pydantic import AnyUrl
from vo_models.voregistry.models import OAIHTTP, Authority, Harvest
from vo_models.voresource.models import (
    AccessURL,
    Contact,
    Content,
    Creator,
    Curation,
    Date,
    Relationship,
    ResourceName,
    Rights,
)
from vo_models.voresource.models import Capability as VrCapability
from vo_models.voresource.models import Resource as VrResource

from registry.hips_surveys import Survey, registry_moc, union_moc
from registry.profile import CollectionSpec, Described, RegistryProfile, ServiceSpec
from vo_service.curation import Curation as DeclaredCuration
from vo_service.curation import load_curation
from vo_service.services import VosiDocuments
from vo_service.settings import Settings
from vo_service.vo_models_ext import (
    MOC_STANDARD_ID,
    RI_NS,
    VOREGISTRY_NS,
    AnyCapability,
    CatalogResource,
    CatalogService,
    Coverage,
    Organisation,
    Registry,
    ServiceReference,
    SpatialCoverage,
    TableSet,
    hips_capability,
    interval,
    xml_element,
)

log = logging.getLogger(__name__)

VG_NS = VOREGISTRY_NS
REGISTRY_STANDARD_ID = "ivo://ivoa.net/std/Registry"


class RecordError(ValueError):
    """The declaration and the services' capabilities do not make a consistent record."""


@dataclass
class Record:
    """One registry record: its model, the ``ri:Resource`` element rendered from it once, and
    what OAI-PMH headers and Dublin Core need."""

    identifier: str
    resource: VrResource
    title: str
    description: str
    resource_type: str
    subjects: tuple[str, ...]
    publisher: str
    updated: datetime = field(default_factory=lambda: datetime(1970, 1, 1, tzinfo=UTC))
    element: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.element = xml_element(self.resource)

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

    def __init__(self, profile: RegistryProfile, settings: Settings, curation: DeclaredCuration | None = None) -> None:
        self.profile = profile
        self.settings = settings
        self.curation = curation or load_curation()

    # -- identifiers and URLs ------------------------------------------------------------
    def ivoid(self, suffix: str) -> str:
        return f"ivo://{self.settings.authority}" + (f"/{suffix}" if suffix else "")

    def url(self, path: str) -> str:
        return f"{self.settings.base_url}{path}"

    @property
    def organisation_name(self) -> ResourceName:
        return ResourceName(value=self.settings.title, ivo_id=self.ivoid(self.profile.organisation.suffix))

    # -- the common parts (VOResource 1.1 §3) -----------------------------------------------
    def core(self, identifier: str, title: str, short_name: str | None, content: Content) -> dict[str, Any]:
        """The elements and attributes every record has: title to content."""
        created = datetime.fromisoformat(self.curation.created)
        return {"created": created, "updated": created, "status": "active", "title": title,
                "short_name": short_name, "identifier": AnyUrl(identifier), "curation": self.curation_model(),
                "content": content}

    def curation_model(self) -> Curation:
        declared = self.curation
        return Curation(
            publisher=self.organisation_name,
            creator=[Creator(name=ResourceName(value=declared.creator))],
            date=[Date(value=datetime.fromisoformat(declared.created), role="Created")],
            version=declared.version,
            contact=[Contact(name=ResourceName(value=declared.contact_name), email=self.settings.contact_email)],
        )

    def content(self, description: str, *, types: Sequence[str] = (), levels: Sequence[str] = (),
                relations: Sequence[tuple[str, str, str]] = (), reference_url: str | None = None) -> Content:
        return Content(
            subject=list(self.curation.subjects),
            description=description,
            reference_url=AnyUrl(reference_url or self.url(self.curation.reference_url)),
            type=list(types),
            content_level=list(levels),
            relationship=[Relationship(relationship_type=relation,
                                       related_resource=[ResourceName(value=title, ivo_id=ivoid)])
                          for relation, ivoid, title in relations],
        )

    def rights(self) -> list[Rights]:
        return [Rights(value=self.curation.rights, rights_uri=AnyUrl(self.curation.rights_uri))]

    def _core(self, spec: Described, content: Content) -> dict[str, Any]:
        return self.core(self.ivoid(spec.suffix), spec.title, spec.short_name, content)

    def _record(self, spec: Described, resource: VrResource, resource_type: str) -> Record:
        return Record(identifier=self.ivoid(spec.suffix), resource=resource, title=spec.title,
                      description=spec.description, resource_type=resource_type,
                      subjects=self.curation.subjects, publisher=self.settings.title)

    # -- the records --------------------------------------------------------------------
    def organisation(self) -> Record:
        spec = self.profile.organisation
        resource = Organisation(**self._core(spec, self.content(spec.description, types=("Organisation",))))
        return self._record(spec, resource, "Organisation")

    def authority(self) -> Record:
        spec = self.profile.authority
        resource = Authority(**self._core(spec, self.content(spec.description)), managing_org=self.organisation_name)
        return self._record(spec, resource, "Authority")

    def registry(self, oai_path: str) -> Record:
        """The publishing registry (RegistryInterface 1.1 §2.2): OAI-PMH at ``oai_path``."""
        spec = self.profile.registry
        harvest = Harvest(max_records=spec.max_records, interface=[
            OAIHTTP(access_url=[AccessURL(value=AnyUrl(self.url(oai_path)), use="base")], role="std")])
        resource = Registry(**self._core(spec, self.content(spec.description, types=("Registry",))),
                            capability=[harvest], full=False, managed_authority=[self.settings.authority])
        return self._record(spec, resource, "Registry")

    def collection(self, tables: TableSet | None, served_by: Sequence[tuple[str, str]] = (),
                   surveys: Sequence[Survey] = ()) -> Record:
        """The CoRoT collection as a ``vs:CatalogResource`` (VODataService 1.2 §3.2), served
        by the declared services and by ``served_by`` (identifier, title) records; its
        coverage is what its HiPS ``surveys`` cover."""
        return self._collection(tables, served_by, self.coverage(surveys))

    def _collection(self, tables: TableSet | None, served_by: Sequence[tuple[str, str]],
                    coverage: Coverage | None) -> Record:
        spec: CollectionSpec = self.profile.collection
        relations = [("served-by", self.ivoid(service.suffix), service.title) for service in self.profile.services]
        relations += [("served-by", ivoid, title) for ivoid, title in served_by]
        content = self.content(spec.description, types=spec.type, levels=spec.content_level, relations=relations)
        resource = CatalogResource(
            **self._core(spec, content),
            rights=self.rights(),
            facility=[ResourceName(value=spec.facility)] if spec.facility else [],
            instrument=[ResourceName(value=spec.instrument)] if spec.instrument else [],
            coverage=coverage,
            tableset=None if tables is None else tableset(tables, spec.schemas),
        )
        return self._record(spec, resource, "CatalogResource")

    def coverage(self, surveys: Sequence[Survey]) -> Coverage | None:
        """The collection's coverage: its HiPS surveys' and its declared wavebands."""
        coverage = surveys_coverage(surveys, self.profile.collection.wavebands)
        return coverage if coverage.model_dump(exclude_defaults=True) else None

    def service_for_collection(self) -> list[tuple[str, str, str]]:
        collection = self.profile.collection
        return [("service-for", self.ivoid(collection.suffix), collection.title)]

    def service(self, spec: ServiceSpec, documents: VosiDocuments, coverage: Coverage | None = None) -> Record:
        """A ``vs:CatalogService`` with the capabilities its VOSI document states, covering
        what the collection covers (``coverage``)."""
        capabilities = select_capabilities(documents.capabilities, spec.endpoint_standard, spec.access_suffix)
        if not capabilities:
            raise RecordError(f"{self.ivoid(spec.suffix)}: no capability of {spec.vosi} matches the declaration")
        content = self.content(spec.description, relations=self.service_for_collection())
        resource = CatalogService(
            **self._core(spec, content),
            rights=self.rights(),
            capability=capabilities,
            coverage=coverage,
            tableset=tableset(documents.tables, ()) if spec.tables and documents.tables is not None else None,
        )
        return self._record(spec, resource, "CatalogService")

    def hips(self, survey: Survey) -> Record:
        """A HiPS as a ``vs:CatalogService`` (HiPS 1.0 §6.2): its creator_did as identifier, a
        HiPS capability at its root URL, its properties as content and its MOC, time and
        energy ranges as coverage (VODataService 1.2 §3.3)."""
        title = survey.value("obs_title") or survey.name
        description = survey.value("obs_description") or title
        kind = "Catalog" if survey.value("dataproduct_type") == "catalog" else "Survey"
        content = self.content(description, types=(kind,), levels=("Research",),
                               relations=self.service_for_collection(), reference_url=f"{survey.url}/")
        collection = self.profile.collection
        resource = CatalogService(
            **self.core(survey.creator_did, title, None, content),
            rights=self.rights(),
            capability=[hips_capability(survey.url, hips_summary(survey))],
            facility=[ResourceName(value=collection.facility)] if collection.facility else [],
            instrument=[ResourceName(value=collection.instrument)] if collection.instrument else [],
            coverage=hips_coverage(survey),
        )
        return Record(identifier=survey.creator_did, resource=resource, title=title, description=description,
                      resource_type="CatalogService", subjects=self.curation.subjects,
                      publisher=self.settings.title)

    def all(self, documents: Mapping[str, VosiDocuments], oai_path: str,
            surveys: Sequence[Survey] = ()) -> list[Record]:
        """Every record, services in declaration order, then the HiPS; the collection's
        tables from TAP's VOSI."""
        records = [self.authority(), self.organisation(), self.registry(oai_path)]
        tap_tables = next((documents[s.vosi].tables for s in self.profile.services
                           if s.tables and s.vosi in documents), None)
        reserved = {self.ivoid(spec.suffix).lower() for spec in (self.profile.organisation, self.profile.authority,
                    self.profile.registry, self.profile.collection, *self.profile.services)}
        hips = []
        for survey in surveys:
            try:
                hips.append(self.hips(survey))
            except ValueError as exc:  # properties that make no valid record: the others are published
                log.warning("a HiPS whose properties make no valid record is not published",
                            extra={"survey": survey.name, "error": str(exc)})
        served = [(record.identifier, record.title) for record in hips if record.identifier.lower() not in reserved]
        coverage = self.coverage(surveys)  # the union MOC and its text, once for every record
        records.append(self._collection(tap_tables, served, coverage))
        for spec in self.profile.services:
            if spec.vosi not in documents:
                raise RecordError(f"{self.ivoid(spec.suffix)}: no VOSI documents for {spec.vosi}")
            records.append(self.service(spec, documents[spec.vosi], coverage))
        identifiers = {record.identifier.lower() for record in records}
        for record in hips:
            if record.identifier.lower() in identifiers:
                log.warning("a HiPS whose creator_did is the identifier of another record is not published",
                            extra={"identifier": record.identifier})
                continue
            identifiers.add(record.identifier.lower())
            records.append(record)
        return records


def hips_summary(survey: Survey) -> str:
    """What a HiPS client reads first in the properties (HiPS 1.0 §4.4.1), in words."""
    parts = [f"HiPS {survey.value('hips_version') or '1.4'} of {survey.value('dataproduct_type') or 'image'} type"]
    for key, label in (("hips_order", "deepest order"), ("hips_frame", "frame"), ("hips_tile_format", "tiles")):
        value = survey.value(key)
        if value:
            parts.append(f"{label} {value}")
    return f"{', '.join(parts)}; metadata in {survey.url}/properties"


#: Planck constant times the speed of light (J m): photon energy = HC / wavelength.
HC = 6.62607015e-34 * 299_792_458.0


def hips_coverage(survey: Survey) -> Coverage:
    """Sky (the survey's MOC, with ``Moc.fits`` as the precise footprint), time (t_min, t_max in
    MJD) and energy (from em_min, em_max in metres) of a HiPS, with its messenger (obs_regime)."""
    coverage = surveys_coverage([survey])
    if survey.moc is not None:
        coverage.footprint = ServiceReference(value=AnyUrl(survey.moc_url), ivo_id=MOC_STANDARD_ID)
    return coverage


def surveys_coverage(surveys: Sequence[Survey], wavebands: Sequence[str] = ()) -> Coverage:
    """What ``surveys`` cover together (VODataService 1.2 §3.3): the union of their MOCs, the
    time and energy spans of their properties, their messengers and ``wavebands``."""
    moc = union_moc([survey.moc for survey in surveys if survey.moc is not None])
    times = [(low, high) for survey in surveys
             for low, high in [(survey.number("t_min"), survey.number("t_max"))]
             if low is not None and high is not None and low <= high]
    waves = [(low, high) for survey in surveys
             for low, high in [(survey.number("em_min"), survey.number("em_max"))]
             if low is not None and high is not None and 0 < low <= high]
    regimes = [*wavebands, *(survey.value("obs_regime") or "" for survey in surveys)]
    return Coverage(
        spatial=None if moc is None else SpatialCoverage(value=registry_moc(moc)),
        temporal=[interval(min(t[0] for t in times), max(t[1] for t in times))] if times else [],
        spectral=[interval(HC / max(w[1] for w in waves), HC / min(w[0] for w in waves))] if waves else [],
        waveband=list(dict.fromkeys(regime for regime in regimes if regime)),
    )


def select_capabilities(capabilities: Iterable[VrCapability], endpoint_standard: str | None,
                        access_suffix: str | None) -> list[AnyCapability]:
    """The capabilities a record keeps: all of them, but of ``endpoint_standard`` only those
    whose access URL path ends with ``access_suffix``."""
    kept: list[AnyCapability] = []
    for capability in capabilities:
        if endpoint_standard is not None and str(capability.standard_id) == endpoint_standard:
            paths = [urlsplit(str(url.value)).path for interface in capability.interface or ()
                     for url in interface.access_url]
            if access_suffix is None or not any(path.endswith(access_suffix) for path in paths):
                continue
        kept.append(capability)
    return kept


def tableset(tables: TableSet, schemas: Iterable[str]) -> TableSet:
    """A record's ``tableset`` from a service's table set, restricted to ``schemas`` if given."""
    wanted = {name.lower() for name in schemas}
    return TableSet(schema_=[schema for schema in tables.schema_ if not wanted or schema.name.lower() in wanted])


__all__ = ["REGISTRY_STANDARD_ID", "RI_NS", "VG_NS", "Record", "RecordBuilder", "RecordError", "Tombstone",
           "hips_coverage", "hips_summary", "select_capabilities",
           "surveys_coverage", "tableset", "utc_timestamp"]
