"""The cone-search service as built at start-up: profile, endpoints and prepared pieces.

Nothing here runs per request except :meth:`ConeService.respond`, which only validates the
parameters, picks a prepared column set and streams the store's rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cone.capabilities import ConeCapability, capabilities_document
from cone.descriptors import datalink_descriptor
from cone.params import ConeError, ConeRequest, parse_cone_request
from cone.profile import ConeProfile, Endpoint, SampleQuery, build_endpoints, load_profile
from cone.query import DidTemplate, cone_document, cone_template
from vo_service.access import Viewer
from vo_service.links import datalink_url
from vo_service.metadata import Catalogue
from vo_service.params import DaliParams
from vo_service.settings import Settings
from vo_service.store.base import Equals, Query, Store
from vo_service.vo_models_ext import AnyCapability, xml_document
from vo_service.votable.errors import scs_error_votable
from vo_service.votable.fields import Encoding
from vo_service.votable.writer import VOTableTemplate

MOUNT = "/scs"
#: Cones up to this radius (degrees) run without the execution-time watchdog.
SMALL_CONE_DEG = 1.0


@dataclass(frozen=True)
class ConeService:
    """Everything a cone-search request needs, prepared once per application."""

    settings: Settings
    profile: ConeProfile
    endpoints: Mapping[str, Endpoint]
    did: DidTemplate
    descriptor: Any
    #: the capability models (VOSI, one cone search per endpoint) and their VOSI document
    capability_models: tuple[AnyCapability, ...]
    capabilities: bytes
    paths: Mapping[str, str] = field(default_factory=dict)
    #: prepared response documents by (endpoint, VERB, serialisation), filled on first use.
    templates: dict[tuple[str, int, str], VOTableTemplate] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, catalogue: Catalogue, store: Store | None = None,
              profile: ConeProfile | None = None) -> ConeService:
        profile = profile or load_profile()
        endpoints = build_endpoints(profile, catalogue)
        if store is not None:
            profile = with_sample_test_queries(profile, endpoints, store)
        did = DidTemplate.from_template(profile.product_did.template, settings.ivo_prefix)
        descriptor = datalink_descriptor(datalink_url(settings), profile.product_did.name).element()
        document = capabilities_document(
            f"{settings.base_url}{MOUNT}",
            [ConeCapability(spec, endpoint_url(settings, spec.paths[0]), profile.service.max_sr,
                            settings.limits.maxrec_hard) for spec in profile.catalogues],
        )
        paths = {path: spec.name for spec in profile.catalogues for path in spec.paths}
        return cls(settings, profile, endpoints, did, descriptor, tuple(document.capability), xml_document(document),
                   paths)

    def parse(self, params: DaliParams) -> ConeRequest:
        limits = self.profile.service
        return parse_cone_request(params, max_sr=limits.max_sr, default_verb=limits.default_verb,
                                  default_maxrec=limits.default_maxrec,
                                  hard_maxrec=self.settings.limits.maxrec_hard)

    def respond(self, store: Store, viewer: Viewer, catalogue: str, params: DaliParams
                ) -> tuple[Iterator[bytes], str]:
        """The response chunks and media type; any error becomes the SCS error document."""
        try:
            request = self.parse(params)
        except ConeError as exc:
            return iter((scs_error_votable(exc.message),)), "text/xml"
        endpoint = self.endpoints[catalogue]
        # Small cones are bounded by the HEALPix index; only wide ones get the execution-time
        # limit, whose watchdog thread would otherwise cost more than the search itself.
        timeout = self.settings.limits.sync_timeout_s if request.sr > SMALL_CONE_DEG else None
        chunks = cone_document(store, viewer, endpoint, request, self.profile, self.did,
                               self.template(catalogue, request.verb, request.output.encoding),
                               batch_rows=self.settings.limits.batch_rows, timeout=timeout)
        return chunks, request.output.media_type

    def template(self, catalogue: str, verb: int, encoding: Encoding) -> VOTableTemplate:
        """The prepared document of one endpoint, VERB and serialisation (built once)."""
        key = (catalogue, verb, encoding)
        template = self.templates.get(key)
        if template is None:
            template = cone_template(self.endpoints[catalogue], verb, encoding, self.descriptor)
            self.templates[key] = template
        return template


def with_sample_test_queries(profile: ConeProfile, endpoints: Mapping[str, Endpoint], store: Store) -> ConeProfile:
    """Centre each endpoint's VOSI testQuery on one of its own records, so that the test
    query of the capability (SimpleDALRegExt 1.1, cs:Query) is known to return rows; the
    declared test query stays when the endpoint is empty."""
    catalogues = []
    for spec in profile.catalogues:
        endpoint = endpoints[spec.name]
        spatial = endpoint.table.spatial
        assert spatial is not None
        where = tuple(Equals(column, tuple(values)) for column, values in spec.where.items())
        query = Query(endpoint.table.name, (spatial.ra, spatial.dec), where=where, limit=1)
        rows = [row for batch in store.select(query, Viewer()) for row in batch.to_pylist()]
        if rows:
            sample = SampleQuery(ra=float(rows[0][spatial.ra]), dec=float(rows[0][spatial.dec]), sr=spec.test_query.sr)
            catalogues.append(spec.model_copy(update={"test_query": sample}))
        else:
            catalogues.append(spec)
    return profile.model_copy(update={"catalogues": tuple(catalogues)})


def endpoint_url(settings: Settings, path: str) -> str:
    return f"{settings.base_url}{MOUNT}/{path}"


__all__ = ["MOUNT", "ConeService", "endpoint_url", "with_sample_test_queries"]
