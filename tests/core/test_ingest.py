"""The ingester: validation with reasons, all-or-nothing writes, idempotence, checksums."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from archive.generator import DemoSize, generate
from archive.ingest import ingest
from archive.n2fits import read_n2
from vo_service.access import Viewer
from vo_service.metadata import load_catalogue
from vo_service.store.duckdb_store import DuckDBStore


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A few generated N2 files, as a data centre would deliver them (outside the archive)."""
    out = tmp_path_factory.mktemp("delivery")
    generated = generate(out, DemoSize(fraction=0.002, lightcurves_per_run=0, astero_per_short_run=0, seed=3),
                         progress=False)
    return sorted(generated.product_files)[:6]


def _store(tmp_path: Path) -> DuckDBStore:
    return DuckDBStore(tmp_path / "archive.duckdb", load_catalogue())


def test_products_are_copied_into_the_archive_with_checksums(tmp_path: Path, delivery: list[Path]) -> None:
    store = _store(tmp_path)
    report = ingest(store, tmp_path / "products", delivery, progress=False)
    assert report.ok and report.products == len(delivery)
    for source in delivery:
        row = store.product_file(source.stem, Viewer())
        assert row is not None
        archived = tmp_path / "products" / str(row["file_path"])
        assert archived.read_bytes() == source.read_bytes()
        assert row["checksum"] == hashlib.sha256(source.read_bytes()).hexdigest()
        assert row["file_size"] == source.stat().st_size
        meta = read_n2(source)
        assert row["corot_id"] == meta.corot_id and row["run_code"] == meta.run_code
        assert str(row["file_path"]).startswith("N2-4.4/")
    store.close()


def test_reingest_is_idempotent(tmp_path: Path, delivery: list[Path]) -> None:
    store = _store(tmp_path)
    ingest(store, tmp_path / "products", delivery, progress=False)
    ingest(store, tmp_path / "products", delivery, progress=False)
    assert store.count("corot.lightcurves") == len(delivery)
    store.close()


def test_bad_files_are_named_and_the_rest_goes_in(tmp_path: Path, delivery: list[Path]) -> None:
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    truncated = bad_dir / "EN2_STAR_MON_0100000001_20070516T060226_20071005T074409.fits"
    data = delivery[0].read_bytes()
    truncated.write_bytes(data[: len(data) // 3])
    garbage = bad_dir / "EN2_STAR_MON_0100000002_20070516T060226_20071005T074409.fits"
    garbage.write_bytes(b"this is not a FITS file at all" * 100)
    store = _store(tmp_path)
    report = ingest(store, tmp_path / "products", [*delivery[:3], truncated, garbage, bad_dir / "missing.fits"],
                    progress=False)
    refused = dict(report.failures)
    assert set(refused) == {str(truncated), str(garbage), str(bad_dir / "missing.fits")}
    assert all(reason for reason in refused.values())
    assert report.products == 3
    assert store.count("corot.lightcurves") == 3
    store.close()


def test_a_failing_write_leaves_the_store_untouched(tmp_path: Path, delivery: list[Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(tmp_path)
    ingest(store, tmp_path / "products", delivery[:2], progress=False)

    def explode(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "recluster", explode)
    with pytest.raises(OSError, match="disk full"):
        ingest(store, tmp_path / "products", delivery[2:], progress=False)
    assert store.count("corot.lightcurves") == 2
    store.close()


def test_files_not_named_as_n2_products_are_refused(tmp_path: Path, delivery: list[Path]) -> None:
    odd = tmp_path / f"{delivery[0].name}.fits"
    shutil.copy(delivery[0], odd)
    store = _store(tmp_path)
    report = ingest(store, tmp_path / "products", [odd], progress=False)
    assert [path for path, _ in report.failures] == [str(odd)]
    assert "not an N2 product name" in report.failures[0][1]
    assert store.count("corot.lightcurves") == 0
    store.close()


def test_directories_are_walked(tmp_path: Path, delivery: list[Path]) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for path in delivery[:2]:
        shutil.copy(path, folder / path.name)
    store = _store(tmp_path)
    assert ingest(store, tmp_path / "products", [folder], progress=False).products == 2
    store.close()
