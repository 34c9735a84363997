"""Interoperability: STILTS taplint, pyvo and astroquery against the service on 127.0.0.1."""

from __future__ import annotations

import re
import subprocess
import warnings

import numpy as np
import pytest
from astropy.table import Table

from tests.conftest import require_tool
from tests.tap.helpers import COROT7, COROT7_ID

pytestmark = pytest.mark.interop

#: Warnings taplint (STILTS 3.4.7) gives for this service, each for a reason outside our control:
#: W-CAP-CULF: ADQL 2.1 (2023) added the feature type #features-adql-conditional (COALESCE),
#:   written in ADQL 2.1's lower-case form; STILTS 3.4.7 predates it and calls it custom.
#: W-EXA-EXVL (vmag-histogram): the validator cannot parse UDF signatures returning arrays
#:   (ivo_histogram(...) -> INTEGER[]), so it cannot resolve the histogram example.
EXPECTED_WARNINGS = {"W-CAP-CULF", "W-EXA-EXVL"}

CONE = (f"SELECT corot_id, run_code, ra, dec FROM corot.targets "
        f"WHERE DISTANCE(POINT(ra, dec), POINT({COROT7[0]}, {COROT7[1]})) < 0.05")


def test_taplint(live_server: str) -> None:
    """taplint over every stage but ObsLocTAP (which the service does not offer): no errors, no failures."""
    stilts = require_tool("stilts")
    run = subprocess.run([stilts, "taplint", f"tapurl={live_server}/tap", "stages=-LOC"],
                         capture_output=True, text=True, timeout=600, check=False)
    report = run.stdout
    totals = re.search(r"Totals: Errors: (\d+); Warnings: (\d+); Infos: (\d+); Summaries: (\d+); Failures: (\d+)",
                       report)
    assert totals is not None, report[-3000:] + run.stderr[-2000:]
    problems = [line for line in report.splitlines() if re.match(r"^[EF]-[A-Z]{3}-", line)]
    warned = [line for line in report.splitlines() if re.match(r"^W-[A-Z]{3}-", line)]
    print("taplint warnings:", *warned, sep="\n  ")
    assert (int(totals.group(1)), int(totals.group(5))) == (0, 0), "\n".join(problems)
    unexpected = [line for line in warned if line[:10] not in EXPECTED_WARNINGS]
    assert not unexpected, "\n".join(unexpected)
    exvl = [line for line in warned if line.startswith("W-EXA-EXVL")]
    assert all("ivo_histogram" in line for line in exvl)


def test_pyvo(live_server: str) -> None:
    from pyvo.dal import TAPService

    service = TAPService(f"{live_server}/tap")
    assert COROT7_ID in set(service.run_sync(CONE).to_table()["corot_id"])
    assert COROT7_ID in set(service.run_async(CONE).to_table()["corot_id"])
    job = service.submit_job("SELECT run_code, duration FROM corot.runs ORDER BY run_code")
    job.run()
    job.wait(phases=["COMPLETED", "ERROR", "ABORTED"], timeout=60)
    assert job.phase == "COMPLETED"
    assert len(job.fetch_result().to_table()) == 26
    job.delete()
    sources = Table({"ra": np.array([COROT7[0]]), "dec": np.array([COROT7[1]])})
    matched = service.run_sync(
        "SELECT t.corot_id FROM TAP_UPLOAD.src AS s JOIN corot.targets AS t "
        "ON DISTANCE(POINT(s.ra, s.dec), POINT(t.ra, t.dec)) < 1.0 / 3600",
        uploads={"src": sources},
    ).to_table()
    assert set(matched["corot_id"]) == {COROT7_ID}
    tables = service.tables
    assert {"corot.targets", "ivoa.obscore", "TAP_SCHEMA.columns"} <= set(tables.keys())
    assert "vmag" in {c.name for c in tables["corot.targets"].columns}
    with pytest.raises(Exception, match="vmagg"):
        service.run_sync("SELECT vmagg FROM corot.targets")


def test_astroquery(live_server: str) -> None:
    from astroquery.utils.tap.core import TapPlus

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tap = TapPlus(url=f"{live_server}/tap", verbose=False)
        sync_result = tap.launch_job(CONE).get_results()
        async_result = tap.launch_job_async(CONE).get_results()
    assert COROT7_ID in set(sync_result["corot_id"])
    assert sorted(async_result["corot_id"]) == sorted(sync_result["corot_id"])
