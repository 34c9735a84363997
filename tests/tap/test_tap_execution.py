"""Planning queries: the plan cache keys on the viewer's groups, never shares across them."""

from __future__ import annotations

from starlette.testclient import TestClient

from tap.execution import PlanCache
from tap.uploads import read_votable
from tests.conftest import COI_AUTH
from tests.tap.conftest import context
from tests.tap.helpers import sync, table_of, votable_bytes
from vo_service.access import Viewer
from vo_service.settings import Limits

QUERY = "SELECT product_id FROM corot.lightcurves WHERE access_group = 'corot-coi'"


def test_cache_reuses_plans_per_viewer_groups(client: TestClient) -> None:
    ctx = context(client)
    cache = PlanCache(size=2)
    anonymous = cache.plan(QUERY, ctx.catalogue, ctx.store, Viewer(), 10)
    assert cache.plan(QUERY, ctx.catalogue, ctx.store, Viewer(), 10) is anonymous
    coi = cache.plan(QUERY, ctx.catalogue, ctx.store, Viewer("coi", frozenset({"corot-coi"})), 10)
    assert coi is not anonymous and coi.sql != anonymous.sql
    assert cache.plan(QUERY, ctx.catalogue, ctx.store, Viewer(), 11) is not anonymous
    assert cache.plan(QUERY, ctx.catalogue, ctx.store, Viewer(), 10) is not anonymous  # evicted (size 2)


def test_plans_with_uploads_are_not_cached(client: TestClient) -> None:
    ctx = context(client)
    cache = PlanCache()
    upload = read_votable("u", votable_bytes({"x": [1, 2]}), Limits())
    first = cache.plan("SELECT x FROM TAP_UPLOAD.u", ctx.catalogue, ctx.store, Viewer(), 5, [upload])
    second = cache.plan("SELECT x FROM TAP_UPLOAD.u", ctx.catalogue, ctx.store, Viewer(), 5, [upload])
    assert first is not second and set(first.uploads) == {"u"}


def test_same_query_text_for_two_viewers(client: TestClient) -> None:
    assert len(table_of(sync(client, QUERY, headers=COI_AUTH))) > 0
    assert len(table_of(sync(client, QUERY))) == 0
    assert len(table_of(sync(client, QUERY, headers=COI_AUTH))) > 0
