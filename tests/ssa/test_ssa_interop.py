"""Real clients against uvicorn: STILTS votlint/datalinklint, pyvo SSA and DataLink, astropy."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import httpx
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table

from tests.conftest import COI_AUTH, require_tool

pytestmark = pytest.mark.interop

#: Core DataLink terms newer than the vocabulary STILTS 3.4.x carries for offline use
#: (#documentation is VEP-002, 2022); where STILTS cannot fetch the current vocabulary it
#: reports them as unknown.  They are terms of http://www.ivoa.net/rdf/datalink/core.
NEWER_CORE_TERMS = ("documentation",)


def stilts(*args: str) -> str:
    tool = require_tool("stilts")
    result = subprocess.run([tool, *args], capture_output=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return (result.stdout + result.stderr).decode(errors="replace")


def fetch(url: str, path: Path, headers: dict[str, str] | None = None) -> Path:
    response = httpx.get(url, headers=headers or {}, timeout=60)
    assert response.status_code == 200, response.text
    path.write_bytes(response.content)
    return path


def dids(live_server: str, headers: dict[str, str] | None = None, **params: str) -> list[str]:
    query = {"FORMAT": "fits", "MAXREC": "1000", **params}
    text = httpx.get(f"{live_server}/ssa/ssap.xml", params=query, headers=headers or {}, timeout=60).text
    return sorted(set(re.findall(r"ivo://corot\.vo/corot\?[A-Z0-9_]+", text)))


@pytest.mark.parametrize(
    "query",
    [
        "ssap.xml?REQUEST=queryData&POS=102,-2&SIZE=10",
        "ssap.xml?REQUEST=queryData&FORMAT=METADATA",
        "ssap.xml?REQUEST=queryData&MAXREC=3",
        "ssap.xml?REQUEST=queryData&POS=999,0",
    ],
)
def test_votlint_ssa(live_server: str, tmp_path: Path, query: str) -> None:
    path = tmp_path / "ssa.vot"
    path.write_bytes(httpx.get(f"{live_server}/ssa/{query}", timeout=60).content)
    assert stilts("votlint", f"votable={path}").strip() == ""


def test_votlint_time_series_and_cutout(live_server: str, tmp_path: Path) -> None:
    did = dids(live_server, PRODUCT_TYPE="EN2_STAR_CHR")[0]
    product = did.split("?", 1)[1]
    series = fetch(f"{live_server}/ssa/products/{product}.vot", tmp_path / "series.vot")
    assert stilts("votlint", f"votable={series}").strip() == ""
    cutout = fetch(f"{live_server}/ssa/soda?ID={did}&COLOUR=red&RESPONSEFORMAT=votable", tmp_path / "cut.vot")
    assert stilts("votlint", f"votable={cutout}").strip() == ""


def _lint_links(path: Path) -> list[str]:
    report = stilts("datalinklint", f"votable={path}", "report=EW")
    problems = [line for line in report.splitlines() if re.match(r"^[EW]-", line)]
    return [line for line in problems
            if not any(f"Unknown predicate '{term}'" in line for term in NEWER_CORE_TERMS)]


def test_datalinklint_and_votlint_links(live_server: str, tmp_path: Path) -> None:
    ids = dids(live_server)[:6]
    query = "&".join(f"ID={httpx.QueryParams({'x': i})['x']}" for i in ids)
    links = fetch(f"{live_server}/ssa/datalink?{query}&ID=nonsense", tmp_path / "links.vot")
    assert stilts("votlint", f"votable={links}").strip() == ""
    assert _lint_links(links) == []
    empty = fetch(f"{live_server}/ssa/datalink", tmp_path / "empty.vot")
    assert _lint_links(empty) == []


def test_datalinklint_for_the_coi(live_server: str, tmp_path: Path) -> None:
    anonymous = set(dids(live_server))
    restricted = [d for d in dids(live_server, headers=COI_AUTH) if d not in anonymous]
    assert restricted
    links = fetch(f"{live_server}/ssa/datalink?ID={restricted[0]}", tmp_path / "coi.vot", headers=COI_AUTH)
    assert _lint_links(links) == []
    assert "NotFoundFault" not in links.read_text()


def test_pyvo_ssa_datalink_and_download(live_server: str) -> None:
    from pyvo.dal import SSAService

    service = SSAService(f"{live_server}/ssa/ssap.xml")
    results = service.search(pos=SkyCoord(102.0 * u.deg, -2.0 * u.deg), diameter=6 * u.deg, format="fits")
    assert len(results) > 0
    record = results[0]
    assert record.format == "application/fits"
    assert record.acref.endswith(".fits")
    # Record.getdataset() of pyvo 1.x first resolves '#this' with narrower terms, which needs
    # the IVOA vocabulary server; the access reference is fetched directly instead.
    with fits.open(io.BytesIO(httpx.get(record.acref, timeout=60).content)) as hdus:
        assert hdus[0].header["TELESCOP"] == "COROT"
        assert hdus[1].name in {"BAR", "RAW"}

    links = next(results.iter_datalinks())
    this = list(links.bysemantics("#this", include_narrower=False))
    votables = [row for row in this if row.content_type == "application/x-votable+xml"]
    assert len(votables) == 1
    table = Table.read(io.BytesIO(votables[0].getdataset().read()), format="votable")
    assert table.colnames[:3] == ["time", "status", "flux"]
    assert np.all(np.diff(np.asarray(table["time"])) > 0)
    preview = next(links.bysemantics("#preview", include_narrower=False))
    assert preview.getdataset().read().startswith(b"\x89PNG")


def test_pyvo_soda_through_the_descriptor(live_server: str) -> None:
    from pyvo.dal.adhoc import DatalinkResults

    did = dids(live_server, PRODUCT_TYPE="EN2_STAR_CHR")[0]
    links = DatalinkResults.from_result_url(f"{live_server}/ssa/datalink?ID={httpx.QueryParams({'i': did})['i']}")
    processed = links.get_first_proc()
    cutout = processed.processed(band=(6.0e-7, 8.0e-7) * u.m)
    with fits.open(io.BytesIO(cutout.read())) as hdus:
        assert hdus[1].columns.names == ["TIME", "STATUS", "FLUX_RED", "FLUX_ERR_RED"]
