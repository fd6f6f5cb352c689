"""Knowledge base: offline full-text search with highlighted snippets, filters by product and
tag, the article view, and the editor (also for "Create article from this case")."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QTimer, QUrl, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fieldsupport.errors import FieldSupportError
from fieldsupport.models.enums import ArticleStatus
from fieldsupport.services.knowledge import (
    HIT_END,
    HIT_START,
    ArticleDraft,
    ArticleHit,
    ArticleView,
    KnowledgeService,
    parse_tags,
)
from fieldsupport.services.validation import NAME_LEN
from fieldsupport.ui.jobs import JobRunner
from fieldsupport.ui.widgets import (
    TOUCH_HEIGHT,
    BoundedTextEdit,
    InlineMessage,
    format_time,
    touch_button,
)

SEARCH_DEBOUNCE_MS = 200


def snippet_html(snippet: str) -> str:
    """The service's snippet as safe HTML: text escaped first, then the match markers."""
    return (
        escape(snippet)
        .replace(HIT_START, '<b style="background-color:#fff1a8">')
        .replace(HIT_END, "</b>")
        .replace("\n", " ")
    )


class KnowledgePage(QWidget):
    results_shown = Signal(int)
    article_shown = Signal(str)

    def __init__(self, service: KnowledgeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Knowledge base"))
        self._service = service
        self.jobs = JobRunner(self)
        self._generation = 0
        self.article: ArticleView | None = None
        self.search = QLineEdit(self)
        self.search.setAccessibleName(self.tr("Search articles"))
        self.search.setPlaceholderText(self.tr("Search knowledge articles…"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumHeight(TOUCH_HEIGHT)
        self.product = QComboBox(self)
        self.product.setAccessibleName(self.tr("Product filter"))
        self.product.setMinimumHeight(TOUCH_HEIGHT)
        self.tag = QComboBox(self)
        self.tag.setAccessibleName(self.tr("Tag filter"))
        self.tag.setMinimumHeight(TOUCH_HEIGHT)
        self.new_button = touch_button(self.tr("New article"), self)
        self.new_button.clicked.connect(lambda: self.edit(ArticleDraft(title="", body="")))
        self.results = QTextBrowser(self)
        self.results.setAccessibleName(self.tr("Matching articles"))
        self.results.setOpenLinks(False)
        self.results.anchorClicked.connect(self._result_clicked)
        self.view = QTextBrowser(self)
        self.view.setAccessibleName(self.tr("Article"))
        self.edit_button = touch_button(self.tr("Edit article"), self)
        self.edit_button.setEnabled(False)
        self.edit_button.clicked.connect(self._edit_current)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        bar.addWidget(self.product, 1)
        bar.addWidget(self.tag, 1)
        bar.addWidget(self.new_button)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.view, 1)
        right_layout.addWidget(self.edit_button)
        self.splitter = QSplitter(self)
        self.splitter.setObjectName("knowledgeSplitter")
        self.splitter.addWidget(self.results)
        self.splitter.addWidget(right)
        self.splitter.setSizes([420, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.product.currentIndexChanged.connect(self.run_search)
        self.tag.currentIndexChanged.connect(self.run_search)
        self._filters_loaded = False

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if not self._filters_loaded:
            self.refresh_filters()
            self.run_search()

    def refresh_filters(self) -> None:
        self._filters_loaded = True
        for combo in (self.product, self.tag):
            combo.blockSignals(True)
            combo.clear()
        self.product.addItem(self.tr("Any product"), None)
        for product_id, name in self._service.products_with_articles():
            self.product.addItem(name, product_id)
        self.tag.addItem(self.tr("Any tag"), None)
        for tag in self._service.all_tags():
            self.tag.addItem(tag, tag)
        for combo in (self.product, self.tag):
            combo.blockSignals(False)

    @Slot()
    def run_search(self) -> None:
        self._debounce.stop()
        self._generation += 1
        generation = self._generation
        text, product, tag = self.search.text(), self.product.currentData(), self.tag.currentData()
        service = self._service
        self.jobs.run(
            lambda _t: service.search(text, product_id=product, tag=tag),
            lambda hits: self._show_results(generation, hits),
        )

    def _show_results(self, generation: int, hits: list[ArticleHit]) -> None:
        if generation != self._generation:
            return
        if not hits:
            self.results.setHtml(f"<p>{escape(self.tr('No article matches.'))}</p>")
        else:
            blocks = []
            for hit in hits:
                status = (
                    ""
                    if hit.status is ArticleStatus.PUBLISHED
                    else f" <i>({escape(self.tr(hit.status.value))})</i>"
                )
                tags = escape(", ".join(hit.tags))
                blocks.append(
                    f'<p><a href="article:{hit.id}"><b>{escape(hit.title)}</b></a>{status}<br>'
                    f"{snippet_html(hit.snippet)}<br><small>{tags}</small></p>"
                )
            self.results.setHtml("".join(blocks))
        self.hits = hits
        if hits and (self.article is None or self.article.id not in {h.id for h in hits}):
            self.show_article(hits[0].id)  # the best match, without another click
        self.results_shown.emit(len(hits))

    @Slot(QUrl)
    def _result_clicked(self, url: QUrl) -> None:
        if url.scheme() == "article":
            self.show_article(url.path())

    def show_article(self, article_id: str) -> None:
        try:
            article = self._service.get_article(article_id)
        except FieldSupportError as exc:
            self.jobs.show_error(exc)
            return
        self.article = article
        source = ""
        if article.source_case_number:
            source = self.tr("From case {0}").format(article.source_case_number)
            source = f"<p><small>{escape(source)}</small></p>"
        meta = [self.tr(article.status.value), format_time(article.updated_at)]
        meta += [", ".join(article.product_names), ", ".join(article.tags)]
        body = "".join(
            "<p>" + escape(p).replace("\n", "<br>") + "</p>" for p in article.body.split("\n\n")
        )
        self.view.setHtml(
            f"<h2>{escape(article.title)}</h2>"
            f"<p><small>{escape(' · '.join(m for m in meta if m))}</small></p>{body}{source}"
        )
        self.edit_button.setEnabled(True)
        self.article_shown.emit(article.id)

    @Slot()
    def _edit_current(self) -> None:
        article = self.article
        if article is None:
            return
        self.edit(
            ArticleDraft(
                title=article.title,
                body=article.body,
                tags=article.tags,
                product_ids=article.product_ids,
                source_case_id=article.source_case_id,
                status=article.status,
            ),
            article.id,
        )

    def edit(self, draft: ArticleDraft, article_id: str | None = None) -> ArticleEditor:
        editor = ArticleEditor(self._service, draft, article_id, self)
        editor.saved.connect(self._saved)
        editor.open()
        self.editor = editor
        return editor

    def _saved(self, article_id: str) -> None:
        self.refresh_filters()
        self.run_search()
        self.show_article(article_id)


class ArticleEditor(QDialog):
    saved = Signal(str)

    def __init__(
        self,
        service: KnowledgeService,
        draft: ArticleDraft,
        article_id: str | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._draft = draft
        self._article_id = article_id
        self.setWindowTitle(self.tr("Knowledge article"))
        self.setAccessibleName(self.tr("Article editor"))
        self.resize(720, 560)
        self.title = QLineEdit(draft.title, self)
        self.title.setAccessibleName(self.tr("Article title"))
        self.title.setMaxLength(NAME_LEN)
        self.title.setMinimumHeight(TOUCH_HEIGHT)
        self.body = BoundedTextEdit(self)
        self.body.setAccessibleName(self.tr("Article text"))
        self.body.setPlainText(draft.body)
        self.tags = QLineEdit(", ".join(draft.tags), self)
        self.tags.setAccessibleName(self.tr("Tags"))
        self.tags.setPlaceholderText(self.tr("comma-separated"))
        self.tags.setMinimumHeight(TOUCH_HEIGHT)
        self.status = QComboBox(self)
        self.status.setAccessibleName(self.tr("Article status"))
        for status in ArticleStatus:
            self.status.addItem(self.tr(status.value.capitalize()), status)
        self.status.setCurrentIndex(max(self.status.findData(draft.status), 0))
        self.message = InlineMessage(self)
        form = QFormLayout()
        form.addRow(self.tr("Title"), self.title)
        form.addRow(self.tr("Text"), self.body)
        form.addRow(self.tr("Tags"), self.tags)
        form.addRow(self.tr("Status"), self.status)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    @Slot()
    def save(self) -> None:
        draft = ArticleDraft(
            title=self.title.text(),
            body=self.body.toPlainText(),
            tags=parse_tags(self.tags.text()),
            product_ids=self._draft.product_ids,
            source_case_id=self._draft.source_case_id,
            status=self.status.currentData(),
        )
        try:
            view = self._service.save_article(draft, self._article_id)
        except FieldSupportError as exc:
            self.message.show_error(str(exc))
            return
        self.saved.emit(view.id)
        self.accept()
