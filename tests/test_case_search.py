"""Full-text case search: the index follows every kind of write, and user text is always
searched literally."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from fieldsupport.demo.generator import create_demo
from fieldsupport.models import Case, Customer, Site
from fieldsupport.services.case_queries import CaseListService, CaseQuery, fts_query
from fieldsupport.services.cases import CaseIntake, CaseService
from fieldsupport.services.knowledge import KnowledgeService
from fieldsupport.store import search_index
from fieldsupport.workspace import Workspace
from tests.conftest import FIXED_REFERENCE


@pytest.fixture
def setup(workspace: Workspace) -> tuple[CaseService, CaseListService, dict[str, str]]:
    with workspace.transaction() as s:
        customer = Customer(name="Česká Mlékárna Vysočina a.s.")
        s.add(customer)
        s.flush()
        site = Site(customer_id=customer.id, name="Závod Jihlava")
        s.add(site)
        s.flush()
        ids = {"customer": customer.id, "site": site.id}
    cases = CaseService(workspace)
    for title in ("Leaking pump head", "Foam in the aeration basin"):
        case = cases.open_case(
            CaseIntake(
                assist_type="A2",
                title=title,
                customer_id=ids["customer"],
                site_id=ids["site"],
                description="Reported by the shift supervisor.",
            )
        )
        ids[title] = case.id
    return cases, CaseListService(workspace), ids


def _titles(service: CaseListService, words: str) -> list[str]:
    return sorted(row.title for row in service.rows(service.ids(CaseQuery(text=words))))


def test_finds_by_every_indexed_field(setup: tuple) -> None:  # type: ignore[type-arg]
    cases, service, ids = setup
    number = cases.get_case(ids["Leaking pump head"]).case_number
    assert _titles(service, number) == ["Leaking pump head"]
    assert _titles(service, number.lower()) == ["Leaking pump head"]  # any case
    assert len(_titles(service, number[:-2])) == 2  # a prefix of both numbers
    assert _titles(service, "leak") == ["Leaking pump head"]
    assert _titles(service, "ceska mlekarna") == [
        "Foam in the aeration basin",
        "Leaking pump head",
    ]
    assert _titles(service, "jihlava foam") == ["Foam in the aeration basin"]  # all words
    assert _titles(service, "supervisor") == ["Foam in the aeration basin", "Leaking pump head"]
    assert _titles(service, "pump basin") == []


def test_index_follows_edits_notes_renames_and_tombstones(
    setup: tuple,  # type: ignore[type-arg]
    workspace: Workspace,
) -> None:
    cases, service, ids = setup
    case_id = ids["Leaking pump head"]
    cases.add_event(case_id, "call", "Operator mentioned a rattling diaphragm")
    assert _titles(service, "rattling") == ["Leaking pump head"]
    with workspace.transaction() as s:
        s.get(Case, case_id).title = "Cracked pump head"  # type: ignore[union-attr]
    assert _titles(service, "leaking") == []
    assert _titles(service, "cracked rattling") == ["Cracked pump head"]
    with workspace.transaction() as s:
        s.get(Customer, ids["customer"]).name = "Mlékárna Jih"  # type: ignore[union-attr]
        s.get(Site, ids["site"]).name = "Provoz Třebíč"  # type: ignore[union-attr]
    assert _titles(service, "vysocina") == []
    assert _titles(service, "mlekarna jih trebic") == [
        "Cracked pump head",
        "Foam in the aeration basin",
    ]
    with workspace.transaction() as s:
        s.get(Case, case_id).deleted_at = datetime.now(UTC)  # type: ignore[union-attr]
    assert _titles(service, "cracked") == []


@pytest.mark.parametrize(
    "words",
    ['"', "*", "NEAR(", "-pump", 'pump" OR "x', "pump AND", "^", "a:b", "(", "✓", "'", "%_"],
)
def test_search_syntax_is_literal_and_never_fails(setup: tuple, words: str) -> None:  # type: ignore[type-arg]
    _cases, service, _ids = setup
    found = service.ids(CaseQuery(text=words))  # no exception
    if fts_query(words) is None:
        assert len(found) == 2  # nothing searchable: no filter
    assert len(found) <= 2


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('pump "head') == '"pump"* """head"*'
    assert fts_query("NEAR - x") == '"NEAR"* "x"*'
    assert fts_query("  ") is None
    assert fts_query(" ".join(f"w{i}" for i in range(40))).count("*") == 12


def _index(workspace: Workspace) -> list[tuple[object, ...]]:
    with workspace.transaction() as s:
        return [
            tuple(r) for r in s.execute(text("SELECT rowid, * FROM case_search ORDER BY rowid"))
        ]


def test_rebuild_equals_what_the_triggers_maintain(setup: tuple, workspace: Workspace) -> None:  # type: ignore[type-arg]
    cases, _service, ids = setup
    cases.add_event(ids["Leaking pump head"], "note", "first note")
    cases.add_event(ids["Leaking pump head"], "email", "second note")
    by_triggers = _index(workspace)
    assert len(by_triggers) == 2
    with workspace.transaction() as s:
        search_index.rebuild(s)
    assert _index(workspace) == by_triggers


def test_bulk_demo_is_searchable_and_triggers_are_back(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        create_demo(ws, cases=300, reference=datetime.fromisoformat(FIXED_REFERENCE))
        service = CaseListService(ws)
        assert len(service.ids(CaseQuery(text="odra"))) > 0
        with ws.transaction() as s:
            triggers = s.scalars(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            total = s.scalar(select(Case.id).limit(1))
        assert len(triggers) == 10  # 7 of the case index, 3 of the knowledge index
        CaseService(ws).add_event(str(total), "note", "zzyzx marker")
        assert len(service.ids(CaseQuery(text="zzyzx"))) == 1
        # the demo's knowledge articles were indexed by the rebuild after the bulk load
        assert KnowledgeService(ws).search("diaphragm")


def test_index_is_rewritten_only_when_a_searched_value_changes(
    setup: tuple,  # type: ignore[type-arg]
    workspace: Workspace,
) -> None:
    _cases, service, ids = setup
    case_id = ids["Leaking pump head"]

    def rows_written(sql: str, *params: object) -> int:
        """Rows the statement changed, those its triggers changed included."""
        with workspace.engine.begin() as conn:
            raw = conn.connection.driver_connection
            before = raw.total_changes  # type: ignore[union-attr]
            conn.exec_driver_sql(sql, params)
            return raw.total_changes - before  # type: ignore[union-attr]

    # a sync upsert names every column; only the status is new: the index is left alone
    same = "UPDATE cases SET status = 'triaged', title = title, description = description"
    assert rows_written(same + " WHERE id = ?", case_id) == 1
    assert rows_written("UPDATE customers SET name = name WHERE id = ?", ids["customer"]) == 1
    # a searched value that does change is still indexed
    assert rows_written("UPDATE cases SET title = 'Leaking pump seal' WHERE id = ?", case_id) > 1
    assert rows_written("UPDATE sites SET name = 'Závod Brno' WHERE id = ?", ids["site"]) > 1
    assert _titles(service, "seal brno") == ["Leaking pump seal"]
