"""SSA 1.1 queryData and FORMAT=METADATA through the application."""

from __future__ import annotations

import numpy as np
import pytest
from lxml import etree
from starlette.testclient import TestClient

from tests.conftest import COI_AUTH
from tests.ssa.conftest import product_of
from tests.ssa.helpers import VOT, ssa_rows, status, votable
from vo_service.spatial import angular_distance

#: SSA 1.1 §4.2: utypes the response must (MAN) or should (REC) carry.
MANDATORY = {"ssa:Access.Reference", "ssa:Access.Format", "ssa:Dataset.DataModel", "ssa:Dataset.Length",
             "ssa:DataID.Title", "ssa:Curation.Publisher"}
RECOMMENDED = {"ssa:Query.Score", "ssa:Access.Size", "ssa:DataID.Collection", "ssa:DataID.Creator",
               "ssa:Curation.PublisherDID", "ssa:CoordSys.SpaceFrame.Name",
               "ssa:Char.SpatialAxis.Coverage.Location.Value", "ssa:Char.SpatialAxis.Coverage.Bounds.Extent",
               "ssa:Char.TimeAxis.Coverage.Location.Value", "ssa:Char.TimeAxis.Coverage.Bounds.Extent",
               "ssa:Char.TimeAxis.Coverage.Bounds.Start", "ssa:Char.TimeAxis.Coverage.Bounds.Stop",
               "ssa:Char.SpectralAxis.Coverage.Location.Value", "ssa:Char.SpectralAxis.Coverage.Bounds.Extent",
               "ssa:Char.SpectralAxis.Coverage.Bounds.Start", "ssa:Char.SpectralAxis.Coverage.Bounds.Stop",
               "ssa:DataID.DataSource", "ssa:DataID.CreationType", "ssa:Dataset.Type", "ssa:Target.Name",
               "ssa:Target.Pos", "ssa:DataID.DatasetID", "ssa:Char.TimeAxis.Resolution"}


def test_response_carries_the_ssa_data_model(client: TestClient) -> None:
    response = client.get("/ssa/ssap.xml", params={"REQUEST": "queryData", "POS": "102,-2", "SIZE": "10"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    document = votable(response.content)
    resource = document.resources[0]
    assert resource.type == "results"
    infos = {info.name: info for info in resource.infos}
    assert infos["SERVICE_PROTOCOL"].value == "1.1" and infos["SERVICE_PROTOCOL"].content == "SSAP"
    assert status(document) == ["OK"]
    table = document.get_first_table()
    utypes = {f.utype for f in table.fields} | {p.utype for p in table.params}
    assert utypes >= MANDATORY
    assert utypes >= RECOMMENDED
    params = {p.utype: p.value for p in table.params if p.utype}
    assert params["ssa:Dataset.Type"] == "TimeSeries"
    assert params["obscore:ObsDataset.dataProductType"] == "timeseries"
    assert params["ssa:DataID.Collection"] == "ivo://corot.vo/corot"
    assert params["ssa:Char.SpectralAxis.Coverage.Bounds.Start"] == pytest.approx(3.0e-7)
    assert params["ssa:Char.SpectralAxis.Coverage.Bounds.Stop"] == pytest.approx(1.1e-6)
    time_fields = [f for f in table.fields if f.utype and f.utype.startswith("ssa:Char.TimeAxis.Coverage.Bounds.St")]
    assert {f.ref for f in time_fields} == {"timesys"}
    timesys = document.resources[0].time_systems[0]
    assert (timesys.timescale, timesys.refposition, timesys.timeorigin) == ("TT", "TOPOCENTER", "MJD-origin")


def test_each_light_curve_is_listed_in_every_format(client: TestClient) -> None:
    rows = ssa_rows(client, FORMAT="all", POS="102,-2", SIZE="10")
    formats = list(rows["access_format"])
    assert formats[:4] == ["application/x-votable+xml", "application/fits", "text/csv", "image/png"]
    dids = list(rows["publisher_did"])
    assert all(dids[i] == dids[i - i % 4] for i in range(len(dids)))
    urls = list(rows["access_url"])
    assert urls[0].endswith(".vot") and urls[1].endswith(".fits") and urls[2].endswith(".csv")
    assert "/ssa/preview/" in urls[3]
    assert list(rows["data_model"])[:2] == ["Spectrum-1.1", "CoRoT-N2-4.4"]


def test_access_size_of_the_fits_file_is_exact_in_bytes(client: TestClient) -> None:
    rows = ssa_rows(client, FORMAT="fits", MAXREC="3")
    for url, size in zip(rows["access_url"], rows["access_size"], strict=True):
        content = client.get(url.replace("http://testserver", "")).content
        assert int(size) == len(content)


def test_position_search_and_score(client: TestClient) -> None:
    rows = ssa_rows(client, POS="102.0,-2.0", SIZE="6")
    distances = angular_distance(np.asarray(rows["ra"]), np.asarray(rows["dec"]), 102.0, -2.0)
    assert len(rows) > 0 and float(distances.max()) <= 3.0
    scores = np.asarray(rows["score"], dtype=float)
    np.testing.assert_allclose(scores, 1 - distances / 3.0, atol=1e-5)
    everything = ssa_rows(client)
    assert np.all(np.isnan(np.asarray(everything["score"].filled(np.nan), dtype=float)))


def test_target_name_finds_planet_hosts(client: TestClient) -> None:
    rows = ssa_rows(client, TARGETNAME="CoRoT-7")
    assert len(rows) >= 1
    assert set(rows["corot_id"]) == {102708694}
    assert set(rows["target_name"]) == {"CoRoT-7"}
    assert all(title.startswith("CoRoT-7 ") for title in rows["title"])
    assert len(ssa_rows(client, TARGETNAME="CoRoT 102708694")) == len(rows)


def test_time_band_and_service_parameters(client: TestClient) -> None:
    in_2008 = ssa_rows(client, TIME="2008-01-01/2008-12-31")
    assert len(in_2008) > 0
    assert all(t_min <= 54832.0 and t_max >= 54466.0 for t_min, t_max in
               zip(in_2008["t_start"], in_2008["t_stop"], strict=True))
    assert len(ssa_rows(client, TIME="1990/1995")) == 0
    assert len(ssa_rows(client, BAND="2e-6/3e-6")) == 0
    assert len(ssa_rows(client, BAND="red")) == len(ssa_rows(client))
    exo = ssa_rows(client, CHANNEL="exo", PRODUCT_TYPE="EN2_STAR_CHR,EN2_STAR_MON")
    assert set(exo["channel"]) == {"exo"} and set(exo["product_type"]) <= {"EN2_STAR_CHR", "EN2_STAR_MON"}
    bright = ssa_rows(client, VMAG="/10")
    assert len(bright) > 0 and float(np.max(bright["vmag"])) <= 10
    runs = ssa_rows(client, RUN="LRa01,IRa01")
    assert set(runs["run_code"]) <= {"LRa01", "IRa01"} and len(runs) > 0


def test_pubdid_selects_one_light_curve(client: TestClient, public_products: dict[str, str]) -> None:
    did = next(iter(public_products))
    rows = ssa_rows(client, PUBDID=did)
    assert list(rows["publisher_did"]) == [did]
    assert list(rows["dataset_id"]) == [did]


def test_maxrec_overflow_and_zero(client: TestClient) -> None:
    document = votable(client.get("/ssa/ssap.xml", params={"MAXREC": "5"}).content)
    assert len(document.get_first_table().array) == 5
    assert status(document) == ["OK", "OVERFLOW"]
    empty = votable(client.get("/ssa/ssap.xml", params={"MAXREC": "0"}).content)
    assert len(empty.get_first_table().array) == 0
    assert status(empty)[-1] == "OVERFLOW"


def test_restricted_light_curves_are_listed_to_their_group_only(
    client: TestClient, restricted_products: list[str]
) -> None:
    anonymous = ssa_rows(client, RUN="LRa07")
    coi = ssa_rows(client, headers=COI_AUTH, RUN="LRa07")
    assert not set(anonymous["publisher_did"]) & set(restricted_products)
    assert set(restricted_products) <= set(coi["publisher_did"])
    rights = dict(zip(coi["publisher_did"], coi["rights"], strict=True))
    assert {rights[did] for did in restricted_products} == {"proprietary"}
    assert len(ssa_rows(client, PUBDID=restricted_products[0])) == 0


def test_service_descriptors_follow_the_results(client: TestClient) -> None:
    document = votable(client.get("/ssa/ssap.xml", params={"MAXREC": "1"}).content)
    did_field = next(f for f in document.get_first_table().fields if f.utype == "ssa:Curation.PublisherDID")
    services = {next(p.value for p in r.params if p.name == "standardID"): r
                for r in document.resources if r.utype == "adhoc:service"}
    assert set(services) == {"ivo://ivoa.net/std/DataLink#links-1.1", "ivo://ivoa.net/std/SODA#sync-1.0"}
    for resource in services.values():
        ids = [p for p in resource.groups[0].entries if p.name == "ID"]
        assert [p.ref for p in ids] == [did_field.ID]


@pytest.mark.parametrize(
    "params",
    [{"POS": "10"}, {"POS": "400,0"}, {"SIZE": "-2", "POS": "1,1"}, {"TIME": "sometime"}, {"BAND": "ultrablue"},
     {"REQUEST": "getCapabilities"}, {"MAXREC": "x"}],
)
def test_bad_parameters_are_dali_errors(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/ssa/ssap.xml", params=params)
    assert response.status_code == 400
    root = etree.fromstring(response.content)
    info = root.find(f"{VOT}RESOURCE/{VOT}INFO[@name='QUERY_STATUS']")
    assert info is not None and info.get("value") == "ERROR" and info.text


def test_metadata_describes_every_input_parameter(client: TestClient) -> None:
    response = client.get("/ssa/ssap.xml", params={"REQUEST": "queryData", "FORMAT": "METADATA"})
    assert response.status_code == 200
    document = votable(response.content)
    resource = document.resources[0]
    inputs = {p.name.removeprefix("INPUT:"): p for p in resource.params if p.name.startswith("INPUT:")}
    expected = {"POS", "SIZE", "BAND", "TIME", "FORMAT", "MAXREC", "COLLECTION", "TARGETNAME", "PUBDID", "RUN",
                "CHANNEL", "COROTID", "VMAG", "PRODUCT_TYPE", "REQUEST", "VERSION"}
    assert expected <= set(inputs)
    assert all(p.description for p in inputs.values())
    assert inputs["SIZE"].unit == "deg" and inputs["BAND"].unit == "m"
    assert {o[1] for o in inputs["CHANNEL"].values.options} == {"exo", "astero"}
    assert "LRa07" in {o[1] for o in inputs["RUN"].values.options}
    assert "metadata" in {o[1] for o in inputs["FORMAT"].values.options}
    assert float(inputs["SIZE"].values.max) == 20.0
    assert len(document.get_first_table().fields) > 20
    assert len(document.get_first_table().array) == 0
    post = client.post("/ssa/ssap.xml", data={"format": "metadata"})
    assert post.content == response.content


def test_dids_name_downloadable_products(client: TestClient, public_products: dict[str, str]) -> None:
    did = next(iter(public_products))
    response = client.get(f"/ssa/products/{product_of(did)}.fits")
    assert response.status_code == 200
