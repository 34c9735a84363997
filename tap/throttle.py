"""A bound on concurrently running TAP queries (``limits.max_concurrent_queries``).

Synchronous requests beyond the bound are refused at once with HTTP 429 and a Retry-After
header (:class:`ThrottledFault`), so that a burst cannot exhaust the database or the
threads; asynchronous jobs wait for a slot instead, since they were accepted already.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from vo_service.faults import ThrottledFault

#: Seconds a refused client is asked to wait before retrying.
RETRY_AFTER_S = 5


class QueryGate:
    """Counts running queries; :meth:`enter` refuses or waits when the bound is reached."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("at least one query must be allowed to run")
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._running = 0

    @property
    def running(self) -> int:
        with self._lock:
            return self._running

    def try_acquire(self) -> bool:
        if not self._slots.acquire(blocking=False):
            return False
        with self._lock:
            self._running += 1
        return True

    def acquire_or_refuse(self) -> None:
        """Take a slot now or raise :class:`ThrottledFault` (HTTP 429)."""
        if not self.try_acquire():
            raise ThrottledFault(
                f"Too many queries are running ({self.limit}); please retry in a few seconds.",
                retry_after=RETRY_AFTER_S,
            )

    def acquire_waiting(self, cancelled: Callable[[], bool], poll_s: float = 0.5) -> bool:
        """Wait for a slot; give up (False) as soon as ``cancelled()`` is true."""
        while not cancelled():
            if self._slots.acquire(timeout=poll_s):
                with self._lock:
                    self._running += 1
                return True
        return False

    def release(self) -> None:
        with self._lock:
            self._running -= 1
        self._slots.release()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """A slot for the duration of the block, refused when none is free."""
        self.acquire_or_refuse()
        try:
            yield
        finally:
            self.release()


__all__ = ["RETRY_AFTER_S", "QueryGate"]
