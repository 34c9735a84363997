"""Fixtures for the UWS tests (helpers live in ``uws_support``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.uws.uws_support import Controller, FakeClock, UWSHarness, build_app, build_service, make_job_type
from vo_service.uws import JobService


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def control() -> Controller:
    return Controller()


@pytest.fixture
def harness_factory(tmp_path: Path, clock: FakeClock, control: Controller) -> Iterator[Callable[..., UWSHarness]]:
    """Build harnesses (service config and job type options as keywords); closed after the test."""
    services: list[JobService] = []

    def factory(
        *, mount: bool = False, job_type_options: dict[str, object] | None = None, **config: float
    ) -> UWSHarness:
        config.setdefault("max_wait", 5.0)
        service = build_service(tmp_path, clock, **config)
        services.append(service)
        job_type = make_job_type(control, **(job_type_options or {}))
        client = TestClient(build_app(service, job_type, mount=mount))
        return UWSHarness(service, job_type, control, client, clock, tmp_path)

    yield factory
    control.gate.set()
    for service in services:
        service.close()


@pytest.fixture
def uws(harness_factory: Callable[..., UWSHarness]) -> UWSHarness:
    return harness_factory()
