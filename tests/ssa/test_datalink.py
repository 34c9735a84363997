"""DataLink 1.1 {links} for light-curve publisher DIDs."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import COI_AUTH
from tests.ssa.conftest import product_of
from tests.ssa.helpers import DID_PREFIX, link_rows, ssa_rows, votable

#: DataLink 1.1 Table 1: column → UCD.
COLUMNS = {"ID": "meta.id;meta.main", "access_url": "meta.ref.url", "service_def": "meta.ref",
           "error_message": "meta.code.error", "description": "meta.note", "semantics": "meta.code",
           "content_type": "meta.code.mime", "content_length": "phys.size;meta.file"}


def links(client: TestClient, ids: list[str], headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    response = client.get("/ssa/datalink", params=[("ID", i) for i in ids], headers=headers or {})
    assert response.status_code == 200
    return link_rows(response.content)


def test_links_table_follows_datalink(client: TestClient, public_products: dict[str, str]) -> None:
    did = next(iter(public_products))
    response = client.get("/ssa/datalink", params={"ID": did})
    assert response.headers["content-type"] == "application/x-votable+xml;content=datalink"
    document = votable(response.content)
    resource = document.resources[0]
    assert resource.type == "results"
    assert [i.value for i in resource.infos if i.name == "standardID"] == ["ivo://ivoa.net/std/DataLink#links-1.1"]
    fields = {f.name: f for f in document.get_first_table().fields}
    for name, ucd in COLUMNS.items():
        assert fields[name].ucd == ucd
    assert fields["content_length"].datatype == "long" and fields["content_length"].unit == "byte"
    assert fields["link_authorized"].datatype == "boolean"
    assert b"<TABLEDATA>" in response.content


def test_links_of_a_light_curve(client: TestClient, public_products: dict[str, str]) -> None:
    did = next(d for d, t in public_products.items() if t == "EN2_STAR_CHR")
    rows = links(client, [did])
    assert {row["ID"] for row in rows} == {did}
    for row in rows:
        assert sum(row[k] is not None for k in ("access_url", "service_def", "error_message")) == 1
    by_semantics: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_semantics.setdefault(row["semantics"], []).append(row)
    this = {row["content_type"]: row for row in by_semantics["#this"]}
    assert set(this) == {"application/fits", "application/x-votable+xml", "text/csv"}
    assert {row["content_qualifier"] for row in this.values()} == {"#timeseries"}
    fits_row = this["application/fits"]
    download = client.get(fits_row["access_url"].replace("http://testserver", ""))
    assert download.status_code == 200 and len(download.content) == fits_row["content_length"]
    (preview,) = by_semantics["#preview"]
    assert preview["content_type"] == "image/png"
    assert client.get(preview["access_url"].replace("http://testserver", "")).content.startswith(b"\x89PNG")
    (cutout,) = by_semantics["#cutout"]
    assert cutout["service_def"]
    (documentation,) = by_semantics["#documentation"]
    assert documentation["content_type"] == "text/html"
    assert all(row["link_auth"] == "optional" and row["link_authorized"] for row in rows)


def test_soda_descriptor_of_each_light_curve(client: TestClient, public_products: dict[str, str]) -> None:
    dids = list(public_products)[:3]
    response = client.get("/ssa/datalink", params=[("ID", d) for d in dids])
    document = votable(response.content)
    rows = link_rows(response.content)
    descriptors = {r.ID: r for r in document.resources if r.utype == "adhoc:service"}
    for did in dids:
        (cutout,) = [row for row in rows if row["ID"] == did and row["semantics"] == "#cutout"]
        resource = descriptors[cutout["service_def"]]
        params = {p.name: p.value for p in resource.params}
        assert params["standardID"] == "ivo://ivoa.net/std/SODA#sync-1.0"
        assert params["accessURL"].endswith("/ssa/soda")
        inputs = {p.name: p for p in resource.groups[0].entries}
        assert inputs["ID"].value == did
        time, band = inputs["TIME"], inputs["BAND"]
        assert (time.ucd, time.unit, time.xtype) == ("time.interval;obs.exposure", "d", "interval")
        assert (band.ucd, band.unit, band.xtype) == ("em.wl;stat.interval", "m", "interval")
        assert float(time.values.min) < float(time.values.max)
        assert float(band.values.min) == pytest.approx(3.0e-7)


def test_links_of_consecutive_ids_stay_together(client: TestClient, public_products: dict[str, str]) -> None:
    dids = list(public_products)[:4]
    rows = links(client, [*dids, "junk", f"{DID_PREFIX}EN2_STAR_CHR_0000000001_20070206T133547_20070402T070302"])
    order = [row["ID"] for row in rows]
    blocks = [order[0]] + [b for a, b in itertools.pairwise(order) if a != b]
    assert blocks == [*dids, "junk", f"{DID_PREFIX}EN2_STAR_CHR_0000000001_20070206T133547_20070402T070302"]
    errors = {row["ID"]: row for row in rows if row["error_message"]}
    assert errors["junk"]["error_message"].startswith("UsageFault: ")
    unknown = errors[f"{DID_PREFIX}EN2_STAR_CHR_0000000001_20070206T133547_20070402T070302"]
    assert unknown["error_message"].startswith("NotFoundFault: ")
    assert unknown["semantics"] == "#this"


def test_no_id_gives_an_empty_table(client: TestClient) -> None:
    document = votable(client.get("/ssa/datalink").content)
    assert len(document.get_first_table().array) == 0


def test_too_many_ids_overflow(client: TestClient) -> None:
    ids = [f"bad-{i}" for i in range(101)]
    response = client.post("/ssa/datalink", data={"ID": ids})
    document = votable(response.content)
    assert len(document.get_first_table().array) == 100
    assert [i.value for i in document.resources[0].infos if i.name == "QUERY_STATUS"][-1] == "OVERFLOW"


def test_the_ids_of_a_whole_cone_answer_in_one_post_overflow_rather_than_fail(client: TestClient) -> None:
    """pyvo's iter_datalinks POSTs every ID of a result table at once (thousands for a cone)."""
    ids = [f"ivo://corot.vo/corot?EN2_STAR_MON_{i:010d}_20070516T060050_20071015T062338" for i in range(2500)]
    response = client.post("/ssa/datalink", data={"ID": ids})
    assert response.status_code == 200
    document = votable(response.content)
    assert len(document.get_first_table().array) == 100
    assert [i.value for i in document.resources[0].infos if i.name == "QUERY_STATUS"][-1] == "OVERFLOW"


def test_restricted_products_are_errors_for_others(client: TestClient, restricted_products: list[str]) -> None:
    did = restricted_products[0]
    (row,) = links(client, [did])
    assert row["error_message"].startswith("NotFoundFault: ")
    granted = links(client, [did], headers=COI_AUTH)
    assert not any(r["error_message"] for r in granted)
    assert {r["link_auth"] for r in granted if r["semantics"] == "#this"} == {"true"}


def test_other_runs_of_the_target_respect_access(client: TestClient, restricted_products: list[str]) -> None:
    """A target observed in a public run and in the proprietary LRa07: the public product's
    links mention the LRa07 light curve only to the Co-I."""
    coi_rows = ssa_rows(client, headers=COI_AUTH)
    by_target: dict[int, list[str]] = {}
    for did, corot_id in zip(coi_rows["publisher_did"], coi_rows["corot_id"], strict=True):
        by_target.setdefault(int(corot_id), []).append(str(did))
    pairs = [(dids, r) for dids in by_target.values() for r in dids if r in restricted_products and len(dids) > 1]
    assert pairs, "the test archive has a target with a public and a proprietary light curve"
    dids, hidden = pairs[0]
    public = next(d for d in dids if d != hidden)

    def related(headers: dict[str, str] | None) -> set[str]:
        return {r["access_url"] for r in links(client, [public], headers) if r["semantics"] == "#auxiliary"}
    assert not any(product_of(hidden) in url for url in related(None))
    assert any(product_of(hidden) in url for url in related(COI_AUTH))


def test_progenitor_points_to_the_n1_dataset(client: TestClient, public_products: dict[str, str]) -> None:
    did = next(d for d, t in public_products.items() if t in {"EN2_STAR_CHR", "EN2_STAR_MON", "AN2_STAR"})
    progenitors = [r for r in links(client, [did]) if r["semantics"] == "#progenitor"]
    assert len(progenitors) == 1
    assert "DA_TC_COROT_N1_" in progenitors[0]["access_url"]


def test_unsupported_responseformat_is_a_usage_error(client: TestClient) -> None:
    response = client.get("/ssa/datalink", params={"ID": "x", "RESPONSEFORMAT": "text/csv"})
    assert response.status_code == 400
    ok = client.get("/ssa/datalink", params={"ID": "x", "RESPONSEFORMAT": "application/x-votable+xml"})
    assert ok.status_code == 200 and ok.headers["content-type"] == "application/x-votable+xml"
