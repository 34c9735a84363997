"""Every sub-command with bad arguments or an unusable data directory: one line, non-zero exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.cli.conftest import ROOT, cli_env, one_line, run_cli
from tests.conftest import free_port

#: Arguments argparse refuses: (arguments, words of the one line).  Exit status 2.
USAGE_ERRORS: list[tuple[list[str], str]] = [
    ([], "corot-vo: the following arguments are required: COMMAND"),
    (["registry"], "corot-vo: argument COMMAND: invalid choice: 'registry'"),
    (["demo", "--size", "huge"], "corot-vo demo: argument --size: invalid choice: 'huge'"),
    (["demo", "--seed", "seven"], "corot-vo demo: argument --seed: invalid int value: 'seven'"),
    (["ingest"], "corot-vo ingest: the following arguments are required: PATH"),
    (["serve", "--port", "http"], "corot-vo serve: argument --port: not a port number: 'http'"),
    (["serve", "--port", "70000"], "corot-vo serve: argument --port: 70000 is not a port number"),
    (["hips"], "corot-vo hips: the following arguments are required: ACTION"),
    (["hips", "build", "--workers", "many"], "corot-vo hips build: argument --workers: invalid int value"),
    (["hips", "check", "--all"], "corot-vo: unrecognized arguments: --all"),
    (["hips", "install-viewer", "--force"], "corot-vo: unrecognized arguments: --force"),
]


@pytest.mark.parametrize(("arguments", "expected"), USAGE_ERRORS, ids=[" ".join(a) or "none" for a, _ in USAGE_ERRORS])
def test_usage_errors(arguments: list[str], expected: str, tmp_path: Path) -> None:
    result = run_cli("--data-dir", str(tmp_path / "data"), *arguments)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith(expected), line
    assert line.endswith("--help)")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("command", [["demo", "--size", "tiny"], ["serve", "--port", str(free_port())],
                                     ["hips", "build"]])
def test_data_dir_that_cannot_be_created(command: list[str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run_cli("--data-dir", str(blocker / "data"), *command)
    assert result.returncode == 1
    line = one_line(result.stderr)
    label = " ".join(command[:2]) if command[0] == "hips" else command[0]
    assert line == f"corot-vo {label}: data directory {blocker / 'data'}: cannot create it: Not a directory"


def test_unknown_host(tmp_path: Path) -> None:
    result = run_cli("--data-dir", str(tmp_path / "data"), "serve", "--host", "no-such-host.invalid")
    assert result.returncode == 1
    assert one_line(result.stderr).startswith("corot-vo serve: cannot listen on no-such-host.invalid:8000: ")


def test_hips_on_an_empty_archive(tmp_path: Path) -> None:
    built = run_cli("--data-dir", str(tmp_path / "data"), "hips", "build", "--quiet")
    assert built.returncode == 1
    line = one_line(built.stderr)
    assert line.startswith("corot-vo hips build: the archive in ") and "corot-vo demo" in line
    checked = run_cli("--data-dir", str(tmp_path / "data"), "hips", "check", "--surveys", "fields")
    assert checked.returncode == 1
    assert "not built" in one_line(checked.stderr) and "corot-vo hips build" in checked.stderr


def test_unknown_survey(tmp_path: Path, archive_dir: Path) -> None:
    targets = pq.read_table(archive_dir / "products" / "catalogue" / "corot_targets.parquet").slice(0, 3)
    pq.write_table(targets, tmp_path / "targets.parquet")
    data = str(tmp_path / "data")
    assert run_cli("--data-dir", data, "ingest", "--quiet", str(tmp_path / "targets.parquet")).returncode == 0
    result = run_cli("--data-dir", data, "hips", "build", "--surveys", "galaxies", "--quiet")
    assert result.returncode == 1
    assert one_line(result.stderr).startswith("corot-vo hips build: unknown survey(s) galaxies")


@pytest.mark.parametrize("command", [["serve", "--port", str(free_port())], ["ingest", "x.fits"]])
def test_archive_file_that_is_not_a_database(command: list[str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "archive.duckdb").write_text("these are not the archive's bytes\n" * 200)
    result = run_cli("--data-dir", str(data), *command)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith(f"corot-vo {command[0]}: cannot open the archive database {data / 'archive.duckdb'}: ")
    assert "not a valid DuckDB database file" in line


def test_ctrl_c_during_demo(tmp_path: Path) -> None:
    data = tmp_path / "data"
    process = subprocess.Popen([sys.executable, "-m", "vo_service.cli", "--data-dir", str(data), "demo", "--size",
                                "tiny", "--quiet"], env=cli_env(), cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None and not (data / "products").exists():
        time.sleep(0.02)  # until the generator writes
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert one_line(stderr) == ("corot-vo demo: interrupted: the demo archive is incomplete; "
                                "run `corot-vo demo` again to finish it")
