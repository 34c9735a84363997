"""TAP request parameters (TAP 1.1 §2.3, DALI 1.1 §3), normalised in one place.

The parameters are read by :mod:`vo_service.params` (:class:`~vo_service.params.DaliParams`,
case-insensitive names, DALI 1.1 §3.1), for sync requests (query string and form) and async
jobs (UWS parameters) alike.  :func:`query_request` then checks the values of an ADQL query request — REQUEST, LANG,
QUERY, MAXREC, RESPONSEFORMAT/FORMAT, UPLOAD and RUNID — and raises
:class:`~vo_service.faults.UsageFault` with a message for anything wrong.  Unknown
parameters are ignored, as TAP 1.1 §2.3 requires.
"""

from __future__ import annotations

from dataclasses import dataclass

from vo_service.faults import UsageFault
from vo_service.params import DaliParams
from vo_service.settings import Limits
from vo_service.votable.formats import OutputFormat, resolve_format

#: Accepted LANG values (TAP 1.1 §2.3.1): ADQL, optionally with a supported version.
LANGUAGES = {"adql": "ADQL", "adql-2.0": "ADQL-2.0", "adql-2.1": "ADQL-2.1"}


@dataclass(frozen=True)
class QueryRequest:
    """A checked ADQL query request."""

    lang: str
    query: str
    maxrec: int
    output: OutputFormat
    uploads: tuple[str, ...]
    runid: str | None
    #: MAXREC as the client asked for it (None when absent), for the echo INFO.
    requested_maxrec: int | None = None


def _lang(params: DaliParams) -> str:
    value = params.single("lang")
    if value is None or not value.strip():
        raise UsageFault("Missing parameter LANG: use LANG=ADQL (or ADQL-2.0, ADQL-2.1)")
    lang = LANGUAGES.get(value.strip().lower())
    if lang is None:
        raise UsageFault(
            f"Unknown query language LANG={value!r}; this service supports {', '.join(LANGUAGES.values())}"
        )
    return lang


def _request(params: DaliParams) -> None:
    """REQUEST is optional in TAP 1.1 (§2.3); if given it must be doQuery."""
    value = params.single("request")
    if value is not None and value.strip().lower() != "doquery":
        raise UsageFault(f"Invalid REQUEST={value!r}: the only TAP request is doQuery")


def _output(params: DaliParams) -> OutputFormat:
    """RESPONSEFORMAT, or its TAP 1.0 name FORMAT (TAP 1.1 §2.3.3); VOTable by default."""
    value = params.responseformat()
    if value is None:
        value = params.single("format") or None
    return resolve_format(value)


def query_request(params: DaliParams, limits: Limits) -> QueryRequest:
    """Check the parameters of an ADQL query (sync request or async job run)."""
    _request(params)
    lang = _lang(params)
    query = params.single("query", strip=False)
    if query is None or not query.strip():
        raise UsageFault("Missing parameter QUERY: give the ADQL query to run")
    maxrec = params.maxrec(limits.maxrec_default, limits.maxrec_hard)
    return QueryRequest(
        lang=lang,
        query=query,
        maxrec=maxrec.rows,
        output=_output(params),
        uploads=tuple(params.all("upload")),
        runid=params.single("runid"),
        requested_maxrec=maxrec.requested,
    )


__all__ = ["LANGUAGES", "QueryRequest", "query_request"]
