"""One identification of observations across the services.

An observation (one star in one run) is named by its N2 product identifier: ``obs_id`` of
``corot.targets`` (its only ``meta.id;meta.main`` column), ``product_id`` of
``corot.lightcurves``, ``obs_id`` of ObsCore and SSA, the ID_MAIN column of the cone search
(SCS 1.03 §2), and the query part of the publisher DID that DataLink takes.  ``corot_id``
names the star and repeats over its runs.
"""

from __future__ import annotations

import io
from typing import Any

from astropy.io.votable import parse
from starlette.testclient import TestClient

from tests.ssa.helpers import DID_PREFIX, link_rows, ssa_rows
from tests.tap.helpers import COROT7, COROT7_ID, sync, table_of


def _ids(client: TestClient, query: str) -> set[str]:
    return {str(value) for value in table_of(sync(client, query)).columns[0]}


def _cone(client: TestClient) -> Any:
    # SCS FIELDs carry UCD1 words, which astropy's UCD1+ check refuses: validity is tested elsewhere.
    response = client.get("/scs/scs.xml", params={"RA": str(COROT7[0]), "DEC": str(COROT7[1]), "SR": "0.0005",
                                                  "VERB": "1"})
    assert response.status_code == 200
    return parse(io.BytesIO(response.content), verify="ignore").get_first_table()


def test_one_main_identifier_per_table(client: TestClient) -> None:
    rows = table_of(sync(client, "SELECT table_name, column_name FROM TAP_SCHEMA.columns "
                                 "WHERE ucd LIKE 'meta.id;%meta.main' AND table_name LIKE 'corot.%'"))
    main = {str(t): str(c) for t, c in zip(rows["table_name"], rows["column_name"], strict=True)}
    assert len(rows) == len(main)
    assert main == {"corot.runs": "run_code", "corot.targets": "obs_id", "corot.lightcurves": "product_id",
                    "corot.datasets": "dataset_id"}
    counts = table_of(sync(client, "SELECT COUNT(*) AS n, COUNT(DISTINCT obs_id) AS observations, "
                                   "COUNT(DISTINCT corot_id) AS stars FROM corot.targets"))[0]
    assert counts["n"] == counts["observations"] > counts["stars"]


def test_the_same_observation_has_the_same_identifier_everywhere(client: TestClient) -> None:
    observed = _ids(client, f"SELECT obs_id FROM corot.targets WHERE corot_id = {COROT7_ID}")
    assert len(observed) == 2  # CoRoT-7 in LRa01 and LRa06
    assert all(f"_{COROT7_ID:010d}_" in obs_id for obs_id in observed)

    cone = _cone(client)
    id_main = [field.name for field in cone.fields if field.ucd == "ID_MAIN"]
    assert id_main == ["obs_id"]
    answer = cone.to_table()
    assert set(answer["obs_id"]) == observed
    assert {str(d) for d in answer["product_did"]} == {DID_PREFIX + obs_id for obs_id in observed}

    products = _ids(client, f"SELECT product_id FROM corot.lightcurves WHERE corot_id = {COROT7_ID}")
    assert products and products <= observed
    assert _ids(client, f"SELECT obs_id FROM ivoa.obscore WHERE corot_id = {COROT7_ID}") == products
    assert _ids(client, "SELECT t.obs_id FROM corot.targets AS t JOIN corot.lightcurves AS lc "
                        f"ON lc.product_id = t.obs_id WHERE t.corot_id = {COROT7_ID}") == products

    spectra = ssa_rows(client, TARGETNAME="CoRoT-7")
    assert {str(i) for i in spectra["obs_id"]} == products
    assert {str(d) for d in spectra["publisher_did"]} == {DID_PREFIX + p for p in products}

    product = sorted(products)[0]
    links = client.get("/ssa/datalink", params={"ID": DID_PREFIX + product})
    assert links.status_code == 200
    assert {row["ID"] for row in link_rows(links.content)} == {DID_PREFIX + product}
