"""Service reports: the PDF read back, the JSON beside it, revisions and immutability."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from pypdf import PdfReader
from report_builders import ORIENTATION, report_visit, sign
from sqlalchemy import func, select

from fieldsupport import cli
from fieldsupport.errors import FieldSupportError, NotFoundError, ValidationError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import ServiceReport
from fieldsupport.models.enums import ReportStatus
from fieldsupport.reports.schema import REPORT_SCHEMA
from fieldsupport.services.report_content import load_branding
from fieldsupport.services.reports import ReportService
from fieldsupport.services.signatures import SignatureService
from fieldsupport.services.visits import VisitService
from fieldsupport.tasks import Cancelled, TaskState
from fieldsupport.workspace import Workspace

PHOTOS = [ORIENTATION / f"Landscape_{i}.jpg" for i in range(1, 5)]


def text_of(pdf: Path) -> str:
    """The PDF's text with every run of white space as one space (table cells wrap)."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)


def images_in(pdf: Path) -> list[tuple[str, bytes]]:
    """(filter, raw stream bytes) of every image XObject, page by page."""
    found = []
    for page in PdfReader(pdf).pages:
        xobjects = page["/Resources"].get("/XObject", {})
        for ref in xobjects.values():
            obj = ref.get_object()
            if obj["/Subtype"] == "/Image":
                filters = obj.get("/Filter")
                names = [str(f) for f in filters] if isinstance(filters, list) else [str(filters)]
                found.append(("+".join(names), obj._data))
    return found


def data_of(view_data_path: Path | None) -> dict[str, object]:
    assert view_data_path is not None
    return json.loads(view_data_path.read_bytes())  # type: ignore[no-any-return]


def test_draft_report_carries_the_visit(workspace: Workspace) -> None:
    rv = report_visit(workspace, photos=PHOTOS)
    reports = ReportService(workspace)
    draft = reports.generate_draft(rv.visit_id)
    assert draft.status is ReportStatus.DRAFT and draft.revision == 1
    assert draft.report_number == f"SR-{workspace.device_code}-00001"
    assert draft.pdf_path is not None
    text = text_of(draft.pdf_path)
    for expected in (
        rv.case_number,
        "Zakłady Chemiczne Odra S.A.",
        "Dosing pump DX-100",
        "DX-0001",
        "Discharge pressure 1",
        "7.2 bar",
        "OUT OF LIMITS",
        "Dosing rate",
        "15.5 ml/min",
        "OUT OF RANGE",
        "Line speed raised by the customer",
        "Ewa Wiśniewska",
        "Jan Nowak",
        "Gland packing set DX-100",
        "Replaced the gland packing",
        "Not signed",
        "DRAFT",
    ):
        assert expected in text, expected
    pages = len(PdfReader(draft.pdf_path).pages)
    for n in range(1, pages + 1):
        assert f"Page {n} of {pages}" in text
    # photos: embedded as the very JPEG bytes of their upright report copies (no re-encoding,
    # no ASCII85), one image each
    store = BlobStore(workspace.blobs_dir)
    images = images_in(draft.pdf_path)
    assert len(images) == len(PHOTOS)
    copies = {
        store.report_copy_path(p["sha256"]).read_bytes() for p in data_of(draft.data_path)["photos"]
    }  # type: ignore[index,union-attr]
    assert all(f == "/DCTDecode" for f, _ in images)
    assert {raw for _, raw in images} == copies


def test_a_photo_synced_without_its_copies_is_in_the_report_upright(workspace: Workspace) -> None:
    # only originals travel through sync: a photo taken on another device arrives without its
    # report copy and thumbnail, and its gallery may never have been opened here
    portrait = ORIENTATION / "Portrait_6.jpg"  # stored turned, EXIF orientation 6
    rv = report_visit(workspace, photos=[PHOTOS[0], portrait])
    store = BlobStore(workspace.blobs_dir)
    shas = [
        p["sha256"]
        for p in data_of(ReportService(workspace).generate_draft(rv.visit_id).data_path)["photos"]
    ]  # type: ignore[index,union-attr]
    for sha in shas:
        store.report_copy_path(sha).unlink()
        store.thumbnail_path(sha).unlink()
    draft = ReportService(workspace).generate_draft(rv.visit_id)
    assert draft.pdf_path is not None
    assert "is missing from this device" not in text_of(draft.pdf_path)
    assert not any("missing" in p for p in draft.problems)
    images = images_in(draft.pdf_path)
    assert {raw for _, raw in images} == {store.report_copy_path(sha).read_bytes() for sha in shas}
    from PIL import Image

    with Image.open(store.report_copy_path(shas[1])) as copy:
        assert copy.height > copy.width  # the portrait, upright
    assert store.thumbnail_path(shas[1]).is_file()


def test_data_document_validates_and_names_its_pdf(workspace: Workspace) -> None:
    rv = report_visit(workspace, photos=PHOTOS[:2])
    reports = ReportService(workspace)
    draft = reports.generate_draft(rv.visit_id)
    final = reports.finalize(
        draft.id, signature_id=sign(workspace, rv.visit_id), csat_score=5, csat_comment="OK"
    )
    for view in (draft, final):
        doc = data_of(view.data_path)
        jsonschema.validate(doc, REPORT_SCHEMA)
        assert view.pdf_path is not None
        pdf_bytes = view.pdf_path.read_bytes()
        assert doc["pdf"] == {
            "sha256": hashlib.sha256(pdf_bytes).hexdigest(),
            "bytes": len(pdf_bytes),
        }
    doc = data_of(final.data_path)
    assert doc["report"]["status"] == "signed"  # type: ignore[index]
    assert doc["case"]["number"] == rv.case_number  # type: ignore[index]
    assert [m["value"] for m in doc["measurements"]] == [4.2, 5.7, 7.2]  # type: ignore[union-attr,index]
    params = doc["applications"][0]["parameters"]  # type: ignore[index]
    assert [
        (p["name"], p["planned_value"], p["actual_value"], p["out_of_range"]) for p in params
    ] == [
        ("Dosing rate", 12, 15.5, True),
        ("Temperature", 65, 66, False),
    ]
    attendees = doc["training"][0]["attendees"]  # type: ignore[index]
    assert [(a["name"], a["sign_off"]) for a in attendees] == [
        ("Jan Nowak", "yes"),
        ("Ewa Wiśniewska", "no"),
    ]
    assert doc["signature"]["signer_name"] == "Jan Nowak"  # type: ignore[index]
    assert len(doc["signature"]["image_sha256"]) == 64  # type: ignore[index,arg-type]
    assert doc["satisfaction"] == {"score": 5, "comment": "OK"}
    assert len(doc["photos"]) == 2 and all(p["in_pdf"] for p in doc["photos"])  # type: ignore[union-attr,arg-type]
    # a document from another report does not validate as this PDF's
    assert data_of(draft.data_path)["pdf"] != doc["pdf"]
    # the schema rejects what it must
    broken = dict(doc, measurements=[{"name": "x"}])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, REPORT_SCHEMA)


def test_signed_report_is_immutable_and_edits_make_revision_two(workspace: Workspace) -> None:
    rv = report_visit(workspace)
    reports = ReportService(workspace)
    draft = reports.generate_draft(rv.visit_id)
    again = reports.generate_draft(rv.visit_id)  # a second preview replaces the draft
    assert (again.id, again.revision) == (draft.id, 1)
    signed = reports.finalize(again.id, signature_id=sign(workspace, rv.visit_id), csat_score=4)
    assert signed.status is ReportStatus.SIGNED and signed.signed_by == "Jan Nowak"
    assert signed.pdf_path is not None
    signed_bytes = signed.pdf_path.read_bytes()
    named = workspace.reports_dir / f"{signed.report_number}-rev1.pdf"
    assert named.read_bytes() == signed_bytes
    assert not (workspace.reports_dir / f"{signed.report_number}-rev1-draft.pdf").exists()

    with pytest.raises(ValidationError, match="already signed"):
        reports.finalize(signed.id, signature_id=sign(workspace, rv.visit_id))
    with pytest.raises(ValidationError, match="cannot be changed"):
        with workspace.transaction() as s:
            s.get(ServiceReport, signed.id).csat_score = 1  # type: ignore[union-attr]

    VisitService(workspace).add_measurement(rv.visit_id, "Leak rate", 0.0, unit="ml/h")
    rev2 = reports.generate_draft(rv.visit_id)
    assert (rev2.report_number, rev2.revision, rev2.status) == (
        signed.report_number,
        2,
        ReportStatus.DRAFT,
    )
    assert rev2.id != signed.id
    assert "Leak rate" in text_of(rev2.pdf_path)  # type: ignore[arg-type]
    # revision 1 is exactly what was signed
    first = reports.get(signed.id)
    assert first.status is ReportStatus.SIGNED and first.pdf_sha256 == signed.pdf_sha256
    assert first.pdf_path.read_bytes() == signed_bytes  # type: ignore[union-attr]
    assert named.read_bytes() == signed_bytes
    assert [r.revision for r in reports.reports_of_case(rv.case_id)] == [1, 2]


def test_finalize_refuses_when_the_visit_changed_after_the_preview(workspace: Workspace) -> None:
    rv = report_visit(workspace)
    reports = ReportService(workspace)
    draft = reports.generate_draft(rv.visit_id)
    VisitService(workspace).add_part(rv.visit_id, "O-RING-12", "O-ring 12 mm", 2)
    with pytest.raises(ValidationError, match="changed after this preview"):
        reports.finalize(draft.id, signature_id=sign(workspace, rv.visit_id))
    assert reports.get(draft.id).status is ReportStatus.DRAFT
    preview = reports.generate_draft(rv.visit_id)
    final = reports.finalize(preview.id, signature_id=sign(workspace, rv.visit_id))
    assert "O-ring 12 mm" in text_of(final.pdf_path)  # type: ignore[arg-type]


def test_refusal_to_sign_is_recorded_in_the_report(workspace: Workspace) -> None:
    rv = report_visit(workspace)
    reports = ReportService(workspace)
    draft = reports.generate_draft(rv.visit_id)
    refusal = SignatureService(workspace).record_refusal(
        signer_name="Jan Nowak", reason="Needs the plant manager's approval", visit_id=rv.visit_id
    )
    final = reports.finalize(draft.id, signature_id=refusal.id)
    assert final.status is ReportStatus.FINAL
    text = text_of(final.pdf_path)  # type: ignore[arg-type]
    assert "Jan Nowak declined to sign" in text
    assert "plant manager's approval" in text
    doc = data_of(final.data_path)
    assert doc["signature"]["declined"] is True  # type: ignore[index]
    assert doc["signature"]["image_sha256"] is None  # type: ignore[index]
    with pytest.raises(ValidationError, match="Reason for not signing is required"):
        SignatureService(workspace).record_refusal(signer_name="Jan", reason="  ")


def test_unicode_names_and_notes_survive(workspace: Workspace) -> None:
    notes = (
        "Zażółć gęślą jaźń. Şırınga değiştirildi, İğne çıkarıldı. "
        "Αντλία ελέγχθηκε. Насос проверен, уплотнение заменено."
    )
    rv = report_visit(workspace, notes=notes, customer_name="Łódzkie Zakłady — Müşteri Çağlar")
    draft = ReportService(workspace).generate_draft(rv.visit_id)
    reader = PdfReader(draft.pdf_path)  # type: ignore[arg-type]
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for word in (
        "Zażółć",
        "gęślą",
        "jaźń",
        "Şırınga",
        "değiştirildi",
        "İğne",
        "Αντλία",
        "ελέγχθηκε",
        "Насос",
        "уплотнение",
        "Łódzkie",
        "Müşteri",
        "Çağlar",
    ):
        assert word in text, word
    fonts = {
        str(f.get_object()["/BaseFont"])
        for page in reader.pages
        for f in page["/Resources"]["/Font"].values()
    }
    assert fonts and all("DejaVuSans" in f for f in fonts)  # embedded, not a Latin-1 base font


def test_bad_input_still_gives_a_report_with_markers(workspace: Workspace) -> None:
    rv = report_visit(workspace, photos=PHOTOS[:3], measurements=300)
    store = BlobStore(workspace.blobs_dir)
    reports = ReportService(workspace)
    from fieldsupport.services.photos import PhotoService

    photos = PhotoService(workspace).photos_of_case(rv.case_id, rv.visit_id)
    from fieldsupport.models import Attachment

    with workspace.transaction() as s:
        s.get(Attachment, photos[1].id).caption = "Ü" * 5000  # type: ignore[union-attr]
    # a photo gone from this device (its original and copies: none to make a copy from)
    store.report_copy_path(photos[0].sha256).unlink()
    store.original_path(photos[0].sha256).unlink()
    not_an_image = store.put_bytes(b"this is not a logo", "text/plain")
    workspace.set_setting(
        "report.branding",
        {"company_name": "Serwis Ślązak", "logo_sha256": not_an_image, "paper": "Letter"},
    )
    draft = reports.generate_draft(rv.visit_id)
    text = text_of(draft.pdf_path)  # type: ignore[arg-type]
    assert "is missing from this device" in text
    assert "company logo could not be read" in text
    assert "shortened; full caption in the report data" in text
    assert any("missing" in p for p in draft.problems) and any("logo" in p for p in draft.problems)
    reader = PdfReader(draft.pdf_path)  # type: ignore[arg-type]
    assert [float(v) for v in reader.pages[0].mediabox[2:]] == [612, 792]  # Letter
    # 300 measurements run over several pages, each continuing with the table's header
    pages_with_rows = [p for p in reader.pages if "Discharge pressure" in p.extract_text()]
    assert len(pages_with_rows) >= 4
    assert all(
        "MeasurementPhaseValue" in re.sub(r"\s", "", p.extract_text()) for p in pages_with_rows
    )
    doc = data_of(draft.data_path)
    assert len(doc["measurements"]) == 300  # type: ignore[arg-type]
    in_pdf = {p["attachment_id"]: p["in_pdf"] for p in doc["photos"]}  # type: ignore[union-attr]
    assert in_pdf[photos[0].id] is False and in_pdf[photos[1].id] is True
    captions = {p["attachment_id"]: p["caption"] for p in doc["photos"]}  # type: ignore[union-attr]
    assert captions[photos[1].id] == "Ü" * 5000
    assert len(images_in(draft.pdf_path)) == 2  # type: ignore[arg-type]


def test_empty_visit_gives_a_short_report(workspace: Workspace) -> None:
    from builders import make_refs, open_case

    from fieldsupport.services.cases import CaseService

    refs = make_refs(workspace)
    case_id = open_case(CaseService(workspace), refs)
    visit = VisitService(workspace).plan_visit(case_id)
    draft = ReportService(workspace).generate_draft(visit.id)
    text = text_of(draft.pdf_path)  # type: ignore[arg-type]
    assert "No times were recorded for this visit." in text
    assert "Measurements" not in text and "Photos" not in text
    jsonschema.validate(data_of(draft.data_path), REPORT_SCHEMA)


def test_cancelled_generation_leaves_nothing(workspace: Workspace) -> None:
    rv = report_visit(workspace, photos=PHOTOS[:2])
    state = TaskState(on_progress=lambda f, _m: state.cancel() if f > 0.2 else None)
    with pytest.raises(Cancelled):
        ReportService(workspace).generate_draft(rv.visit_id, state)
    with workspace.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ServiceReport)) == 0
    assert BlobStore(workspace.blobs_dir).leftovers() == []
    assert not any((workspace.blobs_dir / "tmp").glob("report-*"))
    assert list(workspace.reports_dir.iterdir()) == []


class _Progress:
    """Counts a job's progress reports; cancels at report number ``cancel_at``."""

    def __init__(self, cancel_at: int = 0) -> None:
        self.calls = 0
        self.cancel_at = cancel_at
        self.state = TaskState(on_progress=self._reported)

    def _reported(self, _fraction: float, _message: str) -> None:
        self.calls += 1
        if self.calls == self.cancel_at:
            self.state.cancel()


def test_a_cancel_at_the_last_moment_changes_nothing(workspace: Workspace) -> None:
    """A cancel at the job's last progress report leaves the report as it was: it is never
    written while the user is told it was cancelled."""
    rv = report_visit(workspace)
    reports = ReportService(workspace)
    counted = _Progress()
    draft = reports.generate_draft(rv.visit_id, counted.state)
    late = _Progress(cancel_at=counted.calls)  # the same visit lays out the same way
    with pytest.raises(Cancelled):
        reports.generate_draft(rv.visit_id, late.state)
    (unchanged,) = reports.reports_of_visit(rv.visit_id)
    assert (unchanged.generated_at, unchanged.pdf_sha256) == (draft.generated_at, draft.pdf_sha256)

    counted = _Progress()
    reports.finalize(draft.id, signature_id=sign(workspace, rv.visit_id), state=counted.state)
    revision_2 = reports.generate_draft(rv.visit_id)
    late = _Progress(cancel_at=counted.calls)
    with pytest.raises(Cancelled):
        reports.finalize(revision_2.id, signature_id=sign(workspace, rv.visit_id), state=late.state)
    assert late.calls == counted.calls
    assert reports.get(revision_2.id).status is ReportStatus.DRAFT


def test_numbers_are_per_visit_and_export_copies_both_files(
    workspace: Workspace, tmp_path: Path
) -> None:
    rv = report_visit(workspace)
    reports = ReportService(workspace)
    first = reports.generate_draft(rv.visit_id)
    other_visit = VisitService(workspace).plan_visit(rv.case_id)
    second = reports.generate_draft(other_visit.id)
    assert first.report_number.endswith("-00001") and second.report_number.endswith("-00002")
    pdf, data = reports.export(first.id, tmp_path / "out")  # no suffix: .pdf is added
    assert pdf == tmp_path / "out.pdf" and pdf.is_file() and data == tmp_path / "out.json"
    pdf, data = reports.export(first.id, tmp_path / "copy.pdf")
    assert pdf.read_bytes() == first.pdf_path.read_bytes()  # type: ignore[union-attr]
    assert (
        data == tmp_path / "copy.json"
        and json.loads(data.read_bytes())["pdf"]["sha256"] == first.pdf_sha256
    )
    folder = tmp_path / "folder"
    folder.mkdir()
    pdf, _ = reports.export(first.id, folder)
    assert pdf.name == f"{first.report_number}-rev1-draft.pdf"
    assert reports.visit_for_report(rv.case_number, other_visit.id) == other_visit.id
    with pytest.raises(NotFoundError, match="has no visit"):
        reports.visit_for_report(rv.case_number, "not-a-visit")


def test_report_command_writes_pdf_and_json(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rv = report_visit(workspace, photos=PHOTOS[:1])
    root = workspace.root
    workspace.close()  # the command opens the workspace itself
    out = tmp_path / "out" / "report.pdf"
    code = cli.main(["report", rv.case_number, "--workspace", str(root), "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "revision 1 (draft)" in printed.out
    doc = json.loads(out.with_suffix(".json").read_bytes())
    assert doc["pdf"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert rv.case_number in text_of(out)
    code = cli.main(["report", "FS-NOPE-000001", "--workspace", str(root), "--out", str(out)])
    assert code == 1 and "There is no case FS-NOPE-000001" in capsys.readouterr().err
    code = cli.main(
        ["report", rv.case_number, "--workspace", str(root), "--out", str(out), "--existing"]
    )
    assert code == 0 and "revision 1 (draft)" in capsys.readouterr().out


def test_signatures_are_checked(workspace: Workspace) -> None:
    signatures = SignatureService(workspace)
    with pytest.raises(ValidationError, match="must be a PNG"):
        signatures.record_signature(
            signer_name="Jan", png=ORIENTATION.joinpath("Landscape_1.jpg").read_bytes()
        )
    with pytest.raises(ValidationError, match="empty"):
        signatures.record_signature(signer_name="Jan", png=b"")
    with pytest.raises(ValidationError, match="could not be read"):
        signatures.record_signature(signer_name="Jan", png=b"\x89PNG\r\n\x1a\n garbage")
    from report_builders import signature_png

    with pytest.raises(ValidationError, match="no strokes"):
        signatures.record_signature(signer_name="Jan", png=signature_png(), strokes=[])
    for strokes in ([[1, 2]], [[["x", 0.5]]], [[[0.1, float("nan")]]], [[[0.1]]]):
        with pytest.raises(ValidationError, match="not lists of points"):
            signatures.record_signature(signer_name="Jan", png=signature_png(), strokes=strokes)


def test_branding_is_checked_and_printed(workspace: Workspace, tmp_path: Path) -> None:
    from PIL import Image

    from fieldsupport.services.branding import BrandingService

    branding = BrandingService(workspace)
    with pytest.raises(ValidationError, match="#RRGGBB"):
        branding.update(primary_color="blue")
    with pytest.raises(ValidationError, match="A4 or Letter"):
        branding.update(paper="A5")
    text_file = tmp_path / "logo.png"
    text_file.write_text("not an image")
    with pytest.raises(ValidationError, match="not an image"):
        branding.set_logo(text_file)
    bomb = tmp_path / "huge-logo.png"  # a few KB on disk, 200 million pixels when opened
    Image.new("1", (20_000, 10_000)).save(bomb)
    with pytest.raises(ValidationError, match="too many pixels"):
        branding.set_logo(bomb)
    # a setting that slipped past the checks (edited by hand) falls back, with a note
    store = BlobStore(workspace.blobs_dir)
    loaded, problems = load_branding({"primary_color": "#+12345", "accent_color": "#C0392B"}, store)
    assert (loaded.primary_color, loaded.accent_color) == ("#1F4E79", "#C0392B")
    assert problems == ["colour '#+12345' is not of the form #RRGGBB; the default was used"]
    logo = tmp_path / "real-logo.png"
    Image.new("RGB", (400, 120), "#C0392B").save(logo)
    branding.update(
        company_name="Serwis Techniczny Ślązak Sp. z o.o.",
        address_lines=["ul. Piotrkowska 12", "90-001 Łódź"],
        footer_text="NIP 725-000-00-00 · serwis@example.pl",
        primary_color="#2e7d32",
        paper="letter",
    )
    branding.set_logo(logo)
    assert branding.get()["paper"] == "Letter" and branding.get()["primary_color"] == "#2E7D32"
    rv = report_visit(workspace)
    draft = ReportService(workspace).generate_draft(rv.visit_id)
    text = text_of(draft.pdf_path)  # type: ignore[arg-type]
    assert "Serwis Techniczny Ślązak Sp. z o.o." in text and "90-001 Łódź" in text
    assert "NIP 725-000-00-00" in text and draft.problems == ()
    images = images_in(draft.pdf_path)  # type: ignore[arg-type]
    assert len(images) == 1  # the logo (no photos on this visit)


def test_a_draft_finalized_while_the_next_preview_renders_is_not_overwritten(
    workspace: Workspace,
) -> None:
    rv = report_visit(workspace)
    reports = ReportService(workspace)
    draft = reports.generate_draft(rv.visit_id)
    signature = sign(workspace, rv.visit_id)
    finalized: list[object] = []

    def meanwhile(fraction: float, _message: str) -> None:
        # another worker finalizes the draft while this preview is being laid out
        if fraction > 0.2 and not finalized:
            finalized.append(reports.finalize(draft.id, signature_id=signature))

    with pytest.raises(FieldSupportError, match="finalized meanwhile"):
        reports.generate_draft(rv.visit_id, TaskState(on_progress=meanwhile))
    (only,) = reports.reports_of_visit(rv.visit_id)  # no second "revision 1"
    assert only.status is ReportStatus.SIGNED and only.revision == 1
    assert reports.generate_draft(rv.visit_id).revision == 2


def test_a_named_copy_that_cannot_be_written_is_said_and_the_report_kept(
    workspace: Workspace,
) -> None:
    rv = report_visit(workspace)
    reports = ReportService(workspace)
    reports.generate_draft(rv.visit_id)
    shutil.rmtree(workspace.reports_dir)
    workspace.reports_dir.write_text("not a folder")  # the copies cannot go there
    view = reports.generate_draft(rv.visit_id)
    assert view.copy_problem is not None and "could not be written" in view.copy_problem
    assert "the report itself is saved" in view.copy_problem
    assert view.pdf_path is not None and view.pdf_path.is_file()
    assert reports.get(view.id).pdf_sha256 == view.pdf_sha256
