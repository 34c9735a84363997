"""Resident tables: cone queries answered from memory equal the SQL path, row for row.

The same database is opened twice in the process (one shared connection): once with
resident copies disabled (every query in SQL) and once with them on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.catalogue import synthesise_targets
from archive.ingest import ingest
from vo_service.access import Viewer
from vo_service.metadata import load_catalogue
from vo_service.spatial import HPX_COLUMN, hpx_index
from vo_service.store import Between, Cone, Equals, IntervalOverlap, Like, Predicate, Query, StoreError
from vo_service.store.duckdb_store import DuckDBStore
from vo_service.store.resident import range_rows

COLUMNS = ("corot_id", "run_code", "ra", "dec", "vmag", "spectral_type", "date_start", "file_name")


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DuckDBStore, DuckDBStore, pa.Table]]:
    folder = tmp_path_factory.mktemp("resident")
    targets = synthesise_targets(seed=9, fraction=0.05)
    pq.write_table(targets, folder / "corot_targets.parquet")
    sql = DuckDBStore(folder / "r.duckdb", load_catalogue())
    report = ingest(sql, folder / "products", [folder / "corot_targets.parquet"], progress=False)
    assert report.ok
    memory = DuckDBStore(folder / "r.duckdb", load_catalogue(), resident_rows=10**7)
    assert memory.preload("corot.targets")
    yield sql, memory, sql.fetch_table('SELECT ra, dec FROM "corot"."targets"')
    memory.close()
    sql.close()


def _rows(store: DuckDBStore, query: Query, viewer: Viewer | None = None) -> list[dict[str, Any]]:
    batches = list(store.select(query, viewer or Viewer()))
    return pa.Table.from_batches(batches).to_pylist() if batches else []


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple((k, str(v)) for k, v in sorted(row.items()))


EXTRA_PREDICATES: list[Predicate] = [
    Between("vmag", 11.0, 14.0),
    Between("vmag", None, 12.5),
    Equals("run_code", ("LRa01", "LRc01", "IRa01", "SRa03")),
    Equals("corot_id", ()),
    Like("spectral_type", "g%"),
    Like("spectral_type", "k_", case_insensitive=False),
    IntervalOverlap("date_start", "date_end", datetime(2008, 1, 1), datetime(2009, 1, 1)),
    Between("date_start", datetime(2010, 1, 1), None),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pick=st.integers(0, 10**6),
    offset=st.tuples(st.floats(-0.3, 0.3), st.floats(-0.3, 0.3)),
    radius=st.sampled_from([0.0, 0.001, 0.2, 1.0, 3.0, 3.0]),
    extras=st.lists(st.sampled_from(EXTRA_PREDICATES), max_size=3, unique_by=repr),
)
def test_cone_queries_equal_the_sql_path(
    stores: tuple[DuckDBStore, DuckDBStore, pa.Table], pick: int, offset: tuple[float, float], radius: float,
    extras: list[Predicate],
) -> None:
    sql, memory, positions = stores
    row = pick % positions.num_rows
    ra = (positions["ra"][row].as_py() + offset[0]) % 360.0
    dec = max(-90.0, min(90.0, positions["dec"][row].as_py() + offset[1]))
    query = Query("corot.targets", COLUMNS, where=(Cone(ra, dec, radius), *extras))
    expected = sorted(map(_key, _rows(sql, query)))
    assert sorted(map(_key, _rows(memory, query))) == expected


@pytest.mark.parametrize("extra", EXTRA_PREDICATES, ids=repr)
def test_each_predicate_filters_as_in_sql(stores: tuple[DuckDBStore, DuckDBStore, pa.Table], extra: Predicate) -> None:
    sql, memory, positions = stores
    kept = dropped = 0
    for row in range(0, positions.num_rows, max(1, positions.num_rows // 40)):
        cone = Cone(positions["ra"][row].as_py(), positions["dec"][row].as_py(), 1.5)
        query = Query("corot.targets", COLUMNS, where=(cone, extra))
        rows = sorted(map(_key, _rows(memory, query)))
        assert rows == sorted(map(_key, _rows(sql, query)))
        kept += len(rows)
        dropped += len(_rows(sql, Query("corot.targets", COLUMNS, where=(cone,)))) - len(rows)
    # The comparison means something only if the predicate both keeps and drops rows somewhere.
    assert dropped > 0
    assert kept > 0 or extra in (Equals("corot_id", ()), Like("spectral_type", "k_", case_insensitive=False))


def test_order_and_limit_follow_sql(stores: tuple[DuckDBStore, DuckDBStore, pa.Table]) -> None:
    sql, memory, positions = stores
    ra, dec = positions["ra"][0].as_py(), positions["dec"][0].as_py()
    ordered = Query("corot.targets", ("corot_id", "run_code", "vmag"), where=(Cone(ra, dec, 2.0),),
                    order_by=(("vmag", True), ("corot_id", False), ("run_code", False)), limit=40)
    assert _rows(memory, ordered) == _rows(sql, ordered)
    everything = Query("corot.targets", ("corot_id", "run_code"), where=(Cone(ra, dec, 2.0),))
    limited = Query("corot.targets", ("corot_id", "run_code"), where=(Cone(ra, dec, 2.0),), limit=7)
    whole = {_key(r) for r in _rows(sql, everything)}
    kept = [_key(r) for r in _rows(memory, limited)]
    assert len(kept) == min(7, len(whole)) and set(kept) <= whole
    assert _rows(memory, Query("corot.targets", ("corot_id",), where=(Cone(ra, dec, 2.0),), limit=0)) == []


def test_values_arrow_cannot_compare_fall_back_to_sql(stores: tuple[DuckDBStore, DuckDBStore, pa.Table]) -> None:
    sql, memory, positions = stores
    ra, dec = positions["ra"][0].as_py(), positions["dec"][0].as_py()
    query = Query("corot.targets", ("corot_id",), where=(Cone(ra, dec, 1.0), Equals("corot_id", ("not a number",))))
    for store in (sql, memory):
        with pytest.raises(StoreError):
            _rows(store, query)


def _lightcurve(product_id: str, ra: float, group: str, release: datetime | None) -> dict[str, object]:
    return {"product_id": product_id, "corot_id": 1, "run_code": "LRa01", "product_type": "EN2_STAR_MON",
            "channel": "exo", "ra": ra, "dec": 0.0, "access_group": group, "release_date": release,
            "file_path": f"x/{product_id}.fits", HPX_COLUMN: int(hpx_index([ra], [0.0])[0])}


def test_access_policy_and_writes_on_the_resident_copy(tmp_path: Path) -> None:
    sql = DuckDBStore(tmp_path / "l.duckdb", load_catalogue())
    memory = DuckDBStore(tmp_path / "l.duckdb", load_catalogue(), resident_rows=1000)
    now = datetime.now()
    first = pa.Table.from_pylist([
        _lightcurve("public_one", 100.00, "public", None),
        _lightcurve("coi_future", 100.01, "corot-coi", now + timedelta(days=3000)),
        _lightcurve("coi_released", 100.02, "corot-coi", now - timedelta(days=3000)),
        _lightcurve("ops_forever", 100.03, "cnes-ops", None),
    ])
    with sql.transaction() as conn:
        sql.upsert(conn, "corot.lightcurves", first, ["product_id"])
        sql.recluster(conn, "corot.lightcurves")
    assert memory.preload("corot.lightcurves")
    cone = Query("corot.lightcurves", ("product_id",), where=(Cone(100.0, 0.0, 0.5),))
    viewers = [Viewer(), Viewer("alice", frozenset({"corot-coi"})), Viewer("bob", frozenset({"x') OR TRUE --"}))]
    for viewer in viewers:
        assert sorted(r["product_id"] for r in _rows(memory, cone, viewer)) == \
            sorted(r["product_id"] for r in _rows(sql, cone, viewer))
    assert {r["product_id"] for r in _rows(memory, cone)} == {"public_one", "coi_released"}

    # A committed write is seen by the next query: the copy is taken again.
    with sql.transaction() as conn:
        sql.upsert(conn, "corot.lightcurves", pa.Table.from_pylist([_lightcurve("late", 100.04, "public", None)]),
                   ["product_id"])
    assert "late" in {r["product_id"] for r in _rows(memory, cone)}

    # Above the size limit the table stays on disk, and queries still answer.
    small = DuckDBStore(tmp_path / "l.duckdb", load_catalogue(), resident_rows=2)
    assert not small.preload("corot.lightcurves")
    assert {r["product_id"] for r in _rows(small, cone)} == {"public_one", "coi_released", "late"}
    for store in (small, memory, sql):
        store.close()


def test_range_rows_cover_exactly_the_ranges() -> None:
    hpx = np.array([1, 3, 3, 5, 8, 8, 8, 12, 20], dtype=np.int64)
    rows = range_rows(hpx, [(0, 3), (6, 8), (13, 19), (20, 40)])
    assert rows.tolist() == [0, 1, 2, 4, 5, 6, 8]
    assert range_rows(hpx, [(100, 200)]).size == 0
