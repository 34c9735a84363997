"""The HiPS checker notices what a broken survey gets wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hips.check import check_survey
from hips.properties import format_properties, read_properties


@pytest.fixture
def fields(hips_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "fields"
    shutil.copytree(hips_dir / "fields", copy)
    return copy


@pytest.fixture
def targets(hips_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "targets"
    shutil.copytree(hips_dir / "targets", copy)
    return copy


def completeness(tile: Path) -> tuple[int, int]:
    loaded, total = tile.read_text().split("\n")[0].removeprefix("# Completeness = ").split("/")
    return int(loaded), int(total)


def deepest(root: Path, ext: str) -> list[Path]:
    order = read_properties(root / "properties")["hips_order"]
    return sorted(root.glob(f"Norder{order}/Dir*/Npix*.{ext}"))


def test_missing_tile(fields: Path) -> None:
    victim = deepest(fields, "png")[0]
    victim.unlink()
    assert any("missing tile" in e and victim.name in e for e in check_survey(fields).errors)


def test_tile_outside_the_moc_and_without_parent(fields: Path) -> None:
    order = int(read_properties(fields / "properties")["hips_order"])
    stray = fields / f"Norder{order}" / "Dir0" / "Npix1.fits"
    stray.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(deepest(fields, "fits")[0], stray)
    errors = check_survey(fields).errors
    assert any("outside the MOC" in e for e in errors) and any("without parent" in e for e in errors)


def test_wrong_width_and_bad_png(fields: Path) -> None:
    props = read_properties(fields / "properties")
    props["hips_tile_width"] = "256"
    (fields / "properties").write_text(format_properties(props))
    errors = check_survey(fields).errors
    assert any("expected (256, 256)" in e or "expected 256x256" in e for e in errors)
    props["hips_tile_width"] = "512"
    (fields / "properties").write_text(format_properties(props))
    deepest(fields, "png")[0].write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert not check_survey(fields).ok


def test_mandatory_keyword(fields: Path) -> None:
    props = read_properties(fields / "properties")
    del props["hips_frame"]
    (fields / "properties").write_text(format_properties(props))
    assert "properties: mandatory keyword hips_frame missing" in check_survey(fields).errors


def test_catalogue_child_removed(targets: Path) -> None:
    assert check_survey(targets).ok
    victim = sorted(targets.glob("Norder4/Dir*/Npix*.tsv"))[0]
    parent = f"Norder3/Dir0/Npix{int(victim.stem[4:]) // 4}.tsv"
    victim.unlink()
    errors = check_survey(targets).errors
    assert any(e.startswith(parent) and "its cell holds" in e for e in errors), errors
    assert any("hips_cat_nrows" in e for e in errors)


def test_catalogue_completeness_as_aladin_reads_it(targets: Path) -> None:
    """A leaf tile must say N/N; the old 'sources left / total' reading (0/N) and a blank
    around the slash (which Aladin cannot parse) are both refused."""
    leaf = next(p for p in sorted(targets.glob("Norder*/Dir*/Npix*.tsv")) if completeness(p)[0] == completeness(p)[1])
    lines = leaf.read_text().split("\n")
    total = completeness(leaf)[1]
    leaf.write_text("\n".join([f"# Completeness = 0/{total}", *lines[1:]]))
    assert any("says 0/" in e for e in check_survey(targets).errors)
    leaf.write_text("\n".join([f"# Completeness = {total} / {total}", *lines[1:]]))
    assert any("is not '# Completeness = N/M'" in e for e in check_survey(targets).errors)


def test_catalogue_row_in_the_wrong_tile(targets: Path) -> None:
    tiles = sorted(targets.glob("Norder3/Dir*/Npix*.tsv"))
    first, second = tiles[0], tiles[-1]
    moved = second.read_text().split("\n")[2]
    lines = first.read_text().split("\n")
    lines.insert(2, moved)
    first.write_text("\n".join(lines))
    assert any("outside the tile's cell" in e for e in check_survey(targets).errors)
