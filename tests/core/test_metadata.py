"""The metadata catalogue loads, validates and answers case-insensitively."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssa.profile import InputSpec, ParamSpec, ResponseField, load_profile
from tap.adql import OutputColumn
from vo_service.metadata import ColumnMeta, FieldMeta, TableMeta, load_catalogue


def test_catalogue_declares_the_archive_tables() -> None:
    catalogue = load_catalogue()
    names = {t.name for t in catalogue.tables()}
    assert {"corot.runs", "corot.targets", "corot.lightcurves", "corot.datasets"} <= names
    assert catalogue.table("CoRoT.Targets").column("VMAG").unit == "mag"


def test_every_column_is_described_with_a_ucd() -> None:
    for table in load_catalogue().tables():
        for column in table.columns:
            assert column.description, f"{table.name}.{column.name} lacks a description"
            assert column.ucd, f"{table.name}.{column.name} lacks a UCD"


def test_positional_tables_declare_main_position_ucds() -> None:
    targets = load_catalogue().table("corot.targets")
    assert targets.spatial is not None
    assert targets.column(targets.spatial.ra).ucd == "pos.eq.ra;meta.main"
    assert targets.column(targets.spatial.dec).ucd == "pos.eq.dec;meta.main"


def test_access_controlled_tables_need_access_columns() -> None:
    with pytest.raises(ValueError, match="access_group"):
        TableMeta.model_validate({
            "name": "corot.x", "access_controlled": True,
            "columns": [{"name": "a", "datatype": "int"}],
        })


def test_bad_declarations_are_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        '[schema]\nname = "s"\n[[tables]]\nname = "s.t"\n[[tables.columns]]\nname = "BadName"\ndatatype = "int"\n'
    )
    with pytest.raises(ValueError, match="lower-case"):
        load_catalogue(tmp_path)


def test_field_metadata_is_one_type_that_the_others_extend() -> None:
    for kind in (ColumnMeta, OutputColumn, ParamSpec, InputSpec, ResponseField):
        assert issubclass(kind, FieldMeta), kind
    # Any name for a field or PARAM; catalogue columns stay lower-case identifiers.
    assert FieldMeta(name="INPUT:POS", datatype="char", arraysize="*").name == "INPUT:POS"
    with pytest.raises(ValueError, match="lower-case identifier"):
        ColumnMeta(name="INPUT:POS", datatype="char")
    # as_field keeps the field metadata alone, with changes applied.
    column = load_catalogue().table("corot.targets").column("ra")
    field = column.as_field(name="RA")
    assert type(field) is FieldMeta
    assert (field.name, field.datatype, field.unit, field.ucd) == ("RA", "double", "deg", column.ucd)
    assert field.description == column.description
    # The SSA profile's char PARAMs and inputs hold text of any length.
    profile = load_profile(load_catalogue().table("corot.lightcurves"))
    texts = [p for p in (*profile.params, *profile.inputs) if p.datatype == "char"]
    assert texts and all(p.arraysize == "*" for p in texts)
