"""The landing page and the operator endpoints (``/health``)."""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vo_service import __version__
from vo_service.context import get_context, get_viewer
from vo_service.store.base import Query, archive_empty

TEMPLATES = Path(__file__).resolve().parent / "templates"


@functools.cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def collection_summary(request: Request) -> dict[str, Any]:
    """Counts of the archive as the requesting viewer may see it."""
    ctx = get_context(request)
    viewer = get_viewer(request)
    query = Query("corot.runs", ("run_code", "run_type", "field", "date_start", "date_end", "n_targets"),
                  order_by=(("t_start", False),))
    runs = [row for batch in ctx.store.select(query, viewer) for row in batch.to_pylist()]
    counts = {name: ctx.store.count(f"corot.{name}", viewer) for name in ("targets", "lightcurves", "datasets")}
    # Rows the viewer sees make the archive non-empty; only otherwise are all rows counted.
    return {"empty": not any(counts.values()) and archive_empty(ctx.store), **counts, "runs": runs}


async def landing(request: Request) -> Response:
    ctx = get_context(request)
    template = _environment().get_template("index.html")
    html = template.render(
        title=ctx.settings.title,
        base_url=ctx.settings.base_url,
        services=ctx.links,
        summary=await run_in_threadpool(collection_summary, request),
        version=__version__,
        aladin_available=ctx.sky_view,
    )
    return HTMLResponse(html)


async def health(request: Request) -> Response:
    """Liveness and readiness for operators: store reachable, row counts, uptime."""
    ctx = get_context(request)
    try:
        targets = await run_in_threadpool(ctx.store.count, "corot.targets")
        status, code = "ok", 200
    except Exception as exc:
        targets, status, code = 0, f"store unavailable: {exc}", 503
    return JSONResponse(
        {"status": status, "version": __version__, "targets": targets,
         "uptime_s": round(time.time() - ctx.started_at, 1)},
        status_code=code,
    )


def routes() -> list[BaseRoute]:
    return [Route("/", landing, methods=["GET", "HEAD"]), Route("/health", health, methods=["GET", "HEAD"])]


__all__ = ["collection_summary", "routes"]
