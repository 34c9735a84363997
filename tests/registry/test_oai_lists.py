"""Resumption tokens (OAI-PMH 2.0 §3.5) and record datestamps that survive restarts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from registry.oai import Repository, answer
from registry.profile import load_profile
from registry.records import Record, RecordBuilder
from registry.stamps import RecordStamps
from vo_service.settings import Settings

NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}


def small_repository(tmp_path: Path, max_records: int) -> Repository:
    builder = RecordBuilder(load_profile(), Settings(data_dir=tmp_path, base_url="http://example.org"))
    records = [builder.authority(), builder.organisation(), builder.registry("/registry/oai.xml")]
    RecordStamps(tmp_path / "stamps.json").apply(records, datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC))
    return Repository("test", "http://example.org/registry/oai.xml", "a@b.c", records, records[2], max_records)


def ask(repository: Repository, **params: str) -> Any:
    return etree.fromstring(answer(repository, {name: [value] for name, value in params.items()}))


def test_lists_are_cut_and_resumed_with_stateless_tokens(tmp_path: Path) -> None:
    repository = small_repository(tmp_path, max_records=2)
    first = ask(repository, verb="ListIdentifiers", metadataPrefix="ivo_vor")
    token = first.find(".//oai:resumptionToken", NS)
    assert token.get("completeListSize") == "3" and token.get("cursor") == "0" and token.text
    seen = [e.text for e in first.iterfind(".//oai:identifier", NS)]
    second = ask(repository, verb="ListIdentifiers", resumptionToken=str(token.text))
    last = second.find(".//oai:resumptionToken", NS)
    assert last.text is None and last.get("cursor") == "2"  # an empty token ends the list
    seen += [e.text for e in second.iterfind(".//oai:identifier", NS)]
    assert seen == [r.identifier for r in repository.records]
    # A token is bound to its verb.
    wrong = ask(repository, verb="ListRecords", resumptionToken=str(token.text))
    assert wrong.find("oai:error", NS).get("code") == "badResumptionToken"


def test_whole_lists_carry_no_token(tmp_path: Path) -> None:
    repository = small_repository(tmp_path, max_records=10)
    root = ask(repository, verb="ListRecords", metadataPrefix="oai_dc")
    assert root.find(".//oai:resumptionToken", NS) is None
    assert len(root.findall(".//oai:record", NS)) == 3


def test_datestamps_change_only_with_the_records(tmp_path: Path) -> None:
    builder = RecordBuilder(load_profile(), Settings(data_dir=tmp_path, base_url="http://example.org"))
    stamps = RecordStamps(tmp_path / "registry" / "stamps.json")
    first_time = datetime(2025, 1, 1, tzinfo=UTC)
    records = [builder.authority(), builder.organisation()]
    stamps.apply(records, first_time)
    assert {r.updated for r in records} == {first_time}
    assert records[0].element.get("updated") == "2025-01-01T00:00:00Z"

    later = datetime(2025, 6, 1, tzinfo=UTC)
    again = [builder.authority(), builder.organisation()]
    stamps.apply(again, later)  # a restart with the same content keeps the datestamps
    assert {r.updated for r in again} == {first_time}

    moved = RecordBuilder(load_profile(), Settings(data_dir=tmp_path, base_url="http://example.org",
                                                   contact_email="new@example.org"))
    changed: list[Record] = [moved.authority(), builder.organisation()]
    stamps.apply(changed, later)  # a new contact address changes the authority record only
    assert changed[0].updated == later
    assert changed[1].updated == first_time


def test_records_are_unaffected_by_their_copies(tmp_path: Path) -> None:
    repository = small_repository(tmp_path, max_records=10)
    before = etree.tostring(repository.records[0].element)
    ask(repository, verb="GetRecord", identifier=repository.records[0].identifier, metadataPrefix="ivo_vor")
    assert etree.tostring(repository.records[0].element) == before


def test_a_record_no_longer_published_is_listed_as_deleted(tmp_path: Path) -> None:
    builder = RecordBuilder(load_profile(), Settings(data_dir=tmp_path, base_url="http://example.org"))
    stamps = RecordStamps(tmp_path / "stamps.json")
    before = datetime(2025, 1, 1, tzinfo=UTC)
    assert stamps.apply([builder.authority(), builder.organisation()], before) == []
    gone_at = datetime(2025, 2, 1, tzinfo=UTC)
    records = [builder.authority()]
    tombstones = stamps.apply(records, gone_at)
    assert [(t.identifier, t.updated) for t in tombstones] == [("ivo://corot.vo/org", gone_at)]
    # Later starts keep the deletion and its datestamp.
    again = stamps.apply([builder.authority()], datetime(2025, 3, 1, tzinfo=UTC))
    assert [(t.identifier, t.updated) for t in again] == [("ivo://corot.vo/org", gone_at)]

    repository = Repository("t", "http://example.org/registry/oai.xml", "a@b.c", records, records[0], 10, again)
    listed = ask(repository, verb="ListRecords", metadataPrefix="ivo_vor")
    deleted = [h for h in listed.iterfind(".//oai:header", NS) if h.get("status") == "deleted"]
    assert [h.findtext("oai:identifier", namespaces=NS) for h in deleted] == ["ivo://corot.vo/org"]
    assert deleted[0].getparent().find("oai:metadata", NS) is None
    single = ask(repository, verb="GetRecord", identifier="ivo://corot.vo/org", metadataPrefix="oai_dc")
    assert single.find(".//oai:header", NS).get("status") == "deleted"
    recent = ask(repository, verb="ListIdentifiers", metadataPrefix="ivo_vor", **{"from": "2025-01-15"})
    assert [e.text for e in recent.iterfind(".//oai:identifier", NS)] == ["ivo://corot.vo/org"]

    # Published again, it is a record once more.
    back = [builder.authority(), builder.organisation()]
    assert stamps.apply(back, datetime(2025, 4, 1, tzinfo=UTC)) == []
    assert back[1].updated == datetime(2025, 4, 1, tzinfo=UTC)


def test_deleted_entries_are_schema_valid(tmp_path: Path) -> None:
    from tests.ivoa_xsd import require_schemas, xsd_errors

    require_schemas()
    builder = RecordBuilder(load_profile(), Settings(data_dir=tmp_path, base_url="http://example.org"))
    stamps = RecordStamps(tmp_path / "stamps.json")
    stamps.apply([builder.authority(), builder.organisation()], datetime(2025, 1, 1, tzinfo=UTC))
    records = [builder.authority()]
    tombstones = stamps.apply(records, datetime(2025, 2, 1, tzinfo=UTC))
    repository = Repository("t", "http://example.org/registry/oai.xml", "a@b.c", records, records[0], 10, tombstones)
    for params in ({"verb": "ListRecords", "metadataPrefix": "ivo_vor"},
                   {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"},
                   {"verb": "GetRecord", "identifier": "ivo://corot.vo/org", "metadataPrefix": "ivo_vor"}):
        document = answer(repository, {name: [value] for name, value in params.items()})
        assert xsd_errors(document) == [], params
