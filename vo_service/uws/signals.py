"""Waking blocked WAIT requests when a job changes (UWS 1.1 §2.2.1.2).

Phase changes happen on worker and timer threads; the blocked requests are coroutines
on the server's asyncio loop.  A waiter subscribes before it reads the job, so that no
change can slip between the read and the wait.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class Waiter:
    """One blocked request: an asyncio event on the loop that is waiting for it."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()

    def wake(self) -> None:
        with suppress(RuntimeError):  # the loop has closed: nobody is waiting any more
            self.loop.call_soon_threadsafe(self.event.set)


class PhaseSignals:
    """Wakes blocked WAIT requests (coroutines) when a job changes, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[Waiter]] = {}

    @contextmanager
    def subscribe(self, job_id: str) -> Iterator[Waiter]:
        waiter = Waiter()
        with self._lock:
            self._waiters.setdefault(job_id, set()).add(waiter)
        try:
            yield waiter
        finally:
            with self._lock:
                waiters = self._waiters.get(job_id)
                if waiters is not None:
                    waiters.discard(waiter)
                    if not waiters:
                        del self._waiters[job_id]

    def notify(self, job_id: str) -> None:
        with self._lock:
            waiters = list(self._waiters.get(job_id, ()))
        for waiter in waiters:
            waiter.wake()


__all__ = ["PhaseSignals", "Waiter"]
