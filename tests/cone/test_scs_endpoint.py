"""The cone-search endpoints through the whole application (ASGI)."""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import pytest
from astropy.io.votable import parse
from astropy.io.votable.exceptions import VOWarning
from astropy.io.votable.tree import VOTableFile
from lxml import etree
from starlette.testclient import TestClient

from tests.conftest import COI_AUTH
from vo_service.metadata import load_catalogue
from vo_service.spatial import angular_distance

VOT = "{http://www.ivoa.net/xml/VOTable/v1.3}"
CENTRE = {"RA": "102.1", "DEC": "-2.0"}


def votable(content: bytes) -> VOTableFile:
    """Parse strictly; the only tolerated remark is astropy not knowing the UCD1 words that
    SCS 1.03 §2 requires (ID_MAIN, POS_EQ_RA_MAIN, POS_EQ_DEC_MAIN)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", VOWarning)
        document = parse(io.BytesIO(content), verify="warn")
    for warning in caught:
        assert "W06" in str(warning.message) and "_MAIN" in str(warning.message), str(warning.message)
    return document


def fields_by_ucd(document: VOTableFile) -> dict[str, list[str]]:
    table = document.get_first_table()
    found: dict[str, list[str]] = {}
    for field in table.fields:
        found.setdefault(field.ucd or "", []).append(field.name)
    return found


def scs_error(content: bytes) -> str:
    """The message of an SCS 1.03 error document; fails if it is not one."""
    root = etree.fromstring(content)
    infos = root.findall(f"{VOT}INFO[@name='Error']")
    assert len(infos) == 1
    assert not root.findall(f".//{VOT}TABLE")
    return str(infos[0].get("value"))


def search(client: TestClient, path: str = "/scs/scs.xml", **params: Any) -> Any:
    response = client.get(path, params={**CENTRE, **params})
    assert response.status_code == 200
    return response


def test_rows_lie_in_the_cone_and_carry_the_ucd1_profile(client: TestClient) -> None:
    response = search(client, SR="1.5")
    assert response.headers["content-type"].startswith("text/xml")
    document = votable(response.content)
    ucds = fields_by_ucd(document)
    assert len(ucds["ID_MAIN"]) == len(ucds["POS_EQ_RA_MAIN"]) == len(ucds["POS_EQ_DEC_MAIN"]) == 1
    rows = document.get_first_table().to_table()
    assert len(rows) > 0
    distances = angular_distance(np.asarray(rows["ra"]), np.asarray(rows["dec"]), 102.1, -2.0)
    assert float(distances.max()) <= 1.5 + 1e-9
    ids = list(rows["obs_id"])
    assert len(set(ids)) == len(ids)
    assert ucds["ID_MAIN"] == ["obs_id"] and "corot_id" in ucds["meta.id"]
    # the observation identifier names the star's N2 product of that run
    assert all(f"_{c:010d}_" in i for i, c in zip(ids, rows["corot_id"], strict=True))
    assert all(d == f"ivo://corot.vo/corot?{i}" for i, d in zip(ids, rows["product_did"], strict=True))


def test_the_cone_finds_every_target_inside_it(client: TestClient) -> None:
    """Compare with all targets of the catalogue (VERB=1 and a wide cone, then a narrow one)."""
    everything = votable(search(client, SR="10", VERB="1", MAXREC="100000").content).get_first_table().to_table()
    distances = angular_distance(np.asarray(everything["ra"]), np.asarray(everything["dec"]), 102.1, -2.0)
    expected = {i for i, d in zip(everything["obs_id"], distances, strict=True) if d <= 0.8}
    found = votable(search(client, SR="0.8", VERB="1").content).get_first_table().to_table()
    assert set(found["obs_id"]) == expected
    assert expected


@pytest.mark.parametrize("verb", ["1", "2", "3"])
def test_verb_chooses_the_column_set(client: TestClient, verb: str) -> None:
    document = votable(search(client, SR="0.5", VERB=verb).content)
    names = [field.name for field in document.get_first_table().fields]
    declared = [c.name for c in load_catalogue().table("corot.targets").columns if c.verb <= int(verb)]
    assert names == [*declared, "product_did"]
    assert names[0] == "obs_id"


def test_default_verb_is_two(client: TestClient) -> None:
    default = votable(search(client, SR="0.5").content).get_first_table().fields
    two = votable(search(client, SR="0.5", VERB="2").content).get_first_table().fields
    assert [f.name for f in default] == [f.name for f in two]


def test_sr_zero_returns_the_fields_without_rows(client: TestClient) -> None:
    document = votable(search(client, SR="0").content)
    table = document.get_first_table()
    assert len(table.fields) > 3
    assert len(table.array) == 0
    statuses = [info.value for info in document.resources[0].infos if info.name == "QUERY_STATUS"]
    assert statuses == ["OK"]


def test_maxrec_truncates_with_an_overflow_status(client: TestClient) -> None:
    document = votable(search(client, SR="3", MAXREC="4").content)
    assert len(document.get_first_table().array) == 4
    statuses = [info.value for info in document.resources[0].infos if info.name == "QUERY_STATUS"]
    assert statuses[-1] == "OVERFLOW"


def test_maxrec_zero_is_metadata_with_overflow(client: TestClient) -> None:
    document = votable(search(client, SR="3", MAXREC="0").content)
    assert len(document.get_first_table().array) == 0
    assert [i.value for i in document.resources[0].infos if i.name == "QUERY_STATUS"][-1] == "OVERFLOW"


@pytest.mark.parametrize(("path", "channel"), [("/scs/exo", "exo"), ("/scs/astero", "astero")])
def test_channel_endpoints_serve_their_subset(client: TestClient, path: str, channel: str) -> None:
    rows = votable(client.get(path, params={"RA": "100", "DEC": "0", "SR": "10", "MAXREC": "100000"}).content)
    channels = set(rows.get_first_table().to_table()["channel"])
    assert channels == {channel}


def test_alias_serves_the_same_result(client: TestClient) -> None:
    one = search(client, "/scs/scs.xml", SR="0.7").content
    other = search(client, "/scs/targets", SR="0.7").content
    rows = [votable(content).get_first_table().to_table() for content in (one, other)]
    assert sorted(rows[0]["obs_id"]) == sorted(rows[1]["obs_id"])


def test_post_and_lower_case_names(client: TestClient) -> None:
    response = client.post("/scs/scs.xml", data={"ra": "102.1", "dec": "-2.0", "sr": "0.7"})
    assert response.status_code == 200
    assert len(votable(response.content).get_first_table().array) > 0


@pytest.mark.parametrize("encoding", ["binary2", "binary", "tabledata"])
def test_serializations_agree(client: TestClient, encoding: str) -> None:
    media = f"application/x-votable+xml;serialization={encoding}"
    response = search(client, SR="0.7", VERB="3", RESPONSEFORMAT=media)
    assert response.headers["content-type"].startswith(media)
    table = votable(response.content).get_first_table().to_table()
    reference = votable(search(client, SR="0.7", VERB="3").content).get_first_table().to_table()
    assert sorted(table["obs_id"]) == sorted(reference["obs_id"])


def test_datalink_descriptor_refers_to_the_product_did(client: TestClient) -> None:
    document = votable(search(client, SR="0.7").content)
    table = document.get_first_table()
    did_field = next(f for f in table.fields if f.name == "product_did")
    services = [r for r in document.resources if r.type == "meta" and r.utype == "adhoc:service"]
    assert len(services) == 1
    params = {p.name: p.value for p in services[0].params}
    assert params["standardID"] == "ivo://ivoa.net/std/DataLink#links-1.1"
    assert params["accessURL"].endswith("/ssa/datalink")
    inputs = services[0].groups[0].entries
    assert [(p.name, p.ref) for p in inputs] == [("ID", did_field.ID)]
    dids = [d for d in table.to_table()["product_did"] if d]
    assert dids and all(d.startswith("ivo://corot.vo/corot?") for d in dids)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"DEC": "0", "SR": "1"}, "RA is required"),
        ({"RA": "10", "SR": "1"}, "DEC is required"),
        ({"RA": "10", "DEC": "0"}, "SR is required"),
        ({"RA": "ten", "DEC": "0", "SR": "1"}, "not a valid decimal number"),
        ({"RA": "361", "DEC": "0", "SR": "1"}, "out of range"),
        ({"RA": "10", "DEC": "91", "SR": "1"}, "out of range"),
        ({"RA": "10", "DEC": "0", "SR": "-0.5"}, "negative"),
        ({"RA": "10", "DEC": "0", "SR": "45"}, "exceeds the largest search radius"),
        ({"RA": "10", "DEC": "0", "SR": "1", "VERB": "9"}, "VERB"),
        ({"RA": "10", "DEC": "0", "SR": "1", "RESPONSEFORMAT": "application/json"}, "not supported"),
    ],
)
def test_errors_are_scs_error_documents_with_status_200(client: TestClient, params: dict[str, str],
                                                          fragment: str) -> None:
    response = client.get("/scs/exo", params=params)
    assert response.status_code == 200
    message = scs_error(response.content)
    assert fragment in message
    status = etree.fromstring(response.content).find(f"{VOT}RESOURCE/{VOT}INFO[@name='QUERY_STATUS']")
    assert status is not None and status.get("value") == "ERROR"


def test_restricted_runs_are_catalogue_rows_for_everyone(client: TestClient) -> None:
    """The observation log is public: the same cone lists the same targets with or without
    credentials (the light curves themselves are access-controlled elsewhere)."""
    params = {"RA": "95.0", "DEC": "-5.6", "SR": "2", "MAXREC": "100000"}
    anonymous = votable(client.get("/scs/scs.xml", params=params).content).get_first_table().to_table()
    coi = votable(client.get("/scs/scs.xml", params=params, headers=COI_AUTH).content).get_first_table().to_table()
    assert sorted(anonymous["obs_id"]) == sorted(coi["obs_id"])


CAPS = "{http://www.ivoa.net/xml/VOSICapabilities/v1.0}capabilities"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def test_capabilities_describe_each_endpoint(client: TestClient) -> None:
    response = client.get("/scs/capabilities")
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert root.tag == CAPS
    cones = [c for c in root.findall("capability") if c.get("standardID") == "ivo://ivoa.net/std/ConeSearch"]
    assert len(cones) == 3
    for cone in cones:
        assert cone.get(XSI_TYPE) == "cs:ConeSearch"
        children = [child.tag for child in cone]
        assert children[-4:] == ["maxSR", "maxRecords", "verbosity", "testQuery"]
        assert float(cone.findtext("maxSR") or "0") == 10.0
        assert cone.findtext("verbosity") == "true"
        url = cone.findtext("interface/accessURL") or ""
        assert url.endswith("?")
        test = cone.find("testQuery")
        assert test is not None
        query = {"RA": test.findtext("ra"), "DEC": test.findtext("dec"), "SR": test.findtext("sr")}
        answer = client.get(url.replace("http://testserver", "").rstrip("?"), params=query)
        assert len(votable(answer.content).get_first_table().array) > 0
    standards = {c.get("standardID") for c in root.findall("capability")}
    assert {"ivo://ivoa.net/std/VOSI#capabilities", "ivo://ivoa.net/std/VOSI#availability"} <= standards


def test_availability(client: TestClient) -> None:
    root = etree.fromstring(client.get("/scs/availability").content)
    assert root.findtext("{http://www.ivoa.net/xml/VOSIAvailability/v1.0}available") == "true"
