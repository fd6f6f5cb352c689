"""Deciding conflicts and refused changes, through a real central server on loopback: the
decision reaches every device, the chosen value wins everywhere, nothing is lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldsupport.central.server import BackgroundServer
from fieldsupport.errors import ValidationError
from fieldsupport.models import Case
from fieldsupport.services.cases import CaseService
from fieldsupport.sync.client import SyncReport
from fieldsupport.sync.conflicts import Resolution, SyncDecisions
from tests import sync_helpers
from tests.builders import TO_RESOLVED, make_refs, open_case, walk
from tests.sync_helpers import outbox

central = sync_helpers.central
server = sync_helpers.server


class Device(sync_helpers.SyncDevice):
    def __init__(self, root: Path, url: str, username: str) -> None:
        super().__init__(root, url, username)
        self.decisions = SyncDecisions(self.ws)

    def sync(self, **_kw: bool) -> SyncReport:
        return super().sync(verify=True)

    def description(self, case_id: str) -> str | None:
        with self.ws.transaction() as s:
            case = s.get(Case, case_id)
            assert case is not None
            return case.description


@pytest.fixture
def pair(tmp_path: Path, server: BackgroundServer) -> Iterator[tuple[Device, Device, str]]:
    bo = Device(tmp_path / "bo", server.url, "bo")
    anna = Device(tmp_path / "anna", server.url, "anna")
    try:
        service = CaseService(bo.ws)
        case_id = open_case(service, make_refs(bo.ws))
        walk(service, case_id, TO_RESOLVED[:2])
        bo.sync()
        anna.sync()
        CaseService(anna.ws).update_description(case_id, "anna: gland leak")
        CaseService(bo.ws).update_description(case_id, "bo: customer reports leak")
        anna.sync()
        bo.sync()  # bo's edit arrives second: conflict, anna's value kept
        anna.sync()
        yield bo, anna, case_id
    finally:
        bo.close()
        anna.close()


def _both_converge(a: Device, b: Device, case_id: str, expected: str) -> None:
    for _ in range(2):
        a.sync()
        b.sync()
    assert a.description(case_id) == b.description(case_id) == expected
    assert a.decisions.open_conflicts() == [] and b.decisions.open_conflicts() == []


def test_both_sides_see_the_conflict_with_who_holds_which_value(
    pair: tuple[Device, Device, str],
) -> None:
    bo, anna, _case_id = pair
    [seen_by_bo] = bo.decisions.open_conflicts()
    [seen_by_anna] = anna.decisions.open_conflicts()
    assert seen_by_bo.id == seen_by_anna.id and seen_by_bo.field == "description"
    assert seen_by_bo.kept_value == "anna: gland leak"
    assert seen_by_bo.other_value == "bo: customer reports leak"
    assert seen_by_bo.other_is_mine and not seen_by_bo.kept_is_mine
    assert seen_by_anna.kept_is_mine and not seen_by_anna.other_is_mine
    assert seen_by_bo.record_label.startswith("case ")
    assert seen_by_bo.other_username == "bo"


def test_taking_the_other_value_wins_on_every_device(pair: tuple[Device, Device, str]) -> None:
    bo, anna, case_id = pair
    [conflict] = bo.decisions.open_conflicts()
    bo.decisions.decide(conflict.id, Resolution.TAKE_OTHER)
    assert bo.description(case_id) == "bo: customer reports leak"  # at once, offline
    assert bo.decisions.open_conflicts()[0].decided == "other"
    kinds = [(o["kind"], o["state"]) for o in outbox(bo.ws)][-2:]
    assert kinds == [("upsert", "pending"), ("resolve", "pending")]
    _both_converge(bo, anna, case_id, "bo: customer reports leak")
    assert {o["state"] for o in outbox(bo.ws)} <= {"applied", "conflict"}


def test_a_merged_value_wins_and_keeping_the_servers_changes_nothing(
    pair: tuple[Device, Device, str],
) -> None:
    bo, anna, case_id = pair
    [conflict] = anna.decisions.open_conflicts()
    with pytest.raises(ValidationError, match="longer than"):
        anna.decisions.decide(conflict.id, Resolution.MERGED, "x" * 100_000)
    assert anna.description(case_id) == "anna: gland leak"  # nothing saved half-way
    anna.decisions.decide(conflict.id, Resolution.MERGED, "gland leak, reported by customer")
    with pytest.raises(ValidationError, match="already"):
        anna.decisions.decide(conflict.id, Resolution.KEEP_SERVER)
    _both_converge(anna, bo, case_id, "gland leak, reported by customer")


def test_the_first_decision_to_reach_the_server_stands(pair: tuple[Device, Device, str]) -> None:
    bo, anna, case_id = pair
    [conflict] = anna.decisions.open_conflicts()
    anna.decisions.decide(conflict.id, Resolution.KEEP_SERVER)
    bo.decisions.decide(conflict.id, Resolution.TAKE_OTHER)
    anna.sync()  # anna's decision arrives first
    bo.sync()
    # bo's value went up as an ordinary change made against the version bo had seen: it is
    # applied (nobody changed the field since), and the conflict is closed by anna's decision
    _both_converge(anna, bo, case_id, "bo: customer reports leak")


def test_a_refused_change_is_listed_with_its_values_until_dismissed(
    pair: tuple[Device, Device, str],
) -> None:
    _bo, anna, case_id = pair
    with anna.ws.transaction() as s:  # bypasses the workflow on purpose
        s.get(Case, case_id).status = "closed"  # type: ignore[union-attr]
    anna.sync()
    [refused] = anna.decisions.refused_changes()
    assert refused.field == "status" and "workflow" in refused.reason
    assert refused.values["status"] == "closed" and refused.record_label.startswith("case ")
    anna.decisions.dismiss(refused.seq)
    assert anna.decisions.refused_changes() == []
    with pytest.raises(ValidationError):
        anna.decisions.dismiss(refused.seq)
    assert [o["state"] for o in outbox(anna.ws) if o["seq"] == refused.seq] == ["dismissed"]
