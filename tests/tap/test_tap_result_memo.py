"""A repeated query is answered from its plan's memo until the stored data change.

Only results that depend on the stored data alone are remembered: no access policy (it
compares with the current time), no views (the ObsCore view applies the same policy), no
RAND(), no uploads; and only small, completely read results.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from tap import execution
from tap.execution import PlanCache, QueryPlan, plan_query, run_batches
from tap.uploads import read_votable
from tests.tap.helpers import infos, sync, table_of, votable, votable_bytes
from vo_service.access import Viewer
from vo_service.metadata import load_catalogue
from vo_service.settings import Limits
from vo_service.store.duckdb_store import DuckDBStore

RUNS = "SELECT run_code, COUNT(*) AS n FROM corot.runs GROUP BY run_code ORDER BY run_code"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    db = DuckDBStore(tmp_path / "memo.duckdb", load_catalogue())
    _add_runs(db, "LRa01", "SRc01")
    yield db
    db.close()


def _add_runs(db: DuckDBStore, *codes: str) -> None:
    with db.transaction() as conn:
        db.upsert(conn, "corot.runs", pa.Table.from_pylist([{"run_code": code} for code in codes]), ["run_code"])


class CountingStore:
    """The store, counting the statements that reach the database."""

    def __init__(self, store: DuckDBStore) -> None:
        self.store = store
        self.statements = 0

    @property
    def data_version(self) -> int:
        return self.store.data_version

    def stream_sql(self, sql: str, params: Any, **options: Any) -> Iterator[pa.RecordBatch]:
        self.statements += 1
        return self.store.stream_sql(sql, params, **options)


def _codes(plan: QueryPlan, store: Any) -> list[str]:
    batches = list(run_batches(plan, store, timeout=10))
    return [str(code) for code in pa.Table.from_batches(batches).column("run_code").to_pylist()]


def test_a_repeated_query_skips_the_database_until_a_write(store: DuckDBStore) -> None:
    cache = PlanCache()
    plan = cache.plan(RUNS, store.catalogue, store, Viewer(), 100)
    assert plan.repeatable
    assert cache.remembered(RUNS, Viewer(), 100, store.data_version) is None  # not run yet
    counting = CountingStore(store)
    assert _codes(plan, counting) == ["LRa01", "SRc01"]
    assert _codes(plan, counting) == ["LRa01", "SRc01"]
    assert counting.statements == 1
    found = cache.remembered(RUNS, Viewer(), 100, store.data_version)
    assert found is not None and found[0] is plan
    assert cache.remembered(RUNS, Viewer(), 99, store.data_version) is None
    _add_runs(store, "IRa01")
    assert cache.remembered(RUNS, Viewer(), 100, store.data_version) is None
    assert _codes(plan, counting) == ["IRa01", "LRa01", "SRc01"]
    assert counting.statements == 2


def test_time_random_and_upload_dependent_queries_are_never_remembered(store: DuckDBStore) -> None:
    catalogue, viewer = store.catalogue, Viewer()

    def repeatable(query: str, uploads: Any = ()) -> bool:
        return plan_query(query, catalogue, store, viewer, 10, uploads).repeatable

    assert repeatable("SELECT TOP 3 run_code FROM corot.runs")
    assert repeatable("SELECT table_name FROM TAP_SCHEMA.tables")
    assert not repeatable("SELECT product_id FROM corot.lightcurves")  # access policy
    assert not repeatable("SELECT r.run_code FROM corot.runs AS r JOIN corot.lightcurves AS l "
                          "ON l.run_code = r.run_code")
    assert not repeatable("SELECT obs_id FROM ivoa.obscore")  # a view applying the policy
    assert not repeatable("SELECT run_code, RAND() AS r FROM corot.runs")
    assert not repeatable("SELECT run_code FROM corot.runs WHERE ivo_normal_random(0, 1) > 0")
    upload = read_votable("u", votable_bytes({"run_code": ["LRa01"]}), Limits())
    assert not repeatable("SELECT u.run_code FROM TAP_UPLOAD.u AS u JOIN corot.runs AS r "
                          "ON r.run_code = u.run_code", [upload])
    random_plan = plan_query("SELECT run_code, RAND() AS r FROM corot.runs", catalogue, store, viewer, 10)
    counting = CountingStore(store)
    _codes(random_plan, counting)
    _codes(random_plan, counting)
    assert counting.statements == 2


def test_large_or_partly_read_results_are_not_kept(store: DuckDBStore, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_query(RUNS, store.catalogue, store, Viewer(), 100)
    partial = cast(Generator[pa.RecordBatch, None, None], run_batches(plan, store, timeout=10))
    next(partial)
    partial.close()  # the client went away after the first batch
    assert plan.memo.get(store.data_version) is None
    monkeypatch.setattr(execution, "MEMO_BYTES", 1)
    assert _codes(plan, store) == ["LRa01", "SRc01"]
    assert plan.memo.get(store.data_version) is None
    monkeypatch.setattr(execution, "MEMO_BYTES", 1024 * 1024)
    assert _codes(plan, store) == ["LRa01", "SRc01"]
    assert plan.memo.get(store.data_version) is not None


def test_a_repeated_query_gets_the_same_document_with_its_own_parameters(client: TestClient) -> None:
    query = "SELECT TOP 5 run_code, COUNT(*) AS n FROM corot.targets GROUP BY run_code ORDER BY run_code"
    first = sync(client, query, RUNID="first")
    assert first.status_code == 200
    assert sync(client, query, RUNID="first").content == first.content
    again = votable(sync(client, query, RUNID="second").content)
    assert dict(infos(again))["RUNID"] == "second"
    assert [str(code) for code in again.get_first_table().array["run_code"]] == \
        [str(code) for code in table_of(first)["run_code"]]
    csv = sync(client, query, RESPONSEFORMAT="csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "run_code,n" and len(csv.text.splitlines()) == 6
    tabledata = sync(client, query, RESPONSEFORMAT="votable/td")
    assert b"<TABLEDATA>" in tabledata.content
    assert len(votable(tabledata.content).get_first_table().array) == 5
