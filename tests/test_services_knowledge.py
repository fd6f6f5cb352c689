"""Knowledge base service: FTS search with snippets and filters, articles from cases."""

from __future__ import annotations

import pytest
from builders import TO_RESOLVED, make_refs, open_case, walk

from fieldsupport.errors import ValidationError
from fieldsupport.models.enums import ArticleStatus
from fieldsupport.services.cases import CaseService
from fieldsupport.services.knowledge import (
    HIT_END,
    HIT_START,
    ArticleDraft,
    KnowledgeService,
    parse_tags,
)
from fieldsupport.workspace import Workspace


@pytest.fixture
def refs(workspace: Workspace) -> dict[str, str]:
    return make_refs(workspace)


@pytest.fixture
def kb(workspace: Workspace) -> KnowledgeService:
    return KnowledgeService(workspace)


def _save(kb: KnowledgeService, title: str, body: str, **kw: object) -> str:
    return kb.save_article(ArticleDraft(title=title, body=body, **kw)).id  # type: ignore[arg-type]


def test_search_finds_words_anywhere_with_highlighted_snippet(kb: KnowledgeService) -> None:
    seal = _save(kb, "Gland seal wear", "Replace the gland packing when the pump weeps.")
    _save(kb, "Dosing calibration", "Calibrate the dosing head every 500 hours.")
    hits = kb.search("packing")
    assert [h.id for h in hits] == [seal]
    assert f"{HIT_START}packing{HIT_END}" in hits[0].snippet
    # prefix, case- and accent-insensitive, all words required
    assert [h.id for h in kb.search("GLAND pack")] == [seal]
    assert kb.search("gland calibrate") == []


def test_search_text_with_fts_syntax_is_literal(kb: KnowledgeService) -> None:
    _save(kb, "NEAR miss", 'Operator said "stop" - then the valve* closed.')
    for text in ['"stop"', "valve*", "- then", "NEAR", 'NEAR("a" "b")', "(", '"']:
        kb.search(text)  # never an FTS syntax error
    assert len(kb.search('"stop"')) == 1
    assert len(kb.search("NEAR miss")) == 1


def test_filters_by_tag_and_product(kb: KnowledgeService, refs: dict[str, str]) -> None:
    pump = _save(kb, "Pump", "Body one", tags=("Seal", " pump "), product_ids=(refs["product"],))
    seals = _save(kb, "Seals", "Body two", tags=("seals",))
    assert {h.id for h in kb.search()} == {pump, seals}
    assert [h.id for h in kb.search(tag="seal")] == [pump]  # not "seals"
    assert [h.id for h in kb.search(product_id=refs["product"])] == [pump]
    assert kb.all_tags() == ["pump", "seal", "seals"]
    assert kb.products_with_articles() == [(refs["product"], "Dosing pump DX-100")]


def test_archived_and_drafts(kb: KnowledgeService) -> None:
    draft = _save(kb, "Draft note", "unpublished gland text")
    published = _save(kb, "Published", "gland text", status=ArticleStatus.PUBLISHED)
    assert {h.id for h in kb.search("gland")} == {draft, published}
    assert [h.id for h in kb.search("gland", include_drafts=False)] == [published]
    kb.save_article(
        ArticleDraft(title="Draft note", body="unpublished gland text", status="archived"),  # type: ignore[arg-type]
        draft,
    )
    assert [h.id for h in kb.search("gland")] == [published]


def test_edit_updates_index_and_products(kb: KnowledgeService, refs: dict[str, str]) -> None:
    article = _save(kb, "Title", "old words", product_ids=(refs["product"],))
    view = kb.save_article(ArticleDraft(title="Title", body="fresh words"), article)
    assert view.product_ids == () and view.version == 2
    assert kb.search("old") == [] and [h.id for h in kb.search("fresh")] == [article]
    view = kb.save_article(
        ArticleDraft(title="Title", body="fresh words", product_ids=(refs["product"],)), article
    )
    assert view.product_names == ("Dosing pump DX-100",)


def test_article_from_resolved_case(
    workspace: Workspace, kb: KnowledgeService, refs: dict[str, str]
) -> None:
    cases = CaseService(workspace, user_id=refs["engineer"])
    case_id = open_case(cases, refs)
    with pytest.raises(ValidationError, match="not resolved yet"):
        kb.draft_from_case(case_id)
    walk(cases, case_id, TO_RESOLVED)
    draft = kb.draft_from_case(case_id)
    assert draft.title == "Leaking pump head"
    assert "leaks at the gland" in draft.body and "Gland packing replaced" in draft.body
    assert draft.tags == ("pump",) and draft.product_ids == (refs["product"],)
    view = kb.save_article(draft)
    number = cases.get_case(case_id).case_number
    assert view.source_case_number == number
    assert [h.id for h in kb.search(number.split("-")[-1])] == [view.id]


def test_bad_articles_are_refused(kb: KnowledgeService) -> None:
    with pytest.raises(ValidationError, match="Title is required"):
        kb.save_article(ArticleDraft(title="  ", body="x"))
    with pytest.raises(ValidationError):
        kb.save_article(ArticleDraft(title="ok", body="x" * 10_000_001))
    with pytest.raises(ValidationError, match="status"):
        kb.save_article(ArticleDraft(title="ok", body="x", status="gone"))  # type: ignore[arg-type]
    assert kb.search() == []


def test_parse_tags() -> None:
    assert parse_tags(" Pump, seal ,,PUMP,  gland   packing ") == ("pump", "seal", "gland packing")
