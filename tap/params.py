"""TAP request parameters (TAP 1.1 §2.3, DALI 1.1 §3), normalised in one place.

Parameter names are case-insensitive (DALI 1.1 §3.1): :class:`TapParams` folds them once,
for sync requests (query string and form) and async jobs (UWS parameters) alike.
:func:`query_request` then checks the values of an ADQL query request — REQUEST, LANG,
QUERY, MAXREC, RESPONSEFORMAT/FORMAT, UPLOAD and RUNID — and raises
:class:`~vo_service.faults.UsageFault` with a message for anything wrong.  Unknown
parameters are ignored, as TAP 1.1 §2.3 requires.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vo_service.faults import UsageFault
from vo_service.settings import Limits
from vo_service.votable.formats import OutputFormat, resolve_format

#: Accepted LANG values (TAP 1.1 §2.3.1): ADQL, optionally with a supported version.
LANGUAGES = {"adql": "ADQL", "adql-2.0": "ADQL-2.0", "adql-2.1": "ADQL-2.1"}


class TapParams:
    """Request parameters with case-folded names, in request order (multi-valued)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._pairs = [(name.strip().lower(), value) for name, value in pairs]

    def getall(self, name: str) -> list[str]:
        key = name.lower()
        return [value for item, value in self._pairs if item == key]

    def single(self, name: str) -> str | None:
        """The value of a single-valued parameter; repeating it with another value is an error."""
        values = list(dict.fromkeys(self.getall(name)))
        if len(values) > 1:
            raise UsageFault(f"Parameter {name.upper()} was given more than once with different values")
        return values[0] if values else None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(item == name.lower() for item, _ in self._pairs)

    def pairs(self) -> list[tuple[str, str]]:
        return list(self._pairs)


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


def _lang(params: TapParams) -> str:
    value = params.single("lang")
    if value is None or not value.strip():
        raise UsageFault("Missing parameter LANG: use LANG=ADQL (or ADQL-2.0, ADQL-2.1)")
    lang = LANGUAGES.get(value.strip().lower())
    if lang is None:
        raise UsageFault(
            f"Unknown query language LANG={value!r}; this service supports {', '.join(LANGUAGES.values())}"
        )
    return lang


def _request(params: TapParams) -> None:
    """REQUEST is optional in TAP 1.1 (§2.3); if given it must be doQuery."""
    value = params.single("request")
    if value is not None and value.strip().lower() != "doquery":
        raise UsageFault(f"Invalid REQUEST={value!r}: the only TAP request is doQuery")


def _maxrec(params: TapParams, limits: Limits) -> tuple[int, int | None]:
    """MAXREC (DALI 1.1 §3.3.2): default and hard limit from the settings."""
    value = params.single("maxrec")
    if value is None or not value.strip():
        return limits.maxrec_default, None
    try:
        number = int(value.strip())
    except ValueError:
        raise UsageFault(f"Invalid MAXREC={value!r}: expected a non-negative integer") from None
    if number < 0:
        raise UsageFault(f"Invalid MAXREC={value!r}: expected a non-negative integer")
    return min(number, limits.maxrec_hard), number


def _output(params: TapParams) -> OutputFormat:
    """RESPONSEFORMAT, or its TAP 1.0 name FORMAT (TAP 1.1 §2.3.3); VOTable by default."""
    value = params.single("responseformat")
    if value is None:
        value = params.single("format")
    return resolve_format(value)


def query_request(params: TapParams, limits: Limits) -> QueryRequest:
    """Check the parameters of an ADQL query (sync request or async job run)."""
    _request(params)
    lang = _lang(params)
    query = params.single("query")
    if query is None or not query.strip():
        raise UsageFault("Missing parameter QUERY: give the ADQL query to run")
    maxrec, requested = _maxrec(params, limits)
    return QueryRequest(
        lang=lang,
        query=query,
        maxrec=maxrec,
        output=_output(params),
        uploads=tuple(params.getall("upload")),
        runid=params.single("runid"),
        requested_maxrec=requested,
    )


__all__ = ["LANGUAGES", "QueryRequest", "TapParams", "query_request"]
