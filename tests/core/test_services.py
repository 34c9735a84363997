"""The protocol services plug into the core through typed service objects."""

from __future__ import annotations

import dataclasses
import typing

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, Router
from starlette.testclient import TestClient

from tap.routes import TapService
from tap.runtime import TapRuntime
from vo_service.app import create_app, protocol_services
from vo_service.context import ServiceContext
from vo_service.faults import TransientFault
from vo_service.services import Runtime, bind
from vo_service.settings import Settings
from vo_service.store.base import Store


def context(client: TestClient) -> ServiceContext:
    ctx: ServiceContext = client.app_state["ctx"]
    return ctx


def test_each_package_mounts_one_service_object() -> None:
    services = protocol_services()
    prefixes = [service.prefix for service in services]
    assert prefixes == ["/tap", "/scs", "/ssa", "/hips", "/registry"]
    assert all(service.routes() for service in services)
    assert protocol_services()[0] is not services[0]  # one object per application, no module state


def test_the_context_is_typed_and_holds_no_untyped_bag(client: TestClient) -> None:
    ctx = context(client)
    assert "extras" not in {f.name for f in dataclasses.fields(ctx)}
    assert isinstance(ctx.store, Store)
    assert isinstance(ctx.service(TapService).runtime.get(), TapRuntime)
    standards = {link.standard for link in ctx.links}
    assert {"TAP 1.1", "SCS 1.03", "SSA 1.1", "HiPS 1.0", "RegistryInterface 1.1"} <= standards
    with pytest.raises(LookupError):
        ctx.service(type("Elsewhere", (TapService,), {}))


def test_no_field_of_the_context_is_typed_any() -> None:
    hints = typing.get_type_hints(ServiceContext)
    assert set(hints) >= {"settings", "catalogue", "store", "light_curves", "services", "links"}
    untyped = [name for name, hint in hints.items() if typing.Any in (hint, *typing.get_args(hint))]
    assert untyped == []


def test_a_service_that_has_not_started_answers_503() -> None:
    runtime: Runtime[str] = Runtime("The example service is starting; try again in a moment")

    async def hello(request: Request, name: str) -> Response:
        return PlainTextResponse(f"hello {name}")

    app = Router(routes=[Route("/", bind(runtime, hello))])
    with pytest.raises(TransientFault, match="starting"):
        TestClient(app).get("/")
    runtime.set("world")
    assert TestClient(app).get("/").text == "hello world"


def test_stopped_services_release_their_runtime(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        service = context(client).service(TapService)
        assert service.runtime.started
        assert client.get("/tap/sync", params={"LANG": "ADQL", "QUERY": "SELECT TOP 1 run_code FROM corot.runs"}
                          ).status_code == 200
    assert not service.runtime.started
