"""ivoa.obscore (ObsCore 1.1) over the light curves: metadata, content, access policy, DataLink."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from tests.conftest import COI_AUTH
from tests.tap.helpers import COROT7_ID, sync, table_of, votable
from vo_service.metadata import load_catalogue

#: The 30 mandatory ObsCore 1.1 columns (ObsCore 1.1 Table 6 with the meta.ref.ivoid
#: erratum): datatype class, unit, UCD, utype.
MANDATORY = {
    "dataproduct_type": ("char", None, "meta.code.class", "obscore:ObsDataset.dataProductType"),
    "calib_level": ("int", None, "meta.code;obs.calib", "obscore:ObsDataset.calibLevel"),
    "obs_collection": ("char", None, "meta.id", "obscore:DataID.Collection"),
    "obs_id": ("char", None, "meta.id", "obscore:DataID.observationID"),
    "obs_publisher_did": ("char", None, "meta.ref.ivoid", "obscore:Curation.PublisherDID"),
    "access_url": ("char", None, "meta.ref.url", "obscore:Access.Reference"),
    "access_format": ("char", None, "meta.code.mime", "obscore:Access.Format"),
    "access_estsize": ("int", "kbyte", "phys.size;meta.file", "obscore:Access.Size"),
    "target_name": ("char", None, "meta.id;src", "obscore:Target.Name"),
    "s_ra": ("float", "deg", "pos.eq.ra", "obscore:Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C1"),
    "s_dec": ("float", "deg", "pos.eq.dec", "obscore:Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C2"),
    "s_fov": ("float", "deg", "phys.angSize;instr.fov", "obscore:Char.SpatialAxis.Coverage.Bounds.Extent.diameter"),
    "s_region": ("char", None, "pos.outline;obs.field", "obscore:Char.SpatialAxis.Coverage.Support.Area"),
    "s_resolution": ("float", "arcsec", "pos.angResolution", "obscore:Char.SpatialAxis.Resolution.Refval.value"),
    "s_xel1": ("int", None, "meta.number", "obscore:Char.SpatialAxis.numBins1"),
    "s_xel2": ("int", None, "meta.number", "obscore:Char.SpatialAxis.numBins2"),
    "t_min": ("float", "d", "time.start;obs.exposure", "obscore:Char.TimeAxis.Coverage.Bounds.Limits.StartTime"),
    "t_max": ("float", "d", "time.end;obs.exposure", "obscore:Char.TimeAxis.Coverage.Bounds.Limits.StopTime"),
    "t_exptime": ("float", "s", "time.duration;obs.exposure", "obscore:Char.TimeAxis.Coverage.Support.Extent"),
    "t_resolution": ("float", "s", "time.resolution", "obscore:Char.TimeAxis.Resolution.Refval.value"),
    "t_xel": ("int", None, "meta.number", "obscore:Char.TimeAxis.numBins"),
    "em_min": ("float", "m", "em.wl;stat.min", "obscore:Char.SpectralAxis.Coverage.Bounds.Limits.LoLimit"),
    "em_max": ("float", "m", "em.wl;stat.max", "obscore:Char.SpectralAxis.Coverage.Bounds.Limits.HiLimit"),
    "em_res_power": ("float", None, "spect.resolution", "obscore:Char.SpectralAxis.Resolution.ResolPower.refVal"),
    "em_xel": ("int", None, "meta.number", "obscore:Char.SpectralAxis.numBins"),
    "o_ucd": ("char", None, "meta.ucd", "obscore:Char.ObservableAxis.ucd"),
    "pol_states": ("char", None, "meta.code;phys.polarization", "obscore:Char.PolarizationAxis.stateList"),
    "pol_xel": ("int", None, "meta.number", "obscore:Char.PolarizationAxis.numBins"),
    "facility_name": ("char", None, "meta.id;instr.tel", "obscore:Provenance.ObsConfig.Facility.name"),
    "instrument_name": ("char", None, "meta.id;instr", "obscore:Provenance.ObsConfig.Instrument.name"),
}
TYPE_CLASSES = {"char": {"char", "unicodeChar"}, "int": {"short", "int", "long"}, "float": {"float", "double"}}


def test_obscore_declares_every_mandatory_column() -> None:
    table = load_catalogue().table("ivoa.obscore")
    for name, (kind, unit, ucd, utype) in MANDATORY.items():
        column = table.column(name)
        assert column.datatype in TYPE_CLASSES[kind], name
        assert (column.unit, column.ucd, column.utype) == (unit, ucd, utype), name
        assert column.std
    assert table.access_controlled and table.type == "view"


def test_result_fields_carry_the_obscore_metadata(client: TestClient) -> None:
    document = votable(sync(client, "SELECT * FROM ivoa.obscore", MAXREC="1").content)
    fields = {f.name: f for f in document.get_first_table().fields}
    for name, (_, unit, ucd, utype) in MANDATORY.items():
        field = fields[name]
        assert (str(field.unit) if field.unit else None, field.ucd, field.utype) == (unit, ucd, utype), name
    assert fields["s_region"].xtype == "adql:REGION"


def test_obscore_rows_describe_the_light_curves(client: TestClient) -> None:
    rows = table_of(sync(client, f"SELECT * FROM ivoa.obscore WHERE corot_id = {COROT7_ID}"))
    products = table_of(sync(client, f"SELECT product_id, file_size, n_points, cadence FROM corot.lightcurves "
                                     f"WHERE corot_id = {COROT7_ID}"))
    assert sorted(rows["obs_id"]) == sorted(products["product_id"]) and len(rows) >= 2
    for row in rows:
        assert (row["dataproduct_type"], row["calib_level"], row["obs_collection"]) == ("timeseries", 2, "CoRoT")
        assert row["obs_publisher_did"] == f"ivo://corot.vo/corot?{row['obs_id']}"
        url = urlsplit(str(row["access_url"]))  # the host is the base URL of the store's opener
        assert url.scheme == "http" and url.path == "/ssa/datalink"
        assert parse_qs(url.query)["ID"] == [row["obs_publisher_did"]]
        assert row["access_format"] == "application/x-votable+xml;content=datalink"
        assert row["t_min"] < row["t_max"] and row["em_min"] < row["em_max"]
        assert row["target_name"] == f"CoRoT {COROT7_ID}" and row["o_ucd"] == "phot.count"
        assert row["instrument_name"] == "CoRoT/EXO" and row["facility_name"] == "CoRoT"
        assert str(row["s_region"]).startswith("Circle ICRS ")
        product = products[list(products["product_id"]).index(row["obs_id"])]
        assert row["access_estsize"] == -(-int(product["file_size"]) // 1024)
        assert row["t_xel"] == product["n_points"] and row["t_resolution"] == product["cadence"]
        assert row["t_exptime"] == pytest.approx(product["n_points"] * product["cadence"])


def test_standard_vocabularies(client: TestClient) -> None:
    values = table_of(sync(client, "SELECT DISTINCT dataproduct_type, calib_level, instrument_name, data_rights "
                                   "FROM ivoa.obscore", headers=COI_AUTH))
    assert set(values["dataproduct_type"]) == {"timeseries"} and set(values["calib_level"]) == {2}
    assert set(values["instrument_name"]) <= {"CoRoT/EXO", "CoRoT/ASTERO"}
    assert set(values["data_rights"]) == {"public", "proprietary"}


def test_no_proprietary_row_leaks_through_obscore(client: TestClient) -> None:
    count = "SELECT COUNT(*) AS n FROM ivoa.obscore"
    hidden = "SELECT COUNT(*) AS n FROM ivoa.obscore WHERE access_group <> 'public' OR data_rights = 'proprietary'"
    visible_products = "SELECT COUNT(*) AS n FROM corot.lightcurves"
    assert table_of(sync(client, hidden))["n"][0] == 0
    assert table_of(sync(client, hidden, headers=COI_AUTH))["n"][0] > 0
    for headers in (None, COI_AUTH):
        assert table_of(sync(client, count, headers=headers))["n"][0] == \
            table_of(sync(client, visible_products, headers=headers))["n"][0]
    joined = ("SELECT COUNT(*) AS n FROM corot.targets AS t JOIN ivoa.obscore AS o "
              "ON o.corot_id = t.corot_id AND o.run_code = t.run_code WHERE o.data_rights = 'proprietary'")
    assert table_of(sync(client, joined))["n"][0] == 0


def test_datalink_service_descriptor(client: TestClient) -> None:
    document = votable(sync(client, "SELECT TOP 2 obs_id, obs_publisher_did FROM ivoa.obscore").content)
    services = [r for r in document.resources if r.type == "meta" and r.utype == "adhoc:service"]
    assert len(services) == 1
    params = {p.name: p.value for p in services[0].params}
    assert params["accessURL"] == "http://testserver/ssa/datalink"
    assert params["standardID"].startswith("ivo://ivoa.net/std/DataLink#links")
    (group,) = [g for g in services[0].groups if g.name == "inputParams"]
    (id_param,) = [p for p in group.entries if p.name == "ID"]
    field = document.get_first_table().get_field_by_id(id_param.ref)
    assert field.name == "obs_publisher_did"


def test_no_descriptor_without_publisher_dids(client: TestClient) -> None:
    document = votable(sync(client, "SELECT TOP 2 obs_id, access_url FROM ivoa.obscore").content)
    assert [r.type for r in document.resources] == ["results"]
