"""Serving the HiPS: files, validators, conditional requests, CORS, 404s, traversal, list."""

from __future__ import annotations

import http.client
import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import lxml.html
import pytest
from astropy.io import fits
from mocpy import MOC
from starlette.testclient import TestClient

from hips.geometry import tile_path
from hips.properties import LIST_MANDATORY, parse_hips_list, parse_properties, read_properties
from hips.routes import HipsNode
from hips.viewer import aladin_js
from vo_service.settings import Settings


def a_tile(hips_dir: Path, ext: str = "fits") -> str:
    order = read_properties(hips_dir / "fields" / "properties")["hips_order"]
    path = sorted((hips_dir / "fields").glob(f"Norder{order}/Dir*/Npix*.{ext}"))[0]
    return "/hips/fields/" + str(path.relative_to(hips_dir / "fields"))


def test_properties_and_tiles(client: TestClient, hips_dir: Path) -> None:
    response = client.get("/hips/fields/properties")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert parse_properties(response.text)["dataproduct_type"] == "image"
    tile = client.get(a_tile(hips_dir))
    assert tile.status_code == 200 and tile.headers["content-type"] == "application/fits"
    assert tile.content.startswith(b"SIMPLE  =")
    png = client.get(a_tile(hips_dir, "png"))
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    for path, kind in (("/hips/fields/Norder3/Allsky.png", "image/png"), ("/hips/fields/Moc.fits", "application/fits"),
                       ("/hips/targets/Norder1/Allsky.tsv", "text/tab-separated-values; charset=utf-8"),
                       ("/hips/targets/Metadata.xml", "application/x-votable+xml"),
                       ("/hips/targets/metadata.xml", "application/x-votable+xml")):
        got = client.get(path)
        assert got.status_code == 200 and got.headers["content-type"] == kind, path


def test_validators_head_and_conditional_get(client: TestClient, hips_dir: Path) -> None:
    url = a_tile(hips_dir)
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(first.content)) and head.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2007 00:00:00 GMT"}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
    assert client.get(url, headers={"If-None-Match": '"stale"', "If-Modified-Since": modified}).status_code == 200
    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.content == b"" and not_modified.headers["etag"] == etag


@pytest.mark.parametrize("origin", [None, "https://aladin.cds.unistra.fr"])
def test_cors_on_files_and_on_404(client: TestClient, hips_dir: Path, origin: str | None) -> None:
    headers = {"Origin": origin} if origin else {}
    for url, status in ((a_tile(hips_dir), 200), ("/hips/fields/Norder9/Dir0/Npix1.fits", 404),
                        ("/hips/list", 200), ("/hips/moc/archive.fits", 200), ("/hips/nosuch/properties", 404)):
        response = client.get(url, headers=headers)
        assert response.status_code == status, url
        assert response.headers.get_list("access-control-allow-origin") == ["*"], url


def test_missing_files_are_plain_404s(client: TestClient) -> None:
    for url in ("/hips/fields/Norder9/Dir0/Npix1.fits", "/hips/fields/Norder3/Dir0/Npix99.png",
                "/hips/nosuch/properties", "/hips/fields/secret.txt", "/hips/fields/.manifest.json",
                "/hips/nosuch", "/hips/nosuch/", "/hips/moc/nosuch.fits", "/hips/moc/archive.txt"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers["content-type"].startswith("text/plain"), url
        assert "<html" not in response.text.lower()


@pytest.mark.parametrize("survey", ["fields", "targets"])
def test_survey_base_url_answers_a_page_showing_the_survey(client: TestClient, hips_dir: Path, survey: str) -> None:
    props = read_properties(hips_dir / survey / "properties")
    pages = [client.get(f"/hips/{survey}{tail}") for tail in ("", "/", "/index.html")]
    for page in pages:
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.headers["access-control-allow-origin"] == "*"
    assert pages[0].text == pages[1].text == pages[2].text
    html = lxml.html.fromstring(pages[0].text)
    assert html.findtext(".//h1") == props["obs_title"]
    shown = {row.findtext("td[1]"): row.findtext("td[2]") for row in html.findall(".//table[@id='properties']/tr")}
    assert shown == props  # every keyword of the properties file, with its value
    base = f"http://testserver/hips/{survey}"
    assert html.findtext(".//code[@id='hips-base-url']") == base
    links = {a.get("href") for a in html.iter("a")}
    assert {f"{base}/properties", f"{base}/Moc.fits", "http://testserver/hips/list"} <= links
    for link in links & {f"{base}/Metadata.xml", f"{base}/Norder1/Allsky.tsv", f"{base}/Norder3/Allsky.png"}:
        assert client.get(link).status_code == 200, link
    if aladin_js() is not None:  # the view itself is drawn in tests/hips/test_aladin_lite.py
        script = pages[0].text.split('<script type="module">')[1]
        call = "catalogHiPS(surveyUrl" if props["dataproduct_type"] == "catalog" else "imageHiPS(surveyUrl"
        assert call in script and f'const surveyUrl = "{base}"' in script
    else:
        assert "install-viewer" in pages[0].text
    assert f"load {base}" in pages[0].text  # how to open it in Aladin Desktop
    assert client.head(f"/hips/{survey}/").status_code == 200


def test_survey_page_of_nothing_is_a_404(client: TestClient, hips_dir: Path) -> None:
    for url in ("/hips/nosuch", "/hips/nosuch/", "/hips/nosuch/index.html", "/hips/Fields/", "/hips/viewer/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "<html" not in response.text.lower()


def raw_get(base: str, path: str) -> tuple[int, bytes]:
    """A request whose path reaches the server byte for byte (no client-side normalisation)."""
    parsed = urlparse(base)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", [
    "/hips/fields/../../../../etc/passwd",
    "/hips/fields/Norder3/../../../pyproject.toml",
    "/hips/%2e%2e/%2e%2e/etc/passwd",
    "/hips/fields/%2e%2e/%2e%2e/archive.duckdb",
    "/hips/fields/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/hips/fields//etc/passwd",
    "/hips/fields/%2Fetc%2Fpasswd",
    "/hips/..%2F..%2Fetc/passwd",
    "/hips/moc/..%2F..%2Farchive.duckdb",
    "/hips/fields/Norder3\\..\\..\\properties",
])
def test_path_traversal_reads_nothing_outside(live_server: str, hips_dir: Path, path: str) -> None:
    status, body = raw_get(live_server, path)
    assert status in (400, 404), (path, status)
    assert b"root:" not in body and b"SIMPLE" not in body and b"DUCK" not in body
    assert len(body) < 300


def test_symlink_out_of_the_survey_is_not_followed(client: TestClient, hips_dir: Path, settings: Settings) -> None:
    link = hips_dir / "fields" / "Norder3" / "Dir0" / "Npix767.fits"
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(settings.database_path, link)
    try:
        assert client.get("/hips/fields/Norder3/Dir0/Npix767.fits").status_code == 404
    finally:
        link.unlink()


def test_hips_list(client: TestClient) -> None:
    response = client.get("/hips/list")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    records = {r["creator_did"]: r for r in parse_hips_list(response.text)}
    assert set(records) == {"ivo://corot.vo/corot/hips/fields", "ivo://corot.vo/corot/hips/targets"}
    for record in records.values():
        assert all(record.get(k) for k in LIST_MANDATORY)
    assert records["ivo://corot.vo/corot/hips/fields"]["hips_service_url"] == "http://testserver/hips/fields"
    assert client.get("/hips/list", headers={"If-None-Match": response.headers["etag"]}).status_code == 304


def test_mocs_are_served(client: TestClient, tmp_path: Path) -> None:
    fits_response = client.get("/hips/moc/archive.fits")
    assert fits_response.status_code == 200
    (tmp_path / "a.fits").write_bytes(fits_response.content)
    moc = MOC.from_fits(str(tmp_path / "a.fits"))
    as_json = client.get("/hips/moc/archive.json")
    assert as_json.headers["content-type"] == "application/json"
    assert MOC.from_json(json.loads(as_json.text)) == moc
    run = client.get("/hips/moc/LRa01.fits")
    assert run.status_code == 200
    with fits.open(tmp_path / "a.fits") as hdul:
        assert hdul[1].header["MOCVERS"] == "2.0"
    assert client.get("/hips/moc/stmoc.json").status_code == 200


def test_services_are_announced(settings: Settings) -> None:
    links = {link.standard_id: link.url for link in HipsNode().links(settings)}
    assert links["ivo://ivoa.net/std/hips#hipslist-1.0"] == "http://testserver/hips/list"
    assert tile_path(3, 0, "fits") == "Norder3/Dir0/Npix0.fits"


def test_catalogue_page_without_an_image_survey_asks_for_no_catalogue_as_image(
        client: TestClient, hips_dir: Path, settings: Settings, tmp_path: Path) -> None:
    """A node serving only a catalogue: its page overlays it on Aladin Lite's default sky
    and never loads the catalogue as an image layer."""
    hidden = tmp_path / "fields-away"
    shutil.move(hips_dir / "fields", hidden)
    try:
        page = client.get("/hips/targets/")
    finally:
        shutil.move(hidden, hips_dir / "fields")
    assert page.status_code == 200
    if aladin_js() is not None:
        script = page.text.split('<script type="module">')[1]
        assert "catalogHiPS(surveyUrl" in script and "imageHiPS" not in script and "survey: surveyUrl" not in script
