"""What the command line tells an operator when a command cannot do its work.

Every operational condition (settings, a locked or unreadable archive, a path that cannot
be used, an interrupt) becomes one line naming what is wrong and what to do, and an exit
status: 0 done, 1 could not run, 2 bad usage or some inputs refused, 130 interrupted.
"""

from __future__ import annotations

import os
from pathlib import Path

from vo_service.settings import ConfigError
from vo_service.store.base import ArchiveInUse, StoreError

#: Exit statuses of ``corot-vo``.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CommandFailed(Exception):
    """A command that stops with a message for the operator (one line) and an exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.status = status


def describe_process(pid: int) -> str:
    """A short description of process ``pid`` from its command line (Linux), or ``""``."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    except OSError:
        return ""
    words = [os.fsdecode(part) for part in argv if part]
    for index, word in enumerate(words):
        if word.endswith(("corot-vo", "vo_service.cli")):
            words = ["corot-vo", *words[index + 1 :]]
            break
    text = " ".join(words)
    return text if len(text) <= 80 else text[:77] + "..."


def archive_in_use(exc: ArchiveInUse, command: str) -> str:
    """The lock message: who holds the archive and what the operator can do."""
    described = describe_process(exc.pid) if exc.pid is not None else ""
    holder = f" ({described})" if described else ""
    if command == "serve":
        advice = "stop that process, or serve another archive with --data-dir"
    elif command == "ingest":
        advice = "ingest into a running server is not supported yet: stop the server, ingest, then serve again"
    else:
        advice = "stop that process, then run this command again"
    return f"{exc}{holder}: {advice}"


def explain(exc: BaseException, command: str) -> tuple[str, int] | None:
    """The operator's message and exit status for ``exc``, or None for an unexpected error."""
    if isinstance(exc, CommandFailed):
        return str(exc), exc.status
    if isinstance(exc, ConfigError):
        return str(exc), EXIT_FAILED
    if isinstance(exc, ArchiveInUse):
        return archive_in_use(exc, command), EXIT_FAILED
    if isinstance(exc, StoreError):
        return str(exc).strip().splitlines()[0], EXIT_FAILED
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", EXIT_INTERRUPTED
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else ""
        what = exc.strerror or str(exc)
        return (f"{where}: {what}" if where else what), EXIT_FAILED
    return None


__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandFailed",
    "archive_in_use",
    "describe_process",
    "explain",
]
