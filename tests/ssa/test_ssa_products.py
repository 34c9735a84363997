"""Downloads of the light curves: N2 FITS, VOTable time series, CSV, previews; integrity."""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from starlette.testclient import TestClient

from archive.n2fits import read_series
from tests.conftest import COI_AUTH
from tests.ssa.conftest import product_of
from tests.ssa.helpers import votable
from vo_service.settings import Settings

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def archive_path(settings: Settings, product_id: str) -> Path:
    matches = list(settings.products_dir.rglob(f"{product_id}.fits"))
    assert len(matches) == 1
    return matches[0]


@pytest.fixture
def chromatic(public_products: dict[str, str]) -> str:
    return product_of(next(did for did, ptype in public_products.items() if ptype == "EN2_STAR_CHR"))


def test_fits_is_the_archived_file_byte_for_byte(client: TestClient, settings: Settings, chromatic: str) -> None:
    response = client.get(f"/ssa/products/{chromatic}.fits")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/fits"
    original = archive_path(settings, chromatic).read_bytes()
    assert response.content == original
    assert response.headers["content-length"] == str(len(original))
    assert response.headers["etag"].strip('"') == hashlib.sha256(original).hexdigest()
    assert f'filename="{chromatic}.fits"' in response.headers["content-disposition"]


def test_votable_time_series_follows_the_time_series_note(
    client: TestClient, settings: Settings, chromatic: str
) -> None:
    response = client.get(f"/ssa/products/{chromatic}.vot")
    assert response.status_code == 200
    document = votable(response.content)
    timesys = document.resources[0].time_systems[0]
    assert (timesys.timescale, timesys.refposition, float(timesys.timeorigin)) == ("TT", "BARYCENTER", 2400000.0)
    table = document.get_first_table()
    time_field = next(f for f in table.fields if f.name == "time")
    assert time_field.ref == timesys.ID and time_field.unit == "d" and time_field.datatype == "double"
    names = [f.name for f in table.fields]
    assert names == ["time", "status", "flux", "flux_err", "flux_red", "flux_err_red", "flux_green",
                     "flux_err_green", "flux_blue", "flux_err_blue"]
    data = table.to_table()
    white = read_series(str(archive_path(settings, chromatic)), "white")
    np.testing.assert_array_equal(np.asarray(data["time"]), white.time_bjd_minus_2400000)
    np.testing.assert_array_equal(np.asarray(data["status"]), white.status)
    np.testing.assert_allclose(np.asarray(data["flux"]), white.flux.astype(np.float32))
    # errors are null exactly where the file gives no deviation (DEV = -1)
    np.testing.assert_array_equal(np.ma.getmaskarray(data["flux_err"]), ~np.isfinite(white.flux_err))


def test_csv(client: TestClient, chromatic: str) -> None:
    response = client.get(f"/ssa/products/{chromatic}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = Table.read(response.text, format="ascii.csv")
    assert table.colnames[:3] == ["time", "status", "flux"]
    votable_rows = votable(client.get(f"/ssa/products/{chromatic}.vot").content).get_first_table().to_table()
    assert len(table) == len(votable_rows)
    np.testing.assert_allclose(np.asarray(table["time"]), np.asarray(votable_rows["time"]))


def test_preview_is_rendered_once_and_cached(client: TestClient, settings: Settings, chromatic: str) -> None:
    first = client.get(f"/ssa/preview/{chromatic}.png")
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/png"
    assert first.content.startswith(PNG_SIGNATURE)
    cached = list((settings.cache_dir / "ssa-previews").glob(f"{chromatic}-*.png"))
    assert len(cached) == 1
    before = cached[0].stat().st_mtime_ns
    again = client.get(f"/ssa/preview/{chromatic}.png")
    assert again.content == first.content
    assert cached[0].stat().st_mtime_ns == before


@pytest.mark.parametrize("suffix", ["fits", "vot", "csv"])
def test_unknown_products_are_not_found(client: TestClient, suffix: str) -> None:
    for product_id in ("EN2_STAR_CHR_0000000001_20070206T133547_20070402T070302", "nonsense", "a.b"):
        response = client.get(f"/ssa/products/{product_id}.{suffix}")
        assert response.status_code == 404
        assert b"QUERY_STATUS" in response.content
    assert client.get("/ssa/preview/EN2_STAR_CHR_0000000001_20070206T133547_20070402T070302.png").status_code == 404


@pytest.mark.parametrize("path", ["products/{}.fits", "products/{}.vot", "products/{}.csv", "preview/{}.png"])
def test_restricted_products_are_served_to_their_group_only(
    client: TestClient, restricted_products: list[str], path: str
) -> None:
    url = "/ssa/" + path.format(product_of(restricted_products[0]))
    hidden = client.get(url)
    assert hidden.status_code == 404
    assert b"proprietary" not in hidden.content.lower()
    assert client.get(url, headers=COI_AUTH).status_code == 200


@pytest.fixture
def corrupted(settings: Settings, chromatic: str) -> Iterator[str]:
    """One archived file with a flipped byte, restored afterwards."""
    path = archive_path(settings, chromatic)
    original = path.read_bytes()
    damaged = bytearray(original)
    damaged[-100] ^= 0xFF
    path.write_bytes(bytes(damaged))
    try:
        yield chromatic
    finally:
        path.write_bytes(original)


@pytest.mark.parametrize("suffix", ["fits", "vot", "csv"])
def test_checksum_mismatch_is_withheld_and_logged(
    client: TestClient, corrupted: str, suffix: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="ssa.products"):
        response = client.get(f"/ssa/products/{corrupted}.{suffix}")
    assert response.status_code == 503
    assert b"integrity check" in response.content
    assert any("checksum mismatch" in record.getMessage() for record in caplog.records)


def test_fits_of_the_corrupted_file_is_never_sent(client: TestClient, corrupted: str) -> None:
    response = client.get(f"/ssa/products/{corrupted}.fits")
    with pytest.raises(OSError):  # noqa: PT011 - not a FITS file at all: an error document
        fits.open(io.BytesIO(response.content))
