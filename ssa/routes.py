"""HTTP endpoints mounted at ``/ssa``.

- ``/ssa/ssap.xml``: SSA 1.1 queryData and FORMAT=METADATA;
- ``/ssa/products/{id}.fits|.vot|.csv``: the N2 file (byte-identical, checksum-verified), the
  VOTable time series and CSV;  ``/ssa/preview/{id}.png``: the cached plot;
- ``/ssa/datalink``: DataLink 1.1 {links};  ``/ssa/soda``: SODA 1.0 {sync};
- ``/ssa/capabilities``, ``/ssa/availability``: VOSI 1.1.

Every read goes through the store with the request's viewer: restricted products are not
found for anyone outside their group.  Failures are :mod:`vo_service.faults` (rendered as
DALI error documents), except SODA's plain-text errors (SODA 1.0 §5.2).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ssa.capabilities import SSALimits, capabilities_document
from ssa.datalink import links_document
from ssa.descriptors import DATALINK_MEDIA_TYPE
from ssa.dids import DidError, product_id_of
from ssa.params import parse_query
from ssa.preview import cached_preview, preview_path
from ssa.products import IntegrityFault, Product, file_chunks, find_product, open_verified, verify
from ssa.query import metadata_document, query_document
from ssa.service import LIGHTCURVES, MOUNT, SSAService
from ssa.soda import SodaError, barycentric_window, parse_cutout, select_bands, usage
from ssa.timeseries import LightCurveTable, ProductInfo, csv_chunks, fits_bytes, load_light_curve, votable_chunks
from vo_service.access import Viewer
from vo_service.context import ServiceContext, get_context, get_viewer
from vo_service.faults import NotFoundFault
from vo_service.faults_render import FaultRenderer, soda_fault_response
from vo_service.lightcurves import ProductFormatError
from vo_service.links import DATALINK_PATH, datalink_url
from vo_service.params import DaliParams, RequestLimits, request_params
from vo_service.responses import buffered_response
from vo_service.services import Endpoint, ProtocolService, Runtime, ServiceLink, VosiDocuments, bind
from vo_service.settings import Settings
from vo_service.vo_models_ext import SSA_STANDARD_ID, AnyCapability, xml_document
from vo_service.vosi_availability import availability_response
from vo_service.votable.descriptors import DATALINK_STANDARD_ID, SODA_STANDARD_ID
from vo_service.votable.formats import votable_response_format

log = logging.getLogger(__name__)

SSA_MEDIA_TYPE = "text/xml;content=x-votable"
VOTABLE_MEDIA_TYPE = "application/x-votable+xml"
XML_MEDIA_TYPE = "text/xml"


@dataclass(frozen=True)
class SSARuntime:
    """The prepared service and its fixed documents."""

    service: SSAService
    metadata: bytes
    #: the capability models (VOSI, SSA, DataLink, SODA) and their VOSI document
    capability_models: tuple[AnyCapability, ...]
    capabilities: bytes


def build_runtime(ctx: ServiceContext) -> SSARuntime:
    service = SSAService.build(ctx.settings, ctx.catalogue, ctx.store)
    limits = SSALimits(service.profile.service.max_size / 2, ctx.settings.limits.maxrec_hard,
                       service.profile.service.default_maxrec, (102.07989, -3.10214), 0.02)
    document = capabilities_document(service.urls.base, service.urls.datalink, limits)
    return SSARuntime(service, metadata_document(service), tuple(document.capability), xml_document(document))


def _product_info(service: SSAService, product: Product) -> ProductInfo:
    row = product.row
    return ProductInfo(
        product_id=product.product_id,
        publisher_did=service.did(product.product_id),
        corot_id=int(row["corot_id"]),
        run_code=str(row["run_code"]),
        product_type=str(row["product_type"]),
        target_name=service.names.name_of(int(row["corot_id"])),
        ra=float(row["ra"]),
        dec=float(row["dec"]),
    )


def _locate(ctx: ServiceContext, viewer: Viewer, product_id: str) -> Product:
    return find_product(ctx.store, viewer, ctx.settings.products_dir, product_id)


# -- SSA queryData -----------------------------------------------------------------------------


async def ssap(request: Request, runtime: SSARuntime) -> Response:
    """SSA 1.1 queryData (GET or POST)."""
    ctx = get_context(request)
    params = await request_params(request, RequestLimits.of(ctx.settings.limits))
    service = runtime.service
    plan = await ctx.cpu_lane.run(parse_query, params, service.profile, service.names,
                                  ivo_prefix=ctx.settings.ivo_prefix, hard_maxrec=ctx.settings.limits.maxrec_hard)
    if plan.metadata:
        return Response(runtime.metadata, media_type=SSA_MEDIA_TYPE)
    viewer = get_viewer(request)

    def answer() -> Response:
        chunks = query_document(service, ctx.store, viewer, plan, timeout=ctx.settings.limits.sync_timeout_s)
        return buffered_response(chunks, SSA_MEDIA_TYPE)

    return await ctx.cpu_lane.run(answer)


# -- downloads ---------------------------------------------------------------------------------


async def product_fits(request: Request) -> Response:
    """The archived N2 file, byte for byte, after its checksum was verified."""
    ctx = get_context(request)
    product_id = str(request.path_params["product_id"])
    product = await run_in_threadpool(_locate, ctx, get_viewer(request), product_id)
    stream = await run_in_threadpool(open_verified, product)
    headers = {
        "Content-Length": str(product.path.stat().st_size),
        "Content-Disposition": f'attachment; filename="{product_id}.fits"',
        "ETag": f'"{product.checksum}"',
        "Digest": f"sha-256={product.checksum}",
    }
    return StreamingResponse(file_chunks(stream), media_type="application/fits", headers=headers)


def _light_curve(ctx: ServiceContext, viewer: Viewer, product_id: str, service: SSAService) -> Any:
    product = _locate(ctx, viewer, product_id)
    verify(product)
    bands = [band.name for band in service.profile.bands_of(str(product.row["product_type"]))]
    try:
        return load_light_curve(ctx.light_curves, str(product.path), _product_info(service, product), bands)
    except ProductFormatError as exc:
        log.error("cannot read product %s: %s", product_id, exc)
        raise IntegrityFault(f"The file of {product_id} cannot be read; the archive operators have been notified") \
            from None


def _series_download(
    extension: str, media_type: str, disposition: str, encode: Callable[[LightCurveTable], Iterator[bytes]]
) -> Callable[[Request, SSARuntime], Awaitable[Response]]:
    """A download of the light curve re-encoded from its N2 file (VOTable time series, CSV)."""

    async def download(request: Request, runtime: SSARuntime) -> Response:
        ctx = get_context(request)
        service = runtime.service
        product_id = str(request.path_params["product_id"])
        viewer = get_viewer(request)

        def answer() -> Response:
            curve = _light_curve(ctx, viewer, product_id, service)
            headers = {"Content-Disposition": f'{disposition}; filename="{product_id}.{extension}"'}
            return buffered_response(encode(curve), media_type, headers)

        return await run_in_threadpool(answer)

    download.__name__ = f"product_{extension}"
    return download


#: The light curve as a VOTable time series (TIMESYS, barycentric times), and as CSV.
product_votable = _series_download("vot", VOTABLE_MEDIA_TYPE, "inline", votable_chunks)
product_csv = _series_download("csv", "text/csv", "attachment", csv_chunks)


async def preview(request: Request, runtime: SSARuntime) -> Response:
    """The PNG plot of a light curve, rendered once and cached under the cache directory."""
    ctx = get_context(request)
    product_id = str(request.path_params["product_id"])
    viewer = get_viewer(request)

    def locate() -> Path:
        product = _locate(ctx, viewer, product_id)
        cached = preview_path(ctx.settings.cache_dir, product_id, product.checksum)
        if cached.exists():
            return cached
        verify(product)
        service = runtime.service
        info = _product_info(service, product)
        title = f"{info.target_name}  {info.run_code}  {info.product_type}"
        size = service.profile.service
        return cached_preview(ctx.light_curves, ctx.settings.cache_dir, product_id, product.checksum,
                              str(product.path), title, size.preview_width, size.preview_height)

    path = await run_in_threadpool(locate)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


# -- DataLink and SODA -------------------------------------------------------------------------


def _check_datalink_format(params: DaliParams) -> str:
    """DataLink 1.1 §3.2.2: VOTable is the one format; its media types are accepted."""
    return votable_response_format(params.responseformat(), DATALINK_MEDIA_TYPE)[1]


async def datalink(request: Request, runtime: SSARuntime) -> Response:
    """DataLink 1.1 {links}: one block of links (or an error row) per ID."""
    ctx = get_context(request)
    service = runtime.service
    params = await request_params(request, RequestLimits.of(ctx.settings.limits))
    media_type = _check_datalink_format(params)
    identifiers = [value.strip() for value in params.all("ID") if value.strip()]
    viewer = get_viewer(request)

    def answer() -> Response:
        return buffered_response(links_document(service, ctx.store, viewer, identifiers), media_type)

    return await run_in_threadpool(answer)


def _cutout(ctx: ServiceContext, viewer: Viewer, service: SSAService, params: DaliParams) -> Response:
    request = parse_cutout(params)
    try:
        product_id = product_id_of(request.identifier, ctx.settings.ivo_prefix)
        product = _locate(ctx, viewer, product_id)
    except (DidError, NotFoundFault):
        raise usage(f"{request.identifier} is not a light curve of this archive", 404) from None
    bands = select_bands(service.profile, str(product.row["product_type"]), request.band, request.colours)
    if not bands:
        return Response(status_code=204)
    window = barycentric_window(request.time, float(product.row["ra"]), float(product.row["dec"]))
    try:
        verify(product)
        curve = load_light_curve(ctx.light_curves, str(product.path), _product_info(service, product), bands,
                                 time_range=window)
    except (IntegrityFault, ProductFormatError) as exc:
        log.error("SODA cannot deliver %s: %s", product_id, exc)
        raise SodaError("ServiceUnavailable", f"the file of {product_id} cannot be delivered now", 503) from None
    if curve.table.num_rows == 0:
        return Response(status_code=204)
    name = f"{product_id}-cutout"
    if request.output.key == "votable":
        return buffered_response(votable_chunks(curve), request.output.media_type,
                                 {"Content-Disposition": f'inline; filename="{name}.vot"'})
    if request.output.key == "csv":
        return buffered_response(csv_chunks(curve), "text/csv",
                                 {"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(fits_bytes(curve), media_type="application/fits",
                    headers={"Content-Disposition": f'attachment; filename="{name}.fits"'})


async def soda(request: Request, runtime: SSARuntime) -> Response:
    """SODA 1.0 {sync}: a cutout, 204 when it is empty, text/plain errors (SODA 1.0 §5)."""
    ctx = get_context(request)
    service = runtime.service
    params = await request_params(request, RequestLimits.of(ctx.settings.limits))
    viewer = get_viewer(request)
    try:
        return await run_in_threadpool(_cutout, ctx, viewer, service, params)
    except SodaError as exc:
        return PlainTextResponse(exc.text, status_code=exc.status)


# -- VOSI --------------------------------------------------------------------------------------


async def capabilities(request: Request, runtime: SSARuntime) -> Response:
    """VOSI capabilities (VOSI 1.1 §3.1): SSA, DataLink and SODA."""
    return Response(runtime.capabilities, media_type=XML_MEDIA_TYPE)


async def availability(request: Request) -> Response:
    """VOSI availability (VOSI 1.1 §3.2)."""
    return await availability_response(request, "corot.lightcurves", "SSA, DataLink and SODA service")


class SpectralAccess(ProtocolService):
    """SSA with DataLink and SODA over the light curves; the runtime is the prepared
    :class:`SSARuntime` (profile, target names, fixed documents)."""

    prefix = MOUNT

    def __init__(self) -> None:
        self.runtime: Runtime[SSARuntime] = Runtime("The SSA service is starting; try again in a moment")

    def routes(self) -> list[BaseRoute]:
        def bound(handler: Callable[[Request, SSARuntime], Awaitable[Response]]) -> Endpoint:
            return bind(self.runtime, handler)

        return [
            Route("/ssap.xml", bound(ssap), methods=["GET", "POST"]),
            Route("/products/{product_id}.fits", product_fits, methods=["GET"]),
            Route("/products/{product_id}.vot", bound(product_votable), methods=["GET"]),
            Route("/products/{product_id}.csv", bound(product_csv), methods=["GET"]),
            Route("/preview/{product_id}.png", bound(preview), methods=["GET"]),
            Route(DATALINK_PATH.removeprefix(MOUNT), bound(datalink), methods=["GET", "POST"]),
            Route("/soda", bound(soda), methods=["GET", "POST"]),
            Route("/capabilities", bound(capabilities), methods=["GET"]),
            Route("/availability", availability, methods=["GET"]),
        ]

    def links(self, settings: Settings) -> list[ServiceLink]:
        base = f"{settings.base_url}{MOUNT}"
        return [
            ServiceLink("CoRoT light curves (SSA)", "SSA 1.1", SSA_STANDARD_ID, f"{base}/ssap.xml"),
            ServiceLink("CoRoT light-curve links (DataLink)", "DataLink 1.1", DATALINK_STANDARD_ID,
                        datalink_url(settings)),
            ServiceLink("CoRoT light-curve cutouts (SODA)", "SODA 1.0", SODA_STANDARD_ID, f"{base}/soda"),
        ]

    def fault_documents(self, settings: Settings) -> dict[str, FaultRenderer]:
        """SODA requests refused before the cutout get SODA's text/plain error (SODA 1.0 §5.2)."""
        return {"/soda": soda_fault_response}

    def start(self, ctx: ServiceContext) -> None:
        """Build the profile, target names and fixed documents before the first request, and
        have the store hold the light-curve table ready for positional queries."""
        runtime = build_runtime(ctx)
        ctx.store.preload(LIGHTCURVES)
        self.runtime.set(runtime)

    def vosi(self, ctx: ServiceContext) -> VosiDocuments:
        """The VOSI capabilities document (SSA, DataLink, SODA), for the registry record."""
        return VosiDocuments(self.runtime.get().capability_models)

    def stop(self, ctx: ServiceContext) -> None:
        self.runtime.set(None)


__all__ = ["SSARuntime", "SpectralAccess", "build_runtime"]
