"""Case workflow rules: the state machine per assist type, business-hours SLA clocks and the
support measures. Pure Python: no Qt, no I/O, no database sessions."""

from __future__ import annotations

from fieldsupport.workflow.case_machine import (
    MAX_TIER,
    OPEN_STATUSES,
    Action,
    CaseState,
    Transition,
    allowed_actions,
    apply_action,
    check_action,
    required_inputs,
    statuses_for,
)
from fieldsupport.workflow.measures import (
    csat_average,
    first_response_time,
    first_time_fix_rate,
    resolution_time,
    sla_met_rate,
)
from fieldsupport.workflow.sla import (
    BusinessCalendar,
    CaseSla,
    SlaClock,
    SlaPolicy,
    SlaState,
    SlaTargets,
    case_sla,
    default_policy,
    sla_clock,
)

__all__ = [
    "MAX_TIER",
    "OPEN_STATUSES",
    "Action",
    "BusinessCalendar",
    "CaseSla",
    "CaseState",
    "SlaClock",
    "SlaPolicy",
    "SlaState",
    "SlaTargets",
    "Transition",
    "allowed_actions",
    "apply_action",
    "case_sla",
    "check_action",
    "csat_average",
    "default_policy",
    "first_response_time",
    "first_time_fix_rate",
    "required_inputs",
    "resolution_time",
    "sla_clock",
    "sla_met_rate",
    "statuses_for",
]
