"""Table uploads (TAP 1.1 §2.3.7): UPLOAD parsing, VOTable reading, limits, inline and http(s) sources."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from tap.uploads import load_uploads, parse_upload, read_votable
from tests.tap.conftest import Tuner
from tests.tap.helpers import COROT7, COROT7_ID, error_message, sync, table_of, votable, votable_bytes
from vo_service.faults import PayloadTooLargeFault, UsageFault
from vo_service.settings import Limits

SOURCES = votable_bytes({"ra": [COROT7[0], 280.0], "dec": [COROT7[1], 5.0], "label": ["CoRoT-7", "nowhere"]})
CROSSMATCH = ("SELECT u.label, t.corot_id, t.run_code FROM TAP_UPLOAD.mine AS u JOIN corot.targets AS t "
              "ON DISTANCE(POINT(u.ra, u.dec), POINT(t.ra, t.dec)) < 2.0 / 3600")


def test_upload_parameter_syntax() -> None:
    refs = parse_upload(["a,param:x;b,http://example.org/t.xml", " c , https://example.org/c "])
    assert [(r.table, r.uri) for r in refs] == [("a", "param:x"), ("b", "http://example.org/t.xml"),
                                               ("c", "https://example.org/c")]


@pytest.mark.parametrize(("value", "message"), [
    ("nocomma", "table-name,URI"),
    ("1abc,param:x", "regular identifier"),
    ("select,param:x", "reserved"),
    ("a,param:x;A,param:y", "used twice"),
    ("a,file:///etc/passwd", "Unsupported upload URI"),
    ("a,vos://space/t.xml", "Unsupported upload URI"),
])
def test_bad_upload_parameters(value: str, message: str) -> None:
    with pytest.raises(UsageFault, match=message):
        parse_upload([value])


def test_votable_columns_become_catalogue_columns() -> None:
    content = votable_bytes(
        {"ID": np.array([1, 2], dtype=np.int64), "Flux": np.array([1.5, np.nan], dtype=np.float32),
         "when": ["2010-01-02T03:04:05.5", "2011-06-01"], "pos": [[1.0, 2.0], [3.0, 4.0]], "odd name": ["a", "b"]},
        xtypes={"when": "timestamp", "pos": "point"},
    )
    upload = read_votable("Mine", content, Limits())
    assert upload.name == "mine" and upload.meta.name == "TAP_UPLOAD.mine"
    columns = {c.name: c for c in upload.meta.columns}
    assert list(columns) == ["id", "flux", "when", "pos", "odd_name"]
    assert (columns["id"].datatype, columns["flux"].datatype) == ("long", "float")
    assert (columns["when"].xtype, columns["pos"].xtype, columns["pos"].arraysize) == ("timestamp", "point", "2")
    assert upload.data.column("when").type == pa.timestamp("us")
    assert upload.data.column("pos").to_pylist() == [[1.0, 2.0], [3.0, 4.0]]


def test_unreadable_upload() -> None:
    with pytest.raises(UsageFault, match="not a readable VOTable"):
        read_votable("t", b"ra,dec\n1,2\n", Limits())


def test_upload_limits() -> None:
    with pytest.raises(PayloadTooLargeFault, match="rows"):
        read_votable("t", SOURCES, Limits(upload_max_rows=1))
    with pytest.raises(PayloadTooLargeFault, match="bytes"):
        load_uploads(["t,param:t"], lambda name: __import__("io").BytesIO(SOURCES), Limits(upload_max_bytes=100))


def test_inline_upload_crossmatch(client: TestClient) -> None:
    response = client.post("/tap/sync", data={"LANG": "ADQL", "QUERY": CROSSMATCH, "UPLOAD": "mine,param:tab"},
                           files={"tab": ("mine.xml", SOURCES, "application/x-votable+xml")})
    result = table_of(response)
    assert set(result["label"]) == {"CoRoT-7"} and set(result["corot_id"]) == {COROT7_ID}
    assert {"LRa01", "LRa06"} <= set(result["run_code"])


def test_uploaded_values_round_trip(client: TestClient) -> None:
    content = votable_bytes(
        {"d_short": np.array([1, -2], dtype=np.int16), "d_long": np.array([2**40, 3], dtype=np.int64),
         "d_double": [0.5, -1.25], "d_string": ["abc", "x y"], "d_time": ["2010-01-02T03:04:05.500", "2012-11-02"]},
        xtypes={"d_time": "timestamp"},
    )
    response = client.post("/tap/sync", data={"LANG": "ADQL", "QUERY": "SELECT * FROM TAP_UPLOAD.t1",
                                              "UPLOAD": "t1,param:t1"},
                           files={"t1": ("t1.xml", content, "application/x-votable+xml")})
    document = votable(response.content)
    fields = {f.name: f for f in document.get_first_table().fields}
    assert list(fields) == ["d_short", "d_long", "d_double", "d_string", "d_time"]
    assert fields["d_time"].xtype == "timestamp" and fields["d_short"].datatype == "short"
    rows = document.get_first_table().array
    assert list(rows["d_long"]) == [2**40, 3] and list(rows["d_string"]) == ["abc", "x y"]
    assert list(rows["d_time"]) == ["2010-01-02T03:04:05.5", "2012-11-02T00:00:00"]


def test_timestamps_of_uploads_compare_with_iso_strings(client: TestClient) -> None:
    content = votable_bytes({"t": ["2010-01-02", "2012-11-02"]}, xtypes={"t": "timestamp"})
    response = client.post("/tap/sync", data={"LANG": "ADQL", "UPLOAD": "u,param:u",
                                              "QUERY": "SELECT t FROM TAP_UPLOAD.u WHERE t > '2011-01-01'"},
                           files={"u": ("u.xml", content, "application/x-votable+xml")})
    assert len(table_of(response)) == 1


def test_upload_errors_are_dali_errors(client: TestClient) -> None:
    missing = client.post("/tap/sync", data={"LANG": "ADQL", "QUERY": "SELECT * FROM TAP_UPLOAD.x",
                                             "UPLOAD": "x,param:nothere"})
    assert missing.status_code == 400 and "nothere" in error_message(missing)
    unknown = sync(client, "SELECT * FROM TAP_UPLOAD.x")
    assert unknown.status_code == 400 and "TAP_UPLOAD.x" in error_message(unknown)


def test_upload_size_limit_is_413(client: TestClient, tuned: Tuner) -> None:
    with tuned(upload_max_bytes=200):
        response = client.post("/tap/sync", data={"LANG": "ADQL", "QUERY": "SELECT * FROM TAP_UPLOAD.t",
                                                  "UPLOAD": "t,param:t"},
                               files={"t": ("t.xml", SOURCES, "application/x-votable+xml")})
    assert response.status_code == 413 and "200 bytes" in error_message(response)


def test_upload_row_limit(client: TestClient, tuned: Tuner) -> None:
    with tuned(upload_max_rows=1):
        response = client.post("/tap/sync", data={"LANG": "ADQL", "QUERY": "SELECT * FROM TAP_UPLOAD.t",
                                                  "UPLOAD": "t,param:t"},
                               files={"t": ("t.xml", SOURCES, "application/x-votable+xml")})
    assert response.status_code == 413 and "1 rows" in error_message(response)


@pytest.fixture
def table_server() -> Iterator[str]:
    """A loopback HTTP server publishing the source list at /sources.xml."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/sources.xml":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-votable+xml")
            self.send_header("Content-Length", str(len(SOURCES)))
            self.end_headers()
            self.wfile.write(SOURCES)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_upload_by_url(client: TestClient, table_server: str) -> None:
    response = sync(client, CROSSMATCH, UPLOAD=f"mine,{table_server}/sources.xml")
    assert set(table_of(response)["corot_id"]) == {COROT7_ID}
    missing = sync(client, CROSSMATCH, UPLOAD=f"mine,{table_server}/absent.xml")
    assert missing.status_code == 400 and "404" in error_message(missing)
