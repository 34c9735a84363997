"""Concurrency limit (HTTP 429 with Retry-After) and the synchronous execution time limit."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.testclient import TestClient

from tap.sync import streamed_body
from tap.throttle import QueryGate
from tests.tap.conftest import Tuner, tap_runtime
from tests.tap.helpers import error_message, sync, table_of
from vo_service.faults import ThrottledFault

SLOW_QUERY = "SELECT COUNT(*) AS n FROM corot.targets AS a, corot.targets AS b, corot.targets AS c"


def test_gate_counts_and_refuses() -> None:
    gate = QueryGate(2)
    gate.acquire_or_refuse()
    with gate.slot():
        assert gate.running == 2
        with pytest.raises(ThrottledFault) as refused:
            gate.acquire_or_refuse()
        assert refused.value.status_code == 429 and refused.value.retry_after > 0
    gate.release()
    assert gate.running == 0


def test_waiting_for_a_slot_stops_on_cancellation() -> None:
    gate = QueryGate(1)
    gate.acquire_or_refuse()
    cancelled = threading.Event()
    threading.Timer(0.2, cancelled.set).start()
    started = time.monotonic()
    assert not gate.acquire_waiting(cancelled.is_set, poll_s=0.05)
    assert time.monotonic() - started < 2
    gate.release()
    assert gate.acquire_waiting(lambda: False)


def test_streamed_bodies_free_their_slot_when_done_or_dropped() -> None:
    gate = QueryGate(2)
    closed: list[str] = []

    def chunks(name: str) -> Iterator[bytes]:
        try:
            yield b"more"
            yield b"rest"
        finally:
            closed.append(name)

    async def consume(body: AsyncIterator[bytes]) -> bytes:
        return b"".join([block async for block in body])

    gate.acquire_or_refuse()
    assert asyncio.run(consume(streamed_body(b"first", chunks("read"), gate.release))) == b"firstmorerest"
    gate.acquire_or_refuse()
    dropped = chunks("dropped")
    next(dropped)  # the first block was taken, then the client went away
    body = streamed_body(b"first", dropped, gate.release)
    del body
    gc.collect()
    assert closed == ["read", "dropped"] and gate.running == 0


def test_too_many_queries_get_429(client: TestClient, tuned: Tuner) -> None:
    with tuned(max_concurrent_queries=1):
        gate = tap_runtime(client).gate
        gate.acquire_or_refuse()
        try:
            response = sync(client, "SELECT TOP 1 run_code FROM corot.runs")
        finally:
            gate.release()
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0
        assert "Too many queries" in error_message(response)
        assert len(table_of(sync(client, "SELECT TOP 1 run_code FROM corot.runs"))) == 1
        assert gate.running == 0


def test_slots_are_released_after_streaming_and_errors(client: TestClient, tuned: Tuner) -> None:
    with tuned(max_concurrent_queries=2):  # a gate of its own: jobs of other tests may hold slots
        gate = tap_runtime(client).gate
        response = sync(client, "SELECT * FROM corot.targets")  # over a block: streamed
        assert len(response.content) > 256 * 1024 and len(table_of(response)) > 5000
        assert sync(client, "SELECT nope FROM corot.targets").status_code == 400
        assert gate.running == 0
        assert tap_runtime(client).gate is gate


def test_sync_queries_time_out(client: TestClient, tuned: Tuner) -> None:
    with tuned(sync_timeout_s=0.3, max_concurrent_queries=2):
        started = time.monotonic()
        response = sync(client, SLOW_QUERY)
        assert time.monotonic() - started < 10
        assert response.status_code == 500
        message = error_message(response)
        assert "time limit" in message and "0.3 s" in message
        assert tap_runtime(client).gate.running == 0
