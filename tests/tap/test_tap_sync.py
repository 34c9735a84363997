"""/tap/sync: parameters, formats, MAXREC and overflow, errors, metadata of the result VOTable."""

from __future__ import annotations

import csv
import io

import pytest
from lxml import etree
from starlette.testclient import TestClient

from tests.conftest import COI_AUTH
from tests.tap.conftest import Tuner
from tests.tap.helpers import COROT7, COROT7_ID, VOTABLE_NS, error_message, infos, sync, table_of, votable

CONE = (f"SELECT corot_id, run_code, ra, dec, vmag FROM corot.targets "
        f"WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {COROT7[0]}, {COROT7[1]}, 0.1))")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_cone_around_corot7(client: TestClient, method: str) -> None:
    result = table_of(sync(client, CONE, method=method))
    assert COROT7_ID in set(result["corot_id"])
    assert {"LRa01", "LRa06"} <= set(result["run_code"][result["corot_id"] == COROT7_ID])
    assert result["ra"].unit == "deg" and result["vmag"].unit == "mag"


def test_case_insensitive_parameter_names(client: TestClient) -> None:
    response = client.get("/tap/sync", params={"lang": "adql", "Query": "SELECT TOP 1 run_code FROM corot.runs",
                                               "rEsPoNsEfOrMaT": "csv", "request": "doQuery"})
    assert response.status_code == 200 and response.text.startswith("run_code\r\n")


def test_multipart_form_post(client: TestClient) -> None:
    fields = {"LANG": (None, "ADQL"), "QUERY": (None, "SELECT run_code FROM corot.runs WHERE run_code = 'LRa01'")}
    response = client.post("/tap/sync", files=fields)
    assert list(table_of(response)["run_code"]) == ["LRa01"]


def test_result_document_metadata(client: TestClient) -> None:
    query = "SELECT TOP 5 obs_id, corot_id, ra, dec, date_start FROM corot.targets"
    document = votable(sync(client, query, RUNID="test-run-7").content)
    names = dict(infos(document))
    assert names["QUERY_STATUS"] == "OK" and names["QUERY"] == query and names["LANG"] == "ADQL"
    assert names["standardID"] == "ivo://ivoa.net/std/TAP" and names["RUNID"] == "test-run-7"
    fields = {f.name: f for f in document.get_first_table().fields}
    assert fields["ra"].ref == "coosys" and fields["dec"].ref == "coosys"
    coosys = document.resources[0].coordinate_systems[0]
    assert (coosys.system, coosys.ID) == ("ICRS", "coosys")
    timesys = {t.ID: t for t in document.resources[0].time_systems}
    assert timesys[fields["date_start"].ref].timescale == "UTC"
    assert fields["date_start"].xtype == "timestamp"
    assert fields["obs_id"].ucd == "meta.id;meta.main" and fields["obs_id"].datatype == "char"
    assert fields["corot_id"].ucd == "meta.id" and fields["corot_id"].datatype == "long"


def test_light_curve_times_are_mjd_in_tt(client: TestClient) -> None:
    document = votable(sync(client, "SELECT TOP 1 t_min, t_max, t_min + 1 AS later FROM corot.lightcurves").content)
    fields = {f.name: f for f in document.get_first_table().fields}
    timesys = {t.ID: t for t in document.resources[0].time_systems}
    assert timesys[fields["t_min"].ref].timescale == "TT"
    assert timesys[fields["t_min"].ref].timeorigin == "MJD-origin"
    assert fields["later"].ref is None  # computed: no time system is claimed for it


@pytest.mark.parametrize(("fmt", "media_type"), [
    ("votable", "application/x-votable+xml;serialization=BINARY2"),
    ("votable/td", "application/x-votable+xml;serialization=TABLEDATA"),
    ("application/x-votable+xml;serialization=BINARY", "application/x-votable+xml;serialization=BINARY"),
    ("text/xml", "text/xml"),
])
def test_votable_formats(client: TestClient, fmt: str, media_type: str) -> None:
    response = sync(client, "SELECT TOP 3 corot_id, vmag, date_start FROM corot.targets", RESPONSEFORMAT=fmt)
    assert response.headers["content-type"].startswith(media_type)
    assert len(table_of(response)) == 3


def test_csv_and_tsv(client: TestClient) -> None:
    query = "SELECT run_code, duration FROM corot.runs WHERE run_code IN ('LRa01', 'LRc01') ORDER BY run_code"
    response = sync(client, query, FORMAT="csv")
    assert response.headers["content-type"].startswith("text/csv;header=present")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["run_code", "duration"] and [r[0] for r in rows[1:]] == ["LRa01", "LRc01"]
    tsv = sync(client, query, RESPONSEFORMAT="tsv")
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    assert tsv.text.splitlines()[1].startswith("LRa01\t")


def test_maxrec_truncates_with_overflow_after_the_table(client: TestClient) -> None:
    response = sync(client, "SELECT corot_id FROM corot.targets", MAXREC="7")
    document = votable(response.content)
    assert len(document.get_first_table().array) == 7
    assert infos(document)[0] == ("QUERY_STATUS", "OK") and infos(document)[-1][0:2] == ("QUERY_STATUS", "OVERFLOW")
    root = etree.fromstring(response.content)
    resource = root.find("v:RESOURCE", VOTABLE_NS)
    children = [etree.QName(e).localname for e in resource]
    assert children.index("TABLE") < len(children) - 1 and children[-1] == "INFO"


def test_top_smaller_than_maxrec_has_no_overflow(client: TestClient) -> None:
    document = votable(sync(client, "SELECT TOP 4 corot_id FROM corot.targets", MAXREC="10").content)
    assert len(document.get_first_table().array) == 4
    assert [v for n, v in infos(document) if n == "QUERY_STATUS"] == ["OK"]


def test_maxrec_zero_gives_metadata_only(client: TestClient) -> None:
    document = votable(sync(client, "SELECT * FROM corot.lightcurves", MAXREC="0").content)
    assert len(document.get_first_table().array) == 0
    assert [f.name for f in document.get_first_table().fields][:2] == ["product_id", "corot_id"]
    assert ("QUERY_STATUS", "OVERFLOW") in infos(document)


def test_default_maxrec_from_settings(client: TestClient, tuned: Tuner) -> None:
    with tuned(maxrec_default=3, maxrec_hard=5):
        assert len(table_of(sync(client, "SELECT corot_id FROM corot.targets"))) == 3
        capped = votable(sync(client, "SELECT corot_id FROM corot.targets", MAXREC="1000").content)
    assert len(capped.get_first_table().array) == 5
    assert ("MAXREC", "5") in infos(capped)


@pytest.mark.parametrize(("params", "message"), [
    ({"LANG": "SQL"}, "Unknown query language"),
    ({"MAXREC": "many"}, "MAXREC"),
    ({"MAXREC": "-3"}, "MAXREC"),
    ({"REQUEST": "getTableMetadata"}, "doQuery"),
    ({"RESPONSEFORMAT": "application/pdf"}, "RESPONSEFORMAT"),
])
def test_bad_parameters_are_dali_errors(client: TestClient, params: dict[str, str], message: str) -> None:
    data = {"LANG": "ADQL", "QUERY": "SELECT TOP 1 * FROM corot.runs", **params}
    response = client.post("/tap/sync", data=data)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/x-votable+xml")
    assert message in error_message(response)


def test_missing_query(client: TestClient) -> None:
    response = client.get("/tap/sync", params={"LANG": "ADQL"})
    assert response.status_code == 400 and "QUERY" in error_message(response)


@pytest.mark.parametrize(("query", "fragments"), [
    ("SELECT TOP 1 vmagg FROM corot.targets", ["vmagg", "line 1, column 14", "vmag"]),
    ("SELECT * FROM corot.nothing", ["corot.nothing", "line 1"]),
    ("SELECT corot_id FROM corot.targets WHERE", ["line 1"]),
    ("SELECT\n  ra +\n  FROM corot.targets", ["line 3"]),
    ("SELECT TOP 1 SIN(run_code) FROM corot.runs", ["SIN"]),
    ("SELECT TOP 1 POWER(vmag) FROM corot.targets", ["POWER"]),
])
def test_query_errors_have_position_and_message(client: TestClient, query: str, fragments: list[str]) -> None:
    response = sync(client, query)
    assert response.status_code == 400
    message = error_message(response)
    for fragment in fragments:
        assert fragment.lower() in message.lower(), message


def test_reserved_word_columns_need_quotes(client: TestClient) -> None:
    assert sync(client, "SELECT TOP 1 level FROM corot.datasets").status_code == 400
    assert len(table_of(sync(client, 'SELECT TOP 2 "level" FROM corot.datasets'))) == 2


def test_proprietary_rows_need_the_group(client: TestClient) -> None:
    query = "SELECT product_id, access_group FROM corot.lightcurves WHERE access_group <> 'public'"
    assert len(table_of(sync(client, query))) == 0
    private = table_of(sync(client, query, headers=COI_AUTH))
    assert len(private) > 0 and set(private["access_group"]) == {"corot-coi"}
    counts = "SELECT COUNT(*) AS n FROM corot.lightcurves"
    assert table_of(sync(client, counts, headers=COI_AUTH))["n"][0] > table_of(sync(client, counts))["n"][0]


def test_proprietary_rows_hidden_in_subqueries_and_joins(client: TestClient) -> None:
    query = ("SELECT COUNT(*) AS n FROM corot.targets AS t WHERE EXISTS "
             "(SELECT 1 FROM corot.lightcurves AS l WHERE l.corot_id = t.corot_id AND l.access_group <> 'public')")
    assert table_of(sync(client, query))["n"][0] == 0
    assert table_of(sync(client, query, headers=COI_AUTH))["n"][0] > 0


def test_geometry_values_round_trip(client: TestClient) -> None:
    result = table_of(sync(client, f"SELECT TOP 1 POINT('ICRS', {COROT7[0]}, {COROT7[1]}) AS p, "
                                   f"CIRCLE('ICRS', {COROT7[0]}, {COROT7[1]}, 0.5) AS c FROM corot.runs"))
    assert list(result["p"][0]) == pytest.approx(list(COROT7))
    assert list(result["c"][0]) == pytest.approx([*COROT7, 0.5])
