"""Knowledge base: offline full-text search with snippets, articles, articles from cases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal_column, select, table
from sqlalchemy.orm import Session

from fieldsupport.errors import NotFoundError, ValidationError
from fieldsupport.models import Case, KnowledgeArticle, Product, utcnow
from fieldsupport.models.base import NAME_LEN, TEXT_LEN
from fieldsupport.models.enums import ArticleStatus, CaseStatus
from fieldsupport.models.knowledge import KnowledgeArticleProduct
from fieldsupport.services.case_queries import fts_query
from fieldsupport.services.records import get_live
from fieldsupport.services.validation import check_length, parse_enum, require_text
from fieldsupport.workspace import Workspace

# Snippet markers: control characters that cannot occur in typed text, so the UI can escape
# the text for HTML first and then turn exactly these into highlight tags.
HIT_START = "\x02"
HIT_END = "\x03"
MAX_TAGS_LEN = 1000
# Cases whose knowledge is settled enough to write up.
DOCUMENTABLE_STATUSES = (CaseStatus.RESOLVED, CaseStatus.CLOSED)

_knowledge_search = table("knowledge_search")


@dataclass(frozen=True)
class ArticleHit:
    id: str
    title: str
    status: ArticleStatus
    tags: tuple[str, ...]
    # body excerpt around the match with HIT_START/HIT_END around matched terms
    snippet: str
    updated_at: datetime


@dataclass(frozen=True)
class ArticleView:
    id: str
    title: str
    body: str
    tags: tuple[str, ...]
    status: ArticleStatus
    product_ids: tuple[str, ...]
    product_names: tuple[str, ...]
    source_case_id: str | None
    source_case_number: str | None
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class ArticleDraft:
    """What an article editor starts from (and what it hands back to save)."""

    title: str
    body: str
    tags: tuple[str, ...] = ()
    product_ids: tuple[str, ...] = ()
    source_case_id: str | None = None
    status: ArticleStatus = ArticleStatus.DRAFT


def parse_tags(text: str | Sequence[str]) -> tuple[str, ...]:
    """Tags as the index keeps them: lower-case, trimmed, unique, in the given order."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    seen: dict[str, None] = {}
    for part in parts:
        tag = " ".join(part.strip().lower().split())
        if tag:
            seen.setdefault(tag, None)
    return tuple(seen)


class KnowledgeService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    # -- search -----------------------------------------------------------------------------
    def search(
        self,
        text: str = "",
        *,
        product_id: str | None = None,
        tag: str | None = None,
        include_drafts: bool = True,
        limit: int = 200,
    ) -> list[ArticleHit]:
        """Articles matching every word of ``text`` (prefix, accent-insensitive), best first;
        with no words, the most recently updated. Filters narrow in SQL."""
        match = fts_query(text)
        snippet = (
            func.snippet(literal_column("knowledge_search"), 1, HIT_START, HIT_END, " … ", 24)
            if match is not None
            else func.substr(KnowledgeArticle.body, 1, 240)
        )
        stmt = select(
            KnowledgeArticle.id,
            KnowledgeArticle.title,
            KnowledgeArticle.status,
            KnowledgeArticle.tags,
            snippet,
            KnowledgeArticle.updated_at,
        ).where(KnowledgeArticle.deleted_at.is_(None))
        if match is not None:
            stmt = stmt.join(
                _knowledge_search,
                literal_column("knowledge_search.rowid")
                == literal_column("knowledge_articles.rowid"),
            ).where(literal_column("knowledge_search").op("MATCH")(match))
            stmt = stmt.order_by(literal_column("knowledge_search.rank"))
        else:
            stmt = stmt.where(KnowledgeArticle.status != ArticleStatus.ARCHIVED)
            stmt = stmt.order_by(KnowledgeArticle.updated_at.desc())
        if not include_drafts:
            stmt = stmt.where(KnowledgeArticle.status == ArticleStatus.PUBLISHED)
        if product_id:
            stmt = stmt.where(
                KnowledgeArticle.id.in_(
                    select(KnowledgeArticleProduct.article_id).where(
                        KnowledgeArticleProduct.product_id == product_id,
                        KnowledgeArticleProduct.deleted_at.is_(None),
                    )
                )
            )
        if tag:
            wanted = parse_tags(tag)
            if wanted:
                # tags are stored as "a,b,c"; pad with commas so "seal" does not match "seals"
                padded = "," + func.replace(func.coalesce(KnowledgeArticle.tags, ""), ", ", ",")
                stmt = stmt.where((padded + ",").contains("," + wanted[0] + ","))
        stmt = stmt.limit(limit)
        with self.workspace.transaction() as session:
            return [
                ArticleHit(
                    id=row[0],
                    title=row[1],
                    status=row[2],
                    tags=parse_tags(row[3] or ""),
                    snippet=row[4] or "",
                    updated_at=row[5],
                )
                for row in session.execute(stmt)
            ]

    def all_tags(self) -> list[str]:
        with self.workspace.transaction() as session:
            rows = session.scalars(
                select(KnowledgeArticle.tags).where(
                    KnowledgeArticle.deleted_at.is_(None), KnowledgeArticle.tags.is_not(None)
                )
            )
            return sorted({tag for text in rows for tag in parse_tags(text or "")})

    def products_with_articles(self) -> list[tuple[str, str]]:
        """(id, name) of the products some live article is about, by name."""
        with self.workspace.transaction() as session:
            stmt = (
                select(Product.id, Product.name)
                .where(
                    Product.id.in_(
                        select(KnowledgeArticleProduct.product_id)
                        .join(
                            KnowledgeArticle,
                            KnowledgeArticle.id == KnowledgeArticleProduct.article_id,
                        )
                        .where(
                            KnowledgeArticleProduct.deleted_at.is_(None),
                            KnowledgeArticle.deleted_at.is_(None),
                        )
                    )
                )
                .order_by(Product.name)
            )
            return [(row[0], row[1]) for row in session.execute(stmt)]

    # -- articles ---------------------------------------------------------------------------
    def get_article(self, article_id: str) -> ArticleView:
        with self.workspace.transaction() as session:
            article = get_live(session, KnowledgeArticle, article_id, "article")
            return _view(session, article)

    def draft_from_case(self, case_id: str) -> ArticleDraft:
        """An article prefilled from a resolved case: its title, description and resolution."""
        with self.workspace.transaction() as session:
            case = get_live(session, Case, case_id, "case")
            if case.status not in DOCUMENTABLE_STATUSES or not case.resolution:
                raise ValidationError(
                    f"Case {case.case_number} is not resolved yet; an article is written "
                    "from a resolved case so it can say what fixed the problem."
                )
            body = "\n\n".join(
                part
                for part in (
                    f"Problem\n{case.description.strip()}" if case.description else "",
                    f"Solution\n{case.resolution.strip()}",
                    f"Source: case {case.case_number}",
                )
                if part
            )
            tags = parse_tags(case.category or "")
            products: tuple[str, ...] = ()
            if case.asset is not None and case.asset.product_id:
                products = (case.asset.product_id,)
            return ArticleDraft(
                title=case.title[:NAME_LEN],
                body=body,
                tags=tags,
                product_ids=products,
                source_case_id=case.id,
            )

    def save_article(self, draft: ArticleDraft, article_id: str | None = None) -> ArticleView:
        """Create an article (``article_id`` None) or update one from an editor's draft."""
        title = require_text(draft.title, "title", max_len=NAME_LEN)
        body = require_text(draft.body, "article text", max_len=TEXT_LEN)
        tags = ",".join(parse_tags(draft.tags))
        check_length(tags, "tags", MAX_TAGS_LEN)
        status = parse_enum(ArticleStatus, draft.status, "article status")
        with self.workspace.transaction() as session:
            if article_id is None:
                if draft.source_case_id is not None:
                    get_live(session, Case, draft.source_case_id, "case")
                article = KnowledgeArticle(
                    title=title,
                    body=body,
                    tags=tags or None,
                    status=status,
                    source_case_id=draft.source_case_id,
                )
                session.add(article)
                session.flush()
            else:
                article = get_live(session, KnowledgeArticle, article_id, "article")
                article.title, article.body = title, body
                article.tags, article.status = tags or None, status
            _set_products(session, article.id, draft.product_ids)
            session.flush()
            return _view(session, article)


def _set_products(session: Session, article_id: str, product_ids: Sequence[str]) -> None:
    wanted = list(dict.fromkeys(product_ids))
    for product_id in wanted:
        get_live(session, Product, product_id, "product")
    links = session.scalars(
        select(KnowledgeArticleProduct).where(KnowledgeArticleProduct.article_id == article_id)
    ).all()
    by_product = {link.product_id: link for link in links}
    for product_id, link in by_product.items():
        live = link.deleted_at is None
        if product_id in wanted and not live:
            link.deleted_at = None
        elif product_id not in wanted and live:
            link.deleted_at = utcnow()  # tombstone: the removal syncs
    for product_id in wanted:
        if product_id not in by_product:
            session.add(KnowledgeArticleProduct(article_id=article_id, product_id=product_id))


def _view(session: Session, article: KnowledgeArticle) -> ArticleView:
    products = session.execute(
        select(Product.id, Product.name)
        .join(KnowledgeArticleProduct, KnowledgeArticleProduct.product_id == Product.id)
        .where(
            KnowledgeArticleProduct.article_id == article.id,
            KnowledgeArticleProduct.deleted_at.is_(None),
        )
        .order_by(Product.name)
    ).all()
    source_number = None
    if article.source_case_id:
        source_number = session.scalar(
            select(Case.case_number).where(Case.id == article.source_case_id)
        )
    if article.id is None:
        raise NotFoundError("The article was not saved.")
    return ArticleView(
        id=article.id,
        title=article.title,
        body=article.body,
        tags=parse_tags(article.tags or ""),
        status=article.status,
        product_ids=tuple(p[0] for p in products),
        product_names=tuple(p[1] for p in products),
        source_case_id=article.source_case_id,
        source_case_number=source_number,
        version=article.version,
        updated_at=article.updated_at,
    )
