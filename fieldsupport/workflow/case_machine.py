"""The case state machine, one rule set per assist type.

Pure functions over an immutable :class:`CaseState`: the services load the state from the
database, call :func:`apply_action` and store ``Transition.after``. Nothing here touches a
session, the clock or Qt, so every rule can be tested exhaustively.

Lifecycle (seeds 002-004)::

    new -triage-> triaged -assign-> assigned -respond-> responded -start_investigation->
    investigating -propose_solution-> solution_proposed -start_implementation-> implementing
    -request_verification-> awaiting_verification -resolve-> resolved -close-> closed

Per assist type:

* **A1 Inquiry** (information request -> respond -> information) has no solution stages:
  it is resolved straight from ``responded`` (the answer was the information) or after
  ``investigating``. An inquiry that needs a solution developed is really an A3 case; keeping
  the solution stages out keeps the inquiry list short and its choices obvious. Customer
  verification, if any, is recorded on the resolved case.
* **A2 Claim** goes through solution/implementation (the remedy: refund, return or
  replacement, i.e. the RMA) and verification. It may also be resolved from ``investigating``,
  because a claim can be rejected or settled without a remedy; the resolution text says so.
* **A3 Custom solution** is only resolved from ``awaiting_verification``: the solution must
  have been applied (the application record) and put to the customer for verification.
* **A4 Advisory** is like A3: ``respond`` is the notification of the customer,
  ``implementing`` covers the recall/repair/replace actions per asset.

Detours, valid in every working status (assigned ... awaiting_verification and reopened):

* ``wait_on_customer`` (needs a reason) -> ``waiting_on_customer``; ``resume`` goes back to the
  remembered ``resume_status``. SLA clocks pause meanwhile (see :mod:`.sla`).
* ``escalate`` (needs a reason) raises the support tier by one, up to :data:`MAX_TIER`, and
  parks the case in ``escalated`` remembering ``resume_status``. The only way on is ``assign``
  (to the higher-tier engineer), which returns the case to ``resume_status``: the new engineer
  continues where the work stopped rather than redoing the first response or the
  investigation. ``resume`` is not possible from ``escalated``: a higher tier must take it.
* ``reject_solution`` (needs a reason) from ``solution_proposed``, ``implementing`` or
  ``awaiting_verification`` goes back to ``investigating`` and clears a recorded verification.

Quality gates: no ``resolve`` without a resolution text; no ``close`` unless the customer's
verification is recorded or a close reason is given; ``start_investigation`` from ``assigned``
only after the customer has had a first response. ``record_verification`` is possible in
``awaiting_verification`` and ``resolved`` (status unchanged), once. ``reopen`` (needs a reason)
from ``resolved``/``closed`` -> ``reopened``: it clears the resolution, the verification and the
close reason (the old values stay in ``Transition.before`` for the timeline), so a fresh
resolution and verification are needed. From ``reopened`` the same engineer can
``start_investigation`` or the case can be ``assign``-ed anew (-> ``assigned``; as it has
already been responded to, it can go straight on to the investigation or respond again).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from fieldsupport.errors import TransitionError, ValidationError
from fieldsupport.models.enums import AssistType, CaseStatus

MAX_TIER = 3
MAX_INPUT_LEN = 10_000
# Timeline summaries are one line; long texts are cut (the full text goes to the event data).
SUMMARY_TEXT_LEN = 160

S = CaseStatus


class Action(StrEnum):
    TRIAGE = "triage"
    ASSIGN = "assign"
    RESPOND = "respond"
    START_INVESTIGATION = "start_investigation"
    PROPOSE_SOLUTION = "propose_solution"
    START_IMPLEMENTATION = "start_implementation"
    REQUEST_VERIFICATION = "request_verification"
    RECORD_VERIFICATION = "record_verification"
    REJECT_SOLUTION = "reject_solution"
    RESOLVE = "resolve"
    CLOSE = "close"
    WAIT_ON_CUSTOMER = "wait_on_customer"
    RESUME = "resume"
    ESCALATE = "escalate"
    REOPEN = "reopen"

    @property
    def label(self) -> str:
        """What a button or a menu entry says."""
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class CaseState:
    assist_type: AssistType
    status: CaseStatus = CaseStatus.NEW
    tier: int = 1  # support tier 1..MAX_TIER
    resume_status: CaseStatus | None = None  # where waiting_on_customer / escalated return to
    assignee: str | None = None
    resolution: str | None = None
    customer_verified: bool = False
    close_reason: str | None = None  # recorded reason for closing without verification
    responded: bool = False  # first response given (never goes back to False)

    def __post_init__(self) -> None:
        # The services build states from stored rows, whose enum columns may come back as
        # plain strings; normalising here keeps identity comparisons (``is``) reliable.
        object.__setattr__(self, "assist_type", AssistType(self.assist_type))
        object.__setattr__(self, "status", CaseStatus(self.status))
        if self.resume_status is not None:
            object.__setattr__(self, "resume_status", CaseStatus(self.resume_status))
        if isinstance(self.tier, bool) or not isinstance(self.tier, int):
            raise ValidationError("The support tier must be a whole number.", field="tier")
        if not 1 <= self.tier <= MAX_TIER:
            raise ValidationError(
                f"The support tier must be between 1 and {MAX_TIER} (got {self.tier}).",
                field="tier",
            )


@dataclass(frozen=True)
class Transition:
    action: Action
    before: CaseState
    after: CaseState
    summary: str  # one line for the case timeline, e.g. "Escalated to tier 2: <reason>"


OPEN_STATUSES: frozenset[CaseStatus] = frozenset(CaseStatus) - {S.RESOLVED, S.CLOSED}

# Statuses in which someone is actively working the case: detours start from these.
_WORKING: tuple[CaseStatus, ...] = (
    S.ASSIGNED,
    S.RESPONDED,
    S.INVESTIGATING,
    S.SOLUTION_PROPOSED,
    S.IMPLEMENTING,
    S.AWAITING_VERIFICATION,
    S.REOPENED,
)
_PARKED = frozenset({S.WAITING_ON_CUSTOMER, S.ESCALATED})
# Assist types that develop and apply a solution (A1 answers with information only).
_SOLUTION_TYPES = frozenset({AssistType.CLAIM, AssistType.CUSTOM_SOLUTION, AssistType.ADVISORY})
_SOLUTION_STAGES = frozenset({S.SOLUTION_PROPOSED, S.IMPLEMENTING, S.AWAITING_VERIFICATION})
_SOLUTION_ACTIONS = frozenset(
    {
        Action.PROPOSE_SOLUTION,
        Action.START_IMPLEMENTATION,
        Action.REQUEST_VERIFICATION,
        Action.REJECT_SOLUTION,
    }
)

_RESOLVE_FROM: Mapping[AssistType, tuple[CaseStatus, ...]] = {
    AssistType.INQUIRY: (S.RESPONDED, S.INVESTIGATING),
    AssistType.CLAIM: (S.INVESTIGATING, S.AWAITING_VERIFICATION),
    AssistType.CUSTOM_SOLUTION: (S.AWAITING_VERIFICATION,),
    AssistType.ADVISORY: (S.AWAITING_VERIFICATION,),
}

# Statuses each action starts from, before the per-type and per-state gates.
_SOURCES: Mapping[Action, tuple[CaseStatus, ...]] = {
    Action.TRIAGE: (S.NEW,),
    Action.ASSIGN: (S.TRIAGED, S.ESCALATED, S.REOPENED),
    Action.RESPOND: (S.ASSIGNED,),
    Action.START_INVESTIGATION: (S.RESPONDED, S.ASSIGNED, S.REOPENED),
    Action.PROPOSE_SOLUTION: (S.INVESTIGATING,),
    Action.START_IMPLEMENTATION: (S.SOLUTION_PROPOSED,),
    Action.REQUEST_VERIFICATION: (S.IMPLEMENTING,),
    Action.RECORD_VERIFICATION: (S.AWAITING_VERIFICATION, S.RESOLVED),
    Action.REJECT_SOLUTION: (S.SOLUTION_PROPOSED, S.IMPLEMENTING, S.AWAITING_VERIFICATION),
    Action.RESOLVE: (),  # per assist type, see _RESOLVE_FROM
    Action.CLOSE: (S.RESOLVED,),
    Action.WAIT_ON_CUSTOMER: _WORKING,
    Action.RESUME: (S.WAITING_ON_CUSTOMER,),
    Action.ESCALATE: _WORKING,
    Action.REOPEN: (S.RESOLVED, S.CLOSED),
}

# Simple moves; the rest (assign from escalated, resume, parking, verification) are computed.
_TARGET: Mapping[Action, CaseStatus] = {
    Action.TRIAGE: S.TRIAGED,
    Action.ASSIGN: S.ASSIGNED,
    Action.RESPOND: S.RESPONDED,
    Action.START_INVESTIGATION: S.INVESTIGATING,
    Action.PROPOSE_SOLUTION: S.SOLUTION_PROPOSED,
    Action.START_IMPLEMENTATION: S.IMPLEMENTING,
    Action.REQUEST_VERIFICATION: S.AWAITING_VERIFICATION,
    Action.REJECT_SOLUTION: S.INVESTIGATING,
    Action.RESOLVE: S.RESOLVED,
    Action.CLOSE: S.CLOSED,
    Action.WAIT_ON_CUSTOMER: S.WAITING_ON_CUSTOMER,
    Action.ESCALATE: S.ESCALATED,
    Action.REOPEN: S.REOPENED,
}

_REQUIRED: Mapping[Action, tuple[str, ...]] = {
    Action.ASSIGN: ("assignee",),
    Action.RESPOND: ("response",),
    Action.PROPOSE_SOLUTION: ("solution",),
    Action.RECORD_VERIFICATION: ("verification",),
    Action.REJECT_SOLUTION: ("reason",),
    Action.RESOLVE: ("resolution",),
    Action.CLOSE: ("close_reason",),  # enforced only when the customer has not verified
    Action.WAIT_ON_CUSTOMER: ("reason",),
    Action.ESCALATE: ("reason",),
    Action.REOPEN: ("reason",),
}

_MISSING: Mapping[Action, str] = {
    Action.ASSIGN: "Assigning the case needs the engineer to assign it to.",
    Action.RESPOND: (
        "A response needs the text sent to the customer, including the promised timeline."
    ),
    Action.PROPOSE_SOLUTION: "Proposing a solution needs a short summary of the solution.",
    Action.RECORD_VERIFICATION: (
        "Recording the customer's verification needs who verified the result and how."
    ),
    Action.REJECT_SOLUTION: "Rejecting the solution needs a reason.",
    Action.RESOLVE: "A case cannot be resolved without a resolution text.",
    Action.CLOSE: (
        "The customer has not verified the resolution; closing the case needs a reason "
        "(for example: customer not reachable after reminders)."
    ),
    Action.WAIT_ON_CUSTOMER: (
        "Waiting on the customer needs a reason (what the customer has to provide or do)."
    ),
    Action.ESCALATE: "Escalation needs a reason.",
    Action.REOPEN: "Reopening a case needs a reason.",
}

# Order of allowed_actions: the usual next step first, then the finishing steps, then
# the step back and the detours, so a UI can take the first entry as the default button.
_ORDER: tuple[Action, ...] = (
    Action.TRIAGE,
    Action.ASSIGN,
    Action.RESPOND,
    Action.START_INVESTIGATION,
    Action.PROPOSE_SOLUTION,
    Action.START_IMPLEMENTATION,
    Action.REQUEST_VERIFICATION,
    Action.RECORD_VERIFICATION,
    Action.RESOLVE,
    Action.CLOSE,
    Action.REJECT_SOLUTION,
    Action.RESUME,
    Action.WAIT_ON_CUSTOMER,
    Action.ESCALATE,
    Action.REOPEN,
)


# -- public queries -------------------------------------------------------------------------


def required_inputs(action: Action) -> tuple[str, ...]:
    """Names of the text inputs ``action`` uses (what a dialog should ask for).

    ``close_reason`` for ``CLOSE`` is only enforced when the customer has not verified the
    resolution; given anyway, it is kept as a note. Other keys in ``inputs`` are ignored, so
    the services may pass triage fields (category, priority, severity) alongside.
    """
    return _REQUIRED.get(Action(action), ())


def statuses_for(assist_type: AssistType) -> frozenset[CaseStatus]:
    """Every status a case of this assist type can ever be in."""
    assist_type = AssistType(assist_type)
    if assist_type in _SOLUTION_TYPES:
        return frozenset(CaseStatus)
    return frozenset(CaseStatus) - _SOLUTION_STAGES


def allowed_actions(state: CaseState) -> list[Action]:
    """Actions possible now, given suitable inputs; the usual next step first."""
    return [action for action in _ORDER if _state_problem(state, action, explain=False) is None]


def check_action(
    state: CaseState, action: Action, inputs: Mapping[str, str] | None = None
) -> str | None:
    """``None`` if ``action`` may be applied with ``inputs``, else the text
    :func:`apply_action` would raise (a forbidden step, a failed gate or a bad input)."""
    try:
        _plan(state, Action(action), inputs)
    except (TransitionError, ValidationError) as exc:
        return str(exc)
    return None


def apply_action(
    state: CaseState, action: Action, inputs: Mapping[str, str] | None = None
) -> Transition:
    """Apply ``action`` and return the transition; ``state`` itself is never changed.

    Raises :class:`TransitionError` for a step the case cannot take now or a failed gate, and
    :class:`ValidationError` for an unusable input value (not text, too long).
    """
    action = Action(action)
    after, summary = _plan(state, action, inputs)
    return Transition(action=action, before=state, after=after, summary=summary)


# -- rules ----------------------------------------------------------------------------------


def _sources(action: Action, assist_type: AssistType) -> tuple[CaseStatus, ...]:
    if action is Action.RESOLVE:
        return _RESOLVE_FROM[assist_type]
    if action in _SOLUTION_ACTIONS and assist_type not in _SOLUTION_TYPES:
        return ()
    return _SOURCES[action]


def _state_problem(state: CaseState, action: Action, *, explain: bool = True) -> str | None:
    """Why ``action`` is impossible in ``state`` whatever the inputs, or ``None``.

    ``explain=False`` skips building the long message (which itself lists the allowed actions).
    """
    if state.status not in _sources(action, state.assist_type):
        return _not_possible(state, action) if explain else "not possible"
    if action is Action.START_INVESTIGATION and state.status is S.ASSIGNED and not state.responded:
        return (
            "'Start investigation' is not possible before the customer has had a first "
            "response; respond first (with the promised timeline)."
        )
    if action is Action.ESCALATE and state.tier >= MAX_TIER:
        return (
            f"The case is already at the highest support tier ({MAX_TIER}); "
            "it cannot be escalated further."
        )
    if action is Action.RECORD_VERIFICATION and state.customer_verified:
        return "The customer's verification is already recorded for this resolution."
    return None


def _not_possible(state: CaseState, action: Action) -> str:
    head = f"'{action.label}' is not possible while the case is {state.status.label}"
    if state.status is S.WAITING_ON_CUSTOMER:
        return f"{head}; resume the case first."
    if state.status is S.ESCALATED:
        return f"{head}; assign it to a tier-{state.tier} engineer first."
    sources = _sources(action, state.assist_type)
    if not sources:
        return (
            f"'{action.label}' is not a step of {state.assist_type.label} cases; "
            f"{_type_hint(state.assist_type)}"
        )
    if action is Action.CLOSE:
        need = "the case must be resolved first"
    elif action is Action.REOPEN:
        need = "only resolved or closed cases can be reopened"
    elif action is Action.RESUME:
        need = "only a case waiting on the customer can be resumed"
    else:
        need = f"it is possible when the case is {_join_or(sources)}"
    possible = [a.label for a in allowed_actions(state)]
    tail = f" Possible now: {', '.join(possible)}." if possible else ""
    return f"{head}; {need}.{tail}"


def _type_hint(assist_type: AssistType) -> str:
    if assist_type is AssistType.INQUIRY:
        return (
            "an inquiry is resolved with the information given. If a solution has to be "
            "developed, open an A3 Custom solution case."
        )
    return "see the possible steps of the case."  # pragma: no cover - all others have them


def _join_or(statuses: tuple[CaseStatus, ...]) -> str:
    labels = [s.label for s in statuses]
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def _read_inputs(action: Action, inputs: Mapping[str, str] | None) -> dict[str, str]:
    """The stripped, non-empty inputs ``action`` uses; bad values raise ValidationError."""
    values: dict[str, str] = {}
    for name in _REQUIRED.get(action, ()):
        raw = (inputs or {}).get(name)
        if raw is None:
            continue
        label = name.replace("_", " ")
        if not isinstance(raw, str):
            raise ValidationError(f"The {label} must be text.", field=name)
        text = raw.strip()
        if len(text) > MAX_INPUT_LEN:
            raise ValidationError(
                f"The {label} is too long ({len(text):,} characters; at most {MAX_INPUT_LEN:,}).",
                field=name,
            )
        if text:
            values[name] = text
    return values


def _plan(
    state: CaseState, action: Action, inputs: Mapping[str, str] | None
) -> tuple[CaseState, str]:
    problem = _state_problem(state, action)
    if problem is not None:
        raise TransitionError(problem)
    values = _read_inputs(action, inputs)
    needed = _REQUIRED.get(action, ())
    if action is Action.CLOSE and state.customer_verified:
        needed = ()
    for name in needed:
        if name not in values:
            raise TransitionError(_MISSING[action])
    return _next_state(state, action, values)


def _resume_target(state: CaseState) -> CaseStatus:
    # A stored case should always remember where it was; if an old or damaged row does not,
    # continue from a status where every next step is available instead of getting stuck.
    target = state.resume_status
    if target is None or target in _PARKED or target not in statuses_for(state.assist_type):
        return S.INVESTIGATING if state.responded else S.ASSIGNED
    return target


def _next_state(
    state: CaseState, action: Action, values: Mapping[str, str]
) -> tuple[CaseState, str]:
    status = state.status
    text = {name: _one_line(value) for name, value in values.items()}
    match action:
        case Action.ASSIGN if status is S.ESCALATED:
            target = _resume_target(state)
            after = replace(state, status=target, resume_status=None, assignee=values["assignee"])
            return after, f"Escalated case taken over at tier {state.tier} ({target.label})"
        case Action.ASSIGN:
            after = replace(state, status=S.ASSIGNED, assignee=values["assignee"])
            return after, "Case assigned" + (f" at tier {state.tier}" if state.tier > 1 else "")
        case Action.RESPOND:
            after = replace(state, status=S.RESPONDED, responded=True)
            if state.assist_type is AssistType.ADVISORY:
                head = "Customer notified"
            else:
                head = "Response sent" if state.responded else "First response sent"
            return after, f"{head}: {text['response']}"
        case Action.RECORD_VERIFICATION:
            after = replace(state, customer_verified=True)
            return after, f"Customer verified: {text['verification']}"
        case Action.REJECT_SOLUTION:
            after = replace(state, status=S.INVESTIGATING, customer_verified=False)
            return after, f"Solution rejected: {text['reason']}"
        case Action.RESOLVE:
            after = replace(state, status=S.RESOLVED, resolution=values["resolution"])
            return after, f"Resolved: {text['resolution']}"
        case Action.CLOSE:
            reason = values.get("close_reason")
            after = replace(state, status=S.CLOSED, close_reason=reason)
            if state.customer_verified:
                return after, "Closed" + (f": {text['close_reason']}" if reason else "")
            return after, f"Closed without customer verification: {text['close_reason']}"
        case Action.WAIT_ON_CUSTOMER:
            after = replace(state, status=S.WAITING_ON_CUSTOMER, resume_status=status)
            return after, f"Waiting on customer: {text['reason']}"
        case Action.RESUME:
            target = _resume_target(state)
            after = replace(state, status=target, resume_status=None)
            return after, f"Resumed ({target.label})"
        case Action.ESCALATE:
            tier = state.tier + 1
            after = replace(state, status=S.ESCALATED, resume_status=status, tier=tier)
            return after, f"Escalated to tier {tier}: {text['reason']}"
        case Action.REOPEN:
            after = replace(
                state,
                status=S.REOPENED,
                resolution=None,
                customer_verified=False,
                close_reason=None,
            )
            return after, f"Reopened: {text['reason']}"
        case Action.PROPOSE_SOLUTION:
            after = replace(state, status=S.SOLUTION_PROPOSED)
            return after, f"Solution proposed: {text['solution']}"
        case Action.START_IMPLEMENTATION if state.assist_type is AssistType.ADVISORY:
            return replace(state, status=S.IMPLEMENTING), "Recall/repair actions started"
        case _:
            return replace(state, status=_TARGET[action]), _PLAIN_SUMMARY[action]


_PLAIN_SUMMARY: Mapping[Action, str] = {
    Action.TRIAGE: "Case triaged",
    Action.START_INVESTIGATION: "Investigation started",
    Action.START_IMPLEMENTATION: "Implementation started",
    Action.REQUEST_VERIFICATION: "Customer asked to verify the solution",
}


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= SUMMARY_TEXT_LEN:
        return flat
    return flat[: SUMMARY_TEXT_LEN - 1].rstrip() + "…"
