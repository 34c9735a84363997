"""Serving the HiPS, the MOCs, the HiPS list and the viewer (mounted at ``/hips``).

HiPS 1.0 §5.1: a HiPS node serves each survey as a tree of files; §5.2: it lists them at a
dedicated URL (``/hips/list``).  Only HiPS file names are served (``properties``,
``Moc.fits``, ``[Mm]etadata.xml``, ``NorderK/Allsky.ext``, ``NorderK/DirD/NpixN.ext``),
matched by pattern before any file-system access, then resolved and checked to stay inside
the survey folder: ``..``, encoded dots and absolute paths never reach the disk.  A
survey's base URL (``/hips/<survey>``, ``/hips/<survey>/``, ``/hips/<survey>/index.html``)
answers an HTML page showing the survey, as HiPS nodes do.

Every answer carries ``Access-Control-Allow-Origin: *`` (browser clients such as Aladin Lite
load tiles across origins), files carry an ETag and Last-Modified and honour conditional
requests (RFC 9110 §13: If-None-Match first, else If-Modified-Since → 304), and missing
files get a short plain-text 404.
"""

from __future__ import annotations

import hashlib
import math
import re
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from hips.moc import NAME_PATTERN as MOC_NAME
from hips.properties import hips_list, parse_properties, read_properties
from hips.viewer import aladin_js
from vo_service.context import ServiceContext, get_context
from vo_service.hips_properties import RESERVED, SURVEY_NAME, survey_folders
from vo_service.services import ProtocolService, ServiceLink
from vo_service.settings import Settings
from vo_service.vo_models_ext import HIPS_STANDARD_ID, MOC_STANDARD_ID

HIPS_FILE = re.compile(
    r"^(?:properties|Moc\.fits|Metadata\.xml|metadata\.xml|preview\.jpg"
    r"|Norder[0-9]{1,2}/Allsky\.(?:fits|png|jpg|tsv)"
    r"|Norder[0-9]{1,2}/Dir[0-9]{1,12}/Npix[0-9]{1,15}\.(?:fits|png|jpg|tsv))$"
)
MEDIA_TYPES = {
    ".fits": "application/fits",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".tsv": "text/tab-separated-values; charset=utf-8",
    ".xml": "application/x-votable+xml",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
TILE_CACHE = "public, max-age=3600"
METADATA_CACHE = "public, max-age=60"
CORS = {"Access-Control-Allow-Origin": "*"}
TEMPLATES = Path(__file__).resolve().parent / "templates"


def hips_root(settings: Settings) -> Path:
    return settings.hips_dir


def not_found(what: str, status: int = 404) -> Response:
    """A real 404 (or 400): short plain text, never an HTML page with a 200."""
    return PlainTextResponse(f"{'Not found' if status == 404 else 'Bad request'}: {what}\n", status_code=status,
                             headers={**CORS, "Cache-Control": "no-cache"})


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison of If-None-Match (RFC 9110 §13.1.2)."""
    bare = etag.removeprefix("W/")
    return any(tag.strip() == "*" or tag.strip().removeprefix("W/") == bare for tag in header.split(","))


def _not_modified(request: Request, etag: str, mtime: float) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, etag)
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return int(mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
    return False


def payload_response(request: Request, payload: bytes, media_type: str, etag: str, mtime: float,
                     cache_control: str) -> Response:
    headers = {**CORS, "ETag": etag, "Last-Modified": formatdate(mtime, usegmt=True), "Cache-Control": cache_control}
    if _not_modified(request, etag, mtime):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        return Response(b"", media_type=media_type, headers={**headers, "Content-Length": str(len(payload))})
    return Response(payload, media_type=media_type, headers=headers)


def file_response(request: Request, path: Path, cache_control: str) -> Response:
    """A small file (tiles are at most ~1 MB) with validators; read only when needed."""
    try:
        stat = path.stat()
    except OSError:
        return not_found(request.url.path)
    etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
    media_type = "text/plain; charset=utf-8" if path.name == "properties" else MEDIA_TYPES.get(
        path.suffix, "application/octet-stream")
    headers = {**CORS, "ETag": etag, "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
               "Cache-Control": cache_control}
    if _not_modified(request, etag, stat.st_mtime):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        return Response(b"", media_type=media_type, headers={**headers, "Content-Length": str(stat.st_size)})
    try:
        payload = path.read_bytes()
    except OSError:
        return not_found(request.url.path)
    return Response(payload, media_type=media_type, headers=headers)


def _inside(base: Path, relative: str) -> Path | None:
    """``base/relative`` if it resolves inside ``base`` (symbolic links included)."""
    try:
        base_resolved = base.resolve()
        target = (base / relative).resolve()
    except (OSError, RuntimeError):
        return None
    return target if target.is_relative_to(base_resolved) else None


def _suspicious(text: str) -> bool:
    return ".." in text or "\\" in text or "\x00" in text or text.startswith("/") or "//" in text


def surveys(settings: Settings) -> dict[str, Path]:
    """Survey folders (those with a ``properties`` file) by name."""
    return survey_folders(hips_root(settings))


async def hips_file(request: Request) -> Response:
    survey = request.path_params["survey"]
    relative = request.path_params["path"]
    if relative in SURVEY_PAGE_PATHS:
        return await survey_page(request)
    if _suspicious(survey) or _suspicious(relative):
        return not_found(request.url.path, 400)
    if not SURVEY_NAME.match(survey) or survey in RESERVED or not HIPS_FILE.match(relative):
        return not_found(request.url.path)
    ctx = get_context(request)
    folder = hips_root(ctx.settings) / survey
    if not (folder / "properties").is_file():
        return not_found(request.url.path)
    target = _inside(folder, relative)
    if target is None:
        return not_found(request.url.path)
    cache = METADATA_CACHE if "/" not in relative else TILE_CACHE
    return file_response(request, target, cache)


#: The page of a survey: its base URL, with or without the slash, and ``index.html`` in it.
SURVEY_PAGE_PATHS = frozenset({"", "index.html"})


def _image_format(props: dict[str, str]) -> str:
    """The tile format an Aladin Lite view asks for (``imgFormat``)."""
    formats = props.get("hips_tile_format", "").split()
    return next((f for f in ("png", "jpeg", "fits") if f in formats), "png")


async def survey_page(request: Request) -> Response:
    """The page of a survey at its base URL, as HiPS nodes serve one (Hipsgen writes it as
    ``index.html``): an Aladin Lite view of the survey, how to load it in Aladin and other
    clients, its files and its ``properties`` (HiPS 1.0 §4.4)."""
    survey = request.path_params["survey"]
    if _suspicious(survey):
        return not_found(request.url.path, 400)
    ctx = get_context(request)
    available = surveys(ctx.settings)
    if not SURVEY_NAME.match(survey) or survey not in available:
        return not_found(request.url.path)
    folder = available[survey]
    props = read_properties(folder / "properties")
    hips_base = f"{ctx.settings.base_url}/hips"
    catalog = props.get("dataproduct_type") == "catalog"
    background = None
    if catalog:
        for name, other in available.items():
            other_props = read_properties(other / "properties")
            if other_props.get("dataproduct_type") == "image":
                background = {"url": f"{hips_base}/{name}", "title": other_props.get("obs_title", name),
                              "format": _image_format(other_props)}
                break
    files = ([("Metadata.xml", "the columns, VOTable"), ("Norder1/Allsky.tsv", "brightest sources, order 1")]
             if catalog else [("Norder3/Allsky.png", "all-sky preview, order 3")])
    html = _environment().get_template("survey.html").render(
        title=ctx.settings.title,
        base_url=ctx.settings.base_url,
        hips_base=hips_base,
        survey_url=f"{hips_base}/{survey}",
        survey_title=props.get("obs_title", survey),
        description=props.get("obs_description", ""),
        kind="Catalogue" if catalog else "Image",
        catalog=catalog,
        background=background,
        image_format=_image_format(props),
        sky_view=aladin_js() is not None,
        ra=_number(props.get("hips_initial_ra"), 0.0),
        dec=_number(props.get("hips_initial_dec"), 0.0),
        fov=_number(props.get("hips_initial_fov"), 10.0),
        height=int(_number(request.query_params.get("height"), 520)),
        files=[(name, label) for name, label in files if (folder / name).is_file()],
        properties=list(props.items()),
    )
    return HTMLResponse(html, headers={**CORS, "Cache-Control": METADATA_CACHE})


def list_records(settings: Settings) -> list[dict[str, object]]:
    """One HiPS-list record per survey: its properties plus ``hips_service_url``."""
    records = []
    for name, folder in surveys(settings).items():
        properties: dict[str, object] = dict(read_properties(folder / "properties"))
        properties["hips_service_url"] = f"{settings.base_url}/hips/{name}"
        ordered: dict[str, object] = {k: properties[k] for k in ("creator_did", "hips_release_date",
                                                                 "hips_service_url", "hips_status") if k in properties}
        ordered.update(properties)
        records.append(ordered)
    return records


async def hips_list_endpoint(request: Request) -> Response:
    ctx = get_context(request)
    records = list_records(ctx.settings)
    text = f"# HiPS list of {ctx.settings.base_url}/hips\n" + hips_list(records)
    payload = text.encode("utf-8")
    folders = list(surveys(ctx.settings).values())
    mtime = max(((f / "properties").stat().st_mtime for f in folders), default=0.0)
    etag = '"' + hashlib.sha256(payload).hexdigest()[:32] + '"'
    return payload_response(request, payload, "text/plain; charset=utf-8", etag, mtime, METADATA_CACHE)


async def moc_file(request: Request) -> Response:
    name = request.path_params["name"]
    stem, dot, ext = name.rpartition(".")
    if _suspicious(name):
        return not_found(request.url.path, 400)
    if not dot or ext not in {"fits", "json"} or not MOC_NAME.match(stem):
        return not_found(request.url.path)
    ctx = get_context(request)
    target = _inside(hips_root(ctx.settings) / "moc", name)
    if target is None:
        return not_found(request.url.path)
    return file_response(request, target, METADATA_CACHE)


async def viewer_script(request: Request) -> Response:
    path = aladin_js()
    if path is None:
        return not_found("aladin-lite is not installed (run: python -m hips.viewer)")
    return file_response(request, path, "public, max-age=86400")


def _number(value: str | None, default: float) -> float:
    try:
        number = float(value) if value is not None else default
    except ValueError:
        return default
    return number if math.isfinite(number) and abs(number) < 1e6 else default


async def viewer_page(request: Request) -> Response:
    """An Aladin Lite view of a survey with the targets catalogue and the run footprints."""
    ctx = get_context(request)
    available = surveys(ctx.settings)
    survey = request.query_params.get("survey", "fields")
    if survey not in available:
        return not_found(f"no HiPS named {survey!r}")
    props = parse_properties((available[survey] / "properties").read_text(encoding="utf-8"))
    params = request.query_params
    html = _environment().get_template("viewer.html").render(
        title=ctx.settings.title,
        hips_base=f"{ctx.settings.base_url}/hips",
        survey=survey,
        survey_title=props.get("obs_title", survey),
        catalog="targets" if "targets" in available and params.get("catalog", "1") != "0" else None,
        moc=_moc_layer(params.get("moc", "archive")),
        ra=_number(params.get("ra"), float(props.get("hips_initial_ra", 0.0))),
        dec=_number(params.get("dec"), float(props.get("hips_initial_dec", 0.0))),
        fov=_number(params.get("fov"), float(props.get("hips_initial_fov", 10.0))),
        width=int(_number(params.get("width"), 900)),
        height=int(_number(params.get("height"), 600)),
    )
    return HTMLResponse(html, headers=CORS)


def _moc_layer(name: str) -> str | None:
    """The MOC overlaid on the view (``none`` for no overlay)."""
    if name in ("", "none"):
        return None
    return name if MOC_NAME.match(name) else "archive"


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


class HipsNode(ProtocolService):
    """The HiPS node: the surveys built under the data directory, their list, the MOCs and
    the viewer.  Surveys appear when built, without a restart, so it keeps no runtime."""

    prefix = "/hips"
    routing_errors = False  # HiPS clients read tiles and properties files: a plain 404

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/list", hips_list_endpoint, methods=["GET", "HEAD"]),
            Route("/moc/{name}", moc_file, methods=["GET", "HEAD"]),
            Route("/viewer", viewer_page, methods=["GET", "HEAD"]),
            Route("/viewer/aladin.js", viewer_script, methods=["GET", "HEAD"]),
            Route("/{survey}", survey_page, methods=["GET", "HEAD"]),
            Route("/{survey}/{path:path}", hips_file, methods=["GET", "HEAD"]),
        ]

    def links(self, settings: Settings) -> list[ServiceLink]:
        base = f"{settings.base_url}/hips"
        return [
            ServiceLink("CoRoT fields of view (HiPS image)", "HiPS 1.0", HIPS_STANDARD_ID,
                        f"{base}/fields"),
            ServiceLink("CoRoT targets (HiPS catalogue)", "HiPS 1.0", HIPS_STANDARD_ID,
                        f"{base}/targets"),
            ServiceLink("HiPS list of this node", "HiPS 1.0 (HiPS list)", "ivo://ivoa.net/std/hips#hipslist-1.0",
                        f"{base}/list"),
            ServiceLink("Coverage of the archive (MOC)", "MOC 2.0", MOC_STANDARD_ID,
                        f"{base}/moc/archive.fits"),
        ]

    def start(self, ctx: ServiceContext) -> None:
        """Make sure the HiPS root exists, and tell the landing page whether the sky view
        (Aladin Lite) can be served."""
        hips_root(ctx.settings).mkdir(parents=True, exist_ok=True)
        ctx.sky_view = aladin_js() is not None


__all__ = ["HipsNode", "hips_list_endpoint", "list_records", "surveys"]
