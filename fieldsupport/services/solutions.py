"""A3 custom solutions (technical advisor): author, review, release, retire, new versions,
and assign released versions to cases so engineers have them offline.

A released version is immutable: its steps and parameters are what application records point
to. Changing it means a new version (same ``family_id``, next ``version_number``)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldsupport.errors import ValidationError
from fieldsupport.models import (
    Case,
    CaseSolution,
    CustomSolution,
    Product,
    SolutionParameter,
    SolutionStep,
    utcnow,
)
from fieldsupport.models.enums import SolutionStatus
from fieldsupport.services.records import get_live
from fieldsupport.services.solution_files import (
    SolutionFileView,
    carry_over,
    file_view,
    files_of,
)
from fieldsupport.services.validation import (
    NAME_LEN,
    SHORT_LEN,
    optional_text,
    require_text,
)
from fieldsupport.workspace import Workspace

EDITABLE = (SolutionStatus.DRAFT, SolutionStatus.IN_REVIEW)
# status -> statuses it may move to (new versions are made with new_version instead)
LIFECYCLE = {
    SolutionStatus.DRAFT: (SolutionStatus.IN_REVIEW,),
    SolutionStatus.IN_REVIEW: (SolutionStatus.DRAFT, SolutionStatus.RELEASED),
    SolutionStatus.RELEASED: (SolutionStatus.RETIRED,),
    SolutionStatus.RETIRED: (),
}


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    unit: str
    target: float | None = None
    min_value: float | None = None
    max_value: float | None = None


@dataclass(frozen=True)
class StepSpec:
    title: str
    instructions: str | None = None
    photo_sha256: str | None = None


@dataclass(frozen=True)
class SolutionDraft:
    title: str
    product_id: str | None = None
    target_process: str | None = None
    description: str | None = None
    materials: str | None = None
    safety_notes: str | None = None
    steps: Sequence[StepSpec] = field(default=())
    parameters: Sequence[ParameterSpec] = field(default=())


@dataclass(frozen=True)
class ParameterView:
    id: str
    position: int
    name: str
    unit: str | None
    target: float | None
    min_value: float | None
    max_value: float | None


@dataclass(frozen=True)
class StepView:
    id: str
    position: int
    title: str
    instructions: str | None
    photo_sha256: str | None


@dataclass(frozen=True)
class SolutionView:
    id: str
    family_id: str
    version_number: int
    title: str
    status: SolutionStatus
    product_id: str | None
    product: str | None
    target_process: str | None
    description: str | None
    materials: str | None
    safety_notes: str | None
    released_at: datetime | None
    steps: tuple[StepView, ...]
    parameters: tuple[ParameterView, ...]
    # data sheets, drawings, spreadsheets... (services.solution_files)
    files: tuple[SolutionFileView, ...] = ()

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


def _number(value: float | None, label: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ValidationError(f"{label} must be a finite number.", field=label)
    return float(value)


def check_parameter(spec: ParameterSpec) -> ParameterSpec:
    """A parameter's range must make sense: min <= max, target inside it, a unit given."""
    name = require_text(spec.name, "parameter name")
    unit = require_text(spec.unit, f"unit of {name}", max_len=SHORT_LEN)
    low = _number(spec.min_value, f"{name}: minimum")
    high = _number(spec.max_value, f"{name}: maximum")
    target = _number(spec.target, f"{name}: target")
    if low is not None and high is not None and low > high:
        raise ValidationError(
            f"{name}: the minimum ({low:g} {unit}) is greater than the maximum ({high:g} {unit}).",
            field="min_value",
        )
    if target is not None and (
        (low is not None and target < low) or (high is not None and target > high)
    ):
        raise ValidationError(
            f"{name}: the target {target:g} {unit} is outside its own range "
            f"({_range_text(low, high, unit)}).",
            field="target",
        )
    return ParameterSpec(name, unit, target, low, high)


def _words(status: SolutionStatus) -> str:
    return status.value.replace("_", " ")


def _range_text(low: float | None, high: float | None, unit: str | None) -> str:
    unit = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"{low:g}–{high:g}{unit}"
    if low is not None:
        return f"at least {low:g}{unit}"
    if high is not None:
        return f"at most {high:g}{unit}"
    return "no limits"


class SolutionService:
    def __init__(self, workspace: Workspace, *, user_id: str | None = None) -> None:
        self.workspace = workspace
        self.user_id = user_id

    # -- authoring --------------------------------------------------------------------------
    def create(self, draft: SolutionDraft) -> SolutionView:
        """A new solution (version 1, draft)."""
        return self._save_new(draft, family_id=str(uuid.uuid4()), version_number=1)

    def update(self, solution_id: str, draft: SolutionDraft) -> SolutionView:
        """Replace a draft's content. Released or retired versions cannot be edited."""
        checked = _check_draft(draft)
        with self.workspace.transaction() as session:
            solution = self._editable(session, solution_id)
            _apply(session, solution, checked)
            session.flush()
            return _view(session, solution)

    def new_version(self, solution_id: str) -> SolutionView:
        """A new draft version copied from ``solution_id`` (usually the released one), with
        its attached files (the same blobs)."""
        with self.workspace.transaction() as session:
            source = get_live(session, CustomSolution, solution_id, "custom solution")
            latest = session.scalar(
                select(func.max(CustomSolution.version_number)).where(
                    CustomSolution.family_id == source.family_id
                )
            )
            draft = SolutionDraft(
                title=source.title,
                product_id=source.product_id,
                target_process=source.target_process,
                description=source.description,
                materials=source.materials,
                safety_notes=source.safety_notes,
                steps=[StepSpec(s.title, s.instructions, s.photo_sha256) for s in _steps(source)],
                parameters=[
                    ParameterSpec(p.name, p.unit or "", p.target, p.min_value, p.max_value)
                    for p in _parameters(source)
                ],
            )
            family = source.family_id
        return self._save_new(
            draft, family_id=family, version_number=int(latest or 0) + 1, files_from=source.id
        )

    def _save_new(
        self,
        draft: SolutionDraft,
        *,
        family_id: str,
        version_number: int,
        files_from: str | None = None,
    ) -> SolutionView:
        checked = _check_draft(draft)
        with self.workspace.transaction() as session:
            solution = CustomSolution(
                family_id=family_id,
                version_number=version_number,
                title=checked.title,
                status=SolutionStatus.DRAFT,
                author_id=self.user_id,
            )
            session.add(solution)
            session.flush()
            _apply(session, solution, checked)
            if files_from is not None:
                carry_over(session, files_from, solution.id)
            session.flush()
            return _view(session, solution)

    # -- life cycle -------------------------------------------------------------------------
    def move(self, solution_id: str, status: SolutionStatus | str) -> SolutionView:
        target = SolutionStatus(status)
        with self.workspace.transaction() as session:
            solution = get_live(session, CustomSolution, solution_id, "custom solution")
            if target not in LIFECYCLE[solution.status]:
                now, wanted = _words(solution.status), _words(target)
                hint = ""
                if solution.status is SolutionStatus.RELEASED:
                    hint = " A released version never changes: make a new version instead."
                raise ValidationError(
                    f"Version {solution.version_number} is {now}; it cannot become {wanted}.{hint}"
                )
            if target is SolutionStatus.RELEASED:
                if not _steps(solution):
                    raise ValidationError(
                        "A solution needs at least one procedure step to be released."
                    )
                solution.released_at = utcnow()
                solution.released_by_id = self.user_id
            solution.status = target
            session.flush()
            return _view(session, solution)

    # -- cases ------------------------------------------------------------------------------
    def assign_to_case(self, case_id: str, solution_id: str) -> None:
        """Give a case a released solution version (engineers then have it offline)."""
        with self.workspace.transaction() as session:
            case = get_live(session, Case, case_id, "case")
            solution = get_live(session, CustomSolution, solution_id, "custom solution")
            if solution.status is not SolutionStatus.RELEASED:
                raise ValidationError(
                    f"Only a released version can be assigned; version {solution.version_number} "
                    f"of {solution.title!r} is {solution.status.value.replace('_', ' ')}."
                )
            exists = session.scalar(
                select(CaseSolution).where(
                    CaseSolution.case_id == case.id, CaseSolution.solution_id == solution.id
                )
            )
            if exists is not None:
                exists.deleted_at = None
                return
            session.add(
                CaseSolution(
                    case_id=case.id,
                    solution_id=solution.id,
                    assigned_by_id=self.user_id,
                    assigned_at=utcnow(),
                )
            )

    def for_case(self, case_id: str) -> list[SolutionView]:
        with self.workspace.transaction() as session:
            solutions = session.scalars(
                select(CustomSolution)
                .join(CaseSolution, CaseSolution.solution_id == CustomSolution.id)
                .where(CaseSolution.case_id == case_id, CaseSolution.deleted_at.is_(None))
                .order_by(CustomSolution.title)
            ).all()
            return [_view(session, s) for s in solutions]

    def get(self, solution_id: str) -> SolutionView:
        with self.workspace.transaction() as session:
            return _view(session, get_live(session, CustomSolution, solution_id, "custom solution"))

    @staticmethod
    def _editable(session: Session, solution_id: str) -> CustomSolution:
        solution = get_live(session, CustomSolution, solution_id, "custom solution")
        if solution.status not in EDITABLE:
            raise ValidationError(
                f"Version {solution.version_number} of {solution.title!r} is "
                f"{solution.status.value}; a {solution.status.value} version never changes. "
                "Make a new version to change it."
            )
        return solution


def _check_draft(draft: SolutionDraft) -> SolutionDraft:
    parameters = [check_parameter(p) for p in draft.parameters]
    names = [p.name.lower() for p in parameters]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(f"Parameter names must be unique (twice: {', '.join(duplicates)}).")
    steps = [
        StepSpec(
            require_text(s.title, f"title of step {i}"),
            optional_text(s.instructions, f"instructions of step {i}"),
            s.photo_sha256,
        )
        for i, s in enumerate(draft.steps, start=1)
    ]
    return SolutionDraft(
        title=require_text(draft.title, "title", max_len=NAME_LEN),
        product_id=draft.product_id,
        target_process=optional_text(draft.target_process, "target process", max_len=NAME_LEN),
        description=optional_text(draft.description, "description"),
        materials=optional_text(draft.materials, "materials"),
        safety_notes=optional_text(draft.safety_notes, "safety notes"),
        steps=steps,
        parameters=parameters,
    )


def _apply(session: Session, solution: CustomSolution, draft: SolutionDraft) -> None:
    if draft.product_id is not None:
        get_live(session, Product, draft.product_id, "product")
    solution.title = draft.title
    solution.product_id = draft.product_id
    solution.target_process = draft.target_process
    solution.description = draft.description
    solution.materials = draft.materials
    solution.safety_notes = draft.safety_notes
    now = utcnow()
    # old rows are tombstoned (they sync as deletions) and the new ones take positions 1..n,
    # so the old ones move to unused negative positions first: (solution, position) is unique
    for rows in (solution.steps, solution.parameters):
        lowest = min([0, *(r.position for r in rows)])
        for old in rows:
            if old.deleted_at is None:
                lowest -= 1
                old.deleted_at = now
                old.position = lowest
    session.flush()
    for position, step in enumerate(draft.steps, start=1):
        session.add(
            SolutionStep(
                solution_id=solution.id,
                position=position,
                title=step.title,
                instructions=step.instructions,
                photo_sha256=step.photo_sha256,
            )
        )
    for position, p in enumerate(draft.parameters, start=1):
        session.add(
            SolutionParameter(
                solution_id=solution.id,
                position=position,
                name=p.name,
                unit=p.unit,
                target=p.target,
                min_value=p.min_value,
                max_value=p.max_value,
            )
        )
    session.flush()
    session.expire(solution, ["steps", "parameters"])


def _steps(solution: CustomSolution) -> list[SolutionStep]:
    return [s for s in solution.steps if s.deleted_at is None]


def _parameters(solution: CustomSolution) -> list[SolutionParameter]:
    return [p for p in solution.parameters if p.deleted_at is None]


def _view(session: Session, solution: CustomSolution) -> SolutionView:
    product = session.get(Product, solution.product_id) if solution.product_id else None
    return SolutionView(
        id=solution.id,
        family_id=solution.family_id,
        version_number=solution.version_number,
        title=solution.title,
        status=solution.status,
        product_id=solution.product_id,
        product=product.name if product else None,
        target_process=solution.target_process,
        description=solution.description,
        materials=solution.materials,
        safety_notes=solution.safety_notes,
        released_at=solution.released_at,
        steps=tuple(
            StepView(s.id, s.position, s.title, s.instructions, s.photo_sha256)
            for s in sorted(_steps(solution), key=lambda s: s.position)
        ),
        parameters=tuple(
            ParameterView(p.id, p.position, p.name, p.unit, p.target, p.min_value, p.max_value)
            for p in sorted(_parameters(solution), key=lambda p: p.position)
        ),
        files=tuple(file_view(row) for row in files_of(session, solution.id)),
    )
