"""The UWS execution-phase state machine, written out as a table (UWS 1.1 §2.1.3).

Every phase change in the job system goes through :func:`check_transition`, so the table
below is the single statement of which moves exist.  The server-side moves follow the
state diagram of UWS 1.1 §2.1.3; the client requests ``PHASE=RUN`` and ``PHASE=ABORT``
(§2.2.3.5, §2.2.3.6) are mapped onto them by :func:`phase_for_action`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from vo_models.uws.types import ExecutionPhase

from vo_service.faults import UsageFault

P = ExecutionPhase

#: Phases in which a job may still change by itself; UWS 1.1 §2.2.1.2 allows WAIT to
#: block only in these.
ACTIVE_PHASES: frozenset[ExecutionPhase] = frozenset({P.PENDING, P.QUEUED, P.EXECUTING})

#: Phases in which a worker may hold the job (not terminal, not waiting for the client).
RUNNING_PHASES: frozenset[ExecutionPhase] = frozenset({P.QUEUED, P.EXECUTING, P.SUSPENDED})

#: Phases after which no work is done any more (UWS 1.1 §2.1.3).
FINAL_PHASES: frozenset[ExecutionPhase] = frozenset({P.COMPLETED, P.ERROR, P.ABORTED, P.ARCHIVED})

#: Allowed moves: from phase -> phases it may go to.
#:
#: * PENDING is left by PHASE=RUN (to QUEUED, or HELD when the server cannot queue it),
#:   by PHASE=ABORT, or to ERROR when its parameters are refused at RUN time.
#: * HELD waits for another PHASE=RUN (§2.1.3) and may be aborted like PENDING.
#: * QUEUED goes to EXECUTING when a worker takes it; ABORT or a failure end it early.
#: * EXECUTING ends in COMPLETED, ERROR or ABORTED, or is SUSPENDED by the system,
#:   which resumes it into EXECUTING without client intervention.
#: * Final phases may only be ARCHIVED (destruction with metadata kept, §2.1.3).
#: * UNKNOWN is left for any known phase the server establishes; active jobs may fall
#:   into it when the server loses track of them.
TRANSITIONS: Mapping[ExecutionPhase, frozenset[ExecutionPhase]] = {
    P.PENDING: frozenset({P.QUEUED, P.HELD, P.ABORTED, P.ERROR, P.ARCHIVED}),
    P.HELD: frozenset({P.QUEUED, P.ABORTED, P.ERROR, P.ARCHIVED}),
    P.QUEUED: frozenset({P.EXECUTING, P.HELD, P.ABORTED, P.ERROR, P.UNKNOWN}),
    P.EXECUTING: frozenset({P.COMPLETED, P.ERROR, P.ABORTED, P.SUSPENDED, P.UNKNOWN}),
    P.SUSPENDED: frozenset({P.EXECUTING, P.ABORTED, P.ERROR, P.UNKNOWN}),
    P.COMPLETED: frozenset({P.ARCHIVED}),
    P.ERROR: frozenset({P.ARCHIVED}),
    P.ABORTED: frozenset({P.ARCHIVED}),
    P.ARCHIVED: frozenset(),
    P.UNKNOWN: frozenset({P.QUEUED, P.EXECUTING, P.COMPLETED, P.ERROR, P.ABORTED, P.ARCHIVED}),
}


class PhaseConflictFault(UsageFault):
    """A request that the job's current phase does not allow.

    UWS 1.1 §2.2 asks for HTTP 403 when "a request is made that is illegal for the
    current state of the UWS", so this usage fault carries 403 rather than 400.
    """

    status_code = 403


class PhaseAction(Enum):
    """The two phase changes a client may ask for (UWS 1.1 §2.2.3.5 and §2.2.3.6)."""

    RUN = "RUN"
    ABORT = "ABORT"

    @classmethod
    def parse(cls, value: str) -> PhaseAction:
        """Read a PHASE value of a POST; the values are matched case-insensitively."""
        try:
            return cls(value.strip().upper())
        except ValueError:
            raise UsageFault(f"Invalid PHASE value {value!r}: expected RUN or ABORT") from None


def is_allowed(source: ExecutionPhase, target: ExecutionPhase) -> bool:
    """Whether the table permits moving a job from ``source`` to ``target``."""
    return target in TRANSITIONS[source]


def sources_of(target: ExecutionPhase) -> frozenset[ExecutionPhase]:
    """All phases from which ``target`` can be reached."""
    return frozenset(source for source, targets in TRANSITIONS.items() if target in targets)


def check_transition(source: ExecutionPhase, target: ExecutionPhase) -> None:
    """Raise :class:`PhaseConflictFault` unless ``source`` → ``target`` is in the table."""
    if not is_allowed(source, target):
        raise PhaseConflictFault(f"A job in phase {source.value} cannot move to phase {target.value}")


def phase_for_action(source: ExecutionPhase, action: PhaseAction) -> ExecutionPhase | None:
    """The phase a client request leads to, or ``None`` when it changes nothing.

    Repeating a request whose effect is already under way (RUN on a QUEUED or EXECUTING
    job, ABORT on an ABORTED one) is accepted and changes nothing, so that a client
    retrying a POST does not get an error.  Anything else outside the table raises
    :class:`PhaseConflictFault`.
    """
    if action is PhaseAction.RUN:
        if source in (P.QUEUED, P.EXECUTING, P.SUSPENDED):
            return None
        check_transition(source, P.QUEUED)
        return P.QUEUED
    if source is P.ABORTED:
        return None
    check_transition(source, P.ABORTED)
    return P.ABORTED


__all__ = [
    "ACTIVE_PHASES",
    "FINAL_PHASES",
    "RUNNING_PHASES",
    "TRANSITIONS",
    "PhaseAction",
    "PhaseConflictFault",
    "check_transition",
    "is_allowed",
    "phase_for_action",
    "sources_of",
]
