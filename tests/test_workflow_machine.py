"""The case state machine: per-type paths, every quality gate, and properties over random walks."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldsupport.errors import TransitionError, ValidationError
from fieldsupport.models.enums import AssistType, CaseStatus
from fieldsupport.workflow import (
    MAX_TIER,
    OPEN_STATUSES,
    Action,
    CaseState,
    allowed_actions,
    apply_action,
    check_action,
    required_inputs,
    statuses_for,
)

S = CaseStatus
A = Action
ALL_INPUTS = {
    "assignee": "u-ewa",
    "response": "Acknowledged; an engineer calls you back by Friday.",
    "solution": "Replace the dosing pump membrane.",
    "verification": "Plant manager confirmed by phone.",
    "resolution": "Membrane replaced; dosing back within range.",
    "reason": "Need the customer's process log.",
    "close_reason": "Customer not reachable after three reminders.",
}


def run(state: CaseState, *steps: Action | tuple[Action, Mapping[str, str]]) -> CaseState:
    for step in steps:
        action, inputs = step if isinstance(step, tuple) else (step, ALL_INPUTS)
        state = apply_action(state, action, inputs).after
    return state


def at(assist_type: AssistType, status: CaseStatus, **fields: object) -> CaseState:
    """A reachable state, built by walking the machine rather than by hand."""
    paths = {
        S.NEW: (),
        S.TRIAGED: (A.TRIAGE,),
        S.ASSIGNED: (A.TRIAGE, A.ASSIGN),
        S.RESPONDED: (A.TRIAGE, A.ASSIGN, A.RESPOND),
        S.INVESTIGATING: (A.TRIAGE, A.ASSIGN, A.RESPOND, A.START_INVESTIGATION),
    }
    solution = (A.PROPOSE_SOLUTION, A.START_IMPLEMENTATION, A.REQUEST_VERIFICATION)
    investigating = paths[S.INVESTIGATING]
    paths[S.SOLUTION_PROPOSED] = investigating + solution[:1]
    paths[S.IMPLEMENTING] = investigating + solution[:2]
    paths[S.AWAITING_VERIFICATION] = investigating + solution
    resolve_path = (
        investigating if assist_type is AssistType.INQUIRY else paths[S.AWAITING_VERIFICATION]
    )
    paths[S.RESOLVED] = (*resolve_path, (A.RESOLVE, ALL_INPUTS))
    state = run(CaseState(assist_type), *paths[status])
    assert state.status is status
    return replace(state, **fields)  # type: ignore[arg-type]


SOLUTION_TYPES = [AssistType.CLAIM, AssistType.CUSTOM_SOLUTION, AssistType.ADVISORY]


# -- happy paths ------------------------------------------------------------------------------

FULL_PATH = [
    (A.TRIAGE, S.TRIAGED),
    (A.ASSIGN, S.ASSIGNED),
    (A.RESPOND, S.RESPONDED),
    (A.START_INVESTIGATION, S.INVESTIGATING),
    (A.PROPOSE_SOLUTION, S.SOLUTION_PROPOSED),
    (A.START_IMPLEMENTATION, S.IMPLEMENTING),
    (A.REQUEST_VERIFICATION, S.AWAITING_VERIFICATION),
    (A.RECORD_VERIFICATION, S.AWAITING_VERIFICATION),
    (A.RESOLVE, S.RESOLVED),
    (A.CLOSE, S.CLOSED),
]


@pytest.mark.parametrize("assist_type", SOLUTION_TYPES)
def test_full_happy_path_for_solution_types(assist_type: AssistType) -> None:
    state = CaseState(assist_type)
    inputs = {k: v for k, v in ALL_INPUTS.items() if k != "close_reason"}
    for action, expected in FULL_PATH:
        assert action in allowed_actions(state)
        assert allowed_actions(state)[0] is action  # the usual next step is offered first
        state = apply_action(state, action, inputs).after
        assert state.status is expected
    assert state.customer_verified
    assert state.responded
    assert state.resolution == ALL_INPUTS["resolution"]
    assert state.assignee == "u-ewa"
    assert state.close_reason is None
    assert allowed_actions(state) == [A.REOPEN]


def test_inquiry_happy_path_resolves_after_response_and_verifies_on_resolved() -> None:
    state = run(CaseState(AssistType.INQUIRY), A.TRIAGE, A.ASSIGN, A.RESPOND)
    assert state.status is S.RESPONDED
    assert A.RESOLVE in allowed_actions(state)
    state = run(state, A.RESOLVE)
    assert state.status is S.RESOLVED
    assert allowed_actions(state) == [A.RECORD_VERIFICATION, A.CLOSE, A.REOPEN]
    state = run(state, A.RECORD_VERIFICATION)
    assert state.status is S.RESOLVED and state.customer_verified
    state = run(state, (A.CLOSE, {}))
    assert state.status is S.CLOSED


def test_inquiry_can_resolve_after_investigating() -> None:
    state = at(AssistType.INQUIRY, S.INVESTIGATING)
    assert allowed_actions(state) == [A.RESOLVE, A.WAIT_ON_CUSTOMER, A.ESCALATE]
    assert run(state, A.RESOLVE).status is S.RESOLVED


@pytest.mark.parametrize(
    "action", [A.PROPOSE_SOLUTION, A.START_IMPLEMENTATION, A.REQUEST_VERIFICATION]
)
def test_inquiry_has_no_solution_stages(action: Action) -> None:
    state = at(AssistType.INQUIRY, S.INVESTIGATING)
    with pytest.raises(TransitionError, match="not a step of A1 Inquiry cases"):
        apply_action(state, action, ALL_INPUTS)


def test_claim_may_be_resolved_from_investigating_but_a3_a4_may_not() -> None:
    claim = at(AssistType.CLAIM, S.INVESTIGATING)
    assert run(claim, A.RESOLVE).status is S.RESOLVED
    for assist_type in (AssistType.CUSTOM_SOLUTION, AssistType.ADVISORY):
        state = at(assist_type, S.INVESTIGATING)
        message = check_action(state, A.RESOLVE, ALL_INPUTS)
        assert message is not None
        assert "possible when the case is Awaiting verification" in message
        assert "Possible now: Propose solution, Wait on customer, Escalate." in message


def test_no_type_resolves_straight_from_a_new_or_assigned_case() -> None:
    for assist_type in AssistType:
        for status in (S.NEW, S.TRIAGED, S.ASSIGNED):
            assert A.RESOLVE not in allowed_actions(at(assist_type, status))


def test_advisory_summaries_speak_of_notification_and_recall_actions() -> None:
    state = at(AssistType.ADVISORY, S.ASSIGNED)
    notify = apply_action(state, A.RESPOND, {"response": "Recall notice sent"})
    assert notify.summary == "Customer notified: Recall notice sent"
    impl = apply_action(at(AssistType.ADVISORY, S.SOLUTION_PROPOSED), A.START_IMPLEMENTATION)
    assert impl.summary == "Recall/repair actions started"
    claim = apply_action(at(AssistType.CLAIM, S.ASSIGNED), A.RESPOND, {"response": "On it"})
    assert claim.summary == "First response sent: On it"


# -- quality gates ------------------------------------------------------------------------------


@pytest.mark.parametrize("resolution", [None, "", "   \n\t "])
def test_no_resolve_without_resolution_text(resolution: str | None) -> None:
    state = at(AssistType.CUSTOM_SOLUTION, S.AWAITING_VERIFICATION)
    inputs = {} if resolution is None else {"resolution": resolution}
    with pytest.raises(TransitionError) as err:
        apply_action(state, A.RESOLVE, inputs)
    assert str(err.value) == "A case cannot be resolved without a resolution text."
    assert check_action(state, A.RESOLVE, inputs) == str(err.value)


def test_resolution_is_stored_stripped() -> None:
    state = at(AssistType.INQUIRY, S.RESPONDED)
    after = apply_action(state, A.RESOLVE, {"resolution": "  Sent the datasheet.\n"}).after
    assert after.resolution == "Sent the datasheet."


def test_close_needs_verification_or_reason() -> None:
    resolved = at(AssistType.CLAIM, S.RESOLVED)
    assert not resolved.customer_verified
    message = check_action(resolved, A.CLOSE, {})
    assert message is not None and "has not verified" in message
    with pytest.raises(TransitionError, match="closing the case needs a reason"):
        apply_action(resolved, A.CLOSE, {"close_reason": "  "})
    closed = apply_action(resolved, A.CLOSE, {"close_reason": "No answer after 3 reminders"})
    assert closed.after.status is S.CLOSED
    assert closed.after.close_reason == "No answer after 3 reminders"
    assert closed.summary == "Closed without customer verification: No answer after 3 reminders"

    verified = run(resolved, A.RECORD_VERIFICATION)
    assert check_action(verified, A.CLOSE) is None
    done = apply_action(verified, A.CLOSE)
    assert done.after.status is S.CLOSED and done.after.close_reason is None
    assert done.summary == "Closed"


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        (A.ESCALATE, S.INVESTIGATING, "Escalation needs a reason."),
        (A.REOPEN, S.RESOLVED, "Reopening a case needs a reason."),
        (A.WAIT_ON_CUSTOMER, S.RESPONDED, "Waiting on the customer needs a reason"),
        (A.REJECT_SOLUTION, S.AWAITING_VERIFICATION, "Rejecting the solution needs a reason."),
        (A.ASSIGN, S.TRIAGED, "Assigning the case needs the engineer"),
        (A.RESPOND, S.ASSIGNED, "A response needs the text sent to the customer"),
        (A.PROPOSE_SOLUTION, S.INVESTIGATING, "Proposing a solution needs a short summary"),
        (A.RECORD_VERIFICATION, S.AWAITING_VERIFICATION, "Recording the customer's verification"),
    ],
)
def test_actions_needing_text_refuse_without_it(
    action: Action, status: CaseStatus, message: str
) -> None:
    state = at(AssistType.CUSTOM_SOLUTION, status)
    assert action in allowed_actions(state)  # possible in principle ...
    for inputs in (None, {}, {required_inputs(action)[0]: " "}):
        with pytest.raises(TransitionError) as err:
            apply_action(state, action, inputs)
        assert str(err.value).startswith(message)  # ... but gated on the input


def test_required_inputs() -> None:
    assert required_inputs(A.TRIAGE) == ()
    assert required_inputs(A.START_INVESTIGATION) == ()
    assert required_inputs(A.RESUME) == ()
    assert required_inputs(A.ESCALATE) == ("reason",)
    assert required_inputs(A.ASSIGN) == ("assignee",)
    assert required_inputs(A.RESPOND) == ("response",)
    assert required_inputs(A.RESOLVE) == ("resolution",)
    assert required_inputs(A.PROPOSE_SOLUTION) == ("solution",)
    assert required_inputs(A.RECORD_VERIFICATION) == ("verification",)
    assert required_inputs(A.CLOSE) == ("close_reason",)
    assert required_inputs("reopen") == ("reason",)  # type: ignore[arg-type]


def test_triage_ignores_fields_that_are_not_workflow_inputs() -> None:
    t = apply_action(CaseState(AssistType.CLAIM), A.TRIAGE, {"category": "x", "priority": "high"})
    assert t.after.status is S.TRIAGED
    assert t.after == replace(t.before, status=S.TRIAGED)
    assert t.summary == "Case triaged"


def test_too_long_input_is_a_validation_error_with_the_same_text_from_check_action() -> None:
    state = at(AssistType.CLAIM, S.INVESTIGATING)
    ok = apply_action(state, A.ESCALATE, {"reason": "x" * 10_000})
    assert ok.after.status is S.ESCALATED
    too_long = {"reason": "x" * 10_001}
    with pytest.raises(ValidationError) as err:
        apply_action(state, A.ESCALATE, too_long)
    assert "too long" in str(err.value) and "10,000" in str(err.value)
    assert err.value.field == "reason"
    assert check_action(state, A.ESCALATE, too_long) == str(err.value)


def test_non_text_input_is_a_validation_error() -> None:
    state = at(AssistType.CLAIM, S.TRIAGED)
    with pytest.raises(ValidationError, match="must be text"):
        apply_action(state, A.ASSIGN, {"assignee": 42})  # type: ignore[dict-item]


def test_forbidden_action_message_says_what_is_possible() -> None:
    state = at(AssistType.CUSTOM_SOLUTION, S.INVESTIGATING)
    with pytest.raises(TransitionError) as err:
        apply_action(state, A.CLOSE, ALL_INPUTS)
    assert str(err.value).startswith(
        "'Close' is not possible while the case is Investigating; the case must be resolved first."
    )
    reopen = check_action(state, A.REOPEN, ALL_INPUTS)
    assert reopen is not None and "only resolved or closed cases can be reopened" in reopen
    resume = check_action(state, A.RESUME)
    assert resume is not None and "only a case waiting on the customer" in resume


def test_forbidden_action_is_refused_before_inputs_are_looked_at() -> None:
    state = at(AssistType.CLAIM, S.NEW)
    with pytest.raises(TransitionError):
        apply_action(state, A.ESCALATE, {"reason": "x" * 20_000})


# -- response and investigation -------------------------------------------------------------


def test_respond_sets_responded_and_investigation_waits_for_the_first_response() -> None:
    assigned = at(AssistType.CLAIM, S.ASSIGNED)
    assert not assigned.responded
    assert A.START_INVESTIGATION not in allowed_actions(assigned)
    message = check_action(assigned, A.START_INVESTIGATION)
    assert message is not None and "respond first" in message
    responded = run(assigned, A.RESPOND)
    assert responded.responded and responded.status is S.RESPONDED


# -- waiting on the customer --------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        S.ASSIGNED,
        S.RESPONDED,
        S.INVESTIGATING,
        S.SOLUTION_PROPOSED,
        S.IMPLEMENTING,
        S.AWAITING_VERIFICATION,
    ],
)
def test_wait_and_resume_return_to_where_the_case_was(status: CaseStatus) -> None:
    state = at(AssistType.ADVISORY, status)
    waiting = apply_action(state, A.WAIT_ON_CUSTOMER, {"reason": "Needs the serial list"})
    assert waiting.after.status is S.WAITING_ON_CUSTOMER
    assert waiting.after.resume_status is status
    assert waiting.summary == "Waiting on customer: Needs the serial list"
    assert allowed_actions(waiting.after) == [A.RESUME]
    message = check_action(waiting.after, A.RESOLVE, ALL_INPUTS)
    assert message is not None and message.endswith("resume the case first.")
    resumed = apply_action(waiting.after, A.RESUME)
    assert resumed.after == state  # nothing else changed on the way
    assert resumed.summary == f"Resumed ({status.label})"


@pytest.mark.parametrize("status", [S.NEW, S.TRIAGED, S.RESOLVED, S.CLOSED])
def test_no_waiting_outside_working_statuses(status: CaseStatus) -> None:
    state = at(AssistType.CLAIM, S.RESOLVED) if status is S.CLOSED else at(AssistType.CLAIM, status)
    if status is S.CLOSED:
        state = run(state, A.CLOSE)
    assert A.WAIT_ON_CUSTOMER not in allowed_actions(state)
    assert A.ESCALATE not in allowed_actions(state)


def test_resume_falls_back_when_a_stored_row_lost_its_resume_status() -> None:
    broken = CaseState(AssistType.CLAIM, status=S.WAITING_ON_CUSTOMER, responded=True)
    assert run(broken, A.RESUME).status is S.INVESTIGATING
    not_responded = CaseState(AssistType.CLAIM, status=S.WAITING_ON_CUSTOMER, assignee="u")
    assert run(not_responded, A.RESUME).status is S.ASSIGNED
    # A solution stage remembered for an inquiry (impossible for A1) is not honoured either.
    odd = CaseState(
        AssistType.INQUIRY,
        status=S.WAITING_ON_CUSTOMER,
        resume_status=S.IMPLEMENTING,
        responded=True,
    )
    assert run(odd, A.RESUME).status is S.INVESTIGATING


# -- escalation -------------------------------------------------------------------------------


def test_escalation_raises_tier_and_assign_returns_to_the_interrupted_stage() -> None:
    state = at(AssistType.CUSTOM_SOLUTION, S.IMPLEMENTING)
    esc = apply_action(state, A.ESCALATE, {"reason": "Needs a process chemist"})
    assert esc.after.status is S.ESCALATED
    assert esc.after.tier == 2
    assert esc.after.resume_status is S.IMPLEMENTING
    assert esc.summary == "Escalated to tier 2: Needs a process chemist"
    assert allowed_actions(esc.after) == [A.ASSIGN]
    resume = check_action(esc.after, A.RESUME)
    assert resume == "'Resume' is not possible while the case is Escalated; " + (
        "assign it to a tier-2 engineer first."
    )
    taken = apply_action(esc.after, A.ASSIGN, {"assignee": "u-chemist"})
    assert taken.after.status is S.IMPLEMENTING
    assert taken.after.assignee == "u-chemist"
    assert taken.after.resume_status is None
    assert taken.after.tier == 2
    assert taken.summary == "Escalated case taken over at tier 2 (Implementing)"


def test_escalation_before_the_first_response_still_needs_the_response() -> None:
    state = run(at(AssistType.CLAIM, S.ASSIGNED), A.ESCALATE, A.ASSIGN)
    assert state.status is S.ASSIGNED and state.tier == 2 and not state.responded
    assert allowed_actions(state)[0] is A.RESPOND


def test_escalation_stops_at_the_highest_tier() -> None:
    state = at(AssistType.CLAIM, S.INVESTIGATING)
    for tier in range(2, MAX_TIER + 1):
        state = run(state, A.ESCALATE, A.ASSIGN)
        assert state.tier == tier and state.status is S.INVESTIGATING
    assert A.ESCALATE not in allowed_actions(state)
    with pytest.raises(TransitionError) as err:
        apply_action(state, A.ESCALATE, {"reason": "Still stuck"})
    assert str(err.value) == (
        "The case is already at the highest support tier (3); it cannot be escalated further."
    )


def test_assign_summary_mentions_tier_above_one() -> None:
    assert apply_action(at(AssistType.CLAIM, S.TRIAGED), A.ASSIGN, ALL_INPUTS).summary == (
        "Case assigned"
    )
    reopened = run(at(AssistType.CLAIM, S.INVESTIGATING), A.ESCALATE, A.ASSIGN)
    reopened = run(reopened, A.RESOLVE, A.REOPEN)
    assert apply_action(reopened, A.ASSIGN, ALL_INPUTS).summary == "Case assigned at tier 2"


# -- verification and rejection ---------------------------------------------------------------


def test_record_verification_keeps_status_and_happens_once() -> None:
    state = at(AssistType.CLAIM, S.AWAITING_VERIFICATION)
    t = apply_action(state, A.RECORD_VERIFICATION, {"verification": "Signed off on site"})
    assert t.after.status is S.AWAITING_VERIFICATION
    assert t.after.customer_verified
    assert t.summary == "Customer verified: Signed off on site"
    assert A.RECORD_VERIFICATION not in allowed_actions(t.after)
    with pytest.raises(TransitionError, match="already recorded"):
        apply_action(t.after, A.RECORD_VERIFICATION, ALL_INPUTS)


def test_record_verification_not_possible_while_implementing() -> None:
    state = at(AssistType.CLAIM, S.IMPLEMENTING)
    message = check_action(state, A.RECORD_VERIFICATION, ALL_INPUTS)
    assert message is not None
    assert "possible when the case is Awaiting verification or Resolved" in message


@pytest.mark.parametrize("status", [S.SOLUTION_PROPOSED, S.IMPLEMENTING, S.AWAITING_VERIFICATION])
def test_reject_solution_goes_back_to_investigating(status: CaseStatus) -> None:
    state = at(AssistType.CUSTOM_SOLUTION, status)
    if status is S.AWAITING_VERIFICATION:
        state = run(state, A.RECORD_VERIFICATION)
    t = apply_action(state, A.REJECT_SOLUTION, {"reason": "Foam came back"})
    assert t.after.status is S.INVESTIGATING
    assert not t.after.customer_verified
    assert t.summary == "Solution rejected: Foam came back"


# -- reopening --------------------------------------------------------------------------------


@pytest.mark.parametrize("closed", [False, True])
def test_reopen_clears_resolution_and_verification(closed: bool) -> None:
    state = run(at(AssistType.CLAIM, S.RESOLVED), A.RECORD_VERIFICATION)
    if closed:
        state = run(state, (A.CLOSE, {"close_reason": "Noted anyway"}))
        assert state.close_reason == "Noted anyway"
    t = apply_action(state, A.REOPEN, {"reason": "Leak is back"})
    assert t.after.status is S.REOPENED
    assert t.after.resolution is None
    assert not t.after.customer_verified
    assert t.after.close_reason is None
    assert t.after.responded and t.after.assignee == "u-ewa"
    assert t.before.resolution == ALL_INPUTS["resolution"]  # history stays with the caller
    assert t.summary == "Reopened: Leak is back"
    assert allowed_actions(t.after) == [
        A.ASSIGN,
        A.START_INVESTIGATION,
        A.WAIT_ON_CUSTOMER,
        A.ESCALATE,
    ]


def test_reopened_case_goes_back_to_work() -> None:
    reopened = run(at(AssistType.CLAIM, S.RESOLVED), A.REOPEN)
    assert run(reopened, A.START_INVESTIGATION).status is S.INVESTIGATING
    assigned = run(reopened, (A.ASSIGN, {"assignee": "u-jan"}))
    assert assigned.status is S.ASSIGNED and assigned.assignee == "u-jan"
    # Already responded: may go straight on to the investigation, or answer again.
    assert allowed_actions(assigned)[:2] == [A.RESPOND, A.START_INVESTIGATION]
    again = apply_action(assigned, A.RESPOND, {"response": "We are on it again"})
    assert again.summary == "Response sent: We are on it again"
    # A reopened case must be resolved afresh, with a new resolution text.
    state = run(reopened, A.START_INVESTIGATION)
    with pytest.raises(TransitionError, match="without a resolution text"):
        apply_action(state, A.RESOLVE, {})


def test_only_resolved_or_closed_cases_reopen() -> None:
    for status in (S.NEW, S.ASSIGNED, S.INVESTIGATING):
        assert A.REOPEN not in allowed_actions(at(AssistType.INQUIRY, status))


# -- state and summaries ------------------------------------------------------------------------


def test_case_state_coerces_stored_strings_and_checks_the_tier() -> None:
    state = CaseState("A2", status="waiting_on_customer", resume_status="investigating", tier=2)  # type: ignore[arg-type]
    assert state.assist_type is AssistType.CLAIM
    assert state.status is S.WAITING_ON_CUSTOMER
    assert state.resume_status is S.INVESTIGATING
    for tier in (0, MAX_TIER + 1):
        with pytest.raises(ValidationError, match="support tier"):
            CaseState(AssistType.CLAIM, tier=tier)


def test_apply_action_accepts_the_action_value_and_never_mutates() -> None:
    state = CaseState(AssistType.INQUIRY)
    t = apply_action(state, "triage")  # type: ignore[arg-type]
    assert t.action is A.TRIAGE
    assert state.status is S.NEW and t.before is state


def test_summary_is_one_line_and_bounded() -> None:
    state = at(AssistType.CLAIM, S.INVESTIGATING)
    reason = "Line one\nline   two\n" + "y" * 500
    t = apply_action(state, A.ESCALATE, {"reason": reason})
    assert "\n" not in t.summary
    assert t.summary.startswith("Escalated to tier 2: Line one line two yyy")
    assert t.summary.endswith("…") and len(t.summary) < 200


def test_statuses_per_assist_type_and_open_statuses() -> None:
    solution_stages = {S.SOLUTION_PROPOSED, S.IMPLEMENTING, S.AWAITING_VERIFICATION}
    assert statuses_for(AssistType.INQUIRY) == frozenset(CaseStatus) - solution_stages
    for assist_type in SOLUTION_TYPES:
        assert statuses_for(assist_type) == frozenset(CaseStatus)
    assert frozenset(CaseStatus) - OPEN_STATUSES == {S.RESOLVED, S.CLOSED}


def _abstract(state: CaseState) -> CaseState:
    return replace(state, assignee="u" if state.assignee else None)


@pytest.mark.parametrize("assist_type", list(AssistType))
def test_statuses_for_is_exactly_the_reachable_set(assist_type: AssistType) -> None:
    """Breadth-first search over every reachable state (texts fixed, so the space is finite)."""
    start = CaseState(assist_type)
    seen = {start}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for action in allowed_actions(state):
            variants: list[Mapping[str, str]] = [ALL_INPUTS]
            if action is A.CLOSE and state.customer_verified:
                variants.append({})
            for inputs in variants:
                after = _abstract(apply_action(state, action, inputs).after)
                if after not in seen:
                    seen.add(after)
                    queue.append(after)
    assert {s.status for s in seen} == statuses_for(assist_type)
    assert {s.tier for s in seen} == set(range(1, MAX_TIER + 1))
    assert all(allowed_actions(s) for s in seen)  # no dead ends


# -- properties -------------------------------------------------------------------------------

text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20
).filter(lambda s: s.strip() != "")
PARKED = {S.WAITING_ON_CUSTOMER, S.ESCALATED}


def _draw_inputs(data: st.DataObject, state: CaseState, action: Action) -> dict[str, str]:
    inputs = {name: data.draw(text, label=name) for name in required_inputs(action)}
    if action is A.CLOSE and state.customer_verified and data.draw(st.booleans()):
        inputs = {}
    if data.draw(st.booleans(), label="extra keys"):
        inputs["category"] = "ignored"
    return inputs


def _check_invariants(before: CaseState, after: CaseState) -> None:
    assert after.status in statuses_for(after.assist_type)
    assert after.assist_type is before.assist_type
    assert 1 <= after.tier <= MAX_TIER
    assert after.tier >= before.tier
    assert after.tier <= before.tier + 1
    assert after.responded or not before.responded
    if after.status in (S.RESOLVED, S.CLOSED):
        assert after.resolution
    if after.status is S.CLOSED:
        assert after.customer_verified or after.close_reason
    if after.status in PARKED:
        assert after.resume_status is not None
        assert after.resume_status not in PARKED
        assert after.resume_status in statuses_for(after.assist_type)
    else:
        assert after.resume_status is None
    if after.status not in (S.NEW, S.TRIAGED):
        assert after.assignee
    if after.customer_verified:
        where = after.resume_status if after.status in PARKED else after.status
        assert where in (S.AWAITING_VERIFICATION, S.RESOLVED, S.CLOSED)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), assist_type=st.sampled_from(list(AssistType)))
def test_random_walks_never_reach_an_invalid_state(
    data: st.DataObject, assist_type: AssistType
) -> None:
    state = CaseState(assist_type)
    steps = data.draw(st.integers(min_value=1, max_value=40), label="steps")
    for _ in range(steps):
        allowed = allowed_actions(state)
        assert allowed, f"dead end in {state}"
        assert len(set(allowed)) == len(allowed)
        snapshot = replace(state)
        for action in Action:
            if action in allowed:
                continue
            inputs = dict.fromkeys(required_inputs(action), "valid text")
            message = check_action(state, action, inputs)
            assert message
            with pytest.raises(TransitionError) as err:
                apply_action(state, action, inputs)
            assert str(err.value) == message
            assert state == snapshot
        action = data.draw(st.sampled_from(allowed), label="action")
        inputs = _draw_inputs(data, state, action)
        assert check_action(state, action, inputs) is None
        transition = apply_action(state, action, inputs)
        assert transition.before == snapshot and state == snapshot
        assert transition.action is action
        assert transition.summary and "\n" not in transition.summary
        _check_invariants(state, transition.after)
        state = transition.after


@settings(max_examples=60, deadline=None)
@given(data=st.data(), assist_type=st.sampled_from(list(AssistType)))
def test_allowed_actions_refuse_missing_inputs_as_transition_errors(
    data: st.DataObject, assist_type: AssistType
) -> None:
    """Every allowed action that needs a text refuses to run without it and changes nothing."""
    state = CaseState(assist_type)
    for _ in range(data.draw(st.integers(min_value=0, max_value=25), label="steps")):
        allowed = allowed_actions(state)
        for action in allowed:
            needs = required_inputs(action)
            if not needs or (action is A.CLOSE and state.customer_verified):
                assert check_action(state, action, {}) is None
                continue
            snapshot = replace(state)
            with pytest.raises(TransitionError):
                apply_action(state, action, {name: "  " for name in needs})
            assert state == snapshot
        action = data.draw(st.sampled_from(allowed))
        state = apply_action(state, action, _draw_inputs(data, state, action)).after
