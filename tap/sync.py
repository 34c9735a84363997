"""The synchronous query endpoint ``/tap/sync`` (TAP 1.1 §2.1, DALI 1.1 §4.1).

GET and POST (form-encoded or multipart; multipart parts are the inline uploads that
``param:`` URIs of UPLOAD name).  The request is checked and planned before anything is
sent, and the query runs up to its first result batch before the response starts: every
error until then is a DALI error document with an error status (400 for a bad query or
parameter, 413 for oversized uploads, 429 when too many queries run, 500 for a timeout).
The rest of the result streams; a failure after the first byte is reported in-band by a
trailing ``QUERY_STATUS`` ERROR INFO (DALI 1.1 §5.4.2).
"""

from __future__ import annotations

import io
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import BinaryIO

import pyarrow as pa
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tap.execution import PlanCache, QueryPlan, encode_result, run_batches
from tap.params import QueryRequest, query_request
from tap.runtime import TapRuntime
from tap.uploads import InlineSource, load_uploads
from vo_service.access import Viewer
from vo_service.context import ServiceContext, get_context, get_viewer
from vo_service.links import datalink_url
from vo_service.params import RequestLimits, reading_params
from vo_service.votable.writer import prime

#: Bytes gathered per step from the result stream: small results leave in one response
#: body, large ones in blocks of about this size (each step runs on a worker thread).
BLOCK_BYTES = 256 * 1024


def _inline_parts(parts: dict[str, UploadFile]) -> InlineSource:
    def open_part(name: str) -> BinaryIO | None:
        part = parts.get(name.lower())
        if part is None:
            return None
        part.file.seek(0)
        return io.BytesIO(part.file.read())

    return open_part


def _block(chunks: Iterator[bytes]) -> bytes | None:
    """The next chunks up to about :data:`BLOCK_BYTES`; None at the end of the stream."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size >= BLOCK_BYTES:
            break
    return b"".join(parts) if parts else None


def _first_block(ctx: ServiceContext, plan: QueryPlan, tap_request: QueryRequest,
                 batches: Iterator[pa.RecordBatch]) -> tuple[bytes, Iterator[bytes]]:
    """The result document of ``batches``: its first block and the stream of the rest."""
    chunks = prime(encode_result(plan, tap_request, batches, datalink_url=datalink_url(ctx.settings)))
    return _block(chunks) or b"", chunks


def _prepare(
    ctx: ServiceContext, plans: PlanCache, viewer: Viewer, tap_request: QueryRequest, inline: InlineSource
) -> tuple[bytes, Iterator[bytes]]:
    """Uploads, plan, and the first block of the result (on a worker thread).

    Errors until the first chunk of the document propagate as faults; the first block may
    already hold the whole result.
    """
    settings = ctx.settings
    uploads = load_uploads(tap_request.uploads, inline, settings.limits)
    plan = plans.plan(tap_request.query, ctx.catalogue, ctx.store, viewer, tap_request.maxrec, uploads)
    return _first_block(ctx, plan, tap_request, run_batches(plan, ctx.store, timeout=settings.limits.sync_timeout_s))


def _remembered(ctx: ServiceContext, plans: PlanCache, viewer: Viewer,
                tap_request: QueryRequest) -> tuple[bytes, Iterator[bytes]] | None:
    """The answer of a query whose plan remembers its rows (see :class:`tap.execution.ResultMemo`).

    At most :data:`tap.execution.MEMO_BYTES` of rows to encode: cheaper in the event loop
    than the two thread hand-offs of :func:`_prepare`.
    """
    if tap_request.uploads:
        return None
    found = plans.remembered(tap_request.query, viewer, tap_request.maxrec, ctx.store.data_version)
    if found is None:
        return None
    plan, rows = found
    return _first_block(ctx, plan, tap_request, iter(rows))


class _Finish:
    """Closes the result stream (its database cursor) and frees the query slot, once.

    Called when streaming ends, and as a finaliser of the response body in case the body
    is never iterated to its end (a client that goes away before or while it is sent).
    """

    def __init__(self, chunks: Iterator[bytes], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release = release
        self._lock = threading.Lock()
        self._done = False

    def __call__(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
        finally:
            self._release()


async def _stream(first: bytes, chunks: Iterator[bytes], finish: _Finish) -> AsyncIterator[bytes]:
    """The result in blocks, each produced on a worker thread."""
    try:
        yield first
        while True:
            block = await run_in_threadpool(_block, chunks)
            if block is None:
                break
            yield block
    finally:
        await run_in_threadpool(finish)


def streamed_body(first: bytes, chunks: Iterator[bytes], release: Callable[[], None]) -> AsyncIterator[bytes]:
    """The response body of a large result; ``release`` runs once it is done with or dropped."""
    finish = _Finish(chunks, release)
    body = _stream(first, chunks, finish)
    weakref.finalize(body, finish)
    return body


async def sync_query(request: Request, runtime: TapRuntime) -> Response:
    """GET/POST ``/tap/sync``: run one ADQL query and stream its result (within the query
    gate and with the plan cache of the running service)."""
    ctx = get_context(request)
    viewer = get_viewer(request)
    limits = ctx.settings.limits
    gate = runtime.gate
    async with reading_params(request, RequestLimits.of(limits), files=True) as (params, parts):
        tap_request = query_request(params, limits)
        gate.acquire_or_refuse()
        try:
            ready = _remembered(ctx, runtime.plans, viewer, tap_request)
            if ready is None:
                ready = await run_in_threadpool(_prepare, ctx, runtime.plans, viewer, tap_request,
                                                _inline_parts(parts))
            first, chunks = ready
        except BaseException:
            gate.release()
            raise
    media_type = tap_request.output.media_type
    if len(first) < BLOCK_BYTES:  # the whole result is there: no streaming needed
        gate.release()
        return Response(first, media_type=media_type)
    return StreamingResponse(streamed_body(first, chunks, gate.release), media_type=media_type)


__all__ = ["BLOCK_BYTES", "streamed_body", "sync_query"]
