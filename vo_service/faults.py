"""One fault hierarchy for every DALI-family protocol (TAP, SCS, SSA, DataLink, SODA).

Handlers and cores raise these; a single renderer (``vo_service.faults_render``, using
``vo_service.votable.errors.error_votable``) turns them into a DALI error document: a
VOTable whose RESOURCE carries ``INFO name="QUERY_STATUS" value="ERROR"`` with the
message, and the HTTP status DALI 1.1 §4.2 asks for.  UWS job
errors map from the same types (``usage`` → ``fatal`` job error with the message).
"""

from __future__ import annotations


class ServiceFault(Exception):
    """Base of all service faults: a message a user can act on, an HTTP status."""

    status_code: int = 500
    #: UWS ErrorSummary type (``transient`` or ``fatal``).
    uws_type: str = "fatal"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers every rendering of the fault carries (none by default)."""
        return {}


class UsageFault(ServiceFault):
    """Bad request: invalid or missing parameter, bad query (HTTP 400)."""

    status_code = 400


class NotFoundFault(ServiceFault):
    """Unknown resource: product, job, table (HTTP 404)."""

    status_code = 404


class MethodNotAllowedFault(ServiceFault):
    """A method the resource does not serve (HTTP 405); the answer lists those it serves in
    its ``Allow`` header (RFC 9110 §15.5.6)."""

    status_code = 405

    def __init__(self, message: str, *, allow: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.allow = allow

    @property
    def headers(self) -> dict[str, str]:
        return {"Allow": self.allow} if self.allow else {}


class ForbiddenFault(ServiceFault):
    """Authenticated but not allowed (HTTP 403).

    Restricted data is normally reported as *not found* to anonymous users, so that the
    existence of private products does not leak.
    """

    status_code = 403


class AuthRequiredFault(ServiceFault):
    """Authentication required (HTTP 401)."""

    status_code = 401


class PayloadTooLargeFault(ServiceFault):
    """Upload or request body beyond the configured limit (HTTP 413)."""

    status_code = 413


class UriTooLongFault(ServiceFault):
    """Request line beyond the configured limit (HTTP 414); answered by the HTTP layer."""

    status_code = 414


class HeadersTooLargeFault(ServiceFault):
    """Request headers beyond the configured limit (HTTP 431); answered by the HTTP layer."""

    status_code = 431


class ThrottledFault(ServiceFault):
    """Too many requests; the client should retry after ``retry_after`` seconds (HTTP 429)."""

    status_code = 429
    uws_type = "transient"

    def __init__(self, message: str, *, retry_after: int = 5, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TimeoutFault(ServiceFault):
    """The query exceeded its execution time limit (DALI: an error, HTTP 500 family).

    Reported as 503-free 408-free *error* document; TAP sync uses HTTP 200 with the error
    VOTable only where the standard says so, so the renderer picks the status.
    """

    status_code = 500
    uws_type = "transient"


class TransientFault(ServiceFault):
    """Temporary failure (store unavailable, shutting down): retry later (HTTP 503)."""

    status_code = 503
    uws_type = "transient"


class FatalFault(ServiceFault):
    """An internal error that is not the user's fault (HTTP 500)."""

    status_code = 500


__all__ = [
    "AuthRequiredFault",
    "FatalFault",
    "ForbiddenFault",
    "HeadersTooLargeFault",
    "MethodNotAllowedFault",
    "NotFoundFault",
    "PayloadTooLargeFault",
    "ServiceFault",
    "ThrottledFault",
    "TimeoutFault",
    "TransientFault",
    "UriTooLongFault",
    "UsageFault",
]
