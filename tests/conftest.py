"""Shared fixtures: one small demo archive per session, the app, a live uvicorn server."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from hypothesis import settings as hypothesis_settings
from starlette.testclient import TestClient

from archive.generator import DemoSize, generate, proprietary_products
from archive.ingest import AccessPolicy, ingest
from vo_service.app import create_app
from vo_service.metadata import load_catalogue
from vo_service.server import uvicorn_config
from vo_service.settings import Settings
from vo_service.store.duckdb_store import DuckDBStore

# Property tests judge results, not time: a loaded two-core machine makes Hypothesis's
# per-example deadline fail at random (speed is measured in benchmarks/).  In CI the
# examples are derived from each test's name, so a red run can be replayed as it was.
hypothesis_settings.register_profile("default", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "default")

#: Users of the test archive: a Co-I who may read the proprietary products.
TEST_USERS = {"coi": {"token": "coi-secret-token", "groups": ["corot-coi"]}}
COI_AUTH = {"Authorization": "Bearer coi-secret-token"}


def require_tool(path: str) -> str:
    """The tool's path; skip when absent locally, fail in CI (where .ci/run installs it)."""
    found = shutil.which(path)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{path} is required in CI (scripts/install-system-deps installs it)")
    pytest.skip(f"{path} not installed (scripts/install-system-deps installs it)")


@pytest.fixture(scope="session")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small but complete archive: every run, planet hosts, proprietary products."""
    data_dir = tmp_path_factory.mktemp("archive")
    settings = Settings(data_dir=data_dir)
    size = DemoSize(fraction=0.03, lightcurves_per_run=1, astero_per_short_run=1, seed=7)
    generated = generate(settings.products_dir, size, progress=False)
    store = DuckDBStore(settings.database_path, load_catalogue())
    try:
        proprietary = set(proprietary_products(generated.product_files))
        public = [p for p in generated.product_files if p not in proprietary]
        report = ingest(store, settings.products_dir, [*generated.catalogue_files, *public], progress=False)
        assert report.ok, report.failures
        coi = ingest(store, settings.products_dir, sorted(proprietary),
                     policy=AccessPolicy("corot-coi", datetime(2030, 1, 1, tzinfo=UTC)), progress=False)
        assert coi.ok and coi.products > 0
    finally:
        store.close()
    return data_dir


def make_settings(data_dir: Path, base_url: str = "http://testserver") -> Settings:
    return Settings(data_dir=data_dir, base_url=base_url, users=TEST_USERS, log_json=False)


@pytest.fixture(scope="session")
def settings(archive_dir: Path) -> Settings:
    return make_settings(archive_dir)


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def free_port() -> int:
    """A port of 127.0.0.1 free at the time of asking."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(archive_dir: Path, client: TestClient) -> Iterator[str]:
    """A real uvicorn on 127.0.0.1 serving the test archive, configured as ``corot-vo serve``
    configures it; yields its base URL.

    It runs in this process, so it shares the DuckDB database instance with ``client``
    (DuckDB allows one writing process, any number of connections inside it).
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(archive_dir, base)
    server = uvicorn.Server(uvicorn_config(create_app(settings), settings, host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise RuntimeError("uvicorn did not start")
    yield base
    server.should_exit = True
    thread.join(timeout=10)
