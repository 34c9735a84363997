"""An archive created before a column was declared opens with the column added, empty, and
a warning telling the operator to ingest the table's source again."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from archive.ingest import observation_ids
from vo_service.metadata import load_catalogue
from vo_service.store.duckdb_store import DuckDBStore


def test_new_columns_are_added_to_an_older_archive(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute("CREATE SCHEMA corot")
    columns = [c for c in load_catalogue().table("corot.targets").columns if c.name != "obs_id"]
    old.execute(f"CREATE TABLE corot.targets ({', '.join(f'{c.name} VARCHAR' for c in columns)}, _hpx BIGINT)")
    old.execute("CREATE INDEX idx_corot_targets_corot_id ON corot.targets (corot_id)")
    old.execute("INSERT INTO corot.targets (corot_id, run_code) VALUES ('102708694', 'LRa01')")
    old.close()
    with caplog.at_level(logging.WARNING):
        store = DuckDBStore(path, load_catalogue())
    try:
        rows = store.fetch_table('SELECT corot_id, obs_id FROM "corot"."targets"').to_pylist()
    finally:
        store.close()
    assert rows == [{"corot_id": "102708694", "obs_id": None}]
    warned = [r.getMessage() for r in caplog.records if "corot.targets.obs_id" in r.getMessage()]
    assert warned and "ingest" in warned[0]
    assert not [r for r in caplog.records if "corot.targets.run_code" in r.getMessage()]


def test_observation_ids_come_from_the_file_names() -> None:
    table, problem = observation_ids(pa.table({"file_name": [
        "N2-4.4/2007/02/06/EN2_STAR_CHR_0102890318_20070206T133547_20070402T070302.fits",
        "AN2_STAR_0000001615_20100305T001525_20100315T000000.fits"]}))
    assert problem is None
    assert table.column("obs_id").to_pylist() == ["EN2_STAR_CHR_0102890318_20070206T133547_20070402T070302",
                                                  "AN2_STAR_0000001615_20100305T001525_20100315T000000"]
    assert observation_ids(pa.table({"file_name": ["a.fits", None]}))[1] == (
        "1 corot.targets row(s) without obs_id or file_name")
    assert "need obs_id or file_name" in str(observation_ids(pa.table({"corot_id": [1]}))[1])
