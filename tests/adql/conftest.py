"""Fixtures for the ADQL tests: a small in-memory archive built from the real table metadata.

The rows are synthetic but cover what the queries need: NULLs, duplicates, positions in two
CoRoT eyes plus around RA 0/360 and near the pole, proprietary light curves.  The same
arrays are kept in Python so tests compute their expectations independently of SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tap.adql import AnnotatedQuery, annotate, parse, translate_duckdb
from vo_service.access import Viewer
from vo_service.metadata import Catalogue, ColumnMeta, TableMeta, load_catalogue
from vo_service.spatial import hpx_index
from vo_service.store.duckdb_store import DuckDBStore

RUN_CODES = ["IRa01", "SRc01", "LRc01", "LRa01", "LRc02", "SRa01", "LRa02", "LRc03", "SRc02", "LRa03"]
N_TARGETS = 3000
N_LIGHTCURVES = 400


@dataclass
class Archive:
    """The store and the Python copies of its rows (column name → list of values)."""

    store: DuckDBStore
    catalogue: Catalogue
    rows: dict[str, dict[str, list[Any]]]
    _records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def records(self, table: str) -> list[dict[str, Any]]:
        """The rows of ``table`` as dictionaries (computed once)."""
        if table not in self._records:
            data = self.rows[table]
            self._records[table] = [dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)]
        return self._records[table]

    def column(self, table: str, name: str) -> list[Any]:
        return self.rows[table][name]

    def array(self, table: str, name: str) -> np.ndarray[Any, Any]:
        return np.array([np.nan if v is None else v for v in self.rows[table][name]], dtype=np.float64)


def _arrow_type(column: ColumnMeta) -> pa.DataType:
    if column.xtype == "timestamp":
        return pa.timestamp("us")
    return {
        "boolean": pa.bool_(),
        "short": pa.int16(),
        "int": pa.int32(),
        "long": pa.int64(),
        "float": pa.float32(),
        "double": pa.float64(),
        "unsignedByte": pa.uint8(),
    }.get(column.datatype, pa.string())


def _random_values(column: ColumnMeta, count: int, rng: np.random.Generator) -> list[Any]:
    if column.xtype == "timestamp":
        start = datetime(2007, 1, 1)
        return [start + timedelta(days=float(d)) for d in rng.uniform(0, 2000, count)]
    if column.datatype in ("short", "int", "long", "unsignedByte"):
        return [int(v) for v in rng.integers(0, 100, count)]
    if column.datatype in ("float", "double"):
        return [float(v) for v in np.round(rng.normal(10, 3, count), 3)]
    if column.datatype == "boolean":
        return [bool(v) for v in rng.integers(0, 2, count)]
    return [f"{column.name}-{int(v)}" for v in rng.integers(0, 50, count)]


def _positions(count: int, rng: np.random.Generator) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Mostly the two CoRoT eyes, plus stars around RA 0/360 and close to the north pole."""
    parts = [
        (rng.normal(102.0, 2.0, count // 2), rng.normal(-1.0, 2.0, count // 2)),
        (rng.normal(280.0, 2.0, count // 4), rng.normal(1.0, 2.0, count // 4)),
    ]
    rest = count - count // 2 - count // 4
    wrap = rest // 2
    parts.append((np.mod(rng.normal(0.0, 1.0, wrap), 360.0), rng.normal(5.0, 1.0, wrap)))
    parts.append((rng.uniform(0, 360, rest - wrap), rng.uniform(87.0, 89.9, rest - wrap)))
    ra = np.concatenate([p[0] for p in parts])
    dec = np.clip(np.concatenate([p[1] for p in parts]), -89.9, 89.9)
    return ra, dec


def _table_rows(
    table: TableMeta, count: int, rng: np.random.Generator, fixed: dict[str, list[Any]]
) -> dict[str, list[Any]]:
    return {c.name: fixed[c.name] if c.name in fixed else _random_values(c, count, rng) for c in table.columns}


def _build(catalogue: Catalogue) -> Archive:
    rng = np.random.default_rng(20070118)
    store = DuckDBStore(":memory:", catalogue, threads=2, memory_limit="1GB")
    rows: dict[str, dict[str, list[Any]]] = {}

    runs = catalogue.table("corot.runs")
    rows["corot.runs"] = _table_rows(
        runs,
        len(RUN_CODES),
        rng,
        {
            "run_code": RUN_CODES,
            "run_type": ["initial", "short", "long", "long", "long", "short", "long", "long", "short", "long"],
            "field": ["anticenter" if "a" in code[2:] else "center" for code in RUN_CODES],
            "n_exo_ccds": [2, 2, 2, 2, 1, 1, 1, 1, 1, 1],
        },
    )

    targets = catalogue.table("corot.targets")
    ra, dec = _positions(N_TARGETS, rng)
    vmag = [None if i % 37 == 0 else float(v) for i, v in enumerate(np.round(rng.uniform(6, 16, N_TARGETS), 3))]
    var_class = [["PULS", "EB", "ROT", "PLANET", "CONST", ""][int(i)] for i in rng.integers(0, 6, N_TARGETS)]
    special_names = {5: "HD 49933", 6: "Miller's Star", 7: "AB_C%D", 8: "ABXCYD"}
    star_names = [special_names.get(i, "") for i in range(N_TARGETS)]
    corot_ids = [int(x) for x in np.unique(rng.integers(100_000_000, 999_999_999, 2 * N_TARGETS))[:N_TARGETS]]
    rng.shuffle(corot_ids)
    corot_ids[1] = corot_ids[0]  # one star observed in two runs
    run_codes = [RUN_CODES[int(i)] for i in rng.integers(0, len(RUN_CODES), N_TARGETS)]
    run_codes[1] = RUN_CODES[1] if run_codes[0] != RUN_CODES[1] else RUN_CODES[2]
    rows["corot.targets"] = _table_rows(
        targets,
        N_TARGETS,
        rng,
        {
            "corot_id": corot_ids,
            "run_code": run_codes,
            "ra": [float(v) for v in ra],
            "dec": [float(v) for v in dec],
            "vmag": vmag,
            "channel": ["astero" if i % 10 == 0 else "exo" for i in range(N_TARGETS)],
            "var_class": var_class,
            "star_name": star_names,
            "spectral_type": [["G5", "K0", "F8", "A0", "M2"][i % 5] for i in range(N_TARGETS)],
            "win_id": [int(v) for v in rng.integers(0, 8192, N_TARGETS)],
        },
    )

    lightcurves = catalogue.table("corot.lightcurves")
    picks = rng.choice(N_TARGETS, N_LIGHTCURVES, replace=False)
    release = datetime(2031, 1, 1)
    rows["corot.lightcurves"] = _table_rows(
        lightcurves,
        N_LIGHTCURVES,
        rng,
        {
            "product_id": [
                f"EN2_STAR_CHR_{rows['corot.targets']['corot_id'][i]:010d}_{k}" for k, i in enumerate(picks)
            ],
            "corot_id": [rows["corot.targets"]["corot_id"][i] for i in picks],
            "run_code": [rows["corot.targets"]["run_code"][i] for i in picks],
            "ra": [rows["corot.targets"]["ra"][i] + float(rng.normal(0, 2e-5)) for i in picks],
            "dec": [rows["corot.targets"]["dec"][i] + float(rng.normal(0, 2e-5)) for i in picks],
            "access_group": ["corot-coi" if k % 5 == 0 else "public" for k in range(N_LIGHTCURVES)],
            "release_date": [release if k % 5 == 0 else datetime(2010, 1, 1) for k in range(N_LIGHTCURVES)],
            "n_points": [int(v) for v in rng.integers(1000, 300000, N_LIGHTCURVES)],
        },
    )

    with store.transaction() as conn:
        for name, data in rows.items():
            meta = catalogue.table(name)
            arrays = {c.name: pa.array(data[c.name], type=_arrow_type(c)) for c in meta.columns}
            if meta.spatial is not None:
                arrays["_hpx"] = pa.array(hpx_index(data[meta.spatial.ra], data[meta.spatial.dec]))
            if name == "corot.lightcurves":
                arrays["file_path"] = pa.array([f"/secret/{p}.fits" for p in data["product_id"]])
            store.upsert(conn, name, pa.table(arrays), meta.primary_key)
        for name in rows:
            store.recluster(conn, name)
    return Archive(store=store, catalogue=catalogue, rows=rows)


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def archive(catalogue: Catalogue) -> Iterator[Archive]:
    built = _build(catalogue)
    yield built
    built.store.close()


Runner = Callable[..., pa.Table]


def compile_query(
    text: str, archive: Archive, viewer: Viewer | None = None, limit: int | None = None
) -> tuple[AnnotatedQuery, str, list[Any]]:
    who = viewer or Viewer()
    annotated = annotate(parse(text), archive.catalogue)
    sql, params = translate_duckdb(annotated, lambda table: archive.store.relation_sql(table, who), limit)
    return annotated, sql, params


@pytest.fixture(scope="session")
def run_adql(archive: Archive) -> Runner:
    """Parse, annotate, translate and execute a query; the result as an Arrow table."""

    def run(text: str, viewer: Viewer | None = None, limit: int | None = None) -> pa.Table:
        annotated, sql, params = compile_query(text, archive, viewer, limit)
        batches = list(archive.store.stream_sql(sql, params))
        if not batches:
            return pa.table({c.name: pa.array([], pa.null()) for c in annotated.columns})
        table = pa.Table.from_batches(batches)
        assert table.column_names == [c.name for c in annotated.columns]
        return table

    return run
