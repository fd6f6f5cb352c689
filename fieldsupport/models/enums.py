"""Domain vocabularies.

Plain ``StrEnum`` classes with no SQLAlchemy or Qt import, so the workflow rules, the services
and (later) the sync wire schemas share one spelling. The stored value is the enum's value.
"""

from __future__ import annotations

from enum import StrEnum


class AssistType(StrEnum):
    """The four assist types of the process model (seed 000)."""

    INQUIRY = "A1"
    CLAIM = "A2"
    CUSTOM_SOLUTION = "A3"
    ADVISORY = "A4"

    @property
    def label(self) -> str:
        return _ASSIST_LABELS[self]


_ASSIST_LABELS = {
    AssistType.INQUIRY: "A1 Inquiry",
    AssistType.CLAIM: "A2 Claim",
    AssistType.CUSTOM_SOLUTION: "A3 Custom solution",
    AssistType.ADVISORY: "A4 Advisory",
}


class CaseStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    RESPONDED = "responded"
    INVESTIGATING = "investigating"
    SOLUTION_PROPOSED = "solution_proposed"
    IMPLEMENTING = "implementing"
    AWAITING_VERIFICATION = "awaiting_verification"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Sort key: urgent first."""
        return list(Priority).index(self)


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MODERATE = "moderate"
    MINOR = "minor"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    PORTAL = "portal"
    SOCIAL = "social"
    ON_SITE = "on_site"


class CaseEventKind(StrEnum):
    """Kinds of entries in a case's append-only timeline."""

    NOTE = "note"
    CALL = "call"
    EMAIL = "email"
    STATUS_CHANGE = "status_change"
    ESCALATION = "escalation"
    ASSIGNMENT = "assignment"
    VISIT = "visit"
    SYSTEM = "system"


class UserRole(StrEnum):
    ENGINEER = "engineer"
    ADVISOR = "advisor"
    BACK_OFFICE = "back_office"
    ADMIN = "admin"


class VisitStatus(StrEnum):
    PLANNED = "planned"
    TRAVELLING = "travelling"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TimeEntryKind(StrEnum):
    TRAVEL = "travel"
    WORK = "work"
    WAITING = "waiting"
    TRAINING = "training"


class MeasurementPhase(StrEnum):
    BEFORE = "before"
    DURING = "during"
    AFTER = "after"


class SolutionStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    RELEASED = "released"
    RETIRED = "retired"


class ApplicationOutcome(StrEnum):
    SUCCESSFUL = "successful"
    PARTIALLY_SUCCESSFUL = "partially_successful"
    NOT_SUCCESSFUL = "not_successful"


class StepResultState(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"


class AssessmentResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_ASSESSED = "not_assessed"


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ClaimType(StrEnum):
    REFUND = "refund"
    RETURN = "return"
    REPLACEMENT = "replacement"
    REPAIR = "repair"


class ClaimStatus(StrEnum):
    OPEN = "open"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class ClaimDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class CampaignReason(StrEnum):
    QUALITY_ISSUE = "quality_issue"
    RECALL_ADVICE = "recall_advice"


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class RecallRequiredAction(StrEnum):
    NOTIFY = "notify"
    RECALL = "recall"
    REPAIR = "repair"
    REPLACE = "replace"


class RecallActionTaken(StrEnum):
    NOTIFIED = "notified"
    REPAIRED = "repaired"
    REPLACED = "replaced"
    RECALLED = "recalled"
    NOT_REACHABLE = "not_reachable"


class RecallActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class ReportStatus(StrEnum):
    DRAFT = "draft"
    FINAL = "final"
    SIGNED = "signed"


class ReportDecisionKind(StrEnum):
    """The back office's decision on a submitted service report revision."""

    ACCEPTED = "accepted"  # imported: goes to the ERP export
    RETURNED = "returned"  # sent back with a reason: the engineer reports again


class BeforeAfter(StrEnum):
    """Role of a photo in a before/after pair."""

    BEFORE = "before"
    AFTER = "after"
