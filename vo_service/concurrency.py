"""Short CPU-bound request work on a bounded number of threads.

A cone search or an SSA query is a few hundred small Arrow and numpy calls, each of which
releases the GIL and takes it back.  With dozens of worker threads contending, each retake
waits for the interpreter's switch interval, and under 8 concurrent clients latency grew
tenfold while throughput fell (the GIL convoy effect).  Running such work on about as many
threads as cores keeps the CPU busy without the convoy; requests queue in the event loop,
which is cheap.  Long or I/O-bound work (TAP queries, file downloads) keeps Starlette's
default thread pool.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

P = ParamSpec("P")
T = TypeVar("T")


class CpuLane:
    """A bounded lane of worker threads for short CPU-bound calls."""

    def __init__(self, threads: int) -> None:
        if threads < 1:
            raise ValueError("a CPU lane needs at least one thread")
        self.limiter = CapacityLimiter(threads)

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``func(*args, **kwargs)`` in one of the lane's threads."""
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs), limiter=self.limiter)


__all__ = ["CpuLane"]
