"""One of everything the bulk generator does not make: a custom solution with an application
record, a training session, knowledge articles, a claim and a recall campaign. Small and
made through the ORM, after the bulk cases exist (it attaches to some of them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldsupport.demo import recipe
from fieldsupport.models import (
    ApplicationParameterValue,
    ApplicationRecord,
    ApplicationStepResult,
    Asset,
    Case,
    CaseSolution,
    Claim,
    ClaimItem,
    Contact,
    Customer,
    CustomSolution,
    KnowledgeArticle,
    KnowledgeArticleProduct,
    Measurement,
    Product,
    RecallAction,
    RecallCampaign,
    RecallCampaignScope,
    SolutionParameter,
    SolutionStep,
    TrainingAttendee,
    TrainingSession,
    User,
    Visit,
)
from fieldsupport.models.enums import (
    ApplicationOutcome,
    ArticleStatus,
    AssessmentResult,
    AssistType,
    CampaignReason,
    CaseStatus,
    ClaimStatus,
    ClaimType,
    MeasurementPhase,
    RecallActionStatus,
    RecallActionTaken,
    RecallRequiredAction,
    SolutionStatus,
    StepResultState,
    UserRole,
    VisitStatus,
)

# (name, unit, target, min, max, actual offset) — the third parameter deviates on purpose
SOLUTION_PARAMETERS = [
    ("Flocculant dose", "ppm", 4.0, 3.0, 5.0, 0.2),
    ("Dosing pump stroke", "%", 60.0, 50.0, 70.0, -3.0),
    ("Mixing time", "min", 10.0, 8.0, 12.0, 4.5),
]
SOLUTION_STEPS = [
    ("Safety briefing", "Review the safety data sheet of AquaFloc 55 with the shift leader."),
    ("Baseline measurement", "Measure turbidity and flow at the clarifier inlet and outlet."),
    ("Set dosing", "Set the DosePro 400 stroke and frequency to the planned dose."),
    ("Observe", "Observe floc formation for 30 minutes; adjust within the target range."),
    ("Final measurement", "Measure turbidity at the outlet; record the outcome."),
]


def add_rich_records(
    session: Session,
    new_id: Callable[[], str],
    reference: datetime,
    current_user: str,
) -> None:
    products = {p.code: p for p in session.scalars(select(Product))}
    advisor = session.scalar(select(User).where(User.role == UserRole.ADVISOR))
    assert advisor is not None
    _knowledge(session, new_id, products, advisor.id)
    solution = _custom_solution(session, new_id, products, advisor.id, reference)
    _application_record(session, new_id, solution, advisor.id)
    _training(session, new_id, reference, current_user)
    _claim(session, new_id, products)
    _recall_campaign(session, new_id, products, reference, current_user)


def _knowledge(
    session: Session, new_id: Callable[[], str], products: dict[str, Product], author: str
) -> None:
    for title, body, tags in recipe.KNOWLEDGE_ARTICLES:
        article = KnowledgeArticle(
            id=new_id(),
            title=title,
            body=body,
            tags=tags,
            status=ArticleStatus.PUBLISHED,
            author_id=author,
        )
        session.add(article)
        code = "DP-200" if "pump" in tags else "PH-S3" if "ph" in tags else "AQ-FLOC-55"
        session.add(
            KnowledgeArticleProduct(
                id=new_id(), article_id=article.id, product_id=products[code].id
            )
        )


def _custom_solution(
    session: Session,
    new_id: Callable[[], str],
    products: dict[str, Product],
    advisor: str,
    reference: datetime,
) -> CustomSolution:
    family = new_id()
    released = None
    for version, status in ((1, SolutionStatus.RELEASED), (2, SolutionStatus.DRAFT)):
        solution = CustomSolution(
            id=new_id(),
            family_id=family,
            version_number=version,
            title="Clarifier optimisation with AquaFloc 55",
            product_id=products["AQ-FLOC-55"].id,
            target_process="Primary clarifier, municipal water treatment",
            description="Reduce outlet turbidity below 1 NTU while lowering flocculant use.",
            status=status,
            materials="AquaFloc 55 (25 kg), DosePro 400, turbidity meter",
            safety_notes="Irritant: gloves and goggles. Spills are slippery: use absorbent.",
            author_id=advisor,
            released_at=reference - timedelta(days=30)
            if status is SolutionStatus.RELEASED
            else None,
            released_by_id=advisor if status is SolutionStatus.RELEASED else None,
        )
        session.add(solution)
        for position, (title, text) in enumerate(SOLUTION_STEPS, start=1):
            session.add(
                SolutionStep(
                    id=new_id(),
                    solution_id=solution.id,
                    position=position,
                    title=title,
                    instructions=text,
                )
            )
        for position, (name, unit, target, low, high, _off) in enumerate(SOLUTION_PARAMETERS, 1):
            session.add(
                SolutionParameter(
                    id=new_id(),
                    solution_id=solution.id,
                    position=position,
                    name=name,
                    unit=unit,
                    target=target,
                    min_value=low,
                    max_value=high,
                )
            )
        if status is SolutionStatus.RELEASED:
            released = solution
    session.flush()
    assert released is not None
    return released


def _application_record(
    session: Session,
    new_id: Callable[[], str],
    solution: CustomSolution,
    advisor: str,
) -> None:
    visit = session.scalar(
        select(Visit)
        .join(Case, Case.id == Visit.case_id)
        .where(
            Case.assist_type == AssistType.CUSTOM_SOLUTION, Visit.status == VisitStatus.COMPLETED
        )
        .order_by(Visit.departed_at.desc())
        .limit(1)
    )
    if visit is None or visit.arrived_at is None:
        return
    session.add(
        CaseSolution(
            id=new_id(),
            case_id=visit.case_id,
            solution_id=solution.id,
            assigned_by_id=advisor,
            assigned_at=visit.arrived_at - timedelta(days=2),
        )
    )
    record = ApplicationRecord(
        id=new_id(),
        case_id=visit.case_id,
        visit_id=visit.id,
        solution_id=solution.id,
        applied_at=visit.arrived_at + timedelta(minutes=30),
        engineer_id=visit.engineer_id,
        outcome=ApplicationOutcome.PARTIALLY_SUCCESSFUL,
        has_deviation=True,
        outcome_notes="Turbidity down from 2.8 to 1.2 NTU; mixing time had to be extended.",
    )
    session.add(record)
    session.flush()
    for parameter in solution.parameters:
        offset = next(p[5] for p in SOLUTION_PARAMETERS if p[0] == parameter.name)
        actual = (parameter.target or 0) + offset
        out = not (parameter.min_value or 0) <= actual <= (parameter.max_value or 0)
        session.add(
            ApplicationParameterValue(
                id=new_id(),
                application_record_id=record.id,
                parameter_id=parameter.id,
                planned_value=parameter.target,
                actual_value=actual,
                out_of_range=out,
                deviation_reason="Flocs too small at 10 min; extended mixing on the operator's "
                "request."
                if out
                else None,
            )
        )
    for step in solution.steps:
        skipped = step.position == 4  # observation step cut short: the shift ended
        session.add(
            ApplicationStepResult(
                id=new_id(),
                application_record_id=record.id,
                step_id=step.id,
                state=StepResultState.SKIPPED if skipped else StepResultState.DONE,
                note="Shift change; observed for 10 minutes only." if skipped else None,
            )
        )
    for phase, value in ((MeasurementPhase.BEFORE, 2.8), (MeasurementPhase.AFTER, 1.2)):
        session.add(
            Measurement(
                id=new_id(),
                visit_id=visit.id,
                application_record_id=record.id,
                name="Outlet turbidity",
                value=value,
                unit="NTU",
                lower_limit=0.0,
                upper_limit=1.0,
                phase=phase,
                measured_at=record.applied_at,
            )
        )


def _training(
    session: Session, new_id: Callable[[], str], reference: datetime, trainer: str
) -> None:
    case = session.scalar(
        select(Case).where(Case.assist_type == AssistType.CUSTOM_SOLUTION).limit(1)
    )
    customer_id = case.customer_id if case else None
    if customer_id is None:
        return
    training = TrainingSession(
        id=new_id(),
        case_id=case.id if case else None,
        customer_id=customer_id,
        topic="Operating and cleaning the DosePro 400",
        trainer_id=trainer,
        started_at=reference - timedelta(days=3, hours=2),
        duration_minutes=90,
        materials="Operator manual DP-400 (PL/EN), quick reference card",
        assessment_notes="Practical check: each attendee calibrated the pump once.",
    )
    session.add(training)
    contacts = session.scalars(select(Contact).where(Contact.customer_id == customer_id)).all()
    company = session.get(Customer, customer_id)
    for contact in contacts:
        session.add(
            TrainingAttendee(
                id=new_id(),
                session_id=training.id,
                contact_id=contact.id,
                name=contact.name,
                role=contact.role,
                company=company.name if company else None,  # as TrainingService fills it in
                signed_off=True,
                assessment=AssessmentResult.PASSED,
                assessment_score=0.9,
            )
        )
    session.add(
        TrainingAttendee(
            id=new_id(),
            session_id=training.id,
            name="Łukasz Żółkiewski",
            role="Operator (contractor)",
            company="Serwis Techniczny Ślęża",
            signed_off=False,
            assessment=AssessmentResult.NOT_ASSESSED,
        )
    )


def _claim(session: Session, new_id: Callable[[], str], products: dict[str, Product]) -> None:
    # a claim under review belongs to a case still being worked on (the back office decides
    # it, then the engineer carries out the remedy); any claim case where none is open
    claims = select(Case).where(Case.assist_type == AssistType.CLAIM).order_by(Case.case_number)
    done = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
    case = session.scalar(claims.where(Case.status.not_in(done)).limit(1)) or session.scalar(
        claims.limit(1)
    )
    if case is None:
        return
    claim = Claim(
        id=new_id(),
        case_id=case.id,
        claim_type=ClaimType.REPLACEMENT,
        # no RMA number yet: the service assigns one when the claim is approved
        reason="Pump head cracked after four weeks in service.",
        customer_request="Replace the pump head free of charge.",
        status=ClaimStatus.UNDER_REVIEW,
    )
    session.add(claim)
    session.add(
        ClaimItem(
            id=new_id(),
            claim_id=claim.id,
            product_id=products["DP-400"].id,
            description="Pump head DP-400",
            serial_number="DP-400-48213",
            quantity=1,
        )
    )


def _recall_campaign(
    session: Session,
    new_id: Callable[[], str],
    products: dict[str, Product],
    reference: datetime,
    engineer: str,
) -> None:
    campaign = RecallCampaign(
        id=new_id(),
        code=f"RC-{reference:%Y}-07",
        title="Check valve replacement DosePro 200",
        reason=CampaignReason.QUALITY_ISSUE,
        required_action=RecallRequiredAction.REPLACE,
        description="Check valves from supplier batch 2291 may crack under pressure peaks.",
        due_date=(reference + timedelta(days=45)).date(),
    )
    session.add(campaign)
    session.add(
        RecallCampaignScope(
            id=new_id(),
            campaign_id=campaign.id,
            product_id=products["DP-200"].id,
            serial_from="DP-200-10000",
            serial_to="DP-200-59999",
        )
    )
    affected = session.scalars(
        select(Asset).where(
            Asset.product_id == products["DP-200"].id,
            Asset.serial_number.between("DP-200-10000", "DP-200-59999"),
        )
    ).all()
    for index, asset in enumerate(affected):
        # as RecallService records them: an asset nobody has acted on has no action yet, and
        # one the engineer could not reach stays open with a note saying how they tried
        done, unreachable = index % 3 == 0, index == 1
        if not (done or unreachable):
            continue
        session.add(
            RecallAction(
                id=new_id(),
                campaign_id=campaign.id,
                asset_id=asset.id,
                status=RecallActionStatus.DONE if done else RecallActionStatus.OPEN,
                action_taken=RecallActionTaken.REPLACED
                if done
                else RecallActionTaken.NOT_REACHABLE,
                performed_at=reference - timedelta(days=index + 1),
                performed_by_id=engineer,
                note="Valves replaced, pump tested."
                if done
                else "Called maintenance twice; no answer. Try again on the next visit.",
            )
        )
