"""STILTS as a second, independent VOTable oracle: ``votlint`` and the STIL reader.

Skipped where ``/usr/bin/stilts`` is not installed.  Three known limits of the packaged
STILTS 3.4.x ``votlint`` shape the sample data here (all are votlint's, not the
documents', as STILTS' own output trips them too):

- its DALI polygon checker misreads BINARY/BINARY2 streams, so polygons are checked by
  reading them back with STIL (``tpipe``) instead;
- it reports an empty TD of a fixed-size array as wrong, although an empty TD is a null
  cell of any type (VOTable 1.4 §5.1) and STIL itself writes them, so the linted sample
  has no null points or circles;
- it knows VOTable versions up to 1.4 only (1.5 is covered by the XSD tests).
"""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from vo_service.metadata import ColumnMeta
from vo_service.votable.errors import error_votable, scs_error_votable
from vo_service.votable.fields import CooSys, Encoding, TimeSys
from vo_service.votable.writer import write_votable

from .oracle import ALL_TYPES, to_batch

STILTS = Path("/usr/bin/stilts")

pytestmark = pytest.mark.skipif(not STILTS.exists(), reason="STILTS is not installed at /usr/bin/stilts")

LINTED = [c for c in ALL_TYPES if c.xtype != "polygon"]


def run_stilts(*args: str, stdin: bytes | None = None) -> str:
    result = subprocess.run([str(STILTS), *args], input=stdin, capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")


def votlint(document: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "lint.vot"
    path.write_bytes(document)
    output = run_stilts("votlint", f"votable={path}")
    return [line for line in output.splitlines() if line.strip()]


def _lintable_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without null points and without half-NaN circles (which DALI geometry forbids)."""
    return [row for row in rows if row["pos"] is not None and row["fov"][0] == row["fov"][0]][:60]


@pytest.mark.parametrize("encoding", ["binary2", "binary", "tabledata"])
def test_votlint_accepts_every_encoding(rows: list[dict[str, Any]], encoding: Encoding, tmp_path: Path) -> None:
    sample = _lintable_rows(rows)
    doc = b"".join(
        write_votable(
            LINTED,
            [to_batch(sample[:25], LINTED), to_batch(sample[25:], LINTED)],
            encoding=encoding,
            max_records=50,
            coosys=CooSys(),
            timesys=[TimeSys(timescale="UTC", refposition="TOPOCENTER")],
            table_name="results",
        )
    )
    assert votlint(doc, tmp_path) == []


def test_votlint_accepts_the_error_documents(tmp_path: Path) -> None:
    assert votlint(error_votable("Something went wrong"), tmp_path) == []
    assert votlint(scs_error_votable("RA out of range"), tmp_path) == []


def test_stil_reads_polygons_from_binary2(tmp_path: Path) -> None:
    columns = [ColumnMeta(name="footprint", datatype="double", xtype="polygon"), ColumnMeta(name="n", datatype="int")]
    polygons = [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], None, [], [0.5] * 8]
    batch = pa.record_batch([pa.array(polygons), pa.array([1, 2, 3, 4], pa.int32())], names=["footprint", "n"])
    path = tmp_path / "poly.vot"
    path.write_bytes(b"".join(write_votable(columns, [batch], encoding="binary2")))
    output = run_stilts("tpipe", f"in={path}", "ifmt=votable", "ofmt=csv", "out=-")
    parsed = list(csv.reader(io.StringIO(output)))
    assert parsed[0] == ["footprint", "n"]
    assert [row[1] for row in parsed[1:]] == ["1", "2", "3", "4"]
    assert parsed[1][0] == "(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)"
    assert parsed[2][0] == ""
    assert parsed[4][0] == "(" + ", ".join(["0.5"] * 8) + ")"
