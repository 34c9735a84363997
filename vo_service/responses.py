"""Turning a stream of document chunks into an HTTP response.

The stream is advanced, in the calling worker thread, until it ends or passes a size
threshold.  A small document (the usual SCS, SSA or DataLink answer) is sent whole, with its
Content-Length; a large one streams.  Errors raised before that point (a failing query)
propagate, so the endpoint can still answer with its protocol's error document and status.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import chain

from starlette.responses import Response, StreamingResponse

from vo_service.faults import TimeoutFault, TransientFault
from vo_service.store.base import QueryTimeout, StoreError

BUFFERED_BYTES = 512 * 1024


def buffer_or_stream(chunks: Iterator[bytes], media_type: str, headers: Mapping[str, str] | None = None,
                     *, limit: int = BUFFERED_BYTES) -> Response:
    """Run ``chunks`` up to ``limit`` bytes; answer whole or stream the rest (errors propagate)."""
    buffered: list[bytes] = []
    size = 0
    for chunk in chunks:
        buffered.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    else:
        return Response(b"".join(buffered), media_type=media_type, headers=dict(headers or {}))
    return StreamingResponse(chain(buffered, chunks), media_type=media_type, headers=dict(headers or {}))


def buffered_response(chunks: Iterator[bytes], media_type: str, headers: Mapping[str, str] | None = None,
                      *, limit: int = BUFFERED_BYTES) -> Response:
    """:func:`buffer_or_stream` with store failures turned into DALI faults."""
    try:
        return buffer_or_stream(chunks, media_type, headers, limit=limit)
    except QueryTimeout as exc:
        raise TimeoutFault(str(exc)) from exc
    except StoreError as exc:
        raise TransientFault(f"The archive database could not answer: {exc}") from exc


__all__ = ["BUFFERED_BYTES", "buffer_or_stream", "buffered_response"]
