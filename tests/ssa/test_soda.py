"""SODA 1.0 {sync} cutouts of light curves."""

from __future__ import annotations

import io

import numpy as np
import pytest
from astropy.io import fits
from starlette.testclient import TestClient

from ssa.timescales import utc_mjd_to_barycentric
from tests.conftest import COI_AUTH
from tests.ssa.helpers import ssa_rows, votable


@pytest.fixture(scope="module")
def chromatic(client: TestClient) -> dict[str, float | str]:
    rows = ssa_rows(client, PRODUCT_TYPE="EN2_STAR_CHR", MAXREC="1")
    row = rows[0]
    return {"did": str(row["publisher_did"]), "ra": float(row["ra"]), "dec": float(row["dec"]),
            "t_start": float(row["t_start"]), "t_stop": float(row["t_stop"])}


def cut(client: TestClient, **params: str) -> tuple[int, bytes, str]:
    response = client.get("/ssa/soda", params=params)
    return response.status_code, response.content, response.headers.get("content-type", "")


def test_time_cutout_as_votable(client: TestClient, chromatic: dict[str, float | str]) -> None:
    start = float(chromatic["t_start"]) + 5.0
    stop = start + 2.0
    status, content, media = cut(client, ID=str(chromatic["did"]), TIME=f"{start} {stop}",
                                 RESPONSEFORMAT="application/x-votable+xml")
    assert status == 200 and media.startswith("application/x-votable+xml")
    table = votable(content).get_first_table().to_table()
    low, high = utc_mjd_to_barycentric([start, stop], float(chromatic["ra"]), float(chromatic["dec"]))
    times = np.asarray(table["time"])
    assert len(times) > 100
    assert times.min() >= low and times.max() <= high
    assert times.min() - low < 0.01 and high - times.max() < 0.01  # 512 s sampling
    whole = votable(client.get(f"/ssa/products/{str(chromatic['did']).split('?')[1]}.vot").content)
    assert len(whole.get_first_table().array) > len(times)


def test_band_selects_colour_channels(client: TestClient, chromatic: dict[str, float | str]) -> None:
    status, content, _ = cut(client, ID=str(chromatic["did"]), BAND="6e-7 8e-7", RESPONSEFORMAT="votable")
    assert status == 200
    names = [f.name for f in votable(content).get_first_table().fields]
    assert names == ["time", "status", "flux_red", "flux_err_red"]
    status, content, _ = cut(client, ID=str(chromatic["did"]), COLOUR="blue", RESPONSEFORMAT="votable")
    assert [f.name for f in votable(content).get_first_table().fields][2:] == ["flux_blue", "flux_err_blue"]


def test_default_output_is_a_fits_table(client: TestClient, chromatic: dict[str, float | str]) -> None:
    status, content, media = cut(client, ID=str(chromatic["did"]), TIME="-Inf +Inf")
    assert status == 200 and media == "application/fits"
    with fits.open(io.BytesIO(content)) as hdus:
        assert hdus[1].header["TREFPOS"] == "BARYCENTER"
        assert hdus[1].columns.names[:3] == ["TIME", "STATUS", "FLUX"]
        assert len(hdus[1].data) > 0


def test_csv_output(client: TestClient, chromatic: dict[str, float | str]) -> None:
    status, content, media = cut(client, ID=str(chromatic["did"]), COLOUR="white", RESPONSEFORMAT="text/csv")
    assert status == 200 and media.startswith("text/csv")
    assert content.splitlines()[0] == b"time,status,flux,flux_err"


@pytest.mark.parametrize("params", [{"TIME": "40000 40010"}, {"BAND": "2e-6 3e-6"}, {"TIME": "-Inf 50000"}])
def test_cutouts_without_data_are_204(client: TestClient, chromatic: dict[str, float | str],
                                      params: dict[str, str]) -> None:
    status, content, _ = cut(client, ID=str(chromatic["did"]), **params)
    assert status == 204 and content == b""


def test_a_colour_a_product_lacks_is_204(client: TestClient) -> None:
    mono = ssa_rows(client, PRODUCT_TYPE="EN2_STAR_MON", MAXREC="1")
    status, _, _ = cut(client, ID=str(mono["publisher_did"][0]), COLOUR="red")
    assert status == 204


@pytest.mark.parametrize(
    ("params", "code", "http"),
    [
        ({}, "UsageError", 400),
        ({"TIME": "55000"}, "UsageError", 400),
        ({"TIME": "55010 55000"}, "UsageError", 400),
        ({"BAND": "red"}, "UsageError", 400),
        ({"COLOUR": "ultraviolet"}, "UsageError", 400),
        ({"RESPONSEFORMAT": "image/png"}, "UsageError", 400),
    ],
)
def test_usage_errors_are_text(client: TestClient, chromatic: dict[str, float | str], params: dict[str, str],
                               code: str, http: int) -> None:
    query = {"ID": str(chromatic["did"]), **params} if params else {}
    response = client.get("/ssa/soda", params=query)
    assert response.status_code == http
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith(f"{code}: ")


def test_a_band_name_points_to_colour(client: TestClient, chromatic: dict[str, float | str]) -> None:
    response = client.get("/ssa/soda", params={"ID": str(chromatic["did"]), "BAND": "Red"})
    assert response.status_code == 400
    assert "COLOUR=red" in response.text


def test_one_id_per_request(client: TestClient, chromatic: dict[str, float | str]) -> None:
    did = str(chromatic["did"])
    response = client.get("/ssa/soda", params=[("ID", did), ("ID", did)])
    assert response.status_code == 400
    assert response.text.startswith("MultiValuedParamNotSupported: ")


def test_unknown_and_restricted_ids(client: TestClient, restricted_products: list[str]) -> None:
    for did in ("ivo://corot.vo/corot?EN2_STAR_CHR_0000000001_20070206T133547_20070402T070302", "garbage",
                restricted_products[0]):
        response = client.get("/ssa/soda", params={"ID": did})
        assert response.status_code == 404
        assert response.text.startswith("UsageError: ")
    granted = client.get("/ssa/soda", params={"ID": restricted_products[0]}, headers=COI_AUTH)
    assert granted.status_code == 200


def test_post_is_accepted(client: TestClient, chromatic: dict[str, float | str]) -> None:
    response = client.post("/ssa/soda", data={"ID": str(chromatic["did"]), "COLOUR": "green",
                                              "RESPONSEFORMAT": "votable"})
    assert response.status_code == 200
    assert [f.name for f in votable(response.content).get_first_table().fields][2] == "flux_green"
