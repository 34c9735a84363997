"""Fixtures of the TAP tests: the shared app with temporarily changed limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient

from tap.routes import TapService
from tap.runtime import TapRuntime
from tap.throttle import QueryGate
from vo_service.context import ServiceContext

Tuner = Callable[..., AbstractContextManager[ServiceContext]]


def context(test_client: TestClient) -> ServiceContext:
    """The service context of a running test app (its lifespan state)."""
    ctx: ServiceContext = test_client.app_state["ctx"]
    return ctx


def tap_runtime(test_client: TestClient) -> TapRuntime:
    """The runtime of the running TAP service (query gate, plan cache, jobs)."""
    return context(test_client).service(TapService).runtime.get()


@pytest.fixture
def tuned(client: TestClient) -> Tuner:
    """Change limits of the shared app for the duration of a ``with`` block.

    The settings are swapped in the service context (and the query gate rebuilt when the
    concurrency limit changes); everything is restored afterwards.
    """

    @contextmanager
    def tune(**limits: Any) -> Iterator[ServiceContext]:
        ctx, runtime = context(client), tap_runtime(client)
        settings, gate = ctx.settings, runtime.gate
        ctx.settings = settings.model_copy(update={"limits": settings.limits.model_copy(update=limits)})
        if "max_concurrent_queries" in limits:
            runtime.gate = QueryGate(limits["max_concurrent_queries"])
        try:
            yield ctx
        finally:
            ctx.settings, runtime.gate = settings, gate

    return tune
