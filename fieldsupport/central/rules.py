"""Domain rules the server enforces on pushed changes: the case workflow."""

from __future__ import annotations

from typing import Any

from fieldsupport.models.enums import AssistType, CaseStatus
from fieldsupport.workflow import CaseState
from fieldsupport.workflow.case_machine import allowed_actions, apply_action, required_inputs


def status_change_problem(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """``None`` if a case may go from ``before['status']`` to ``after['status']`` in one
    workflow step (judged on the server's copy), else why not."""
    old, new = before.get("status"), after.get("status")
    if old == new:
        return None
    try:
        state = CaseState(
            assist_type=AssistType(before["assist_type"]),
            status=CaseStatus(old),
            tier=int(before.get("support_tier") or 1),
            resume_status=before.get("resume_status"),
            assignee=after.get("assignee_id"),
            resolution=after.get("resolution"),
            customer_verified=bool(after.get("customer_verified")),
            close_reason=after.get("close_reason"),
            responded=before.get("first_response_at") is not None,
        )
    except (ValueError, KeyError, TypeError) as exc:
        return f"the case's stored state is not usable ({exc})"
    if new == CaseStatus.RESOLVED and not (after.get("resolution") or "").strip():
        return "a case cannot be resolved without a resolution text"
    for action in allowed_actions(state):
        inputs = dict.fromkeys(required_inputs(action), "sync")
        try:
            transition = apply_action(state, action, inputs)
        except Exception:  # a gate this generic input does not pass: not this action
            continue
        if transition.after.status.value == new:
            return None
    return f"the workflow does not allow a case to go from {old} to {new}"
