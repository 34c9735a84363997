"""The one exception of the ADQL pipeline: a message a user can act on, with its position.

TOPCAT and other TAP clients show the DALI error message verbatim, so the text names the
offending token, where it is (1-based line and column, as editors count) and, when there is
one, a hint such as the closest existing column name.
"""

from __future__ import annotations

from vo_service.faults import UsageFault


class AdqlError(UsageFault):
    """A query that cannot be parsed, validated or translated (a usage error, HTTP 400).

    ``str(error)`` reads like ``Unknown column 'vmagg' in corot.targets (line 1, column 8);
    did you mean 'vmag'?``.
    """

    def __init__(
        self, message: str, line: int | None = None, column: int | None = None, *, hint: str | None = None
    ) -> None:
        self.detail = message
        self.line = line
        self.column = column
        text = message
        if line is not None and column is not None:
            text += f" (line {line}, column {column})"
        if hint:
            text += f"; {hint}"
        super().__init__(text, hint=hint)


__all__ = ["AdqlError"]
