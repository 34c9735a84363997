"""The ingest's write phase interrupted at each step: all or nothing, files included."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import archive.ingest as ingest_module
from archive.ingest import ingest
from tests.cli.conftest import copy_products
from vo_service.metadata import load_catalogue
from vo_service.store.duckdb_store import DuckDBStore


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _run(tmp_path: Path, archive_dir: Path) -> tuple[DuckDBStore, Path, list[Path]]:
    store = DuckDBStore(tmp_path / "data" / "archive.duckdb", load_catalogue())
    return store, tmp_path / "data" / "products", copy_products(archive_dir, tmp_path / "in", 3)


def _interrupt(*_: Any, **__: Any) -> Any:
    raise KeyboardInterrupt


@pytest.mark.parametrize("where", ["upsert", "publish"])
def test_interrupt_before_commit_writes_nothing(archive_dir: Path, tmp_path: Path, where: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store, products_dir, sources = _run(tmp_path, archive_dir)
    try:
        if where == "upsert":
            monkeypatch.setattr(store, "upsert", _interrupt)
        else:
            moved: list[str] = []
            real_replace: Callable[[Any, Any], None] = os.replace

            def replace_then_interrupt(src: Any, dst: Any) -> None:
                real_replace(src, dst)
                moved.append(str(dst))
                if len(moved) == 2:
                    raise KeyboardInterrupt

            monkeypatch.setattr(os, "replace", replace_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            ingest(store, products_dir, sources, progress=False, workers=1)
        assert store.count("corot.lightcurves") == 0
        assert _files(products_dir) == []
    finally:
        store.close()


def test_interrupt_while_committing_completes_the_ingest(archive_dir: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store, products_dir, sources = _run(tmp_path, archive_dir)
    real_publish = ingest_module._Staged.publish

    def publish_under_ctrl_c(self: Any) -> None:
        signal.raise_signal(signal.SIGINT)  # held until the transaction has committed
        real_publish(self)

    monkeypatch.setattr(ingest_module._Staged, "publish", publish_under_ctrl_c)
    try:
        report = ingest(store, products_dir, sources, progress=False, workers=1)
        assert report.ok and report.products == 3
        assert store.count("corot.lightcurves") == 3
        assert len(_files(products_dir)) == 3
        assert not [p for p in _files(products_dir) if p.suffix == ".partial"]
    finally:
        store.close()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
