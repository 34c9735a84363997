"""The CPU lane runs at most its number of calls at once, and passes results and errors."""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from vo_service.concurrency import CpuLane


def test_lane_bounds_concurrency_and_returns_results() -> None:
    lane = CpuLane(2)
    running = 0
    peak = 0
    lock = threading.Lock()

    def work(value: int, *, scale: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return value * scale

    async def main() -> list[int]:
        results: list[int] = [0] * 8

        async def one(i: int) -> None:
            results[i] = await lane.run(work, i, scale=10)

        async with anyio.create_task_group() as group:
            for i in range(8):
                group.start_soon(one, i)
        return results

    assert anyio.run(main) == [i * 10 for i in range(8)]
    assert peak == 2


def test_lane_propagates_errors_and_rejects_zero_threads() -> None:
    def fail() -> None:
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        anyio.run(CpuLane(1).run, fail)
    with pytest.raises(ValueError, match="at least one thread"):
        CpuLane(0)
