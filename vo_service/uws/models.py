"""Internal job records of the UWS job system and their UWS 1.1 XML views.

These immutable records are what the store persists and the service passes around;
each can turn itself into the vo-models document UWS 1.1 Appendix B defines
(``to_xml_model`` and friends).  Changes are made with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from vo_models.uws import (
    ErrorSummary,
    Jobs,
    Parameter,
    ResultReference,
    Results,
    ShortJobDescription,
)
from vo_models.uws.types import ErrorType, ExecutionPhase, UWSVersion

from vo_service.uws.xml_models import JobDocument, ParameterList

#: The URI scheme UWS 1.1 §2.2.3.1.1 uses for parameters uploaded inline with the job.
INLINE_SCHEME = "param:"

#: Identifiers that are safe as one URL path segment and one file name.
_SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}")

#: Characters XML 1.0 cannot carry at all (§2.2 "Char" production of the XML spec).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def is_safe_identifier(value: str) -> bool:
    """Whether ``value`` may name a job, result or inline parameter on disk and in URLs."""
    return _SAFE_ID.fullmatch(value) is not None


def is_xml_text(value: str) -> bool:
    """Whether ``value`` can appear in an XML document (UWS 1.1 §2.2.2.4 requires the job
    document to stay valid XML; such values would have to be passed by reference)."""
    return _NOT_XML.search(value) is None


def utc(value: datetime) -> datetime:
    """The same instant in UTC; naive values are taken as UTC (UWS 1.1 §2.2.1)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class JobParameter:
    """One value of one job parameter; ``name`` is lower-cased (DALI names are case-blind).

    An inline upload (UWS 1.1 §2.2.3.1.1) is ``by_reference`` with the value
    ``param:<name>``; its content is served at ``{job}/parameters/<name>``.
    """

    name: str
    value: str
    by_reference: bool = False

    @property
    def is_inline(self) -> bool:
        return self.by_reference and self.value == INLINE_SCHEME + self.name

    def to_xml_model(self, job_url: str) -> Parameter:
        if self.is_inline:
            return Parameter(id=self.name, value=f"{job_url}/parameters/{self.name}", by_reference=True)
        if self.by_reference:
            return Parameter(id=self.name, value=self.value, by_reference=True)
        return Parameter(id=self.name, value=self.value)


@dataclass(frozen=True, slots=True)
class JobParameters:
    """The ordered, possibly multi-valued parameter list of a job (UWS 1.1 §2.1.11)."""

    items: tuple[JobParameter, ...] = ()

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> JobParameters:
        """Build from (name, value) pairs in request order, lower-casing the names."""
        return cls(tuple(JobParameter(name.lower(), value) for name, value in pairs))

    def __iter__(self) -> Iterator[JobParameter]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(item.name == name.lower() for item in self.items)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name`` (case-insensitive), or ``default``."""
        key = name.lower()
        return next((item.value for item in self.items if item.name == key), default)

    def getall(self, name: str) -> list[str]:
        """Every value of ``name`` (case-insensitive), in order."""
        key = name.lower()
        return [item.value for item in self.items if item.name == key]

    def names(self) -> list[str]:
        """Distinct parameter names in order of first appearance."""
        return list(dict.fromkeys(item.name for item in self.items))

    def updated(self, changes: JobParameters) -> JobParameters:
        """These parameters with every name in ``changes`` replaced by its new values.

        A replaced parameter keeps its position; new names are appended.
        """
        new_names = set(changes.names())
        result: list[JobParameter] = []
        placed: set[str] = set()
        for item in self.items:
            if item.name not in new_names:
                result.append(item)
            elif item.name not in placed:
                result.extend(change for change in changes.items if change.name == item.name)
                placed.add(item.name)
        result.extend(change for change in changes.items if change.name not in placed)
        return JobParameters(tuple(result))

    def to_xml_model(self, job_url: str) -> ParameterList:
        """``<uws:parameters>`` (UWS 1.1 §2.2.2.4)."""
        return ParameterList(parameter=[item.to_xml_model(job_url) for item in self.items])


@dataclass(frozen=True, slots=True)
class ResultInfo:
    """One result of a job (UWS 1.1 §2.1.10, §2.2.2.3).

    ``href`` is ``None`` for results stored by this service, which serves them at
    ``{job}/results/{result_id}``; otherwise it is where the result lives.  ``rows`` is
    informative (a table result's row count) and not part of the UWS document.
    """

    result_id: str
    mime_type: str
    size: int | None = None
    rows: int | None = None
    href: str | None = None

    def url(self, job_url: str) -> str:
        return self.href if self.href is not None else f"{job_url}/results/{self.result_id}"

    def to_xml_model(self, job_url: str) -> ResultReference:
        if self.size is None:
            return ResultReference(id=self.result_id, href=self.url(job_url), mime_type=self.mime_type)
        return ResultReference(id=self.result_id, href=self.url(job_url), size=self.size, mime_type=self.mime_type)


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """The error summary of a failed job (UWS 1.1 §2.1.7, §2.2.2.5).

    ``detail_media_type`` is set when a fuller error document is stored for
    ``{job}/error`` (for TAP, a DALI VOTable error document).
    """

    error_type: ErrorType
    message: str
    detail_media_type: str | None = None

    @property
    def has_detail(self) -> bool:
        return self.detail_media_type is not None

    def to_xml_model(self) -> ErrorSummary:
        return ErrorSummary(type=self.error_type, message=self.message, has_detail=self.has_detail)


@dataclass(frozen=True, slots=True)
class JobRef:
    """The few fields the job list shows for each job (UWS 1.1 §2.2.2.1)."""

    job_id: str
    phase: ExecutionPhase
    owner: str | None
    creation_time: datetime
    run_id: str | None = None

    def to_xml_model(self, job_url: str) -> ShortJobDescription:
        """``<uws:jobref>`` with ``xlink:href`` pointing to the job."""
        if self.run_id is None:
            return ShortJobDescription(
                job_id=self.job_id,
                href=job_url,
                phase=self.phase,
                owner_id=self.owner,
                creation_time=self.creation_time,
            )
        return ShortJobDescription(
            job_id=self.job_id,
            href=job_url,
            phase=self.phase,
            run_id=self.run_id,
            owner_id=self.owner,
            creation_time=self.creation_time,
        )


def job_list_xml_model(refs: Iterable[tuple[JobRef, str]]) -> Jobs:
    """``<uws:jobs version="1.1">`` from (job, job URL) pairs (UWS 1.1 §2.2.2.1)."""
    return Jobs(jobref=[ref.to_xml_model(url) for ref, url in refs], version=UWSVersion.V1_1)


@dataclass(frozen=True, slots=True)
class Job:
    """Everything the service knows about one job (UWS 1.1 §2.1.2).

    ``execution_duration`` is in seconds, 0 meaning unlimited (§2.1.4); ``destruction``
    is ``None`` when the job is never destroyed (§2.1.5); ``quote`` is ``None`` for
    "don't know" (§2.1.6).  All instants are timezone-aware UTC.
    """

    job_id: str
    job_type: str
    owner: str | None
    phase: ExecutionPhase
    creation_time: datetime
    execution_duration: int
    destruction: datetime | None
    run_id: str | None = None
    quote: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    parameters: JobParameters = field(default_factory=JobParameters)
    results: tuple[ResultInfo, ...] = ()
    error: ErrorInfo | None = None

    @property
    def ref(self) -> JobRef:
        return JobRef(self.job_id, self.phase, self.owner, self.creation_time, self.run_id)

    def result(self, result_id: str) -> ResultInfo | None:
        return next((item for item in self.results if item.result_id == result_id), None)

    def results_xml_model(self, job_url: str) -> Results:
        """``<uws:results>`` (UWS 1.1 §2.2.2.3)."""
        return Results(results=[item.to_xml_model(job_url) for item in self.results])

    def to_xml_model(self, job_url: str) -> JobDocument:
        """``<uws:job version="1.1">`` (UWS 1.1 §2.2.2.2).

        Elements the schema requires but allows to be nil are always set, so they are
        written as ``xsi:nil`` when unknown; ``runId`` and ``errorSummary`` appear only
        when the job has them (see :func:`~vo_service.uws.xml_models.xml_bytes`).
        """
        document = JobDocument(
            job_id=self.job_id,
            owner_id=self.owner,
            phase=self.phase,
            quote=self.quote,
            creation_time=self.creation_time,
            start_time=self.start_time,
            end_time=self.end_time,
            execution_duration=self.execution_duration,
            destruction=self.destruction,
            parameters=self.parameters.to_xml_model(job_url),
            results=self.results_xml_model(job_url),
            version=UWSVersion.V1_1,
        )
        if self.run_id is not None:
            document.run_id = self.run_id
        if self.error is not None:
            document.error_summary = self.error.to_xml_model()
        return document


__all__ = [
    "INLINE_SCHEME",
    "ErrorInfo",
    "ErrorType",
    "ExecutionPhase",
    "Job",
    "JobParameter",
    "JobParameters",
    "JobRef",
    "ResultInfo",
    "is_safe_identifier",
    "is_xml_text",
    "job_list_xml_model",
    "utc",
]
