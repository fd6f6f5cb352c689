"""Training logs (A3), claims (A2) and recall campaigns (A4): the rules of each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from builders import make_refs, open_case
from report_builders import signature_png
from sqlalchemy import func, select

from fieldsupport.errors import NotFoundError, ValidationError
from fieldsupport.models import (
    Asset,
    Claim,
    Contact,
    Customer,
    RecallCampaign,
    Signature,
    Site,
    TrainingAttendee,
    TrainingSession,
    User,
)
from fieldsupport.models.enums import (
    AssessmentResult,
    ClaimDecision,
    ClaimStatus,
    RecallActionStatus,
)
from fieldsupport.services.cases import CaseService
from fieldsupport.services.claims import ClaimItemSpec, ClaimService
from fieldsupport.services.recalls import (
    CampaignSpec,
    RecallService,
    ScopeSpec,
    check_scopes,
    split_serial,
)
from fieldsupport.services.signatures import SignatureService
from fieldsupport.services.training import TrainingService
from fieldsupport.workspace import Workspace

T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def refs(workspace: Workspace) -> dict[str, str]:
    return make_refs(workspace)


# -- training ----------------------------------------------------------------------------------
def test_training_session_with_attendees(workspace: Workspace, refs: dict[str, str]) -> None:
    case_id = open_case(CaseService(workspace), refs)
    with workspace.transaction() as s:
        contact = Contact(customer_id=refs["customer"], name="Jan Nowak", role="Shift lead")
        s.add(contact)
        s.flush()
        contact_id = contact.id
    training = TrainingService(workspace, user_id=refs["engineer"])
    session = training.create_session(
        topic="Dosing pump maintenance", started_at=T0, duration_minutes=90, case_id=case_id
    )
    assert session.customer == "Zakłady Chemiczne Odra S.A." and session.trainer == "Anna Kowalska"
    picked = training.add_attendee(session.id, contact_id=contact_id)
    assert (picked.name, picked.role, picked.company) == (
        "Jan Nowak",
        "Shift lead",
        "Zakłady Chemiczne Odra S.A.",
    )
    quick = training.add_attendee(session.id, "Ewa Wiśniewska", role="Operator")
    with pytest.raises(ValidationError, match="already on the attendance list"):
        training.add_attendee(session.id, "ewa wiśniewska")
    training.sign_off(picked.id)
    training.assess(picked.id, "passed")
    training.assess(quick.id, AssessmentResult.FAILED)
    rows = training.get(session.id).attendance_list()
    assert rows == [
        ("Jan Nowak", "Shift lead", "Zakłady Chemiczne Odra S.A.", "yes", "passed"),
        ("Ewa Wiśniewska", "Operator", "", "no", "failed"),
    ]
    assert [t.id for t in training.of_case(case_id)] == [session.id]


def test_signed_sign_off_is_one_save(workspace: Workspace, refs: dict[str, str]) -> None:
    case_id = open_case(CaseService(workspace), refs)
    training = TrainingService(workspace, user_id=refs["engineer"])
    session = training.create_session(
        topic="Safety", started_at=T0, duration_minutes=30, case_id=case_id
    )
    kept = training.add_attendee(session.id, "Jan Nowak")
    gone = training.add_attendee(session.id, "Ewa Wiśniewska")
    signatures = SignatureService(workspace)

    def sign(attendee_id: str, name: str) -> None:
        signatures.record_signature(
            signer_name=name,
            png=signature_png(name),
            then=lambda s, signature: training.sign_off_in(s, attendee_id, signature),
        )

    sign(kept.id, "Jan Nowak")
    training.remove_attendee(gone.id)  # removed while the pad was open
    with pytest.raises(NotFoundError):
        sign(gone.id, "Ewa Wiśniewska")
    with workspace.transaction() as s:
        names = s.scalars(select(Signature.signer_name)).all()
        signed = s.scalars(
            select(TrainingAttendee.signature_id).where(TrainingAttendee.id == kept.id)
        ).one()
    assert names == ["Jan Nowak"]  # no signature left without its sign-off
    assert signed is not None
    assert training.get(session.id).attendance_list()[0][3] == "signed"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duration_minutes": 0}, "between 1 minute"),
        ({"duration_minutes": 60 * 24 * 30}, "between 1 minute"),
        ({"started_at": datetime(2026, 3, 3, 9)}, "time zone"),
        ({"topic": "  "}, "Topic is required"),
    ],
)
def test_bad_training_sessions(
    workspace: Workspace, refs: dict[str, str], kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "topic": "Safety",
        "started_at": T0,
        "duration_minutes": 60,
        "customer_id": refs["customer"],
        **kwargs,
    }
    with pytest.raises(ValidationError, match=message):
        TrainingService(workspace).create_session(**args)  # type: ignore[arg-type]


def test_the_trainer_is_the_signed_in_user_unless_another_is_named(
    workspace: Workspace, refs: dict[str, str]
) -> None:
    with workspace.transaction() as s:
        colleague = User(username="maria", display_name="Maria Santos")
        s.add(colleague)
        s.flush()
        colleague_id = colleague.id
    training = TrainingService(workspace, user_id=refs["engineer"])
    args: dict[str, object] = {
        "topic": "Safety",
        "started_at": T0,
        "duration_minutes": 60,
        "customer_id": refs["customer"],
    }
    assert training.create_session(**args).trainer == "Anna Kowalska"  # type: ignore[arg-type]
    for named in (colleague_id, "maria", "maria santos"):
        given = training.create_session(**args, trainer=named)  # type: ignore[arg-type]
        assert given.trainer == "Maria Santos"
        with workspace.transaction() as s:
            row = s.get(TrainingSession, given.id)
            assert row is not None and row.trainer_id == colleague_id
    for empty in ("", "   ", None):
        with pytest.raises(ValidationError, match="Name the trainer: who gave the training"):
            training.create_session(**args, trainer=empty)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no user 'Jan Kowal' to name as the trainer"):
        training.create_session(**args, trainer="Jan Kowal")  # type: ignore[arg-type]
    assert [name for _id, name in training.trainers()] == ["Anna Kowalska", "Maria Santos"]
    # display names in any case, beyond ASCII; two users of one name: choose, never a guess
    with workspace.transaction() as s:
        s.add_all(
            [
                User(username="oyvind", display_name="Øyvind Ås"),
                User(username="maria.s", display_name="Maria Santos"),
            ]
        )
    assert training.create_session(**args, trainer="ØYVIND ÅS").trainer == "Øyvind Ås"  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Several users are called 'maria santos'"):
        training.create_session(**args, trainer="maria santos")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="named by text"):
        training.create_session(**args, trainer=42)  # type: ignore[arg-type]


def test_attendees_come_from_the_sessions_customer(
    workspace: Workspace, refs: dict[str, str]
) -> None:
    with workspace.transaction() as s:
        other = Customer(name="Stadtwerke Lindenau GmbH")
        s.add(other)
        s.flush()
        stranger = Contact(customer_id=other.id, name="Klaus Weber")
        s.add(stranger)
        s.flush()
        stranger_id = stranger.id
    training = TrainingService(workspace)
    session = training.create_session(
        topic="Safety", started_at=T0, duration_minutes=60, customer_id=refs["customer"]
    )
    with pytest.raises(ValidationError, match="contact belongs to another customer"):
        training.add_attendee(session.id, contact_id=stranger_id)
    with pytest.raises(ValidationError, match="Attendee name is required"):
        training.add_attendee(session.id, "  ")
    assert training.get(session.id).attendees == ()


# -- claims ------------------------------------------------------------------------------------
def test_claim_decisions_and_rma(workspace: Workspace, refs: dict[str, str]) -> None:
    cases = CaseService(workspace)
    case_id = open_case(cases, refs, assist_type="A2")
    claims = ClaimService(workspace, user_id=refs["engineer"])
    claim = claims.open_claim(
        case_id,
        "replacement",
        "Pump head cracked after 3 weeks.",
        [ClaimItemSpec(1, product_id=refs["product"], serial_number="DX-0001")],
        customer_request="Replace the pump head under warranty.",
    )
    assert claim.status is ClaimStatus.OPEN and claim.rma_number is None
    claims.advance(claim.id, "under_review")
    with pytest.raises(ValidationError, match="Record the decision instead"):
        claims.advance(claim.id, "approved")
    with pytest.raises(ValidationError, match="needs its remedy"):
        claims.decide(claim.id, "approved", "Material defect confirmed.")
    approved = claims.decide(
        claim.id, ClaimDecision.APPROVED, "Material defect confirmed.", remedy="New pump head"
    )
    assert approved.status is ClaimStatus.APPROVED
    assert approved.rma_number == f"RMA-{workspace.device_code}-00001"
    with pytest.raises(ValidationError, match="decision cannot change"):
        claims.decide(claim.id, "rejected", "Changed my mind")
    claims.advance(claim.id, "in_progress")
    assert claims.advance(claim.id, "completed").status is ClaimStatus.COMPLETED

    second = claims.open_claim(
        case_id, "refund", "Wrong batch delivered.", [ClaimItemSpec(2.5, "Lot L-77")]
    )
    rejected = claims.decide(second.id, "rejected", "Batch was ordered as delivered.")
    assert rejected.status is ClaimStatus.REJECTED and rejected.rma_number is None
    with pytest.raises(ValidationError, match="cannot become in progress"):
        claims.advance(second.id, "in_progress")


def test_bad_claims_save_nothing(workspace: Workspace, refs: dict[str, str]) -> None:
    cases = CaseService(workspace)
    claim_case = open_case(cases, refs, assist_type="A2")
    inquiry = open_case(cases, refs, assist_type="A1")
    claims = ClaimService(workspace)
    with pytest.raises(ValidationError, match="quantity must be more than zero .got 0"):
        claims.open_claim(claim_case, "return", "x", [ClaimItemSpec(0, "Valve")])
    with pytest.raises(ValidationError, match="at least one item"):
        claims.open_claim(claim_case, "return", "x", [])
    with pytest.raises(ValidationError, match="Unknown claim type 'swap'"):
        claims.open_claim(claim_case, "swap", "x", [ClaimItemSpec(1, "Valve")])
    with pytest.raises(ValidationError, match="claims belong to A2 Claim cases"):
        claims.open_claim(inquiry, "return", "x", [ClaimItemSpec(1, "Valve")])
    with workspace.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == 0


def test_a_decision_needs_its_reason(workspace: Workspace, refs: dict[str, str]) -> None:
    case_id = open_case(CaseService(workspace), refs, assist_type="A2")
    claims = ClaimService(workspace)
    claim = claims.open_claim(case_id, "refund", "Wrong batch.", [ClaimItemSpec(1, "Lot L-77")])
    with pytest.raises(ValidationError, match="Decision reason is required"):
        claims.decide(claim.id, "rejected", " ")
    with pytest.raises(ValidationError, match="Unknown decision 'maybe'"):
        claims.decide(claim.id, "maybe", "Unsure.")
    (kept,) = claims.of_case(case_id)
    assert (kept.status, kept.decision, kept.rma_number) == (ClaimStatus.OPEN, None, None)


# -- recalls -----------------------------------------------------------------------------------
def test_serial_parsing() -> None:
    assert split_serial("ph-s3-036041") == ("PH-S3-", 36041)  # prefix case and zeros ignored
    assert split_serial("PH-S3-36041") == ("PH-S3-", 36041)
    assert split_serial("NOSERIAL") is None


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        ([ScopeSpec("p", "A-200", "A-100")], "reversed .A-200 comes after A-100"),
        ([ScopeSpec("p", "A-100", "B-200")], "different prefixes"),
        ([ScopeSpec("p", "A-100", "A-200"), ScopeSpec("p", "A-150", None)], "overlap"),
        ([ScopeSpec("p", None, "A-200"), ScopeSpec("p", "A-100", "A-120")], "overlap"),
        ([ScopeSpec("p", lot_number="L1"), ScopeSpec("p", lot_number="l1")], "overlap"),
        # every unit of a product already covers any lot or range of it
        ([ScopeSpec("p"), ScopeSpec("p", lot_number="L1")], "same product .all units and lot L1"),
        ([ScopeSpec("p", "A-100", None), ScopeSpec("p")], "serials A-100 to … and all units"),
        ([ScopeSpec("p", "A-1", lot_number="L1")], "either a lot or a serial range"),
        ([ScopeSpec("p", "ABC")], "must end in a number"),
        ([], "at least one affected product"),
    ],
)
def test_bad_scopes(scopes: list[ScopeSpec], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_scopes(scopes)


def test_non_overlapping_scopes_are_fine() -> None:
    check_scopes(
        [
            ScopeSpec("p", "A-100", "A-199"),
            ScopeSpec("p", "A-200", None),
            ScopeSpec("p", "B-100", "B-300"),  # another serial family
            ScopeSpec("q", "A-150", "A-160"),  # another product
            ScopeSpec("p", lot_number="L-1"),
            ScopeSpec("r"),  # every unit of a third product
            # bare numbers are a serial family of their own (as when matching assets)
            ScopeSpec("s", "100", "200"),
            ScopeSpec("s", "PH-100", "PH-200"),
        ]
    )


def test_campaign_finds_affected_assets_and_tracks_progress(
    workspace: Workspace, refs: dict[str, str]
) -> None:
    serials = ["PH-S3-35999", "PH-S3-36000", "PH-S3-36500", "PH-S3-40000", "PH-S4-36500", None]
    with workspace.transaction() as s:
        site = s.get(Site, refs["site"])
        assert site is not None
        for serial in serials:
            s.add(
                Asset(
                    product_id=refs["product"],
                    site_id=site.id,
                    serial_number=serial,
                    lot_number="L-9" if serial is None else None,
                )
            )
    recalls = RecallService(workspace, user_id=refs["engineer"])
    campaign = recalls.create_campaign(
        CampaignSpec(
            code="rc-2026-01",
            title="Sensor drift",
            reason="quality_issue",
            required_action="replace",
            due_date=date(2026, 4, 1),
            scopes=[
                ScopeSpec(refs["product"], "PH-S3-36000", "PH-S3-36999"),
                ScopeSpec(refs["product"], "PH-S3-40000", None),  # open-ended
                ScopeSpec(refs["product"], lot_number="l-9"),
            ],
        )
    )
    assert campaign.code == "RC-2026-01"
    affected = recalls.affected_assets(campaign.id, today=date(2026, 3, 15))
    assert sorted(a.serial_number or a.lot_number or "" for a in affected) == [
        "L-9",
        "PH-S3-36000",
        "PH-S3-36500",
        "PH-S3-40000",
    ]
    first, second = affected[0].asset_id, affected[1].asset_id
    assert (
        recalls.record_action(campaign.id, first, "replaced", performed_at=T0)
        is RecallActionStatus.DONE
    )
    with pytest.raises(ValidationError, match="how you tried to reach"):
        recalls.record_action(campaign.id, second, "not_reachable")
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(ValidationError, match="is in the future"):
        recalls.record_action(campaign.id, second, "notified", performed_at=tomorrow)
    status = recalls.record_action(campaign.id, second, "not_reachable", note="3 calls, no answer")
    assert status is RecallActionStatus.OPEN
    progress = recalls.progress(campaign.id, today=date(2026, 3, 15))
    assert (progress.affected, progress.done, progress.open, progress.overdue) == (4, 1, 3, 0)
    late = recalls.progress(campaign.id, today=date(2026, 4, 2))
    assert late.overdue == 3
    with workspace.transaction() as s:
        outside = s.scalar(select(Asset.id).where(Asset.serial_number == "PH-S4-36500"))
    with pytest.raises(ValidationError, match="not affected by this campaign"):
        recalls.record_action(campaign.id, str(outside), "notified")
    with pytest.raises(ValidationError, match="already a campaign RC-2026-01"):
        recalls.create_campaign(
            CampaignSpec(
                "RC-2026-01", "Again", "recall_advice", "notify", [ScopeSpec(refs["product"])]
            )
        )
    with workspace.transaction() as s:
        assert s.scalar(select(func.count()).select_from(RecallCampaign)) == 1
