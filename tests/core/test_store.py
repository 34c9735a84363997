"""The DuckDB store: HEALPix-pruned cones equal brute force; access policy; transactions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from archive.catalogue import synthesise_targets
from archive.ingest import ingest
from vo_service.access import Viewer
from vo_service.metadata import load_catalogue
from vo_service.spatial import angular_distance
from vo_service.store import Between, Cone, Equals, IntervalOverlap, Like, Query, QueryTimeout, StoreError
from vo_service.store.duckdb_store import DuckDBStore


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    folder = tmp_path_factory.mktemp("store")
    targets = synthesise_targets(seed=5, fraction=0.1)
    pq.write_table(targets, folder / "corot_targets.parquet")
    db = DuckDBStore(folder / "a.duckdb", load_catalogue())
    report = ingest(db, folder / "products", [folder / "corot_targets.parquet"], progress=False)
    assert report.ok and report.rows["corot.targets"] == targets.num_rows
    yield db
    db.close()


def _rows(store: DuckDBStore, query: Query, viewer: Viewer | None = None) -> list[dict[str, Any]]:
    batches = list(store.select(query, viewer or Viewer()))
    return pa.Table.from_batches(batches).to_pylist() if batches else []


def test_cone_equals_brute_force(store: DuckDBStore) -> None:
    everything = store.fetch_table('SELECT corot_id, run_code, ra, dec FROM "corot"."targets"')
    ra = everything["ra"].to_numpy()
    dec = everything["dec"].to_numpy()
    keys = list(zip(everything["corot_id"].to_pylist(), everything["run_code"].to_pylist(), strict=True))
    rng = np.random.default_rng(1)
    for _ in range(25):
        k = int(rng.integers(0, len(ra)))
        centre_ra, centre_dec = ra[k] + rng.normal(0, 0.05), dec[k] + rng.normal(0, 0.05)
        radius = float(rng.choice([0.01, 0.1, 0.5, 2.0]))
        expected = {keys[i] for i in np.flatnonzero(angular_distance(ra, dec, centre_ra, centre_dec) <= radius)}
        rows = _rows(store, Query("corot.targets", ("corot_id", "run_code"), (Cone(centre_ra, centre_dec, radius),)))
        assert {(r["corot_id"], r["run_code"]) for r in rows} == expected


def test_cone_across_ra_zero_and_pole(store: DuckDBStore) -> None:
    assert _rows(store, Query("corot.targets", ("corot_id",), (Cone(359.99, 89.99, 0.5),))) == []


def test_structured_predicates(store: DuckDBStore) -> None:
    rows = _rows(store, Query(
        "corot.targets", ("corot_id", "vmag", "run_code"),
        (Between("vmag", 12.0, 12.5), Equals("run_code", ("LRa01", "IRa01")), Like("spectral_type", "g%")),
        order_by=(("vmag", True),), limit=50,
    ))
    assert rows and len(rows) <= 50
    assert all(12.0 <= r["vmag"] <= 12.5 and r["run_code"] in {"LRa01", "IRa01"} for r in rows)
    assert [r["vmag"] for r in rows] == sorted((r["vmag"] for r in rows), reverse=True)
    runs = _rows(store, Query("corot.runs", ("run_code",), (IntervalOverlap("t_start", "t_end", 54535.0, 54540.0),)))
    assert [r["run_code"] for r in runs] == ["SRa01"]


def test_point_lookup_by_id(store: DuckDBStore) -> None:
    rows = _rows(store, Query("corot.targets", ("ra", "dec", "run_code"), (Equals("corot_id", (102890318,)),)))
    assert "IRa01" in {r["run_code"] for r in rows}
    assert abs(float(rows[0]["ra"]) - 102.07989) < 1e-6


def _lightcurve(product_id: str, group: str, release: datetime | None) -> dict[str, object]:
    return {"product_id": product_id, "corot_id": 1, "run_code": "LRa01", "product_type": "EN2_STAR_MON",
            "channel": "exo", "ra": 100.0, "dec": 0.0, "access_group": group, "release_date": release,
            "file_path": f"x/{product_id}.fits", "_hpx": 0}


def test_access_policy_on_every_read_path(tmp_path: Path) -> None:
    db = DuckDBStore(tmp_path / "b.duckdb", load_catalogue())
    rows = pa.Table.from_pylist([
        _lightcurve("public_one", "public", None),
        _lightcurve("coi_future", "corot-coi", datetime(2099, 1, 1)),
        _lightcurve("coi_released", "corot-coi", datetime(2001, 1, 1)),
        _lightcurve("ops_forever", "cnes-ops", None),
    ])
    with db.transaction() as conn:
        db.upsert(conn, "corot.lightcurves", rows, ["product_id"])
    anonymous, coi = Viewer(), Viewer("alice", frozenset({"corot-coi"}))
    names = {v: {r["product_id"] for r in _rows(db, Query("corot.lightcurves", ("product_id",)), v)}
             for v in (anonymous, coi)}
    assert names[anonymous] == {"public_one", "coi_released"}
    assert names[coi] == {"public_one", "coi_released", "coi_future"}
    assert db.product_file("coi_future", anonymous) is None
    assert db.product_file("coi_future", coi) is not None
    assert db.count("corot.lightcurves", anonymous) == 2
    table = db.catalogue.table("corot.lightcurves")
    relation = db.relation_sql(table, Viewer("mallory", frozenset({"x') OR TRUE --"})))
    visible = db.fetch_table(f"SELECT count(*) FROM {relation} AS t").column(0)[0].as_py()
    assert visible == 2  # a hostile group name is dropped, never spliced into SQL
    db.close()


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    db = DuckDBStore(tmp_path / "c.duckdb", load_catalogue())
    def failing_write() -> None:
        with db.transaction() as conn:
            db.upsert(conn, "corot.lightcurves", pa.Table.from_pylist([_lightcurve("p", "public", None)]),
                      ["product_id"])
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        failing_write()
    assert db.count("corot.lightcurves") == 0
    db.close()


def test_timeout_interrupts_a_long_query(store: DuckDBStore) -> None:
    sql = "SELECT count(*) FROM range(100000000000) a"
    with pytest.raises(QueryTimeout, match="execution time limit"):
        list(store.stream_sql(sql, timeout=0.3))


def test_sql_errors_become_store_errors(store: DuckDBStore) -> None:
    with pytest.raises(StoreError):
        list(store.stream_sql("SELECT nope FROM nowhere"))


@pytest.mark.parametrize("sql", [
    "SELECT range AS i, range * 0.5 AS x, 'row ' || range AS s FROM range(2500) WHERE range % ? = 0",
    "SELECT NULL::INTEGER AS i, [1, 2] AS l WHERE ? = 1",
])
def test_direct_engine_path_and_relation_path_give_the_same_batches(sql: str) -> None:
    """The statement path that skips the relation layer returns what the public path does."""
    from vo_service.store import duckdb_store

    with duckdb.connect() as connection:
        cursor = connection.cursor()
        direct = duckdb_store._arrow_reader(cursor, sql, [1], 1000).read_all()
        public = duckdb_store._arrow_reader(cursor, sql, [1], 1000, direct=False).read_all()
    assert direct.equals(public)
    assert direct.num_rows > 0
