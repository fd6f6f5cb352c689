"""The photos of a case, visit or assist record: order, captions, before/after pairs,
delete and restore, owners of every kind, annotated copies (original bytes untouched)."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from builders import make_refs, open_case
from PIL import Image
from sqlalchemy import select

from fieldsupport.errors import NotFoundError, ValidationError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import Attachment, RecallAction
from fieldsupport.models.enums import BeforeAfter
from fieldsupport.services.applications import ApplicationService
from fieldsupport.services.cases import CaseService
from fieldsupport.services.claims import ClaimItemSpec, ClaimService
from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
from fieldsupport.services.recalls import CampaignSpec, RecallService, ScopeSpec
from fieldsupport.services.solutions import SolutionDraft, SolutionService, StepSpec
from fieldsupport.services.training import TrainingService
from fieldsupport.services.visits import VisitService
from fieldsupport.workspace import Workspace

ORIENTATION = Path(__file__).parent / "data" / "photos" / "orientation"
COLOURS = ["red", "green", "blue", "yellow", "purple", "orange"]


def make_jpegs(folder: Path, count: int, size: tuple[int, int] = (320, 240)) -> list[Path]:
    paths = []
    for i in range(count):
        path = folder / f"photo_{i}.jpg"
        Image.new("RGB", size, COLOURS[i % len(COLOURS)]).save(path, quality=90)
        paths.append(path)
    return paths


@pytest.fixture
def refs(workspace: Workspace) -> dict[str, str]:
    return make_refs(workspace)


@pytest.fixture
def case_id(workspace: Workspace, refs: dict[str, str]) -> str:
    return open_case(CaseService(workspace), refs)


def _import(service: PhotoService, owner: PhotoOwner, paths: list[Path]) -> list[str]:
    summary = service.import_photos(owner, paths)
    assert [r.outcome for r in summary.results] == [Outcome.IMPORTED] * len(paths), [
        r.line() for r in summary.results
    ]
    return [r.attachment_id for r in summary.results if r.attachment_id]


def test_order_of_case_and_visit_photos_and_moving(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    service = PhotoService(workspace)
    paths = make_jpegs(tmp_path, 5)
    visit = VisitService(workspace).plan_visit(case_id)
    a, b, c = _import(service, PhotoOwner(case_id), paths[:3])
    d, e = _import(service, PhotoOwner(case_id, visit.id), paths[3:])
    case_wide = PhotoOwner(case_id)
    on_visit = PhotoOwner(case_id, visit.id)
    assert [p.id for p in service.photos_of(case_wide)] == [a, b, c, d, e]
    assert [p.id for p in service.photos_of(on_visit)] == [d, e]
    assert [p.id for p in service.move(case_wide, c, -2)] == [c, a, b, d, e]
    assert [p.id for p in service.move(case_wide, c, +1)] == [a, c, b, d, e]
    assert [p.id for p in service.move(case_wide, e, +5)] == [a, c, b, d, e]  # already last
    # reordering the visit's photos keeps the rest of the case where it was
    assert [p.id for p in service.move(on_visit, e, -1)] == [e, d]
    assert [p.id for p in service.photos_of(case_wide)] == [a, c, b, e, d]
    with pytest.raises(NotFoundError):
        service.move(on_visit, a, 1)  # not a photo of that visit
    with pytest.raises(ValidationError, match="named twice"):
        service.reorder([a, a])


def test_captions(workspace: Workspace, case_id: str, tmp_path: Path) -> None:
    service = PhotoService(workspace)
    (photo_id,) = _import(service, PhotoOwner(case_id), make_jpegs(tmp_path, 1))
    assert service.set_caption(photo_id, "  Gland packing, worn  ").caption == (
        "Gland packing, worn"
    )
    with pytest.raises(ValidationError, match=r"Caption is too long \(1,001 characters; at most"):
        service.set_caption(photo_id, "x" * 1001)
    assert service.photo(photo_id).caption == "Gland packing, worn"  # nothing saved
    assert service.set_caption(photo_id, "   ").caption is None
    with pytest.raises(NotFoundError, match="photo does not exist"):
        service.set_caption("no-such-photo", "x")


def test_before_after_and_pairs(workspace: Workspace, refs: dict[str, str], tmp_path: Path) -> None:
    service = PhotoService(workspace)
    case_id = open_case(CaseService(workspace), refs)
    other_case = open_case(CaseService(workspace), refs, title="Another case")
    a, b, c = _import(service, PhotoOwner(case_id), make_jpegs(tmp_path, 3))
    (elsewhere,) = _import(service, PhotoOwner(other_case), make_jpegs(tmp_path / "..", 1))
    assert service.set_before_after(a, "before").before_after is BeforeAfter.BEFORE
    with pytest.raises(ValidationError, match="Unknown before/after 'during'"):
        service.set_before_after(a, "during")
    pair_id = service.pair(a, b)
    views = {p.id: p for p in service.photos_of(PhotoOwner(case_id))}
    assert (views[a].before_after, views[b].before_after) == (BeforeAfter.BEFORE, BeforeAfter.AFTER)
    assert views[a].pair_id == views[b].pair_id == pair_id
    # c becomes the "after" of a: b leaves the pair but stays an "after" photo
    service.pair(a, c)
    views = {p.id: p for p in service.photos_of(PhotoOwner(case_id))}
    assert views[b].pair_id is None and views[b].before_after is BeforeAfter.AFTER
    assert views[a].pair_id == views[c].pair_id is not None
    # changing a role breaks the pair; clearing it too
    service.set_before_after(c, BeforeAfter.BEFORE)
    views = {p.id: p for p in service.photos_of(PhotoOwner(case_id))}
    assert views[a].pair_id is None and views[c].pair_id is None
    with pytest.raises(ValidationError, match="two different photos"):
        service.pair(a, a)
    with pytest.raises(ValidationError, match="same case or record"):
        service.pair(a, elsewhere)


def test_delete_is_a_tombstone_and_restores(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    service = PhotoService(workspace)
    owner = PhotoOwner(case_id)
    a, b, c = _import(service, owner, make_jpegs(tmp_path, 3))
    service.delete(b)
    assert [p.id for p in service.photos_of(owner)] == [a, c]
    deleted = service.deleted_photos(owner)
    assert [p.id for p in deleted] == [b] and deleted[0].deleted_at is not None
    with workspace.transaction() as session:  # still there, marked deleted (it syncs)
        row = session.get(Attachment, b)
        assert row is not None and row.deleted_at is not None
    with pytest.raises(NotFoundError):
        service.set_caption(b, "deleted photos cannot be edited")
    with pytest.raises(ValidationError, match="not deleted"):
        service.restore(a)
    assert service.restore(b).deleted_at is None
    assert [p.id for p in service.photos_of(owner)] == [a, b, c]  # back in its place
    assert service.deleted_photos(owner) == []


def test_deleting_several_photos_is_all_or_nothing(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    service = PhotoService(workspace)
    owner = PhotoOwner(case_id)
    a, b, c = _import(service, owner, make_jpegs(tmp_path, 3))
    service.delete(c)
    with pytest.raises(NotFoundError):
        service.delete(a, b, c)  # c is gone already: a and b stay
    assert [p.id for p in service.photos_of(owner)] == [a, b]
    service.delete(a, b)
    assert service.photos_of(owner) == []
    with pytest.raises(ValidationError, match="not deleted"):
        service.restore_all([a, b, a])  # the second a is back already: none come back
    assert service.photos_of(owner) == []
    assert [p.id for p in service.restore_all([a, b])] == [a, b]
    assert [p.id for p in service.photos_of(owner)] == [a, b]


def _released_solution(workspace: Workspace, user: str) -> str:
    solutions = SolutionService(workspace, user_id=user)
    solution = solutions.create(SolutionDraft(title="Dosing", steps=[StepSpec("Flush")]))
    solutions.move(solution.id, "in_review")
    return solutions.move(solution.id, "released").id


def test_photos_of_assist_records(
    workspace: Workspace, refs: dict[str, str], case_id: str, tmp_path: Path
) -> None:
    service = PhotoService(workspace)
    user = refs["engineer"]
    claim_case = open_case(CaseService(workspace), refs, assist_type="A2", title="Claim")
    claim = ClaimService(workspace, user_id=user).open_claim(
        claim_case, "replacement", "Cracked head", [ClaimItemSpec(1, product_id=refs["product"])]
    )
    training = TrainingService(workspace, user_id=user).create_session(
        topic="Pump care",
        started_at=datetime(2026, 3, 3, 9, tzinfo=UTC),
        duration_minutes=60,
        case_id=case_id,
    )
    visits = VisitService(workspace, user_id=user)
    visit = visits.plan_visit(case_id)
    visits.arrive(visit.id)
    released = _released_solution(workspace, user)
    record = ApplicationService(workspace, user_id=user).start(visit.id, released)
    recalls = RecallService(workspace, user_id=user)
    campaign = recalls.create_campaign(
        CampaignSpec("RC-1", "Seal recall", "recall_advice", "repair", [ScopeSpec(refs["product"])])
    )
    recalls.record_action(campaign.id, refs["asset"], "repaired", case_id=case_id)
    with workspace.transaction() as session:
        recall_action_id = session.scalars(select(RecallAction.id)).one()
    draft = SolutionService(workspace, user_id=user).create(
        SolutionDraft(title="Draft", steps=[StepSpec("Rinse")])
    )

    owners = {
        "claim": PhotoOwner(claim_id=claim.id),
        "training": PhotoOwner(training_session_id=training.id),
        "record": PhotoOwner(application_record_id=record.id),
        "recall": PhotoOwner(recall_action_id=recall_action_id),
        "solution": PhotoOwner(solution_id=draft.id),
    }
    ids = {}
    for index, (name, owner) in enumerate(owners.items()):
        folder = tmp_path / name
        folder.mkdir()
        (ids[name],) = _import(service, owner, make_jpegs(folder, 1 + index)[-1:])
        assert [p.id for p in service.photos_of(owner)] == [ids[name]]
    # the case's gallery shows those of its records too; the application record's photo
    # also belongs to its visit (it was taken there)
    case_photos = {p.id for p in service.photos_of(PhotoOwner(case_id))}
    assert case_photos == {ids[n] for n in ("training", "record", "recall")}
    assert [p.id for p in service.photos_of(PhotoOwner(claim_case))] == [ids["claim"]]
    assert [p.id for p in service.photos_of(PhotoOwner(case_id, visit.id))] == [ids["record"]]
    assert service.resolve_owner(owners["record"]) == PhotoOwner(
        case_id, visit.id, application_record_id=record.id
    )

    with pytest.raises(ValidationError, match="That claim belongs to another case"):
        service.import_photos(PhotoOwner(case_id, claim_id=claim.id), [])
    with pytest.raises(ValidationError, match="one record at a time"):
        service.import_photos(PhotoOwner(claim_id=claim.id, solution_id=draft.id), [])
    with pytest.raises(NotFoundError, match="That claim does not exist"):
        service.import_photos(PhotoOwner(claim_id="nope"), [])
    with pytest.raises(ValidationError, match="Choose what the photos belong to"):
        service.import_photos(PhotoOwner(), [])
    # a released solution version never changes: no photos added or edited
    with pytest.raises(ValidationError, match="never changes"):
        service.import_photos(PhotoOwner(solution_id=released), [])
    solutions = SolutionService(workspace, user_id=user)
    solutions.move(draft.id, "in_review")
    solutions.move(draft.id, "released")
    with pytest.raises(ValidationError, match="never changes"):
        service.set_caption(ids["solution"], "changed after release")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


ARROW = {"kind": "arrow", "colour": "#ff0000", "points": [[0.1, 0.5], [0.9, 0.5]], "width": 0.02}
LABEL = {"kind": "text", "colour": "#ffff00", "points": [[0.05, 0.05]], "text": "Leak"}


def test_annotation_round_trip_leaves_the_original_alone(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    service = PhotoService(workspace)
    store = BlobStore(workspace.blobs_dir)
    path = tmp_path / "grey.jpg"
    Image.new("RGB", (800, 600), (128, 128, 128)).save(path, quality=92)
    (photo_id,) = _import(service, PhotoOwner(case_id), [path])
    original = service.photo(photo_id)
    original_bytes = store.original_path(original.sha256).read_bytes()
    service.set_caption(photo_id, "Gland")

    marked = service.annotate(photo_id, [ARROW, LABEL])
    assert marked.id == photo_id and marked.annotated_sha256 not in (None, original.sha256)
    assert marked.display_sha256 == marked.annotated_sha256
    assert [m["kind"] for m in marked.marks] == ["arrow", "text"]
    assert store.original_path(original.sha256).read_bytes() == original_bytes
    assert _sha(store.original_path(original.sha256)) == original.sha256
    annotated_file = store.original_path(marked.display_sha256)
    assert _sha(annotated_file) == marked.display_sha256
    assert store.report_copy_path(marked.display_sha256).is_file()
    assert store.thumbnail_path(marked.display_sha256).is_file()
    with Image.open(annotated_file) as image:
        assert image.size == (800, 600)
        red, green, blue = image.convert("RGB").getpixel((400, 300))  # on the arrow
        assert red > 200 and green < 60 and blue < 60
        assert image.convert("RGB").getpixel((400, 550)) == pytest.approx((128, 128, 128), abs=6)

    # the annotated copy carries the caption and owners, points at the original
    with workspace.transaction() as session:
        copy = session.get(Attachment, marked.annotation_id)
        assert copy is not None
        assert (copy.derived_from_id, copy.caption, copy.case_id) == (photo_id, "Gland", case_id)
    # one photo in the gallery, shown with its marks
    (shown,) = service.photos_of(PhotoOwner(case_id))
    assert shown.display_sha256 == marked.display_sha256

    # edited again later: same copy, new marks, new image
    again = service.annotate(photo_id, [LABEL])
    assert again.annotation_id == marked.annotation_id
    assert [m["kind"] for m in again.marks] == ["text"]
    assert again.display_sha256 != marked.display_sha256
    # an edit through the copy's id reaches the original and the copy
    service.set_caption(again.annotation_id or "", "Gland, marked")
    with workspace.transaction() as session:
        rows = session.scalars(select(Attachment.caption)).all()
        assert rows == ["Gland, marked", "Gland, marked"]

    # deleted and restored together
    service.delete(photo_id)
    assert service.photos_of(PhotoOwner(case_id)) == []
    assert service.restore(photo_id).annotation_id == again.annotation_id
    # the marks removed: the photo as taken
    plain = service.remove_annotation(photo_id)
    assert plain.display_sha256 == original.sha256 and plain.marks == ()
    with pytest.raises(ValidationError, match="no marks to remove"):
        service.remove_annotation(photo_id)
    assert store.original_path(original.sha256).read_bytes() == original_bytes


@pytest.mark.parametrize(
    ("marks", "message"),
    [
        ([], "at least one mark"),
        ([{"kind": "star", "points": [[0, 0]]}], "Mark 1: unknown kind 'star'"),
        ([ARROW, {**ARROW, "colour": "red"}], "Mark 2: colour must look like #rrggbb"),
        ([{**ARROW, "points": [[0.1, 0.1]]}], "Mark 1: an arrow needs 2 points, got 1"),
        ([{**LABEL, "text": " "}], "needs some text"),
        ([{**ARROW, "points": [[0.1, "x"], [0.2, 0.2]]}], "must be a number"),
        ([{**ARROW, "width": 3}], "line width 3 is out of range"),
    ],
)
def test_bad_marks_are_refused(
    workspace: Workspace, case_id: str, tmp_path: Path, marks: list[object], message: str
) -> None:
    service = PhotoService(workspace)
    (photo_id,) = _import(service, PhotoOwner(case_id), make_jpegs(tmp_path, 1))
    with pytest.raises(ValidationError, match=message):
        service.annotate(photo_id, marks)  # type: ignore[arg-type]
    assert service.photo(photo_id).annotation_id is None


def test_an_annotation_whose_record_cannot_be_written_leaves_no_file(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    service = PhotoService(workspace)
    path = tmp_path / "grey.jpg"
    Image.new("RGB", (800, 600), (128, 128, 128)).save(path, quality=92)
    (photo_id,) = _import(service, PhotoOwner(case_id), [path])
    files_before = sorted(p for p in workspace.blobs_dir.rglob("*") if p.is_file())
    with workspace.engine.begin() as conn:  # the database refuses the copy's record
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_copies BEFORE INSERT ON attachments "
            "WHEN NEW.derived_from_id IS NOT NULL BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    with pytest.raises(Exception, match="disk full"):
        service.annotate(photo_id, [ARROW, LABEL])
    assert sorted(p for p in workspace.blobs_dir.rglob("*") if p.is_file()) == files_before
    assert service.photo(photo_id).annotated_sha256 is None


def test_annotation_of_a_portrait_photo_is_upright(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    service = PhotoService(workspace)
    source = ORIENTATION / "Portrait_6.jpg"
    (photo_id,) = _import(service, PhotoOwner(case_id), [source])
    marked = service.annotate(photo_id, [ARROW])
    data = BlobStore(workspace.blobs_dir).original_path(marked.display_sha256).read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        assert image.height > image.width


def test_the_case_photo_count_ignores_annotated_copies(
    workspace: Workspace, refs: dict[str, str], case_id: str
) -> None:
    from fieldsupport.services.catalog import CatalogService

    service = PhotoService(workspace)
    catalog = CatalogService(workspace)
    visits = VisitService(workspace, user_id=refs["engineer"])
    visit = visits.plan_visit(case_id)
    landscape, portrait = _import(
        service,
        PhotoOwner(case_id, visit.id),
        [ORIENTATION / "Landscape_3.jpg", ORIENTATION / "Portrait_6.jpg"],
    )
    assert catalog.case_records(case_id).photo_count == 2
    marked = service.annotate(landscape, [ARROW])
    service.annotate(landscape, [LABEL])  # drawn on again: still one copy
    with workspace.transaction() as session:
        rows = session.scalars(select(Attachment).where(Attachment.case_id == case_id)).all()
        assert len(rows) == 3 and {r.derived_from_id for r in rows} == {None, landscape}
    assert marked.annotation_id is not None
    assert catalog.case_records(case_id).photo_count == 2  # the copy stands in, not adds
    service.delete(portrait)
    assert catalog.case_records(case_id).photo_count == 1
    service.remove_annotation(landscape)
    assert catalog.case_records(case_id).photo_count == 1


def test_make_copies_of_an_original_that_came_without_them(
    workspace: Workspace, tmp_path: Path
) -> None:
    service = PhotoService(workspace)
    good = service.store.put_bytes(make_jpegs(tmp_path, 1, (400, 300))[0].read_bytes())
    assert service.make_copies(good)
    with Image.open(service.thumbnail_path(good)) as thumb:
        assert thumb.size == (256, 192)
    assert service.report_copy_path(good).is_file()
    assert not service.make_copies("0" * 64)  # not on this device (yet)
    broken = service.store.put_bytes(b"\xff\xd8 not really a JPEG")
    assert not service.make_copies(broken)  # unreadable: no copies, no traceback
    assert not service.thumbnail_path(broken).exists()
    assert not service.report_copy_path(broken).exists()
