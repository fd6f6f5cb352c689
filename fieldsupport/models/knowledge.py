"""Knowledge articles, often written from a resolved case."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fieldsupport.models.base import NAME_LEN, Base, SyncMixin, enum_column
from fieldsupport.models.enums import ArticleStatus


class KnowledgeArticle(SyncMixin, Base):
    __tablename__ = "knowledge_articles"

    title: Mapped[str] = mapped_column(String(NAME_LEN))
    body: Mapped[str] = mapped_column(Text)
    # Comma-separated, lower-case; searched with FTS by the knowledge-base view.
    tags: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[ArticleStatus] = enum_column(ArticleStatus, default=ArticleStatus.DRAFT)
    source_case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"))
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))


class KnowledgeArticleProduct(SyncMixin, Base):
    """Which products an article is about (many to many, syncable like any record)."""

    __tablename__ = "knowledge_article_products"
    __table_args__ = (UniqueConstraint("article_id", "product_id"),)

    article_id: Mapped[str] = mapped_column(ForeignKey("knowledge_articles.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
