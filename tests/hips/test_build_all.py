"""The archive's surveys, built from the session archive as the demo would build them."""

from __future__ import annotations

from pathlib import Path

from hips.check import check_survey
from hips.properties import read_properties
from hips.report import BuildReport
from vo_service.mission import runs


def test_every_survey_is_built_and_consistent(built_hips: dict[str, BuildReport], hips_dir: Path) -> None:
    assert set(built_hips) == {"fields", "targets", "moc"}
    assert all(not r.skipped for r in built_hips.values())
    for name in ("fields", "targets"):
        result = check_survey(hips_dir / name)
        assert result.ok, result.errors[:10]
        assert result.tiles > 10


def test_fields_properties_describe_the_build(hips_dir: Path) -> None:
    props = read_properties(hips_dir / "fields" / "properties")
    assert props["creator_did"] == "ivo://corot.vo/corot/hips/fields"
    assert props["dataproduct_type"] == "image"
    assert props["hips_order"] == "4" and props["hips_order_min"] == "0"  # preview: 37"/px → order 4 (25.8")
    assert props["hips_tile_width"] == "512" and props["hips_tile_format"] == "fits png"
    assert props["hips_pixel_bitpix"] == "-32"
    low, high = (float(v) for v in props["hips_pixel_cut"].split())
    assert low < 0 < high
    assert 0 < float(props["moc_sky_fraction"]) < 0.01
    first, last = runs()[0], runs()[-1]
    assert abs(float(props["t_min"]) - (first.start.timestamp() / 86400 + 40587)) < 1e-3
    assert abs(float(props["t_max"]) - (last.end.timestamp() / 86400 + 40587)) < 1e-3
    for key in ("obs_title", "obs_description", "obs_copyright", "obs_regime", "em_min", "em_max",
                "hips_initial_ra", "hips_initial_dec", "hips_initial_fov", "hips_builder", "hips_creator",
                "client_category", "hips_release_date", "hips_status", "hips_frame", "hips_data_range"):
        assert props.get(key), key


def test_targets_properties_count_the_rows(hips_dir: Path, built_hips: dict[str, BuildReport]) -> None:
    props = read_properties(hips_dir / "targets" / "properties")
    assert props["dataproduct_type"] == "catalog"
    assert props["creator_did"] == "ivo://corot.vo/corot/hips/targets"
    assert int(props["hips_cat_nrows"]) == built_hips["targets"].inputs > 1000


def test_mocs_of_every_run(hips_dir: Path) -> None:
    names = {p.stem for p in (hips_dir / "moc").glob("*.fits")}
    assert names == {r.code for r in runs()} | {"archive", "stmoc"}
    assert {p.stem for p in (hips_dir / "moc").glob("*.json")} == names
