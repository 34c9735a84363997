"""Job records and their UWS 1.1 documents (Appendix B), validated against the XSD."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from vo_models.uws import Jobs, JobSummary, Results
from vo_models.uws.types import ErrorType, ExecutionPhase

from tests.uws.uws_support import NS, XSI_NIL, validate_uws
from vo_service.uws.models import (
    ErrorInfo,
    Job,
    JobParameter,
    JobParameters,
    ResultInfo,
    is_safe_identifier,
    job_list_xml_model,
    utc,
)
from vo_service.uws.xml_models import ParameterList, xml_bytes

CREATED = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
JOB_URL = "http://example.org/tap/async/abc123"


def sample_job(**changes: object) -> Job:
    job = Job(
        job_id="abc123",
        job_type="tap",
        owner=None,
        phase=ExecutionPhase.PENDING,
        creation_time=CREATED,
        execution_duration=600,
        destruction=CREATED + timedelta(days=7),
        parameters=JobParameters.from_pairs([("QUERY", "SELECT * FROM t WHERE a < 3"), ("LANG", "ADQL")]),
    )
    return replace(job, **changes)  # type: ignore[arg-type]


def test_parameter_names_are_lower_cased_and_multi_valued() -> None:
    params = JobParameters.from_pairs([("QUERY", "q"), ("Upload", "a,param:a"), ("UPLOAD", "b,param:b")])
    assert params.names() == ["query", "upload"]
    assert params.get("Query") == "q"
    assert params.getall("upload") == ["a,param:a", "b,param:b"]
    assert "UPLOAD" in params
    assert "maxrec" not in params
    assert params.get("maxrec", "100") == "100"
    assert len(params) == 3


def test_updating_parameters_replaces_values_in_place_and_appends_new_names() -> None:
    params = JobParameters.from_pairs([("a", "1"), ("b", "2"), ("a", "3"), ("c", "4")])
    updated = params.updated(JobParameters.from_pairs([("A", "9"), ("d", "5"), ("a", "8")]))
    assert [(item.name, item.value) for item in updated] == [
        ("a", "9"),
        ("a", "8"),
        ("b", "2"),
        ("c", "4"),
        ("d", "5"),
    ]


@pytest.mark.parametrize(
    ("value", "safe"),
    [("result", True), ("a1_b-c.d", True), ("..", False), (".hidden", False), ("a/b", False), ("", False)],
)
def test_safe_identifiers(value: str, safe: bool) -> None:
    assert is_safe_identifier(value) is safe


def test_naive_times_are_utc() -> None:
    assert utc(datetime(2024, 1, 1, 10)) == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert utc(datetime(2024, 1, 1, 12, tzinfo=UTC)).tzinfo is UTC


def test_pending_job_document_is_valid_and_uses_nil_for_unknowns() -> None:
    root = validate_uws(xml_bytes(sample_job().to_xml_model(JOB_URL)))
    assert root.tag == f"{{{NS['uws']}}}job"
    assert root.get("version") == "1.1"
    assert root.findtext("uws:jobId", namespaces=NS) == "abc123"
    assert root.find("uws:runId", NS) is None
    for name in ("ownerId", "quote", "startTime", "endTime"):
        element = root.find(f"uws:{name}", NS)
        assert element is not None
        assert element.get(XSI_NIL) == "true"
    assert root.findtext("uws:creationTime", namespaces=NS) == "2024-05-01T12:00:00.123Z"
    assert root.findtext("uws:destruction", namespaces=NS) == "2024-05-08T12:00:00.123Z"
    assert root.findtext("uws:executionDuration", namespaces=NS) == "600"
    parameters = root.findall("uws:parameters/uws:parameter", NS)
    assert [(item.get("id"), item.text) for item in parameters] == [
        ("query", "SELECT * FROM t WHERE a < 3"),
        ("lang", "ADQL"),
    ]
    assert root.find("uws:errorSummary", NS) is None


def test_finished_job_document_with_results_error_owner_and_run_id() -> None:
    job = sample_job(
        owner="alice",
        run_id="my-run",
        phase=ExecutionPhase.ERROR,
        start_time=CREATED + timedelta(seconds=1),
        end_time=CREATED + timedelta(seconds=2),
        destruction=None,
        results=(
            ResultInfo("result", "application/x-votable+xml", size=1234, rows=10),
            ResultInfo("preview", "image/png", href="http://elsewhere.org/p.png"),
        ),
        error=ErrorInfo(ErrorType.FATAL, "Table foo does not exist", "application/x-votable+xml"),
    )
    root = validate_uws(xml_bytes(job.to_xml_model(JOB_URL)))
    assert root.findtext("uws:runId", namespaces=NS) == "my-run"
    assert root.findtext("uws:ownerId", namespaces=NS) == "alice"
    assert root.find("uws:destruction", NS).get(XSI_NIL) == "true"
    results = root.findall("uws:results/uws:result", NS)
    assert results[0].get("id") == "result"
    assert results[0].get(f"{{{NS['xlink']}}}href") == f"{JOB_URL}/results/result"
    assert results[0].get("size") == "1234"
    assert results[0].get("mime-type") == "application/x-votable+xml"
    assert results[1].get(f"{{{NS['xlink']}}}href") == "http://elsewhere.org/p.png"
    assert results[1].get("size") is None
    summary = root.find("uws:errorSummary", NS)
    assert summary is not None
    assert summary.get("type") == "fatal"
    assert summary.get("hasDetail") == "true"
    assert summary.findtext("uws:message", namespaces=NS) == "Table foo does not exist"


def test_inline_parameters_are_references_to_the_job_tree() -> None:
    job = sample_job(
        parameters=JobParameters(
            (
                JobParameter("upload", "t1,param:t1"),
                JobParameter("t1", "param:t1", by_reference=True),
                JobParameter("source", "http://example.org/data.xml", by_reference=True),
            )
        )
    )
    root = validate_uws(xml_bytes(job.parameters.to_xml_model(JOB_URL)))
    items = {item.get("id"): item for item in root.findall("uws:parameter", NS)}
    assert items["upload"].get("byReference") is None
    assert items["t1"].get("byReference") == "true"
    assert items["t1"].text == f"{JOB_URL}/parameters/t1"
    assert items["source"].text == "http://example.org/data.xml"


def test_job_document_round_trips_through_vo_models() -> None:
    job = sample_job(run_id="r", results=(ResultInfo("result", "text/plain", size=3),))
    document = xml_bytes(job.to_xml_model(JOB_URL))
    parsed = JobSummary[ParameterList].from_xml(document)
    assert parsed.job_id == "abc123"
    assert parsed.run_id == "r"
    assert parsed.phase is ExecutionPhase.PENDING
    assert parsed.creation_time == datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
    assert parsed.parameters is not None
    assert [(item.id, item.value) for item in parsed.parameters.parameter] == [
        ("query", "SELECT * FROM t WHERE a < 3"),
        ("lang", "ADQL"),
    ]
    assert parsed.results is not None
    assert parsed.results.results is not None
    assert parsed.results.results[0].size == 3


def test_job_list_and_results_documents_are_valid() -> None:
    jobs = [
        sample_job(),
        sample_job(job_id="def456", run_id="x", owner="bob", phase=ExecutionPhase.COMPLETED),
    ]
    document = xml_bytes(job_list_xml_model((job.ref, f"http://h/jobs/{job.job_id}") for job in jobs))
    root = validate_uws(document)
    assert root.get("version") == "1.1"
    refs = root.findall("uws:jobref", NS)
    assert [ref.get("id") for ref in refs] == ["abc123", "def456"]
    assert refs[1].get(f"{{{NS['xlink']}}}href") == "http://h/jobs/def456"
    assert refs[1].findtext("uws:runId", namespaces=NS) == "x"
    assert refs[1].findtext("uws:ownerId", namespaces=NS) == "bob"
    assert refs[0].find("uws:runId", NS) is None
    assert Jobs.from_xml(document).jobref is not None
    empty = validate_uws(xml_bytes(sample_job().results_xml_model(JOB_URL)))
    assert empty.findall("uws:result", NS) == []
    assert Results.from_xml(xml_bytes(sample_job().results_xml_model(JOB_URL))).results == []


def test_documents_carry_an_xml_declaration() -> None:
    assert xml_bytes(sample_job().to_xml_model(JOB_URL)).startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_the_schema_check_bites() -> None:
    """Leaving out the nil elements (what ``skip_empty`` would do) breaks the schema."""
    document = sample_job().to_xml_model(JOB_URL).to_xml(skip_empty=True)
    assert isinstance(document, bytes)
    with pytest.raises(etree.DocumentInvalid, match="ownerId"):
        validate_uws(document)
