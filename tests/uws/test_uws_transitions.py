"""The phase table of UWS 1.1 §2.1.3 and the client actions of §2.2.3.5–6."""

from __future__ import annotations

import pytest
from vo_models.uws.types import ExecutionPhase as P

from vo_service.faults import UsageFault
from vo_service.uws.transitions import (
    FINAL_PHASES,
    TRANSITIONS,
    PhaseAction,
    PhaseConflictFault,
    check_transition,
    is_allowed,
    phase_for_action,
    sources_of,
)

ALLOWED = [
    (P.PENDING, P.QUEUED),
    (P.PENDING, P.ABORTED),
    (P.PENDING, P.HELD),
    (P.HELD, P.QUEUED),
    (P.QUEUED, P.EXECUTING),
    (P.QUEUED, P.ABORTED),
    (P.EXECUTING, P.COMPLETED),
    (P.EXECUTING, P.ERROR),
    (P.EXECUTING, P.ABORTED),
    (P.EXECUTING, P.SUSPENDED),
    (P.SUSPENDED, P.EXECUTING),
    (P.COMPLETED, P.ARCHIVED),
    (P.ERROR, P.ARCHIVED),
    (P.ABORTED, P.ARCHIVED),
    (P.UNKNOWN, P.COMPLETED),
]

FORBIDDEN = [
    (P.PENDING, P.EXECUTING),
    (P.PENDING, P.COMPLETED),
    (P.QUEUED, P.COMPLETED),
    (P.QUEUED, P.PENDING),
    (P.EXECUTING, P.QUEUED),
    (P.EXECUTING, P.PENDING),
    (P.COMPLETED, P.EXECUTING),
    (P.COMPLETED, P.ABORTED),
    (P.ERROR, P.QUEUED),
    (P.ABORTED, P.QUEUED),
    (P.ARCHIVED, P.COMPLETED),
    (P.ARCHIVED, P.PENDING),
]


def test_every_phase_has_a_row() -> None:
    assert set(TRANSITIONS) == set(P)


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_allowed_moves(source: P, target: P) -> None:
    assert is_allowed(source, target)
    check_transition(source, target)


@pytest.mark.parametrize(("source", "target"), FORBIDDEN)
def test_forbidden_moves_are_usage_faults_with_403(source: P, target: P) -> None:
    assert not is_allowed(source, target)
    with pytest.raises(PhaseConflictFault) as caught:
        check_transition(source, target)
    assert isinstance(caught.value, UsageFault)
    assert caught.value.status_code == 403
    assert source.value in caught.value.message


@pytest.mark.parametrize("final", sorted(FINAL_PHASES - {P.ARCHIVED}))
def test_finished_jobs_can_only_be_archived(final: P) -> None:
    assert TRANSITIONS[final] == {P.ARCHIVED}


def test_archived_is_terminal_and_pending_has_no_way_in() -> None:
    assert TRANSITIONS[P.ARCHIVED] == frozenset()
    assert sources_of(P.PENDING) == frozenset()
    assert sources_of(P.COMPLETED) == {P.EXECUTING, P.UNKNOWN}


@pytest.mark.parametrize(
    ("source", "action", "expected"),
    [
        (P.PENDING, PhaseAction.RUN, P.QUEUED),
        (P.HELD, PhaseAction.RUN, P.QUEUED),
        (P.QUEUED, PhaseAction.RUN, None),
        (P.EXECUTING, PhaseAction.RUN, None),
        (P.PENDING, PhaseAction.ABORT, P.ABORTED),
        (P.QUEUED, PhaseAction.ABORT, P.ABORTED),
        (P.EXECUTING, PhaseAction.ABORT, P.ABORTED),
        (P.ABORTED, PhaseAction.ABORT, None),
    ],
)
def test_client_actions(source: P, action: PhaseAction, expected: P | None) -> None:
    assert phase_for_action(source, action) == expected


@pytest.mark.parametrize(
    ("source", "action"),
    [
        (P.COMPLETED, PhaseAction.RUN),
        (P.ERROR, PhaseAction.RUN),
        (P.ABORTED, PhaseAction.RUN),
        (P.ARCHIVED, PhaseAction.RUN),
        (P.COMPLETED, PhaseAction.ABORT),
        (P.ERROR, PhaseAction.ABORT),
        (P.ARCHIVED, PhaseAction.ABORT),
    ],
)
def test_illegal_client_actions(source: P, action: PhaseAction) -> None:
    with pytest.raises(PhaseConflictFault):
        phase_for_action(source, action)


@pytest.mark.parametrize(("text", "action"), [("RUN", PhaseAction.RUN), (" abort ", PhaseAction.ABORT)])
def test_phase_values_are_case_insensitive(text: str, action: PhaseAction) -> None:
    assert PhaseAction.parse(text) is action


def test_unknown_phase_value_is_a_400() -> None:
    with pytest.raises(UsageFault) as caught:
        PhaseAction.parse("SUSPEND")
    assert caught.value.status_code == 400
    assert "SUSPEND" in caught.value.message
