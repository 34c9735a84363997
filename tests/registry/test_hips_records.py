"""Registry records of the HiPS surveys (HiPS 1.0 §6.2, VODataService 1.2 §3.3 coverage).

The surveys are read from a HiPS tree as a client reads it (``properties``, ``Moc.fits``);
only those whose creator_did belongs to the service's authority get a record.
"""

from __future__ import annotations

from pathlib import Path

import astropy.units as u
import pytest
from mocpy import MOC

from registry.hips_surveys import MAX_MOC_CHARS, MIN_MOC_ORDER, parse_properties, published_surveys, registry_moc
from registry.profile import load_profile
from registry.records import HC, RecordBuilder
from tests.ivoa_xsd import require_schemas, xsd_errors
from vo_service.settings import Settings
from vo_service.vo_models_ext import xml_document

BASE = "http://example.org"


def write_survey(root: Path, name: str, creator_did: str, *, moc: MOC | None = None, **extra: str) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    properties = {"creator_did": creator_did, "obs_title": f"Survey {name}", "dataproduct_type": "image",
                  "obs_description": f"The {name} survey.", "hips_order": "9", "hips_frame": "equatorial", **extra}
    text = "# HiPS properties\n" + "".join(f"{key:<20}= {value}\n" for key, value in properties.items())
    (folder / "properties").write_text(text, encoding="utf-8")
    if moc is not None:
        moc.save(str(folder / "Moc.fits"), format="fits")


def field_moc() -> MOC:
    return MOC.from_cone(lon=100.5 * u.deg, lat=-3.2 * u.deg, radius=1.5 * u.deg, max_depth=11)


@pytest.fixture
def hips_tree(tmp_path: Path) -> Path:
    root = tmp_path / "hips"
    write_survey(root, "fields", "ivo://corot.vo/corot/hips/fields", moc=field_moc(), t_min="54139.5",
                 t_max="56221.25", em_min="3.7e-7", em_max="1.0e-6", obs_regime="Optical")
    write_survey(root, "targets", "ivo://CoRoT.vo/corot/hips/targets", dataproduct_type="catalog")
    write_survey(root, "dss", "ivo://cds/P/DSS2/color", moc=field_moc())  # someone else's HiPS
    write_survey(root, "odd", "ivo://corot.vo?dataset")  # a dataset identifier, no record key
    write_survey(root, "secret", "ivo://corot.vo/corot/hips/secret", hips_status="private master unclonable")
    write_survey(root, "spaced", "ivo://corot.vo/corot/hips/with space")  # no valid identifier
    (root / "moc").mkdir()  # not a survey: no properties
    return root


def test_only_the_authority_s_surveys_are_published(hips_tree: Path) -> None:
    surveys = published_surveys(hips_tree, BASE, "corot.vo")
    assert [s.name for s in surveys] == ["fields", "targets"]
    assert surveys[0].url == f"{BASE}/hips/fields"
    assert surveys[0].moc is not None and surveys[1].moc is None
    assert published_surveys(hips_tree / "absent", BASE, "corot.vo") == []


def test_properties_parsing() -> None:
    text = "# comment\ncreator_did = ivo://a/b\n  obs_title   =  A = B title \nbroken line\n\n"
    assert parse_properties(text) == {"creator_did": "ivo://a/b", "obs_title": "A = B title"}


def test_the_record_moc_is_the_survey_moc_at_a_registry_order() -> None:
    moc = field_moc()
    text = registry_moc(moc)
    assert len(text) <= MAX_MOC_CHARS
    back = MOC.from_string(text, format="ascii")
    assert MIN_MOC_ORDER <= back.max_order <= 9
    assert back.contains_skycoords is not None
    # degrading only grows a MOC: the coverage holds the whole survey and not much more
    assert moc.difference(back).empty()
    assert back.sky_fraction < 1.5 * moc.sky_fraction
    coarse = registry_moc(MOC.from_cone(lon=0 * u.deg, lat=0 * u.deg, radius=0.01 * u.deg, max_depth=4))
    assert MOC.from_string(coarse, format="ascii").max_order == 4  # never refined beyond its own order


def test_hips_record(hips_tree: Path, tmp_path: Path) -> None:
    builder = RecordBuilder(load_profile(), Settings(data_dir=tmp_path, base_url=BASE))
    fields, targets = published_surveys(hips_tree, BASE, "corot.vo")
    record = builder.hips(fields)
    element = record.element
    assert record.identifier == "ivo://corot.vo/corot/hips/fields"
    assert element.findtext("identifier") == "ivo://corot.vo/corot/hips/fields"
    assert element.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "vs:CatalogService"
    assert element.findtext("title") == "Survey fields"
    assert element.findtext("content/description") == "The fields survey."
    assert element.findtext("content/type") == "Survey"
    assert element.findtext("content/referenceURL") == f"{BASE}/hips/fields/"
    relation = element.find("content/relationship")
    assert relation.findtext("relationshipType") == "service-for"
    assert relation.find("relatedResource").get("ivo-id") == "ivo://corot.vo/corot"
    capability = element.find("capability")
    assert capability.get("standardID") == "ivo://ivoa.net/std/hips#hips-1.0"
    assert capability.findtext("interface/accessURL") == f"{BASE}/hips/fields"
    assert capability.find("interface/accessURL").get("use") == "base"
    assert capability.findtext("description") == (
        f"HiPS 1.4 of image type, deepest order 9, frame equatorial; metadata in {BASE}/hips/fields/properties")
    coverage = element.find("coverage")
    assert MOC.from_string(coverage.findtext("spatial"), format="ascii") == \
        MOC.from_string(registry_moc(field_moc()), format="ascii")
    assert [float(v) for v in coverage.findtext("temporal").split()] == [54139.5, 56221.25]
    low, high = (float(v) for v in coverage.findtext("spectral").split())
    assert low == pytest.approx(HC / 1.0e-6) and high == pytest.approx(HC / 3.7e-7)
    assert coverage.findtext("waveband") == "Optical"
    footprint = coverage.find("footprint")
    assert footprint.text == f"{BASE}/hips/fields/Moc.fits" and footprint.get("ivo-id") == "ivo://ivoa.net/std/moc"
    assert [child.tag for child in coverage] == ["spatial", "temporal", "spectral", "footprint", "waveband"]
    assert builder.hips(targets).element.findtext("content/type") == "Catalog"
    assert builder.hips(targets).element.find("coverage") is None


def test_hips_records_are_schema_valid(hips_tree: Path, tmp_path: Path) -> None:
    require_schemas()
    builder = RecordBuilder(load_profile(), Settings(data_dir=tmp_path, base_url=BASE))
    surveys = published_surveys(hips_tree, BASE, "corot.vo")
    for survey in surveys:
        assert xsd_errors(xml_document(builder.hips(survey).resource)) == [], survey.name
    collection = builder.collection(None, [(s.creator_did, s.properties["obs_title"]) for s in surveys], surveys)
    served_by = {r.find("relatedResource").get("ivo-id") for r in collection.element.iterfind("content/relationship")}
    assert {"ivo://corot.vo/corot/hips/fields", "ivo://CoRoT.vo/corot/hips/targets"} <= served_by
    assert xsd_errors(xml_document(collection.resource)) == []


def test_a_hips_may_not_take_another_record_s_identifier(tmp_path: Path) -> None:
    root = tmp_path / "hips"
    write_survey(root, "clash", "ivo://corot.vo/ORG")
    write_survey(root, "fine", "ivo://corot.vo/corot/hips/fine")
    profile = load_profile().model_copy(update={"services": ()})
    builder = RecordBuilder(profile, Settings(data_dir=tmp_path, base_url=BASE))
    records = builder.all({}, "/registry/oai.xml", published_surveys(root, BASE, "corot.vo"))
    identifiers = [record.identifier for record in records]
    assert identifiers == ["ivo://corot.vo", "ivo://corot.vo/org", "ivo://corot.vo/registry", "ivo://corot.vo/corot",
                           "ivo://corot.vo/corot/hips/fine"]
    organisation = records[1].element
    assert organisation.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "vr:Organisation"
    served_by = [r.find("relatedResource").get("ivo-id") for r in records[3].element.iterfind("content/relationship")]
    assert served_by == ["ivo://corot.vo/corot/hips/fine"]


def test_the_collection_and_its_services_cover_what_the_surveys_cover(hips_tree: Path, tmp_path: Path) -> None:
    root = tmp_path / "other-hips"
    write_survey(root, "fields", "ivo://corot.vo/corot/hips/fields", moc=field_moc(), t_min="54139.5",
                 t_max="56221.25", obs_regime="Optical")
    second = MOC.from_cone(lon=280 * u.deg, lat=5 * u.deg, radius=1 * u.deg, max_depth=10)
    write_survey(root, "targets", "ivo://corot.vo/corot/hips/targets", moc=second, t_min="54000", t_max="55000")
    surveys = published_surveys(root, BASE, "corot.vo")
    builder = RecordBuilder(load_profile(), Settings(data_dir=tmp_path, base_url=BASE))
    coverage = builder.collection(None, (), surveys).element.find("coverage")
    spatial = MOC.from_string(coverage.findtext("spatial"), format="ascii")
    assert field_moc().union(second).difference(spatial).empty()
    assert [float(v) for v in coverage.findtext("temporal").split()] == [54000.0, 56221.25]
    assert [w.text for w in coverage.iterfind("waveband")] == ["Optical"]
    assert coverage.find("footprint") is None
    # without surveys the collection states its declared messengers only
    bare = builder.collection(None).element.find("coverage")
    assert [child.tag for child in bare] == ["waveband"]


def test_an_unreadable_moc_leaves_the_record_without_sky_coverage(tmp_path: Path) -> None:
    root = tmp_path / "hips"
    write_survey(root, "broken", "ivo://corot.vo/corot/hips/broken", t_min="54000", t_max="54100")
    (root / "broken" / "Moc.fits").write_bytes(b"SIMPLE  = this is not a FITS file")
    (survey,) = published_surveys(root, BASE, "corot.vo")
    assert survey.moc is None
    record = RecordBuilder(load_profile(), Settings(data_dir=tmp_path, base_url=BASE)).hips(survey)
    coverage = record.element.find("coverage")
    assert coverage.find("spatial") is None and coverage.find("footprint") is None
    assert coverage.findtext("temporal") == "54000.0 54100.0"
