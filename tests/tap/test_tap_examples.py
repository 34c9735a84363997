"""/tap/examples: the DALI examples document (DALI 1.1 §2.3, TAP 1.1 §2.6); every example runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from starlette.testclient import TestClient

from tap.examples import EXAMPLES_VOCAB, load_examples
from tests.tap.helpers import COROT7, COROT7_ID, table_of, votable_bytes
from vo_service.metadata import load_catalogue

XHTML = {"h": "http://www.w3.org/1999/xhtml"}
EXAMPLES = load_examples()


@pytest.fixture(scope="module")
def page(client: TestClient) -> etree._Element:
    response = client.get("/tap/examples")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xhtml+xml")
    return etree.fromstring(response.content)  # well-formed XML, as DALI 1.1 §2.3 requires


def test_rdfa_structure(page: etree._Element) -> None:
    vocab_holders = page.xpath("//*[@vocab]")
    assert [e.get("vocab") for e in vocab_holders] == [EXAMPLES_VOCAB]
    blocks = vocab_holders[0].xpath(".//*[@typeof='example']")
    assert len(blocks) == len(EXAMPLES) >= 10
    for block in blocks:
        assert block.get("resource") == f"#{block.get('id')}"
        names = block.xpath(".//*[@property='name']")
        queries = block.xpath(".//*[@property='query']")
        assert len(names) == 1 and names[0].text and not len(names[0])
        assert len(queries) == 1 and queries[0].text.strip() and not len(queries[0])
        for element in block.xpath(".//*[@property]"):
            assert element.get("href") is None and element.get("src") is None
        for table in block.xpath(".//*[@property='table']"):
            assert load_catalogue().has_table(table.text)


def test_examples_mention_their_tables() -> None:
    for example in EXAMPLES:
        for table in example.tables:
            assert table.lower() in example.adql.lower(), (example.id, table)


def test_example_ids_are_unique(tmp_path: Path) -> None:
    source = tmp_path / "examples.toml"
    source.write_text('[[examples]]\nid = "a"\nname = "n"\ndescription = "d"\nquery = "q"\n' * 2)
    with pytest.raises(ValueError, match="duplicate"):
        load_examples(source)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_every_example_runs(client: TestClient, example: object) -> None:
    adql = example.adql  # type: ignore[attr-defined]
    data = {"LANG": "ADQL", "QUERY": adql}
    files = None
    if "TAP_UPLOAD.mysources" in adql:
        data["UPLOAD"] = "mysources,param:sources"
        files = {"sources": ("s.xml", votable_bytes({"ra": [COROT7[0]], "dec": [COROT7[1]]}),
                             "application/x-votable+xml")}
    result = table_of(client.post("/tap/sync", data=data, files=files))
    assert len(result) > 0, example.id  # type: ignore[attr-defined]
    if files:
        assert set(result["corot_id"]) == {COROT7_ID}
    if "corot_id = 102708694" in adql:
        assert all(f"{COROT7_ID:010d}" in str(product) for product in result["product_id"])
