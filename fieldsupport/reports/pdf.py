"""The service report as a PDF (ReportLab platypus; no Qt, no database).

Photos are embedded from their upright 1600 px JPEG copies *by file path*: ReportLab then
copies the JPEG bytes into the PDF as they are (DCTDecode) instead of decoding and
re-compressing pixels, which keeps a 20-photo report fast and small. ASCII85 is switched
off so those bytes are not inflated by a quarter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from fieldsupport import __version__
from fieldsupport.reports.content import (
    ApplicationBlock,
    Party,
    PhotoItem,
    ReportContent,
    SignatureBlock,
    TrainingBlock,
)
from fieldsupport.reports.fonts import report_fonts
from fieldsupport.reports.text import cell_text, fmt_minutes, fmt_number, fmt_time, limits_text

rl_config.useA85 = 0

MARGIN = 16 * mm
PHOTO_BOX_HEIGHT = 62 * mm
CAPTION_LIMIT = 280  # characters shown under a photo; the JSON carries the full caption
CELL_LIMIT = 600  # characters in one table cell (a cell cannot split across pages)


@dataclass
class RenderResult:
    pages: int = 0
    images: int = 0
    problems: list[str] = field(default_factory=list)
    missing_photos: set[str] = field(default_factory=set)


class _Styles:
    def __init__(self, content: ReportContent) -> None:
        fonts = report_fonts()
        primary = colors.HexColor(content.branding.primary_color)
        base = ParagraphStyle(
            "base", fontName=fonts.regular, bulletFontName=fonts.regular, fontSize=9, leading=11.5
        )
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8, leading=10)
        self.cell_head = ParagraphStyle(
            "cell_head", parent=self.cell, fontName=fonts.bold, textColor=colors.white
        )
        self.label = ParagraphStyle("label", parent=self.cell, textColor=colors.HexColor("#555"))
        self.title = ParagraphStyle(
            "title", parent=base, fontName=fonts.bold, fontSize=16, leading=20, textColor=primary
        )
        self.company = ParagraphStyle("company", parent=base, fontName=fonts.bold, fontSize=11)
        self.right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
        # headings stay on the page of the content they introduce
        self.h2 = ParagraphStyle(
            "h2",
            parent=base,
            fontName=fonts.bold,
            fontSize=11.5,
            leading=14,
            textColor=primary,
            spaceBefore=9,
            spaceAfter=4,
        )
        self.h3 = ParagraphStyle(
            "h3", parent=self.h2, fontSize=9.5, leading=12, spaceBefore=6, spaceAfter=3
        )
        self.marker = ParagraphStyle(
            "marker", parent=base, textColor=colors.HexColor(content.branding.accent_color)
        )
        self.primary = primary
        self.accent = colors.HexColor(content.branding.accent_color)


def _table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    # a table names its cells' font even when every cell is a paragraph; Helvetica there
    # would put a Latin-1 font into the document
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), report_fonts().regular), *commands])


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of user text: escaped (a "<" in a note is text, not markup)."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _markup(markup: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup, style)


class _ReportBuilder:
    def __init__(self, content: ReportContent, result: RenderResult) -> None:
        self.c = content
        self.s = _Styles(content)
        self.result = result
        page = LETTER if content.branding.paper.lower() == "letter" else A4
        self.page_size = page
        self.width = page[0] - 2 * MARGIN

    # -- helpers ---------------------------------------------------------------------------
    def table(
        self,
        header: list[str],
        rows: list[list[Any]],
        widths: list[float],
        extra_style: list[tuple[Any, ...]] | None = None,
    ) -> Table:
        data: list[list[Any]] = [[_p(h, self.s.cell_head) for h in header]]
        for row in rows:
            data.append([c if isinstance(c, Flowable) else _p(str(c), self.s.cell) for c in row])
        scale = self.width / sum(widths)
        # repeatRows: a table longer than a page continues with its header on the next one
        t = Table(data, colWidths=[w * scale for w in widths], repeatRows=1)
        style: list[tuple[Any, ...]] = [
            ("BACKGROUND", (0, 0), (-1, 0), self.s.primary),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#B0B7BF")),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F3F5F7")]),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        t.setStyle(_table_style(style + (extra_style or [])))
        return t

    def details(self, pairs: list[tuple[str, str]], columns: int = 2) -> Table:
        cells: list[Any] = []
        for label, value in pairs:
            cells += [_p(label, self.s.label), _p(cell_text(value, CELL_LIMIT), self.s.cell)]
        per_row = columns * 2
        rows = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
        if rows and len(rows[-1]) < per_row:
            rows[-1] += [Spacer(0, 0)] * (per_row - len(rows[-1]))
        label_w, value_w = 0.16, (1 - 0.16 * columns) / columns
        widths = [label_w, value_w] * columns
        t = Table(rows, colWidths=[w * self.width for w in widths])
        t.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return t

    def heading(self, text: str, *, minor: bool = False, space: float = 0) -> list[Flowable]:
        """A heading that never ends a page: it moves to the next page unless there is room
        for it and the start of its content. (keepWithNext would move a whole long table
        to the next page, leaving most of the current page empty.)"""
        room = space or (22 * mm if minor else 30 * mm)
        return [CondPageBreak(room), _p(text, self.s.h3 if minor else self.s.h2)]

    def missing(self, what: str) -> Paragraph:
        self.result.problems.append(what)
        return _p(f"[{what}]", self.s.marker)

    # -- sections --------------------------------------------------------------------------
    def build(self) -> list[Flowable]:
        story: list[Flowable] = []
        story += self.masthead()
        story += self.case_section()
        story += self.visit_section()
        story += self.measurements_section()
        story += self.parts_section()
        story += self.applications_section()
        story += self.training_section()
        story += self.photos_section()
        story += self.signature_section()
        return story

    def masthead(self) -> list[Flowable]:
        c, s = self.c, self.s
        company = [_p(c.branding.company_name, s.company)]
        company += [_p(line, s.small) for line in c.branding.address_lines]
        logo = self.logo()
        left: list[Any] = [logo, company] if logo is not None else [company]
        status = {"draft": "DRAFT — not signed", "signed": "Signed", "final": "Final (unsigned)"}
        facts = [
            ("Report", c.report_number),
            ("Revision", str(c.revision)),
            ("Date", fmt_time(c.generated_at)),
            ("Status", status.get(c.status, c.status)),
        ]
        right = Table(
            [[_p(k, s.label), _p(v, s.cell)] for k, v in facts],
            colWidths=[22 * mm, 48 * mm],
        )
        right.setStyle(_table_style([("TOPPADDING", (0, 0), (-1, -1), 0.5)]))
        widths = [32 * mm, self.width - 32 * mm - 70 * mm, 70 * mm] if logo else None
        row = [*left, right]
        head = Table([row], colWidths=widths or [self.width - 70 * mm, 70 * mm])
        head.setStyle(_table_style([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        title = _markup("Service report", s.title)
        return [head, Spacer(1, 4 * mm), title, Spacer(1, 2 * mm)]

    def logo(self) -> Flowable | None:
        path = self.c.branding.logo_path
        if path is None:
            return None
        try:
            with PILImage.open(path) as img:
                w, h = img.size
                img.verify()
        except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError):
            return self.missing("company logo could not be read")
        scale = min(30 * mm / w, 18 * mm / h)
        return Image(str(path), width=w * scale, height=h * scale)

    def case_section(self) -> list[Flowable]:
        c = self.c
        pairs = [
            ("Case", c.case_number),
            ("Assist type", c.assist_type),
            ("Priority", c.priority),
            ("Status", c.case_status),
            ("Subject", c.case_title),
            ("Engineer", c.engineer),
        ]
        story: list[Flowable] = [*self.heading("Case"), self.details(pairs)]
        parties: list[tuple[str, Party | None]] = [
            ("Customer", c.customer),
            ("Site", c.site),
            ("Contact", c.contact),
            ("Asset", c.asset),
        ]
        cells = []
        for label, party in parties:
            if party is None:
                continue
            lines = [f"<b>{escape(label)}</b>", escape(party.title)]
            lines += [f"{escape(k)}: {escape(cell_text(v, 200))}" for k, v in party.details]
            cells.append(_markup("<br/>".join(lines), self.s.cell))
        if cells:
            t = Table([cells], colWidths=[self.width / len(cells)] * len(cells))
            t.setStyle(
                _table_style(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("BOX", (0, 0), (-1, -1), 0.25, colors.HexColor("#B0B7BF")),
                        ("INNERGRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#B0B7BF")),
                    ]
                )
            )
            story += [Spacer(1, 2 * mm), t]
        return story

    def visit_section(self) -> list[Flowable]:
        c, s = self.c, self.s
        story: list[Flowable] = [*self.heading("Visit")]
        rows = [
            [fmt_time(r.when), r.what, fmt_minutes(r.minutes), cell_text(r.note, CELL_LIMIT)]
            for r in c.timeline
        ]
        if rows:
            story.append(self.table(["When", "What", "Duration", "Note"], rows, [3.6, 3, 1.4, 4.4]))
        else:
            story.append(_p("No times were recorded for this visit.", s.body))
        work, travel = fmt_minutes(c.total_work_minutes), fmt_minutes(c.total_travel_minutes)
        totals = f"Work time {work or '0 min'}; travel {travel or '0 min'}"
        if c.travel_distance_km is not None:
            totals += f", {fmt_number(c.travel_distance_km)} km"
        story.append(Spacer(1, 1.5 * mm))
        story.append(_markup(f"<b>Totals:</b> {escape(totals)}", s.body))
        for heading, text in (
            ("Work performed", c.work_performed),
            ("Findings", c.findings),
        ):
            story += self.heading(heading, minor=True)
            story.append(_p(text or "—", s.body))
        story += self.heading("Follow-up", minor=True)
        follow = c.follow_up_notes or ("Needed." if c.follow_up_needed else "None needed.")
        if c.follow_up_needed and c.follow_up_notes:
            follow = f"Needed: {c.follow_up_notes}"
        story.append(_p(follow, s.body))
        return story

    def measurements_section(self) -> list[Flowable]:
        if not self.c.measurements:
            return []
        rows, marks = [], []
        for i, m in enumerate(self.c.measurements, start=1):
            if m.within_limits is None:
                verdict = "no limits"
            elif m.within_limits:
                verdict = "within limits"
            else:
                verdict = "OUT OF LIMITS"
                marks += [
                    ("TEXTCOLOR", (2, i), (2, i), self.s.accent),
                    ("BACKGROUND", (0, i), (-1, i), colors.HexColor("#FBE3E0")),
                ]
            rows.append(
                [
                    cell_text(m.name, 200),
                    m.phase,
                    f"{fmt_number(m.value)} {m.unit}",
                    limits_text(m.lower_limit, m.upper_limit, m.unit),
                    verdict,
                    cell_text(m.note, CELL_LIMIT),
                ]
            )
        header = ["Measurement", "Phase", "Value", "Limits", "Result", "Note"]
        table = self.table(header, rows, [3.2, 1.2, 1.8, 2.4, 2.2, 3.0], marks)
        return [*self.heading("Measurements"), table]

    def parts_section(self) -> list[Flowable]:
        if not self.c.parts:
            return []
        rows = [
            [
                p.part_number,
                cell_text(p.description, 300),
                f"{fmt_number(p.quantity)} {p.unit}",
                p.serial_number,
            ]
            for p in self.c.parts
        ]
        table = self.table(
            ["Part number", "Description", "Quantity", "Serial"], rows, [2, 5, 1.5, 2]
        )
        return [*self.heading("Parts used"), table]

    def applications_section(self) -> list[Flowable]:
        if not self.c.applications:
            return []
        story: list[Flowable] = [*self.heading("Custom solutions applied")]
        for block in self.c.applications:
            story += self.application(block)
        return story

    def application(self, a: ApplicationBlock) -> list[Flowable]:
        s = self.s
        story: list[Flowable] = [
            *self.heading(f"{a.solution_title} — version {a.version_number}", minor=True),
            _p(f"Applied {fmt_time(a.applied_at)}. Outcome: {a.outcome}.", s.body),
        ]
        if a.outcome_notes:
            story.append(_p(a.outcome_notes, s.body))
        rows, marks = [], []
        for i, p in enumerate(a.parameters, start=1):
            planned = "—" if p.planned_value is None else f"{fmt_number(p.planned_value)} {p.unit}"
            actual = "—" if p.actual_value is None else f"{fmt_number(p.actual_value)} {p.unit}"
            verdict = (
                "OUT OF RANGE"
                if p.out_of_range
                else ("in range" if p.actual_value is not None else "")
            )
            if p.out_of_range:
                marks += [
                    ("TEXTCOLOR", (4, i), (4, i), s.accent),
                    ("BACKGROUND", (0, i), (-1, i), colors.HexColor("#FBE3E0")),
                ]
            rows.append(
                [
                    cell_text(p.name, 200),
                    limits_text(p.min_value, p.max_value, p.unit),
                    planned,
                    actual,
                    verdict,
                    cell_text(p.deviation_reason, CELL_LIMIT),
                ]
            )
        if rows:
            header = ["Parameter", "Range", "Planned", "Actual", "Result", "Deviation reason"]
            story.append(Spacer(1, 1.5 * mm))
            story.append(self.table(header, rows, [2.8, 2.2, 1.7, 1.7, 1.7, 3.6], marks))
        for title, note in a.skipped_steps:
            story.append(_p(f"Step skipped: {title} — {note}", s.small))
        return story

    def training_section(self) -> list[Flowable]:
        if not self.c.training:
            return []
        story: list[Flowable] = [*self.heading("Training")]
        for block in self.c.training:
            story += self.training(block)
        return story

    def training(self, t: TrainingBlock) -> list[Flowable]:
        s = self.s
        story: list[Flowable] = [
            *self.heading(t.topic, minor=True),
            _p(
                f"{fmt_time(t.started_at)}, {fmt_minutes(t.duration_minutes)}"
                + (f", trainer {t.trainer}" if t.trainer else ""),
                s.body,
            ),
            Spacer(1, 1.5 * mm),
        ]
        rows = [[a.name, a.role, a.company, a.sign_off, a.assessment] for a in t.attendees]
        if rows:
            header = ["Attendee", "Role", "Company", "Signed off", "Assessment"]
            story.append(self.table(header, rows, [3, 2.2, 2.6, 1.6, 2]))
        else:
            story.append(_p("No attendees recorded.", s.body))
        return story

    def photos_section(self) -> list[Flowable]:
        photos = self.c.photos
        if not photos:
            return []
        col_w = (self.width - 6 * mm) / 2
        cells = [self.photo_cell(p, col_w) for p in photos]
        rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
        if len(rows[-1]) == 1:
            rows[-1].append(Spacer(0, 0))
        grid = Table(rows, colWidths=[col_w + 3 * mm, col_w + 3 * mm])
        grid.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ]
            )
        )
        return [*self.heading(f"Photos ({len(photos)})", space=PHOTO_BOX_HEIGHT + 20 * mm), grid]

    def photo_cell(self, photo: PhotoItem, col_w: float) -> list[Flowable]:
        caption = photo.caption
        if photo.before_after:
            caption = (
                f"{photo.before_after.capitalize()}: {caption}"
                if caption
                else photo.before_after.capitalize()
            )
        parts: list[Flowable] = []
        size = _jpeg_size(photo.image_path)
        if size is None:
            parts.append(self.missing(f"photo {photo.sha256[:12]} is missing from this device"))
            self.result.missing_photos.add(photo.attachment_id)
        else:
            w, h = size
            scale = min(col_w / w, PHOTO_BOX_HEIGHT / h)
            parts.append(Image(str(photo.image_path), width=w * scale, height=h * scale))
            self.result.images += 1
        if photo.taken_at is not None:
            caption = (
                f"{caption} ({fmt_time(photo.taken_at)})" if caption else fmt_time(photo.taken_at)
            )
        shortened = cell_text(
            caption, CAPTION_LIMIT, marker=" … [shortened; full caption in the report data]"
        )
        parts.append(_p(shortened, self.s.small))
        return parts

    def signature_section(self) -> list[Flowable]:
        c, s = self.c, self.s
        # the heading goes with the block: a sign-off never starts at the foot of a page
        block: list[Flowable] = [_p("Customer sign-off", s.h2)]
        sig = c.signature
        if c.status == "draft" or sig is None:
            block.append(
                _p(
                    "Not signed. This is a preview; it becomes the service report when it is "
                    "finalized with the customer's signature or their recorded refusal.",
                    s.body,
                )
            )
        elif sig.declined:
            block.append(
                _p(
                    f"{sig.signer_name} declined to sign on {fmt_time(sig.signed_at)}. "
                    f"Reason given: {sig.decline_reason}",
                    s.body,
                )
            )
        else:
            block += self.signature(sig)
        if c.csat_score is not None:
            text = f"Customer satisfaction: {c.csat_score} / 5"
            if c.csat_comment:
                text += f" — “{c.csat_comment}”"
            block += [Spacer(1, 2 * mm), _p(text, s.body)]
        return [KeepTogether(block)]

    def signature(self, sig: SignatureBlock) -> list[Flowable]:
        s = self.s
        image: Flowable
        size = _image_size(sig.image_path)
        if size is None:
            image = self.missing("signature image is missing from this device")
        else:
            w, h = size
            scale = min(70 * mm / w, 28 * mm / h)
            image = Image(str(sig.image_path), width=w * scale, height=h * scale, mask="auto")
            self.result.images += 1
        who = f"<b>{escape(sig.signer_name)}</b>"
        if sig.signer_role:
            who += f", {escape(sig.signer_role)}"
        who += f"<br/>Signed {escape(fmt_time(sig.signed_at))}"
        t = Table([[image, _markup(who, s.body)]], colWidths=[80 * mm, self.width - 80 * mm])
        t.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("LINEBELOW", (0, 0), (0, 0), 0.5, colors.black),
                ]
            )
        )
        return [t]


def _jpeg_size(path: Path | None) -> tuple[int, int] | None:
    """Size of a JPEG copy, or None when it is missing or not a readable JPEG (ReportLab
    would fail half-way through the document on it)."""
    if path is None:
        return None
    try:
        with PILImage.open(path) as img:
            if img.format != "JPEG":
                return None
            return img.size
    except (OSError, ValueError, PILImage.DecompressionBombError):
        return None


def _image_size(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        with PILImage.open(path) as img:
            img.verify()
            return img.size
    except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError):
        return None


def _canvas_class(content: ReportContent, fonts: Any) -> Callable[..., rl_canvas.Canvas]:
    """A canvas that holds pages back until the end so each can say "Page x of y"."""
    branding = content.branding
    header_right = f"{content.report_number} rev. {content.revision}"

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:  # ReportLab's name
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setStrokeColor(colors.HexColor(branding.primary_color))
            self.setLineWidth(0.6)
            self.line(MARGIN, height - MARGIN + 3 * mm, width - MARGIN, height - MARGIN + 3 * mm)
            self.line(MARGIN, MARGIN - 4 * mm, width - MARGIN, MARGIN - 4 * mm)
            self.setFont(fonts.regular, 7.5)
            self.setFillColor(colors.HexColor("#444444"))
            self.drawString(MARGIN, height - MARGIN + 4.5 * mm, branding.company_name[:90])
            self.drawRightString(width - MARGIN, height - MARGIN + 4.5 * mm, header_right)
            footer = branding.footer_text[:140]
            self.drawString(MARGIN, MARGIN - 8 * mm, footer)
            self.drawRightString(
                width - MARGIN, MARGIN - 8 * mm, f"Page {self._pageNumber} of {total}"
            )
            if content.status == "draft":
                self.setFont(fonts.bold, 60)
                self.setFillColor(colors.Color(0.75, 0.2, 0.2, alpha=0.12))
                self.translate(width / 2, height / 2)
                self.rotate(45)
                self.drawCentredString(0, 0, "DRAFT")
            self.restoreState()

    return NumberedCanvas


def render_pdf(
    content: ReportContent,
    out_path: Path,
    on_flowable: Callable[[float], None] | None = None,
) -> RenderResult:
    """Write the report to ``out_path`` (the caller makes that path atomic).

    ``on_flowable`` gets the fraction laid out so far after each top-level block; it may
    raise to cancel (the partly written file is then the caller's to delete)."""
    fonts = report_fonts()
    result = RenderResult(problems=list(content.problems))
    builder = _ReportBuilder(content, result)
    story = builder.build()
    doc = SimpleDocTemplate(
        str(out_path),
        pagesize=builder.page_size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Service report {content.report_number} rev. {content.revision}",
        author=content.engineer or content.branding.company_name,
        subject=f"Case {content.case_number} — {content.customer.title}",
        creator=f"FieldSupport {__version__}",
        # otherwise every page names Helvetica, a Latin-1 font, as its starting font
        initialFontName=fonts.regular,
    )
    if on_flowable is not None:
        total = len(story)
        done = [0]

        def after_flowable(_flowable: Flowable) -> None:
            done[0] += 1
            on_flowable(min(done[0] / total, 1.0))

        doc.afterFlowable = after_flowable  # type: ignore[method-assign]
    doc.build(story, canvasmaker=_canvas_class(content, fonts))
    result.pages = doc.page
    return result
