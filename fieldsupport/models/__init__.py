"""The domain model: SQLAlchemy 2 typed tables, no Qt.

Importing this package registers every table on :data:`Base.metadata`.
"""

from __future__ import annotations

from fieldsupport.models.base import AppendOnly, Base, SyncMixin, utcnow
from fieldsupport.models.cases import Case, CaseEvent
from fieldsupport.models.claims import (
    Claim,
    ClaimItem,
    RecallAction,
    RecallCampaign,
    RecallCampaignScope,
)
from fieldsupport.models.knowledge import KnowledgeArticle, KnowledgeArticleProduct
from fieldsupport.models.media import Attachment, Blob, Signature
from fieldsupport.models.parties import Asset, Contact, Customer, Product, Site, User
from fieldsupport.models.reports import ReportDecision, ServiceReport
from fieldsupport.models.settings import Setting
from fieldsupport.models.solutions import (
    ApplicationParameterValue,
    ApplicationRecord,
    ApplicationStepResult,
    CaseSolution,
    CustomSolution,
    SolutionParameter,
    SolutionStep,
)
from fieldsupport.models.sync import OutboxOp, SyncConflict
from fieldsupport.models.training import TrainingAttendee, TrainingSession
from fieldsupport.models.visits import Measurement, PartUsed, TimeEntry, Visit

__all__ = [
    "AppendOnly",
    "ApplicationParameterValue",
    "ApplicationRecord",
    "ApplicationStepResult",
    "Asset",
    "Attachment",
    "Base",
    "Blob",
    "Case",
    "CaseEvent",
    "CaseSolution",
    "Claim",
    "ClaimItem",
    "Contact",
    "CustomSolution",
    "Customer",
    "KnowledgeArticle",
    "KnowledgeArticleProduct",
    "Measurement",
    "OutboxOp",
    "PartUsed",
    "Product",
    "RecallAction",
    "RecallCampaign",
    "RecallCampaignScope",
    "ReportDecision",
    "ServiceReport",
    "Setting",
    "Signature",
    "Site",
    "SolutionParameter",
    "SolutionStep",
    "SyncConflict",
    "SyncMixin",
    "TimeEntry",
    "TrainingAttendee",
    "TrainingSession",
    "User",
    "Visit",
    "utcnow",
]
