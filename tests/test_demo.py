"""Demo workspace: deterministic, varied, complete, and all-or-nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from fieldsupport.demo import cases as demo_cases
from fieldsupport.demo.generator import create_demo
from fieldsupport.errors import StorageFullError, WorkspaceError
from fieldsupport.models import (
    ApplicationParameterValue,
    ApplicationRecord,
    Case,
    CaseEvent,
    Claim,
    CustomSolution,
    KnowledgeArticle,
    Measurement,
    RecallAction,
    TrainingAttendee,
    Visit,
)
from fieldsupport.models.enums import AssistType, CaseStatus, SolutionStatus
from fieldsupport.services.cases import state_of
from fieldsupport.tasks import Cancelled, TaskState
from fieldsupport.workflow import statuses_for
from fieldsupport.workspace import Workspace
from tests.conftest import FIXED_REFERENCE
from tests.fs_helpers import tmpfs

REFERENCE = datetime.fromisoformat(FIXED_REFERENCE)


def _count(ws: Workspace, model: type) -> int:
    with ws.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_demo_is_rich_and_consistent(workspace: Workspace) -> None:
    summary = create_demo(workspace, cases=400, reference=REFERENCE)
    assert summary.cases == _count(workspace, Case) == 400
    assert summary.events == _count(workspace, CaseEvent)
    with workspace.transaction() as s:
        types = dict(
            s.execute(select(Case.assist_type, func.count()).group_by(Case.assist_type)).all()
        )
        statuses = {row[0] for row in s.execute(select(Case.status).distinct())}
        assert set(types) == set(AssistType)
        assert {
            CaseStatus.NEW,
            CaseStatus.ASSIGNED,
            CaseStatus.INVESTIGATING,
            CaseStatus.RESOLVED,
            CaseStatus.CLOSED,
        } <= statuses
        assert len(statuses) >= 8
        for case in s.scalars(select(Case)):
            assert case.status in statuses_for(case.assist_type)
            state = state_of(case)
            if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
                assert case.resolution and case.resolved_at
            if case.status is CaseStatus.CLOSED:
                assert case.customer_verified or case.close_reason
            assert state.tier == case.support_tier
            assert case.opened_at <= REFERENCE
        assert s.scalar(select(func.count()).select_from(Visit)) > 20
        assert s.scalar(select(func.count()).select_from(Measurement)) > 60
        released = s.scalars(
            select(CustomSolution).where(CustomSolution.status == SolutionStatus.RELEASED)
        ).all()
        assert len(released) == 1 and len(released[0].parameters) == 3
        record = s.scalars(select(ApplicationRecord)).one()
        assert record.solution_id == released[0].id and record.has_deviation
        deviations = s.scalars(
            select(ApplicationParameterValue).where(ApplicationParameterValue.out_of_range)
        ).all()
        assert len(deviations) == 1 and deviations[0].deviation_reason
        assert s.scalar(select(func.count()).select_from(TrainingAttendee)) >= 3
        assert s.scalar(select(func.count()).select_from(KnowledgeArticle)) == 4
        (claim,) = s.scalars(select(Claim)).all()
        claim_case = s.get(Case, claim.case_id)
        assert claim_case is not None and claim_case.status not in (
            CaseStatus.RESOLVED,
            CaseStatus.CLOSED,
        )  # a claim under review on a case still being worked on
        assert s.scalar(select(func.count()).select_from(RecallAction)) >= 1
    assert workspace.get_setting("current_user_id")


def _fingerprint(ws: Workspace) -> list[tuple[object, ...]]:
    with ws.transaction() as s:
        return [
            tuple(r)
            for r in s.execute(
                select(
                    Case.id,
                    Case.case_number,
                    Case.status,
                    Case.title,
                    Case.opened_at,
                    Case.resolution_due,
                ).order_by(Case.case_number)
            )
        ]


def test_same_seed_same_data(tmp_path: Path) -> None:
    prints = []
    for name in ("a", "b"):
        with Workspace.open(tmp_path / name) as ws:
            ws.set_setting("device_code", "DEMO")
            create_demo(ws, cases=150, seed=7, reference=REFERENCE)
            prints.append(_fingerprint(ws))
    assert prints[0] == prints[1] and len(prints[0]) == 150
    with Workspace.open(tmp_path / "c") as ws:
        ws.set_setting("device_code", "DEMO")
        create_demo(ws, cases=150, seed=8, reference=REFERENCE)
        assert _fingerprint(ws) != prints[0]


def test_refuses_a_workspace_with_cases(workspace: Workspace) -> None:
    create_demo(workspace, cases=5, reference=REFERENCE)
    with pytest.raises(WorkspaceError, match="already has cases"):
        create_demo(workspace, cases=5, reference=REFERENCE)
    assert _count(workspace, Case) == 5


def test_cancel_leaves_nothing(workspace: Workspace) -> None:
    seen: list[float] = []
    task = TaskState()

    def on_progress(fraction: float, _message: str) -> None:
        seen.append(fraction)
        if fraction > 0.3:
            task.cancel()

    task._on_progress = on_progress
    with pytest.raises(Cancelled):
        create_demo(workspace, cases=6_000, reference=REFERENCE, task=task)
    assert seen and max(seen) < 1.0
    assert _count(workspace, Case) == 0 and _count(workspace, CaseEvent) == 0


def test_full_database_leaves_nothing(workspace: Workspace) -> None:
    """SQLite's own size limit stands in for a full disk inside the file."""

    @event.listens_for(workspace.engine, "connect")
    def _limit(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute("PRAGMA max_page_count=400")  # type: ignore[attr-defined]

    workspace.engine.dispose()
    with pytest.raises(StorageFullError, match="full, so nothing of this change was saved"):
        create_demo(workspace, cases=5_000, reference=REFERENCE)
    event.remove(workspace.engine, "connect", _limit)
    workspace.engine.dispose()
    assert _count(workspace, Case) == 0


def test_full_disk_leaves_nothing(tmp_path: Path) -> None:
    """A real file system that fills up while the demo is written."""
    with tmpfs(tmp_path / "disk", size="3m") as mount:
        with Workspace.open(mount / "ws") as ws, pytest.raises(StorageFullError):
            create_demo(ws, cases=20_000, reference=REFERENCE)
        with Workspace.open(mount / "ws", read_only=True) as ws:
            assert _count(ws, Case) == 0


def test_zero_cases_still_makes_reference_data(workspace: Workspace) -> None:
    create_demo(workspace, cases=0, reference=REFERENCE)
    assert _count(workspace, Case) == 0
    assert _count(workspace, KnowledgeArticle) == 4


def test_worker_processes_make_the_same_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large demos are generated by worker processes; the data must not depend on that."""
    prints = []
    for name, threshold in (("inline", 10**9), ("workers", 0)):
        monkeypatch.setattr(demo_cases, "WORKER_THRESHOLD", threshold)
        with Workspace.open(tmp_path / name) as ws:
            ws.set_setting("device_code", "DEMO")
            summary = create_demo(ws, cases=demo_cases.CHUNK * 2 + 17, reference=REFERENCE)
            prints.append((_fingerprint(ws), summary.events, summary.measurements))
    assert prints[0] == prints[1]
    assert len(prints[0][0]) == demo_cases.CHUNK * 2 + 17
