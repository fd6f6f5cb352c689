"""Versioning, tombstones and append-only rules are enforced at flush, for every caller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fieldsupport.errors import ValidationError
from fieldsupport.models import Case, CaseEvent, Customer
from fieldsupport.models.enums import AssistType, CaseEventKind
from fieldsupport.workspace import Workspace

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _customer(ws: Workspace) -> str:
    with ws.transaction() as s:
        customer = Customer(name="Odra")
        s.add(customer)
        s.flush()
        return customer.id


def test_new_rows_get_uuid_version_and_timestamps(workspace: Workspace) -> None:
    customer_id = _customer(workspace)
    with workspace.transaction() as s:
        customer = s.get(Customer, customer_id)
        assert customer is not None
        assert len(customer.id) == 36 and customer.id.count("-") == 4
        assert customer.version == 1
        assert customer.created_at.tzinfo is not None
        assert customer.deleted_at is None


def test_edit_bumps_version_and_updated_at(workspace: Workspace) -> None:
    customer_id = _customer(workspace)
    with workspace.transaction() as s:
        before = s.get(Customer, customer_id)
        assert before is not None
        first_update = before.updated_at
        before.name = "Odra S.A."
    with workspace.transaction() as s:
        after = s.get(Customer, customer_id)
        assert after is not None
        assert after.version == 2
        assert after.updated_at >= first_update
        after.notes = "Key account"
    with workspace.transaction() as s:
        assert s.get(Customer, customer_id).version == 3  # type: ignore[union-attr]


def test_flush_without_real_change_keeps_version(workspace: Workspace) -> None:
    customer_id = _customer(workspace)
    with workspace.transaction() as s:
        customer = s.get(Customer, customer_id)
        assert customer is not None
        customer.name = customer.name  # same value: not a change
    with workspace.transaction() as s:
        assert s.get(Customer, customer_id).version == 1  # type: ignore[union-attr]


def test_hard_delete_is_refused_and_tombstone_works(workspace: Workspace) -> None:
    customer_id = _customer(workspace)
    with pytest.raises(ValidationError, match="never deleted outright"):
        with workspace.transaction() as s:
            s.delete(s.get(Customer, customer_id))
    with workspace.transaction() as s:
        customer = s.get(Customer, customer_id)
        assert customer is not None
        customer.deleted_at = T0
    with workspace.transaction() as s:
        customer = s.get(Customer, customer_id)
        assert customer is not None and customer.is_deleted and customer.version == 2


def test_append_only_rows_cannot_be_edited(workspace: Workspace) -> None:
    customer_id = _customer(workspace)
    with workspace.transaction() as s:
        case = Case(
            case_number="FS-TEST-000001",
            assist_type=AssistType.INQUIRY,
            title="Question",
            customer_id=customer_id,
            opened_at=T0,
        )
        s.add(case)
        s.flush()
        event = CaseEvent(case_id=case.id, kind=CaseEventKind.NOTE, occurred_at=T0, body="Hi")
        s.add(event)
        s.flush()
        event_id = event.id
    with pytest.raises(ValidationError, match="cannot be edited once recorded"):
        with workspace.transaction() as s:
            s.get(CaseEvent, event_id).body = "rewritten history"  # type: ignore[union-attr]
    with workspace.transaction() as s:
        event = s.get(CaseEvent, event_id)
        assert event is not None and event.body == "Hi"
        event.deleted_at = T0 + timedelta(minutes=1)  # a tombstone is allowed
    with workspace.transaction() as s:
        assert s.scalar(select(CaseEvent.deleted_at).where(CaseEvent.id == event_id)) is not None


def test_naive_datetimes_are_refused(workspace: Workspace) -> None:
    customer_id = _customer(workspace)
    with pytest.raises(Exception, match="naive datetime"), workspace.transaction() as s:
        s.add(
            Case(
                case_number="FS-TEST-000002",
                assist_type=AssistType.INQUIRY,
                title="Q",
                customer_id=customer_id,
                opened_at=datetime(2026, 1, 1, 9, 0),
            )
        )


def test_unknown_enum_value_is_refused_by_the_database(workspace: Workspace) -> None:
    customer_id = _customer(workspace)
    with pytest.raises(Exception, match="(?i)assist_type|not among|check constraint"):
        with workspace.transaction() as s:
            s.execute(
                Case.__table__.insert().values(
                    id="x",
                    version=1,
                    created_at=T0,
                    updated_at=T0,
                    case_number="FS-TEST-000003",
                    assist_type="A9",
                    title="Q",
                    channel="phone",
                    priority="normal",
                    severity="minor",
                    status="new",
                    support_tier=1,
                    customer_id=customer_id,
                    customer_verified=False,
                    opened_at=T0,
                )
            )


def test_foreign_keys_are_enforced(workspace: Workspace) -> None:
    with pytest.raises(ValidationError, match="breaks a rule"), workspace.transaction() as s:
        s.add(
            Case(
                case_number="FS-TEST-000004",
                assist_type=AssistType.INQUIRY,
                title="Q",
                customer_id="no-such-customer",
                opened_at=T0,
            )
        )
