"""HiPS fixtures: the surveys of the session archive, built once at preview resolution."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from archive.fullimage import render_fullimages
from hips.build import BuildOptions, build_all
from hips.report import BuildReport
from vo_service.settings import Settings
from vo_service.store.factory import open_store


@pytest.fixture(scope="session")
def built_hips(settings: Settings, client: TestClient) -> dict[str, BuildReport]:
    """fields, targets and MOCs of the test archive under ``settings.hips_dir``.

    ``client`` first, so the app already holds the database: a second store in the same
    process shares DuckDB's instance.
    """
    store = open_store(settings)
    try:
        reports = build_all(settings, store, options=BuildOptions(workers=1, resolution="preview", progress=False,
                                                                  render=render_fullimages))
    finally:
        store.close()
    return {r.survey: r for r in reports}


@pytest.fixture(scope="session")
def hips_dir(settings: Settings, built_hips: dict[str, BuildReport]) -> Path:
    return settings.hips_dir
