"""pyvo runs every TAP example as given, and TOPCAT's reader finds the declared upload,
against uvicorn on 127.0.0.1 (DALI 1.1 §2.3).

pyvo reads the queries from ``/tap/examples`` (``TAPService.examples``); the DALI generic
parameters of each example (§2.3.5) are read from the same document, as TOPCAT reads them,
and set on pyvo's query.  The upload example thereby makes the service fetch the sample
source list it serves itself, by URL (TAP 1.1 §2.3.7).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest
from lxml import etree

from tap.examples import load_examples, sample_url
from tests.cone.test_scs_interop import votlint
from tests.conftest import require_tool
from tests.tap.helpers import COROT7_ID

pytestmark = pytest.mark.interop

#: Where Debian's stilts package installs the Starlink libraries TOPCAT is built from.
STARLINK_JARS = "/usr/share/java"


def _declared(document: bytes) -> dict[str, dict[str, str]]:
    """Query text → generic parameters of its example."""
    root = etree.fromstring(document)
    declared: dict[str, dict[str, str]] = {}
    for block in root.xpath("//*[@typeof='example']"):
        query = block.xpath(".//*[@property='query']")[0].text
        parameters = {
            item.xpath("./*[@property='key']")[0].text: item.xpath("./*[@property='value']")[0].text
            for item in block.xpath(".//*[@property='generic-parameter'][@typeof='keyval']")
        }
        declared[query] = parameters
    return declared


def test_pyvo_runs_every_example(live_server: str) -> None:
    from pyvo.dal import TAPService

    service = TAPService(f"{live_server}/tap")
    examples = service.examples
    assert len(examples) == len(load_examples().examples)
    declared = _declared(httpx.get(f"{live_server}/tap/examples", timeout=30).content)
    uploaded = 0
    for query in examples:
        parameters = declared[query["QUERY"]]
        for key, value in parameters.items():
            query[key] = value
        result = query.execute().to_table()
        assert len(result) > 0, query["QUERY"]
        if "UPLOAD" in parameters:
            uploaded += 1
            assert parameters["UPLOAD"].startswith(f"sources,{live_server}/tap/examples/")
            assert COROT7_ID in set(result["corot_id"])
            assert "CoRoT-7" in set(result["source_name"])
    assert uploaded == 1


def test_sample_source_list_passes_votlint(live_server: str, tmp_path: Path) -> None:
    for sample in load_examples().samples:
        assert votlint(sample_url(f"{live_server}/tap", sample.id), tmp_path) == ""


def test_topcat_reads_the_declared_upload(live_server: str) -> None:
    """TOPCAT's examples reader (uk.ac.starlink.vo.DaliExampleReader, from the STILTS
    packages) finds the UPLOAD generic parameter of the upload example."""
    java = require_tool("java")
    if not list(Path(STARLINK_JARS).glob("starlink-vo*.jar")):
        if os.environ.get("CI"):
            pytest.fail("the Starlink VO library is required in CI (it comes with stilts)")
        pytest.skip("the Starlink VO library (package of stilts) is not installed")
    run = subprocess.run([java, "-cp", f"{STARLINK_JARS}/*", "uk.ac.starlink.vo.DaliExampleReader",
                          f"{live_server}/tap/examples"], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    blocks = run.stdout.split("\n\n")
    upload = [block for block in blocks if block.lstrip().startswith("upload-crossmatch:")]
    assert len(upload) == 1, run.stdout[-3000:]
    parameters = upload[0].split("generic-parameters:")[1].split("properties:")[0].split()
    assert parameters == ["UPLOAD", f"sources,{sample_url(f'{live_server}/tap', 'corot-planet-hosts')}"]
