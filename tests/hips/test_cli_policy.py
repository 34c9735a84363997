"""The ``corot-vo hips`` commands, and what the access policy keeps out of the HiPS."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from archive.fullimage import render_fullimages
from hips.build import public_images, public_runs
from hips.cli import add_hips_parser
from vo_service.access import Viewer
from vo_service.settings import Settings
from vo_service.store.base import Query
from vo_service.store.factory import open_store


def run_cli(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    parser.add_argument("--data-dir")
    add_hips_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["--data-dir", str(settings.data_dir), *argv])
    return int(args.func(args))


def test_build_command_is_incremental_and_names_refused_files(
        settings: Settings, hips_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(settings, "hips", "build", "--surveys", "targets,moc", "--resolution", "preview", "--quiet") == 0
    assert "targets: up to date" in capsys.readouterr().out
    bad = tmp_path / "extra" / "broken.fits"
    bad.parent.mkdir()
    bad.write_bytes(b"SIMPLE  = T" + b" " * 100)
    status = run_cli(settings, "hips", "build", "--surveys", "fields", "--resolution", "preview",
                     "--images", str(bad.parent), "--workers", "1", "--quiet")
    captured = capsys.readouterr()
    assert status == 2
    assert str(bad.resolve()) in captured.err and "refused" in captured.err
    assert "fields: updated" not in captured.out  # nothing usable changed, no tile rewritten
    assert run_cli(settings, "hips", "check") == 0
    assert "fields: ok" in capsys.readouterr().out


def test_unknown_survey_is_refused(settings: Settings, hips_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(settings, "hips", "build", "--surveys", "nosuch", "--quiet") == 1
    assert "unknown survey" in capsys.readouterr().err


class HidingStore:
    """The archive store, with one run's datasets restricted (as a proprietary run would be)."""

    def __init__(self, store: Any, hidden_run: str) -> None:
        self.store = store
        self.hidden_run = hidden_run

    def select(self, query: Query, viewer: Viewer, **kwargs: Any) -> Iterator[pa.RecordBatch]:
        for batch in self.store.select(query, viewer, **kwargs):
            if query.table == "corot.datasets" and "run_code" in batch.schema.names and viewer.anonymous:
                yield batch.filter(pa.compute.not_equal(batch.column("run_code"), self.hidden_run))
            else:
                yield batch

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_restricted_runs_stay_out_of_images_and_mocs(settings: Settings, client: object, tmp_path: Path) -> None:
    store = open_store(settings)
    try:
        hiding = HidingStore(store, "LRa07")
        assert "LRa07" in {r.code for r in public_runs(store)}
        assert "LRa07" not in {r.code for r in public_runs(hiding)}
        report = render_fullimages(hiding, tmp_path, binning=64, run_codes=["LRa06", "LRa07"])
    finally:
        store.close()
    assert report.skipped_runs == ["LRa07"]
    assert {p.parent.name for p in report.images} == {"LRa06"}


def test_images_of_a_run_restricted_since_rendering_stay_out(settings: Settings, client: object,
                                                             tmp_path: Path) -> None:
    store = open_store(settings)
    try:
        report = render_fullimages(store, tmp_path, binning=64, run_codes=["LRa06", "LRa07"])
        hidden = public_runs(HidingStore(store, "LRa07"))
    finally:
        store.close()
    assert {p.parent.name for p in report.images} == {"LRa06", "LRa07"}
    chosen = public_images(tmp_path, [run for run in hidden if run.code in {"LRa06", "LRa07"}])
    assert chosen and {p.parent.name for p in chosen} == {"LRa06"}
