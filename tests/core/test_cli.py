"""The command line: ingest reports refused files and exits non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest

from vo_service.cli import main
from vo_service.settings import Settings


def test_ingest_cli_names_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "EN2_STAR_MON_0100000001_20070516T060226_20071005T074409.fits"
    bad.write_bytes(b"SIMPLE  =                    T" + b" " * 50)
    code = main(["--data-dir", str(tmp_path / "data"), "ingest", "--quiet", str(bad)])
    captured = capsys.readouterr()
    assert code == 2
    assert "1 refused" in captured.out
    assert bad.name in captured.err


def test_demo_if_absent_is_a_no_op_on_an_existing_archive(archive_dir: Path, settings: Settings,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # In this process the command shares the test app's database connection: with the
    # app's base_url, opening the store re-creates the views as the app has them.
    monkeypatch.setenv("COROT_VO_BASE_URL", settings.base_url)
    assert main(["--data-dir", str(archive_dir), "demo", "--if-absent", "--quiet"]) == 0
    assert "already present" in capsys.readouterr().out
