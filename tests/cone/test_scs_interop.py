"""Real clients against a uvicorn server: STILTS votlint and pyvo's cone search."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from tests.conftest import require_tool

pytestmark = pytest.mark.interop


def votlint(url: str, tmp_path: Path) -> str:
    stilts = require_tool("stilts")
    path = tmp_path / "doc.vot"
    path.write_bytes(httpx.get(url, timeout=30).content)
    result = subprocess.run([stilts, "votlint", f"votable={path}"], capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return (result.stdout + result.stderr).decode(errors="replace").strip()


@pytest.mark.parametrize(
    "query",
    [
        "scs.xml?RA=102.1&DEC=-2.0&SR=1&VERB=3",
        "exo?RA=102.1&DEC=-2.0&SR=1&RESPONSEFORMAT=application/x-votable%2Bxml;serialization=binary2",
        "targets?RA=102.1&DEC=-2.0&SR=0",
        "scs.xml?RA=102.1&DEC=-2.0&SR=2&MAXREC=3",
        "scs.xml?RA=102.1&DEC=95&SR=1",
    ],
)
def test_votlint_is_clean(live_server: str, tmp_path: Path, query: str) -> None:
    assert votlint(f"{live_server}/scs/{query}", tmp_path) == ""


def test_pyvo_cone_search(live_server: str) -> None:
    from pyvo.dal import SCSService

    service = SCSService(f"{live_server}/scs/scs.xml")
    centre = SkyCoord(102.1 * u.deg, -2.0 * u.deg)
    results = service.search(pos=centre, radius=1 * u.deg, verbosity=1)
    assert len(results) > 0
    record = results[0]
    assert record.id == record["obs_id"] and f"_{record['corot_id']:010d}_" in record.id
    assert record["product_did"] == f"ivo://corot.vo/corot?{record.id}"
    assert record.pos.separation(centre) <= 1 * u.deg
    assert service.search(pos=centre, radius=1 * u.deg, verbosity=3).fieldnames[-1] == "product_did"


def test_pyvo_follows_datalink_from_cone_results_to_the_light_curve(live_server: str) -> None:
    """What TOPCAT's DataLink activation does: the service descriptor of the cone answer
    turns a row into its links, and '#this' into the N2 file."""
    import io

    from astropy.io import fits
    from pyvo.dal import SCSService, SSAService

    light_curve = SSAService(f"{live_server}/ssa/ssap.xml").search(pos=SkyCoord(102.0 * u.deg, -2.0 * u.deg),
                                                                  diameter=6 * u.deg, format="fits")[0]
    centre = SkyCoord(float(light_curve["ra"]) * u.deg, float(light_curve["dec"]) * u.deg)
    results = SCSService(f"{live_server}/scs/scs.xml").search(pos=centre, radius=1 / 3600 * u.deg, verbosity=3)
    assert len(results) >= 1
    links = next(results.iter_datalinks())
    this = [row for row in links.bysemantics("#this", include_narrower=False)
            if row.content_type == "application/fits"]
    assert len(this) == 1
    assert this[0]["content_qualifier"] == "#timeseries"
    assert this[0].access_url == light_curve.acref  # the same N2 file the SSA record points to
    with fits.open(io.BytesIO(this[0].getdataset().read())) as hdus:
        assert hdus[0].header["TELESCOP"] == "COROT"


def test_pyvo_reports_scs_errors(live_server: str) -> None:
    from pyvo.dal import DALQueryError, SCSService

    with pytest.raises(DALQueryError, match="out of range"):
        SCSService(f"{live_server}/scs/scs.xml").search(pos=(10, 0), radius=1, verbosity=1, DEC=95)


# The {links} answer to the first POST is marked OVERFLOW; pyvo warns and carries on.
@pytest.mark.filterwarnings("ignore::pyvo.dal.exceptions.DALOverflowWarning")
def test_pyvo_iterates_datalinks_over_a_large_cone_answer(live_server: str) -> None:
    """pyvo POSTs every ID of the answer at once; the service answers the first ones with an
    overflow status and pyvo continues in that batch size."""
    from pyvo.dal import SCSService

    results = SCSService(f"{live_server}/scs/scs.xml").search(pos=SkyCoord(102.1 * u.deg, -2.0 * u.deg),
                                                             radius=3 * u.deg, verbosity=3)
    assert len(results) > 1000  # more IDs than one {links} request answers, and than 1,000 form fields
    links = results.iter_datalinks()
    first, second = next(links), next(links)
    assert len(first) >= 1 and len(second) >= 1
