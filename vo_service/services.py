"""How a protocol package plugs into the core: one typed service object per package.

Each package (``tap``, ``cone``, ``ssa``, ``hips``, ``registry``) exports a subclass of
:class:`ProtocolService`; :mod:`vo_service.app` creates one object of each per application,
mounts its :meth:`~ProtocolService.routes` under its :attr:`~ProtocolService.prefix` and
states the error documents of its standard (:meth:`~ProtocolService.fault_documents`) and
drives its life cycle from the lifespan:

1. :meth:`~ProtocolService.start` once the store is open: the service builds its runtime
   (prepared documents, caches, job types) and keeps it on the object, typed;
2. :meth:`~ProtocolService.vosi`: what the service says about itself (the capability models
   of its VOSI capabilities document and its VOSI tables document, VOSI 1.1 §3.1 and §3.4),
   gathered by mount point;
3. :meth:`~ProtocolService.ready` with those documents (the registry builds its records
   from them);
4. :meth:`~ProtocolService.stop` at shutdown, in reverse order.

Handlers are closures over the service object, so they reach its runtime without any
lookup; a request that arrives before :meth:`~ProtocolService.start` gets a 503.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from vo_models.voresource.models import Capability

from vo_service.faults import TransientFault
from vo_service.faults_render import FaultRenderer
from vo_service.settings import Settings
from vo_service.vo_models_ext import TableSet

if TYPE_CHECKING:
    from vo_service.context import ServiceContext

R = TypeVar("R")
#: A Starlette request-response endpoint.
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class VosiDocuments:
    """A service's capabilities and, when it has one, its table set: the models of its VOSI
    capabilities and tables documents."""

    capabilities: Sequence[Capability]
    tables: TableSet | None = None


@dataclass(frozen=True)
class ServiceLink:
    """A service endpoint as users and registries see it."""

    title: str
    standard: str  # human name, e.g. "TAP 1.1"
    standard_id: str  # e.g. ivo://ivoa.net/std/TAP
    url: str


class ProtocolService(ABC):
    """One protocol package as the core sees it."""

    #: Mount point of the package's routes, e.g. ``/tap``; also the key of its VOSI documents.
    prefix: str
    #: Whether unknown paths and methods below :attr:`prefix` answer the standard's error
    #: document (404, 405) rather than plain text.
    routing_errors: bool = True

    @abstractmethod
    def routes(self) -> list[BaseRoute]:
        """The package's routes, relative to :attr:`prefix`."""

    @abstractmethod
    def links(self, settings: Settings) -> list[ServiceLink]:
        """The endpoints listed on the landing page."""

    def fault_documents(self, settings: Settings) -> Mapping[str, FaultRenderer]:
        """The error documents of the service's standard by path below :attr:`prefix`, for
        requests refused before their handler runs (DALI VOTable errors elsewhere)."""
        return {}

    def start(self, ctx: ServiceContext) -> None:
        """Build the runtime once the store is open (nothing by default)."""
        return

    def vosi(self, ctx: ServiceContext) -> VosiDocuments | None:
        """The VOSI documents the registry records copy (None: the service has none)."""
        return None

    def ready(self, ctx: ServiceContext, documents: Mapping[str, VosiDocuments]) -> None:
        """Run once every service has started and stated its VOSI documents (by prefix)."""
        return

    def stop(self, ctx: ServiceContext) -> None:
        """Release what :meth:`start` acquired (nothing by default)."""
        return


class Runtime(Generic[R]):
    """The typed runtime a service builds at start, read by its handlers."""

    def __init__(self, unavailable: str) -> None:
        #: what a request is told (503) while there is no runtime.
        self.unavailable = unavailable
        self._value: R | None = None

    def set(self, value: R | None) -> None:
        self._value = value

    def get(self) -> R:
        """The runtime; a :class:`TransientFault` (503) before the service has started."""
        if self._value is None:
            raise TransientFault(self.unavailable)
        return self._value

    @property
    def started(self) -> bool:
        return self._value is not None


def bind(runtime: Runtime[R], handler: Callable[[Request, R], Awaitable[Response]]) -> Endpoint:
    """An endpoint that answers with ``handler`` and the service's runtime (503 before start)."""

    async def endpoint(request: Request) -> Response:
        return await handler(request, runtime.get())

    endpoint.__name__ = getattr(handler, "__name__", "endpoint")
    endpoint.__doc__ = handler.__doc__
    return endpoint


def links_of(services: Sequence[ProtocolService], settings: Settings) -> tuple[ServiceLink, ...]:
    """Every service's landing-page links, in mount order."""
    return tuple(link for service in services for link in service.links(settings))


__all__ = ["Endpoint", "ProtocolService", "Runtime", "ServiceLink", "VosiDocuments", "bind", "links_of"]
