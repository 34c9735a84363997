"""The one reader of request parameters for every DALI-family endpoint (DALI 1.1 §3).

TAP sync and async (UWS job parameters), SCS, SSA, DataLink, SODA and the OAI-PMH registry
read their parameters here, from GET query strings and POSTed forms (urlencoded or
multipart), under the same limits (:class:`RequestLimits`, from ``settings.limits``):

- names are case-insensitive (DALI 1.1 §3.1) and kept upper-cased; values are kept as
  sent, every value of a repeated parameter in request order (DALI 1.1 §3.1.1);
- a request beyond a limit (number of parameters, size of one value, size of the form,
  number or size of the uploaded files) raises :class:`~vo_service.faults.PayloadTooLargeFault`
  naming the limit, and a malformed body :class:`~vo_service.faults.UsageFault`; the fault
  renderer answers each with the error document of the endpoint's standard.

:class:`DaliParams` offers ``single()`` (a single-valued parameter), ``all()`` and the
typed readers of the DALI parameters the services share: MAXREC (DALI 1.1 §3.2.2) and
RESPONSEFORMAT (§3.2.4).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from vo_service.faults import PayloadTooLargeFault, ServiceFault, UsageFault
from vo_service.settings import Limits

#: The media types whose bodies carry parameters (DALI 1.1 §3: HTTP GET and POST forms).
FORM_TYPE = b"application/x-www-form-urlencoded"
MULTIPART_TYPE = b"multipart/form-data"


@dataclass(frozen=True)
class RequestLimits:
    """What one request may carry (``settings.limits.request_*``, ``upload_max_bytes``)."""

    #: parameters in the query string and form together.  pyvo POSTs every ID of a result
    #: table at once to DataLink, so this is far above Starlette's default of 1,000.
    max_fields: int = 100_000
    #: bytes of one parameter value (an ADQL query, a DataLink ID list).
    max_value_bytes: int = 4 * 1024 * 1024
    #: bytes of a POSTed body besides its uploaded files.
    max_form_bytes: int = 16 * 1024 * 1024
    #: uploaded files (multipart parts with a file name) in one request.
    max_files: int = 64
    #: bytes of all uploaded files of one request (TAP_UPLOAD, UWS inline uploads).
    max_upload_bytes: int = 32 * 1024 * 1024

    @classmethod
    def of(cls, limits: Limits) -> RequestLimits:
        return cls(
            max_fields=limits.request_max_fields,
            max_value_bytes=limits.request_max_value_bytes,
            max_form_bytes=limits.request_max_form_bytes,
            max_files=limits.request_max_files,
            max_upload_bytes=limits.upload_max_bytes,
        )


@dataclass(frozen=True)
class Maxrec:
    """MAXREC as granted (``rows``) and as asked for (``requested``, None when absent)."""

    rows: int
    requested: int | None


class DaliParams(Mapping[str, list[str]]):
    """Request parameters by upper-cased name, every value in request order.

    As a mapping it gives the list of values of a name; :meth:`single` and the typed
    readers raise :class:`~vo_service.faults.UsageFault` for values users must correct.
    With ``case_sensitive`` the names are kept as sent (OAI-PMH 2.0 §3.1.1).
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = (), *, case_sensitive: bool = False) -> None:
        self._pairs = [(name if case_sensitive else name.strip().upper(), value) for name, value in pairs]
        self._case_sensitive = case_sensitive
        self._values: dict[str, list[str]] = {}
        for name, value in self._pairs:
            self._values.setdefault(name, []).append(value)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Iterable[str]]) -> DaliParams:
        return cls((name, value) for name, items in values.items() for value in items)

    def _key(self, name: str) -> str:
        return name if self._case_sensitive else name.upper()

    # Mapping ----------------------------------------------------------------------------
    def __getitem__(self, name: str) -> list[str]:
        return self._values[self._key(name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) in self._values

    def __repr__(self) -> str:
        return f"DaliParams({self._pairs!r})"

    # Reading ----------------------------------------------------------------------------
    def pairs(self) -> list[tuple[str, str]]:
        """(name, value) in request order, names upper-cased."""
        return list(self._pairs)

    def all(self, name: str) -> list[str]:
        """Every value of a parameter, in request order (DALI 1.1 §3.1.1)."""
        return list(self._values.get(self._key(name), ()))

    def single(self, name: str, *, strip: bool = True) -> str | None:
        """The value of a single-valued parameter, None when absent.

        Repeating it with the same value is harmless; with different values the request
        is ambiguous and refused.  ``strip=False`` keeps surrounding white space (an ADQL
        query, whose error positions count lines and columns).
        """
        values = self._values.get(self._key(name))
        if not values:
            return None
        distinct = list(dict.fromkeys(value.strip() for value in values))
        if len(distinct) > 1:
            raise UsageFault(f"{name.upper()} was given {len(values)} different values; give it once")
        return distinct[0] if strip else values[0]

    def maxrec(self, default: int, hard: int) -> Maxrec:
        """MAXREC (DALI 1.1 §3.2.2): a non-negative integer, capped at the hard limit;
        the default when absent or empty."""
        text = self.single("MAXREC")
        if not text:
            return Maxrec(min(default, hard), None)
        if not (text.isascii() and text.isdigit()):
            raise UsageFault(f"Invalid MAXREC={_shown(text)!r}: expected a non-negative integer")
        digits = text.lstrip("0") or "0"
        requested = int(digits) if len(digits) <= 19 else 2**63 - 1  # any larger asks for everything
        return Maxrec(min(requested, hard), requested)

    def responseformat(self) -> str | None:
        """RESPONSEFORMAT (DALI 1.1 §3.2.4) as given, None when absent or empty; each
        service maps it to the formats it writes."""
        return self.single("RESPONSEFORMAT") or None


def _shown(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:30]}... ({len(text)} characters)"


# -- reading a request ------------------------------------------------------------------------


class _BodyTooLarge(Exception):
    pass


async def _limited(stream: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    """The request body, refused as soon as it grows beyond ``limit`` bytes (also when it is
    sent without a Content-Length, in chunks)."""
    total = 0
    async for chunk in stream:
        total += len(chunk)
        if total > limit:
            raise _BodyTooLarge
        yield chunk


def _body_limit(limits: RequestLimits, files: bool) -> int:
    return limits.max_form_bytes + (limits.max_upload_bytes if files else 0)


def _body_fault(limits: RequestLimits, files: bool) -> PayloadTooLargeFault:
    if files:
        return PayloadTooLargeFault(
            f"The request body exceeds the limit of this service: {limits.max_upload_bytes} bytes of uploaded "
            f"files and {limits.max_form_bytes} bytes of other parameters")
    return PayloadTooLargeFault(f"The request body exceeds the limit of {limits.max_form_bytes} bytes of this service")


def _form_fault(exc: MultiPartException, limits: RequestLimits) -> ServiceFault:
    """Starlette's form parser refusal, restated with the limit it hit."""
    message = exc.message
    if message.startswith("Too many fields"):
        return PayloadTooLargeFault(f"The request has more than {limits.max_fields} parameters, "
                                    "the limit of this service")
    if message.startswith("Too many files"):
        return PayloadTooLargeFault(f"The request has more than {limits.max_files} uploaded files, "
                                    "the limit of this service")
    if message.startswith(("Field exceeded", "Part exceeded")):
        return PayloadTooLargeFault(f"A parameter value exceeds the limit of {limits.max_value_bytes} bytes "
                                    "of this service")
    return UsageFault(f"The request body is not a well-formed form: {message}")


async def _parse_form(request: Request, limits: RequestLimits, files: bool, fields_left: int) -> FormData:
    content_type, _ = parse_options_header(request.headers.get("content-type"))
    if content_type not in (FORM_TYPE, MULTIPART_TYPE):
        return FormData()
    stream = _limited(request.stream(), _body_limit(limits, files))
    headers = Headers(scope=request.scope)
    try:
        if content_type == MULTIPART_TYPE:
            parser = MultiPartParser(headers, stream, max_files=limits.max_files if files else 0,
                                     max_fields=fields_left, max_part_size=limits.max_value_bytes)
            return await parser.parse()
        return await FormParser(headers, stream, max_fields=fields_left, max_part_size=limits.max_value_bytes).parse()
    except _BodyTooLarge:
        raise _body_fault(limits, files) from None
    except MultiPartException as exc:
        if files or not exc.message.startswith("Too many files"):
            raise _form_fault(exc, limits) from None
        raise UsageFault("This endpoint takes no uploaded files") from None
    finally:
        await stream.aclose()


@asynccontextmanager
async def reading_params(
    request: Request, limits: RequestLimits, *, files: bool = False, case_sensitive: bool = False
) -> AsyncIterator[tuple[DaliParams, dict[str, UploadFile]]]:
    """The parameters of a GET or POST request and, with ``files``, its uploaded files by
    lower-cased part name (TAP 1.1 §2.5.2 ``param:`` URIs); the files are closed on exit."""
    pairs = request.query_params.multi_items()
    if len(pairs) > limits.max_fields:
        raise PayloadTooLargeFault(f"The request has more than {limits.max_fields} parameters, "
                                   "the limit of this service")
    form = FormData()
    if request.method == "POST":
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > _body_limit(limits, files):
            raise _body_fault(limits, files)
        form = await _parse_form(request, limits, files, limits.max_fields - len(pairs))
    try:
        uploads: dict[str, UploadFile] = {}
        fields = list(pairs)
        for name, item in form.multi_items():
            if isinstance(item, UploadFile):
                uploads[name.lower()] = item
            else:
                fields.append((name, item))
        if sum(upload.size or 0 for upload in uploads.values()) > limits.max_upload_bytes:
            raise PayloadTooLargeFault(f"The uploaded files exceed the limit of {limits.max_upload_bytes} bytes "
                                       "of this service")
        yield DaliParams(fields, case_sensitive=case_sensitive), uploads
    finally:
        await form.close()


async def request_params(request: Request, limits: RequestLimits, *, case_sensitive: bool = False) -> DaliParams:
    """The parameters of a GET or POST request that takes no files."""
    async with reading_params(request, limits, case_sensitive=case_sensitive) as (params, _):
        return params


__all__ = ["DaliParams", "Maxrec", "RequestLimits", "reading_params", "request_params"]
