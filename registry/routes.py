"""HTTP endpoint of the publishing registry, mounted at ``/registry``.

``/registry/oai.xml``: OAI-PMH 2.0 (GET and POST, OAI-PMH 2.0 §3.1.1) over the records of
:mod:`registry.records`, built once every service has stated its VOSI documents, with the
HiPS surveys found in the HiPS tree at that moment (a survey built later is published at the
next start).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from registry.hips_surveys import published_surveys
from registry.oai import Repository, answer, error_document
from registry.profile import load_profile
from registry.records import REGISTRY_STANDARD_ID, RecordBuilder, RecordError
from registry.stamps import RecordStamps
from vo_service.context import ServiceContext, get_context
from vo_service.faults import ServiceFault
from vo_service.faults_render import FaultRenderer
from vo_service.params import RequestLimits, request_params
from vo_service.services import ProtocolService, Runtime, ServiceLink, VosiDocuments, bind
from vo_service.settings import Settings
from vo_service.votable.errors import fault_text

log = logging.getLogger(__name__)

MOUNT = "/registry"
OAI_PATH = f"{MOUNT}/oai.xml"
XML_MEDIA_TYPE = "text/xml"


def build_repository(ctx: ServiceContext, documents: Mapping[str, VosiDocuments]) -> Repository:
    """Every record, stamped, from the declaration and the services' VOSI documents (by mount point)."""
    profile = load_profile()
    builder = RecordBuilder(profile, ctx.settings)
    surveys = published_surveys(ctx.settings.hips_dir, ctx.settings.base_url, ctx.settings.authority)
    records = builder.all(documents, OAI_PATH, surveys)
    tombstones = RecordStamps(ctx.settings.data_dir / "registry" / "stamps.json").apply(records)
    registry_record = next(r for r in records if r.identifier == builder.ivoid(profile.registry.suffix))
    return Repository(name=profile.registry.title, base_url=builder.url(OAI_PATH),
                      admin_email=ctx.settings.contact_email, records=records, registry_record=registry_record,
                      max_records=profile.registry.max_records, tombstones=tombstones)


async def oai(request: Request, repository: Repository) -> Response:
    """OAI-PMH 2.0 requests (§3.1.1) over the records."""
    params = await request_params(request, RequestLimits.of(get_context(request).settings.limits),
                                  case_sensitive=True)
    return Response(answer(repository, params), media_type=XML_MEDIA_TYPE)


class PublishingRegistry(ProtocolService):
    """The publishing registry; the runtime is the OAI-PMH repository of the records."""

    prefix = MOUNT

    def __init__(self) -> None:
        self.repository: Runtime[Repository] = Runtime(
            "The registry records are not built yet; try again in a moment")

    def routes(self) -> list[BaseRoute]:
        return [Route("/oai.xml", bind(self.repository, oai), methods=["GET", "POST"])]

    def links(self, settings: Settings) -> list[ServiceLink]:
        return [ServiceLink(title=f"{settings.title} publishing registry (OAI-PMH)",
                            standard="RegistryInterface 1.1", standard_id=REGISTRY_STANDARD_ID,
                            url=f"{settings.base_url}{OAI_PATH}")]

    def fault_documents(self, settings: Settings) -> dict[str, FaultRenderer]:
        """A request refused before its arguments were read (too large, malformed) is an OAI-PMH
        badArgument error (§3.6, HTTP 200); an unavailable registry stays a 503."""
        base_url = f"{settings.base_url}{OAI_PATH}"

        def oai_fault(fault: ServiceFault) -> Response | None:
            if not 400 <= fault.status_code < 500:
                return None
            return Response(error_document(base_url, "badArgument", fault_text(fault)), media_type=XML_MEDIA_TYPE)

        return {"": oai_fault}  # the registry serves OAI-PMH only: every path below it

    def ready(self, ctx: ServiceContext, documents: Mapping[str, VosiDocuments]) -> None:
        """Build the records once the services have stated their VOSI documents.  A registry
        that cannot be built is logged and answers 503; it never keeps the data services down."""
        try:
            self.repository.set(build_repository(ctx, documents))
        except (RecordError, ValueError, OSError):  # ValueError: a declaration making no valid model
            log.exception("the registry records cannot be built; /registry/oai.xml answers 503")

    def stop(self, ctx: ServiceContext) -> None:
        self.repository.set(None)


__all__ = ["MOUNT", "OAI_PATH", "PublishingRegistry", "build_repository"]
