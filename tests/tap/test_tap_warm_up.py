"""The TAP service plans and runs a few queries at start, so that the first query of a user
does not build the ADQL parser tables or read the tables for the first time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tap.adql import parser
from tap.execution import warm_up, warm_up_queries
from tap.routes import TapService
from vo_service.app import build_context, start_services, stop_services
from vo_service.metadata import load_catalogue
from vo_service.settings import Settings
from vo_service.store.base import StoreError
from vo_service.store.duckdb_store import DuckDBStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    db = DuckDBStore(tmp_path / "warm.duckdb", load_catalogue())
    yield db
    db.close()


class RecordingStore:
    """The store, recording the SQL that reaches the database."""

    def __init__(self, store: DuckDBStore, fail: bool = False) -> None:
        self.store = store
        self.fail = fail
        self.statements: list[str] = []

    @property
    def data_version(self) -> int:
        return self.store.data_version

    def relation_sql(self, table: Any, viewer: Any) -> str:
        return self.store.relation_sql(table, viewer)

    def stream_sql(self, sql: str, params: Any, **options: Any) -> Iterator[pa.RecordBatch]:
        self.statements.append(sql)
        if self.fail:
            raise StoreError("the archive is unreadable")
        return self.store.stream_sql(sql, params, **options)


def test_start_builds_the_parser_before_the_first_request(tmp_path: Path) -> None:
    parser._parser.cache_clear()
    ctx = build_context(Settings(data_dir=tmp_path, log_level="WARNING"), [TapService()])
    try:
        start_services(ctx)
        assert parser._parser.cache_info().currsize == 1
    finally:
        stop_services(ctx)


def test_warm_up_runs_a_catalogue_query_and_a_cone(store: DuckDBStore) -> None:
    queries = warm_up_queries(store.catalogue)
    assert any("CONTAINS" in query for query in queries)  # the catalogue has positional tables
    recording = RecordingStore(store)
    warm_up(store.catalogue, recording, timeout=10)  # type: ignore[arg-type]
    assert len(recording.statements) == len(queries)
    assert any('"_hpx" BETWEEN' in sql for sql in recording.statements)  # the cone's HEALPix ranges


def test_a_failing_warm_up_is_logged_not_raised(store: DuckDBStore, caplog: pytest.LogCaptureFixture) -> None:
    recording = RecordingStore(store, fail=True)
    warm_up(store.catalogue, recording, timeout=10)  # type: ignore[arg-type]
    assert recording.statements
    assert "TAP warm-up query failed" in caplog.text
