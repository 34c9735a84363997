"""pyvo runs every TAP example as given, against uvicorn on 127.0.0.1 (DALI 1.1 §2.3).

pyvo reads the queries from ``/tap/examples`` (``TAPService.examples``); the DALI generic
parameters of each example (§2.3.5) are read from the same document, as TOPCAT reads them,
and set on pyvo's query.  The upload example thereby makes the service fetch the sample
source list it serves itself, by URL (TAP 1.1 §2.3.7).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from lxml import etree

from tap.examples import load_examples, sample_url
from tests.cone.test_scs_interop import votlint
from tests.tap.helpers import COROT7_ID

pytestmark = pytest.mark.interop


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
