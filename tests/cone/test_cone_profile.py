"""The SCS 1.03 column profile derived from resources/tables and resources/scs/scs.toml."""

from __future__ import annotations

import pytest

from cone.profile import (
    VERB_LEVELS,
    ConeProfile,
    build_endpoints,
    check_ucd1_profile,
    column_set,
    load_profile,
    scs_ucd,
)
from vo_service.metadata import ColumnMeta, load_catalogue

UCD1_MAIN = ("ID_MAIN", "POS_EQ_RA_MAIN", "POS_EQ_DEC_MAIN")


@pytest.fixture(scope="module")
def profile() -> ConeProfile:
    return load_profile()


def test_every_endpoint_and_verb_has_exactly_one_of_each_ucd1_main_column(profile: ConeProfile) -> None:
    endpoints = build_endpoints(profile, load_catalogue())
    assert set(endpoints) == {"targets", "exo", "astero"}
    for endpoint in endpoints.values():
        for verb in VERB_LEVELS:
            ucds = [meta.ucd for meta in endpoint.column_sets[verb].metas]
            for main in UCD1_MAIN:
                assert ucds.count(main) == 1, (endpoint.spec.name, verb, main)
            assert not any((ucd or "").endswith(";meta.main") for ucd in ucds)


def test_record_id_is_the_observation_id_and_positions_double(profile: ConeProfile) -> None:
    """ID_MAIN is obs_id, the meta.id;meta.main column of corot.targets; corot_id (the star,
    repeated over its runs) stays a plain meta.id."""
    metas = {meta.ucd: meta for meta in build_endpoints(profile, load_catalogue())["targets"].column_sets[1].metas}
    assert metas["ID_MAIN"].datatype == "char"
    assert metas["ID_MAIN"].name == "obs_id"
    assert metas["meta.id"].name == "corot_id"
    assert metas["POS_EQ_RA_MAIN"].datatype == "double"
    assert metas["POS_EQ_DEC_MAIN"].datatype == "double"


def test_verb_levels_follow_the_declared_columns(profile: ConeProfile) -> None:
    catalogue = load_catalogue()
    table = catalogue.table("corot.targets")
    sets = {verb: column_set(profile, table, verb) for verb in VERB_LEVELS}
    names = {verb: [meta.name for meta in sets[verb].metas] for verb in VERB_LEVELS}
    assert len(names[1]) < len(names[2]) < len(names[3])
    assert set(names[1]) <= set(names[2]) <= set(names[3])
    declared = {column.name: column.verb for column in table.columns}
    for verb in VERB_LEVELS:
        assert {name for name in names[verb] if name in declared} == {n for n, v in declared.items() if v <= verb}
    assert "product_did" in names[1]
    # the stored columns cover what the derived product DID reads
    assert "obs_id" in sets[1].stored


def test_scs_ucd_maps_and_demotes() -> None:
    ucd1 = {"meta.id;meta.main": "ID_MAIN", "pos.eq.ra;meta.main": "POS_EQ_RA_MAIN"}
    assert scs_ucd("pos.eq.ra;meta.main", ucd1) == "POS_EQ_RA_MAIN"
    assert scs_ucd("meta.id;meta.main", ucd1) == "ID_MAIN"
    assert scs_ucd("phot.mag;meta.main", ucd1) == "phot.mag"
    assert scs_ucd("phot.mag", ucd1) == "phot.mag"
    assert scs_ucd(None, ucd1) is None


def test_profile_check_refuses_a_bad_declaration(profile: ConeProfile) -> None:
    good = list(build_endpoints(profile, load_catalogue())["targets"].column_sets[1].metas)
    doubled = [*good, ColumnMeta(name="ra2", datatype="double", ucd="POS_EQ_RA_MAIN")]
    with pytest.raises(ValueError, match="exactly one POS_EQ_RA_MAIN"):
        check_ucd1_profile(profile, doubled)
    numeric_id = [m.model_copy(update={"datatype": "long", "arraysize": None}) if m.ucd == "ID_MAIN" else m
                  for m in good]
    with pytest.raises(ValueError, match="character array"):
        check_ucd1_profile(profile, numeric_id)
