"""A3: custom solutions (versions, immutability, ranges) and application records
(planned vs actual, out-of-range flags, deviation reasons, steps, outcome, review)."""

from __future__ import annotations

import pytest
from builders import make_refs, open_case
from sqlalchemy import select

from fieldsupport.errors import ValidationError
from fieldsupport.models import Measurement
from fieldsupport.models.enums import ApplicationOutcome, MeasurementPhase, SolutionStatus
from fieldsupport.services.applications import ApplicationService, parse_quantity
from fieldsupport.services.cases import CaseService
from fieldsupport.services.solutions import (
    ParameterSpec,
    SolutionDraft,
    SolutionService,
    StepSpec,
)
from fieldsupport.services.visits import VisitService
from fieldsupport.workspace import Workspace

DOSING = SolutionDraft(
    title="Dosing of SP-CAL-7 on line 2",
    target_process="Bottle washer, caustic stage",
    materials="SP-CAL-7, 25 kg",
    safety_notes="Goggles and gloves; caustic.",
    steps=[StepSpec("Flush the dosing line"), StepSpec("Set the dosing rate", "Pump menu 3")],
    parameters=[
        ParameterSpec("Dosing rate", "ml/min", target=12, min_value=10, max_value=14),
        ParameterSpec("Temperature", "°C", target=65, min_value=60, max_value=70),
    ],
)


@pytest.fixture
def refs(workspace: Workspace) -> dict[str, str]:
    return make_refs(workspace)


@pytest.fixture
def solutions(workspace: Workspace, refs: dict[str, str]) -> SolutionService:
    return SolutionService(workspace, user_id=refs["engineer"])


def _released(solutions: SolutionService, draft: SolutionDraft = DOSING) -> str:
    solution = solutions.create(draft)
    solutions.move(solution.id, "in_review")
    return solutions.move(solution.id, "released").id


def test_life_cycle_and_immutability_of_released_versions(solutions: SolutionService) -> None:
    draft = solutions.create(DOSING)
    assert draft.status is SolutionStatus.DRAFT and draft.version_number == 1
    assert [p.name for p in draft.parameters] == ["Dosing rate", "Temperature"]
    edited = solutions.update(draft.id, SolutionDraft(**{**DOSING.__dict__, "title": "Dosing v1"}))
    assert edited.title == "Dosing v1" and len(edited.steps) == 2
    with pytest.raises(ValidationError, match="cannot become released"):
        solutions.move(draft.id, "released")  # review first
    solutions.move(draft.id, "in_review")
    released = solutions.move(draft.id, "released")
    assert released.released_at is not None
    with pytest.raises(ValidationError, match="never changes. Make a new version"):
        solutions.update(draft.id, DOSING)
    with pytest.raises(ValidationError, match="make a new version instead"):
        solutions.move(draft.id, "draft")
    assert solutions.get(draft.id).title == "Dosing v1"  # nothing changed
    v2 = solutions.new_version(draft.id)
    assert (v2.version_number, v2.status, v2.family_id) == (
        2,
        SolutionStatus.DRAFT,
        draft.family_id,
    )
    changed = solutions.update(
        v2.id,
        SolutionDraft(
            **{**DOSING.__dict__, "parameters": [ParameterSpec("Dosing rate", "ml/min", 11, 9, 13)]}
        ),
    )
    assert [(p.target, p.min_value, p.max_value) for p in changed.parameters] == [(11, 9, 13)]
    # the released version keeps its own parameters
    assert len(solutions.get(draft.id).parameters) == 2
    solutions.move(draft.id, "retired")
    assert solutions.get(draft.id).status is SolutionStatus.RETIRED


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (ParameterSpec("Rate", "ml/min", 12, 14, 10), "minimum .14 ml/min. is greater than"),
        (ParameterSpec("Rate", "ml/min", 20, 10, 14), "target 20 ml/min is outside its own range"),
        (ParameterSpec("Rate", "ml/min", 5, 10, None), "outside its own range .at least 10"),
        (ParameterSpec("Rate", "", 12, 10, 14), "Unit of rate is required"),
        (ParameterSpec("Rate", "ml/min", float("nan")), "finite number"),
    ],
)
def test_bad_parameters_save_nothing(
    solutions: SolutionService, workspace: Workspace, spec: ParameterSpec, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        solutions.create(SolutionDraft(title="Broken", parameters=[spec]))
    from fieldsupport.models import CustomSolution

    with workspace.transaction() as s:
        assert s.scalars(select(CustomSolution)).all() == []


def test_duplicate_parameter_names(solutions: SolutionService) -> None:
    with pytest.raises(ValidationError, match="unique .twice: rate"):
        solutions.create(
            SolutionDraft(
                title="x", parameters=[ParameterSpec("Rate", "l"), ParameterSpec("rate", "l")]
            )
        )


def test_only_released_versions_go_to_cases(
    solutions: SolutionService, workspace: Workspace, refs: dict[str, str]
) -> None:
    case_id = open_case(CaseService(workspace), refs)
    draft = solutions.create(DOSING)
    with pytest.raises(ValidationError, match="Only a released version can be assigned"):
        solutions.assign_to_case(case_id, draft.id)
    released = _released(solutions)
    solutions.assign_to_case(case_id, released)
    solutions.assign_to_case(case_id, released)  # twice: still one assignment
    assert [s.id for s in solutions.for_case(case_id)] == [released]


def test_parse_quantity_units() -> None:
    assert parse_quantity("12,5", "ml/min", "Rate") == 12.5
    assert parse_quantity(" 12.5 ml / min ", "ml/min", "Rate") == 12.5
    assert parse_quantity("20 µS/cm", "μS/cm", "Conductivity") == 20
    with pytest.raises(ValidationError, match="measured in ml/min, but the value was given in l/h"):
        parse_quantity("0.7 l/h", "ml/min", "Rate")
    with pytest.raises(ValidationError, match="'fast' is not a number"):
        parse_quantity("fast", "ml/min", "Rate")


def test_application_record_end_to_end(
    solutions: SolutionService, workspace: Workspace, refs: dict[str, str]
) -> None:
    released = _released(solutions)
    case_id = open_case(CaseService(workspace), refs)
    visits = VisitService(workspace, user_id=refs["engineer"])
    visit = visits.plan_visit(case_id)
    visits.arrive(visit.id)
    apps = ApplicationService(workspace, user_id=refs["engineer"])
    record = apps.start(visit.id, released)
    assert [(p.name, p.planned_value, p.actual_value) for p in record.parameters] == [
        ("Dosing rate", 12, None),
        ("Temperature", 65, None),
    ]
    rate, temperature = (p.parameter_id for p in record.parameters)
    flagged = apps.record_value(record.id, rate, "15.5 ml/min")
    assert flagged.out_of_range and flagged.actual_value == 15.5  # flagged at once
    assert apps.record_value(record.id, temperature, 66).out_of_range is False
    with pytest.raises(ValidationError, match="given in l/h"):
        apps.record_value(record.id, rate, "0.9 l/h")
    step1, step2 = (s.step_id for s in record.steps)
    apps.record_step(record.id, step1, "done")
    with pytest.raises(ValidationError, match="was skipped: say why"):
        apps.record_step(record.id, step2, "skipped")
    with pytest.raises(
        ValidationError, match="Dosing rate is out of range .15.5.; give a deviation reason; step 2"
    ):
        apps.complete(record.id, "partially_successful")
    apps.record_value(record.id, rate, 15.5, "Line speed raised by the customer to 18,000 bph.")
    apps.record_step(record.id, step2, "skipped", "Rate already set by the customer.")
    assert (
        apps.add_process_measurement(record.id, "before", "Residue", 4.2, "g/m²", upper_limit=2)
        is False
    )
    apps.add_process_measurement(
        record.id, MeasurementPhase.AFTER, "Residue", 1.1, "g/m²", upper_limit=2
    )
    done = apps.complete(record.id, ApplicationOutcome.PARTIALLY_SUCCESSFUL, "Residue down 74 %.")
    assert done.completed and done.has_deviation and done.version_number == 1
    with pytest.raises(ValidationError, match="complete; its values can no longer change"):
        apps.record_value(record.id, rate, 12)
    with workspace.transaction() as s:
        phases = s.scalars(
            select(Measurement.phase).where(Measurement.application_record_id == record.id)
        ).all()
        measured = s.scalars(
            select(Measurement.id).where(Measurement.application_record_id == record.id)
        ).first()
    assert sorted(phases) == ["after", "before"]
    # the visit panel lists them too, but they follow the record: complete, they stay
    with pytest.raises(ValidationError, match="completed application record"):
        visits.remove_measurement(measured)

    # the advisor's review list: deviations first
    clean = apps.start(visit.id, released)
    for p in clean.parameters:
        apps.record_value(clean.id, p.parameter_id, p.planned_value)
    for s in clean.steps:
        apps.record_step(clean.id, s.step_id, "done")
    apps.complete(clean.id, "successful")
    assert [r.id for r in apps.for_review()] == [record.id, clean.id]
    reviewed = apps.review(record.id, "Accept; update the rate range in version 2.")
    assert reviewed.reviewed_at is not None
    assert [r.id for r in apps.for_review()] == [clean.id]


def test_applying_needs_a_released_version_and_an_open_visit(
    solutions: SolutionService, workspace: Workspace, refs: dict[str, str]
) -> None:
    case_id = open_case(CaseService(workspace), refs)
    visits = VisitService(workspace)
    visit = visits.plan_visit(case_id)
    apps = ApplicationService(workspace)
    draft = solutions.create(DOSING)
    with pytest.raises(ValidationError, match="Only a released version can be applied"):
        apps.start(visit.id, draft.id)
    released = _released(solutions)
    visits.arrive(visit.id)
    from datetime import timedelta

    arrived = visits.get_visit(visit.id).arrived_at
    assert arrived is not None
    visits.depart(visit.id, arrived + timedelta(hours=1))
    with pytest.raises(ValidationError, match="visit is finished"):
        apps.start(visit.id, released)


def test_records_keep_the_exact_version_they_applied(
    solutions: SolutionService, workspace: Workspace, refs: dict[str, str]
) -> None:
    v1 = _released(solutions)
    case_id = open_case(CaseService(workspace), refs)
    visits = VisitService(workspace, user_id=refs["engineer"])
    visit = visits.plan_visit(case_id)
    visits.arrive(visit.id)
    apps = ApplicationService(workspace, user_id=refs["engineer"])
    on_v1 = apps.start(visit.id, v1)
    # version 2 narrows the rate range and drops the temperature
    v2 = solutions.new_version(v1)
    narrower = [ParameterSpec("Dosing rate", "ml/min", 11, 10, 12)]
    solutions.update(v2.id, SolutionDraft(**{**DOSING.__dict__, "parameters": narrower}))
    solutions.move(v2.id, "in_review")
    solutions.move(v2.id, "released")
    solutions.move(v1, "retired")
    again = apps.get(on_v1.id)
    assert (again.solution_id, again.version_number) == (v1, 1)
    assert [(p.name, p.max_value) for p in again.parameters] == [
        ("Dosing rate", 14),
        ("Temperature", 70),
    ]
    # 13.5 is inside version 1's range, although outside version 2's
    rate = again.parameters[0].parameter_id
    assert apps.record_value(on_v1.id, rate, 13.5).out_of_range is False
    on_v2 = apps.start(visit.id, v2.id)
    assert (on_v2.version_number, [p.max_value for p in on_v2.parameters]) == (2, [12])
    with pytest.raises(ValidationError, match="Only a released version can be applied"):
        apps.start(visit.id, v1)  # retired


def test_a_refused_edit_keeps_the_draft_as_it_was(solutions: SolutionService) -> None:
    draft = solutions.create(DOSING)
    broken = SolutionDraft(
        **{
            **DOSING.__dict__,
            "title": "Renamed",
            "steps": [StepSpec("Only step")],
            "parameters": [ParameterSpec("Dosing rate", "ml/min", 12, 14, 10)],
        }
    )
    with pytest.raises(ValidationError, match="minimum .14 ml/min. is greater than the maximum"):
        solutions.update(draft.id, broken)
    kept = solutions.get(draft.id)
    assert kept.title == DOSING.title
    assert [s.title for s in kept.steps] == ["Flush the dosing line", "Set the dosing rate"]
    assert [(p.name, p.min_value, p.max_value) for p in kept.parameters] == [
        ("Dosing rate", 10, 14),
        ("Temperature", 60, 70),
    ]
