"""``corot-vo ingest``: every argument accounted for, refusals named, Ctrl-C leaves nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tests.cli.conftest import ROOT, cli_env, copy_products, one_line, run_cli


def _count(data_dir: Path, table: str) -> int:
    with duckdb.connect(str(data_dir / "archive.duckdb"), read_only=True) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def _refusals(stderr: str) -> dict[str, str]:
    assert "Traceback" not in stderr, stderr
    found = {}
    for line in stderr.splitlines():
        path, _, reason = line.strip().removeprefix("refused ").partition(": ")
        found[path] = reason
    return found


def test_unknown_missing_and_empty_arguments_are_refused(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# notes\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = tmp_path / "missing.fits"
    data = tmp_path / "data"
    result = run_cli("--data-dir", str(data), "ingest", "--quiet", str(readme), str(missing), str(empty))
    assert result.returncode == 2
    assert "ingested 0 products" in result.stdout and "3 refused" in result.stdout
    refused = _refusals(result.stderr)
    assert refused == {
        str(readme): "neither an N2 FITS product (.fits, .fit, .fts) nor a catalogue (.csv, .parquet)",
        str(missing): "no such file or directory",
        str(empty): "the directory holds no N2 FITS products or catalogues",
    }


def test_good_inputs_are_ingested_beside_refused_ones(archive_dir: Path, tmp_path: Path) -> None:
    products = copy_products(archive_dir, tmp_path / "in", 2)
    twin = tmp_path / "again" / products[0].name
    twin.parent.mkdir()
    twin.write_bytes(products[0].read_bytes())
    targets = pq.read_table(archive_dir / "products" / "catalogue" / "corot_targets.parquet").slice(0, 5)
    good = tmp_path / "targets.parquet"
    pq.write_table(targets, good)
    broken = targets.set_column(targets.schema.get_field_index("ra"), "ra",
                                pa.array(["north"] * targets.num_rows))
    bad = tmp_path / "bad_targets.csv"
    pa.csv.write_csv(broken, bad)
    data = tmp_path / "data"
    result = run_cli("--data-dir", str(data), "ingest", "--quiet", *map(str, products), str(twin), str(good),
                     str(bad))
    assert result.returncode == 2, result.stderr
    assert "ingested 2 products" in result.stdout and "2 refused" in result.stdout
    refused = _refusals(result.stderr)
    assert set(refused) == {str(twin), str(bad)}
    assert refused[str(twin)].startswith("the same product as")
    assert refused[str(bad)].startswith("values do not fit corot.targets")
    assert _count(data, "corot.lightcurves") == 2
    assert _count(data, "corot.targets") == targets.num_rows


def test_bad_options_end_in_one_line(tmp_path: Path) -> None:
    for option, value in (("--release-date", "2030-13-45"), ("--group", "co-i's")):
        result = run_cli("--data-dir", str(tmp_path / "data"), "ingest", option, value, "x.fits")
        assert result.returncode == 2
        line = one_line(result.stderr)
        assert line.startswith(f"corot-vo ingest: argument {option}: ") and "--help" in line
    assert not (tmp_path / "data").exists()


def test_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run_cli("--data-dir", str(blocker / "data"), "ingest", str(blocker))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line == f"corot-vo ingest: data directory {blocker / 'data'}: cannot create it: Not a directory"


def test_ctrl_c_during_ingest_leaves_nothing(archive_dir: Path, tmp_path: Path) -> None:
    """Ctrl-C while the products are validated reaches the whole process group, as from a
    terminal: one line, no worker tracebacks, nothing written."""
    products = copy_products(archive_dir, tmp_path / "in", 24)
    data = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "vo_service.cli", "--data-dir", str(data), "ingest", "--quiet",
         *map(str, products)],
        env=cli_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None and not children.read_text().split():
        time.sleep(0.01)  # until the validation workers run
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, (stdout, stderr)
    assert one_line(stderr) == "corot-vo ingest: interrupted: nothing was ingested, the archive is unchanged"
    assert _count(data, "corot.lightcurves") == 0
    assert not [p for p in (data / "products").rglob("*") if p.is_file()]
