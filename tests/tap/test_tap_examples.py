"""/tap/examples: the DALI examples document (DALI 1.1 §2.3, TAP 1.1 §2.6); every example runs
with the parameters it declares."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from astropy.io.votable import parse
from lxml import etree
from starlette.testclient import TestClient

from tap.examples import EXAMPLES_VOCAB, Example, load_examples
from tests.tap.helpers import COROT7_ID, table_of, votable
from vo_service.metadata import load_catalogue

XHTML = {"h": "http://www.w3.org/1999/xhtml"}
BOOK = load_examples()
EXAMPLES = BOOK.examples


@pytest.fixture(scope="module")
def page(client: TestClient) -> etree._Element:
    response = client.get("/tap/examples")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xhtml+xml")
    return etree.fromstring(response.content)  # well-formed XML, as DALI 1.1 §2.3 requires


def declared_parameters(page: etree._Element) -> dict[str, dict[str, str]]:
    """Example id → its generic parameters (DALI 1.1 §2.3.5), read as a client reads them."""
    found: dict[str, dict[str, str]] = {}
    for block in page.xpath("//*[@typeof='example']"):
        parameters = {}
        for item in block.xpath(".//*[@property='generic-parameter'][@typeof='keyval']"):
            keys = item.xpath("./*[@property='key']")
            values = item.xpath("./*[@property='value']")
            assert len(keys) == 1 and len(values) == 1
            parameters[keys[0].text] = values[0].text
        found[block.get("id")] = parameters
    return found


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


def test_upload_example_declares_a_served_sample(page: etree._Element, client: TestClient) -> None:
    """The upload example carries UPLOAD=<table>,<URL of a source list the service serves>."""
    parameters = declared_parameters(page)
    uploads = {eid: p["UPLOAD"] for eid, p in parameters.items() if "UPLOAD" in p}
    assert set(uploads) == {e.id for e in EXAMPLES if e.uploads} == {"upload-crossmatch"}
    table, _, url = uploads["upload-crossmatch"].partition(",")
    assert table == "sources" and url == "http://testserver/tap/examples/corot-planet-hosts.xml"
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-votable+xml")
    sample = votable(response.content).get_first_table()
    assert [f.ucd for f in sample.fields] == ["meta.id;meta.main", "pos.eq.ra;meta.main", "pos.eq.dec;meta.main"]
    assert "CoRoT-7" in list(sample.to_table()["name"])
    others = {eid: p for eid, p in parameters.items() if eid != "upload-crossmatch"}
    assert all(not p for p in others.values())


def test_unknown_sample_is_a_dali_404(client: TestClient) -> None:
    response = client.get("/tap/examples/no-such-list.xml")
    assert response.status_code == 404
    status = parse(io.BytesIO(response.content)).resources[0].infos[0]
    assert (status.name, status.value) == ("QUERY_STATUS", "ERROR")


def test_examples_mention_their_tables() -> None:
    for example in EXAMPLES:
        for table in example.tables:
            assert table.lower() in example.adql.lower(), (example.id, table)


def test_example_ids_are_unique(tmp_path: Path) -> None:
    source = tmp_path / "examples.toml"
    source.write_text('[[examples]]\nid = "a"\nname = "n"\ndescription = "d"\nquery = "q"\n' * 2)
    with pytest.raises(ValueError, match="duplicate"):
        load_examples(source)


@pytest.mark.parametrize(("uploads", "message"), [
    ('{ mine = "nowhere" }', "not a declared sample list"),
    ('{ other = "s" }', "does not use TAP_UPLOAD.other"),
])
def test_upload_declarations_are_checked(tmp_path: Path, uploads: str, message: str) -> None:
    source = tmp_path / "examples.toml"
    source.write_text(
        '[[examples]]\nid = "a"\nname = "n"\ndescription = "d"\n'
        f'query = "SELECT * FROM TAP_UPLOAD.mine"\nuploads = {uploads}\n'
        '[[samples]]\nid = "s"\ntitle = "t"\ndescription = "d"\nsources = [{ name = "x", ra = 1, dec = 2 }]\n')
    with pytest.raises(ValueError, match=message):
        load_examples(source)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_every_example_runs(client: TestClient, page: etree._Element, example: Example) -> None:
    """Each example with the parameters its block declares.  The test client cannot fetch
    an upload URL, so an upload is sent inline, with the content served at that URL."""
    data = {"LANG": "ADQL", "QUERY": example.adql}
    files = {}
    for key, value in declared_parameters(page)[example.id].items():
        if key == "UPLOAD":
            table, _, url = value.partition(",")
            files[table] = (f"{table}.xml", client.get(urlsplit(url).path).content, "application/x-votable+xml")
            data[key] = f"{table},param:{table}"
        else:
            data[key] = value
    result = table_of(client.post("/tap/sync", data=data, files=files or None))
    assert len(result) > 0, example.id
    if example.uploads:
        matched = set(zip(result["source_name"], result["corot_id"], strict=True))
        assert ("CoRoT-7", COROT7_ID) in matched
        assert max(result["sep_arcsec"]) < 2.0
    if "corot_id = 102708694" in example.adql:
        identifiers = result["product_id" if "product_id" in result.colnames else "obs_id"]
        assert all(f"{COROT7_ID:010d}" in str(identifier) for identifier in identifiers)
