"""The back office's desk in the app: the central server's report inbox, decisions, the
report files for review, the ERP export, claims awaiting a decision and recall campaign
progress across all engineers.

Inbox, decisions and export talk to the central server (every call opens its own connection,
so the app runs each in a worker). Claims and campaigns are read from this workspace: a
back-office account pulls every engineer's records, and decisions on claims are ordinary
changes that sync back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldsupport.media.blobstore import BlobStore
from fieldsupport.reports.export import ExportResult, export_reports, read_document
from fieldsupport.services.claims import AwaitingClaim, ClaimService
from fieldsupport.services.recalls import CampaignProgress, CampaignView, RecallService
from fieldsupport.sync.backoffice import (
    BackOfficeClient,
    Decision,
    HttpExportSource,
    Inbox,
    InboxRow,
)
from fieldsupport.sync.blobs import BlobTransfer
from fieldsupport.sync.session import open_transport
from fieldsupport.sync.transport import Transport
from fieldsupport.tasks import TaskState
from fieldsupport.workspace import Workspace

BACK_OFFICE_ROLES = ("back_office", "admin")
# the folder of the last export from this workspace: its ledger is what makes "exported once"
# hold, so the app offers it again and warns before a folder without a ledger
EXPORT_FOLDER_SETTING = "backoffice.export_folder"


def may_use_back_office(role: str | None) -> bool:
    """Whether a sync account with this role may use the back-office desk."""
    return role in BACK_OFFICE_ROLES


@dataclass(frozen=True)
class ReportFiles:
    """A report's files fetched from the server into this workspace, checked by hash."""

    pdf_path: Path | None
    document: dict[str, Any] | None
    problems: tuple[str, ...]


@dataclass(frozen=True)
class CampaignRow:
    campaign: CampaignView
    progress: CampaignProgress


class BackOfficeService:
    def __init__(
        self,
        workspace: Workspace,
        *,
        user_id: str | None = None,
        connect: Callable[[], Transport] | None = None,
    ) -> None:
        self.workspace = workspace
        self.claims = ClaimService(workspace, user_id=user_id)
        self.recalls = RecallService(workspace, user_id=user_id)
        self._connect = connect or (lambda: open_transport(workspace))
        self.store = BlobStore(workspace.blobs_dir)

    @contextmanager
    def _transport(self) -> Iterator[Transport]:
        transport = self._connect()
        try:
            yield transport
        finally:
            transport.close()

    # -- reports (central server) -----------------------------------------------------------
    def inbox(self, state: str = "pending") -> Inbox:
        with self._transport() as transport:
            return BackOfficeClient(transport).inbox(state)

    def decide(self, report_id: str, decision: str, reason: str | None = None) -> Decision:
        with self._transport() as transport:
            return BackOfficeClient(transport).decide(report_id, decision, reason)

    def fetch_files(self, row: InboxRow, task: TaskState | None = None) -> ReportFiles:
        """The PDF and the structured data of an inbox row, downloaded (resumable, verified
        by SHA-256) into this workspace's blob store unless already there."""
        task = task or TaskState()
        problems: list[str] = []
        with self._transport() as transport:
            transfer = BlobTransfer(transport, self.store, task, lambda _p: None, 4 * 1024 * 1024)
            for sha, what in ((row.pdf_sha256, "PDF"), (row.data_sha256, "structured data")):
                if sha and not self.store.has(sha) and not transfer.download(sha):
                    problems.append(f"The {what} is not on the server.")
        pdf = self.store.original_path(row.pdf_sha256) if row.pdf_sha256 else None
        document = None
        if row.data_sha256 and self.store.has(row.data_sha256):
            document = read_document(self.store.original_path(row.data_sha256))
            if document is None:
                problems.append("The structured data is not a readable report document.")
        return ReportFiles(
            pdf if pdf is not None and pdf.is_file() else None, document, tuple(problems)
        )

    def export(self, out_dir: Path, task: TaskState | None = None) -> ExportResult:
        """The same export as ``fieldsupport-central export``, through the server's API.
        The folder is remembered (:meth:`last_export_folder`) once an export into it ran."""
        with self._transport() as transport:
            result = export_reports(HttpExportSource(transport), out_dir, task=task)
        self.workspace.set_setting(EXPORT_FOLDER_SETTING, str(Path(out_dir).absolute()))
        return result

    def last_export_folder(self) -> Path | None:
        """Where this workspace last exported to (None: never)."""
        value = self.workspace.get_setting(EXPORT_FOLDER_SETTING)
        return Path(value) if isinstance(value, str) and value else None

    # -- claims and recalls (this workspace) ------------------------------------------------
    def claims_awaiting(self) -> list[AwaitingClaim]:
        return self.claims.awaiting_decision()

    def decide_claim(
        self, claim_id: str, decision: str, reason: str, remedy: str | None = None
    ) -> None:
        self.claims.decide(claim_id, decision, reason, remedy=remedy)

    def campaigns(self) -> list[CampaignRow]:
        return [
            CampaignRow(campaign, self.recalls.progress(campaign.id))
            for campaign in self.recalls.campaigns()
        ]
