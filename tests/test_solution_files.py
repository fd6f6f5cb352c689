"""Files attached to a custom solution version (#4): a data sheet, a drawing, a spreadsheet
or a photo, stored once by hash, refused with a reason when they cannot be attached, frozen
with a released version, carried over to a new version by hash, opened from a copy outside
the blob store, never taken for photos, and referenced by their sync operation."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from builders import make_refs, open_case
from PIL import Image

from fieldsupport.central.server import BackgroundServer
from fieldsupport.central.service import CentralService
from fieldsupport.errors import NotFoundError, ValidationError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import Attachment
from fieldsupport.services import solution_files
from fieldsupport.services.cases import CaseService
from fieldsupport.services.catalog import CatalogService
from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
from fieldsupport.services.solution_files import SolutionFileService
from fieldsupport.services.solutions import SolutionDraft, SolutionService, StepSpec
from fieldsupport.sync import blobs as sync_blobs
from fieldsupport.workspace import Workspace
from tests import sync_helpers

DRAFT = SolutionDraft(title="Dosing SP-CAL-7", steps=[StepSpec("Flush the line")])
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def solutions(workspace: Workspace) -> SolutionService:
    return SolutionService(workspace)


@pytest.fixture
def files(workspace: Workspace) -> SolutionFileService:
    return SolutionFileService(workspace)


def _file(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _blob_files(workspace: Workspace) -> dict[Path, float]:
    """Every file in the blob store with its modification time."""
    return {p: p.stat().st_mtime_ns for p in workspace.blobs_dir.rglob("*") if p.is_file()}


def _release(solutions: SolutionService, solution_id: str) -> None:
    solutions.move(solution_id, "in_review")
    solutions.move(solution_id, "released")


def test_files_are_stored_once_by_hash_and_listed_with_the_version(
    workspace: Workspace, solutions: SolutionService, files: SolutionFileService, tmp_path: Path
) -> None:
    draft = solutions.create(DRAFT)
    sheet = files.attach(draft.id, _file(tmp_path, "SDS SP-CAL-7.pdf", PDF))
    table = files.attach(draft.id, _file(tmp_path, "rates.xlsx", b"PK\x03\x04 sheet"))
    assert (sheet.filename, sheet.media_type, sheet.size_bytes) == (
        "SDS SP-CAL-7.pdf",
        "application/pdf",
        len(PDF),
    )
    assert table.media_type == "application/octet-stream"  # its long type: by its name
    store = BlobStore(workspace.blobs_dir)
    assert store.original_path(sheet.sha256).read_bytes() == PDF
    assert store.leftovers() == [] and not list(store.staging.glob("*"))
    assert [f.filename for f in solutions.get(draft.id).files] == ["SDS SP-CAL-7.pdf", "rates.xlsx"]

    # the same bytes under another name, for another solution: one blob
    other = solutions.create(SolutionDraft(title="Other"))
    again = files.attach(other.id, _file(tmp_path, "copy.pdf", PDF))
    assert again.sha256 == sheet.sha256
    assert len([p for p in _blob_files(workspace) if p.name == sheet.sha256]) == 1
    with pytest.raises(ValidationError, match=r"attached to this version already \(as SDS"):
        files.attach(draft.id, _file(tmp_path, "same.pdf", PDF))

    files.remove(table.id)
    assert [f.id for f in files.files(draft.id)] == [sheet.id]
    assert store.has(table.sha256)  # the bytes stay: sync may still need them


def test_files_that_cannot_be_attached_are_refused_with_the_reason(
    workspace: Workspace,
    solutions: SolutionService,
    files: SolutionFileService,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draft = solutions.create(DRAFT)
    with pytest.raises(ValidationError, match="gone.pdf does not exist"):
        files.attach(draft.id, tmp_path / "gone.pdf")
    with pytest.raises(ValidationError, match=r"empty.pdf is empty \(0 bytes\)"):
        files.attach(draft.id, _file(tmp_path, "empty.pdf", b""))
    (tmp_path / "folder").mkdir()
    with pytest.raises(ValidationError, match="folder is not a file"):
        files.attach(draft.id, tmp_path / "folder")
    monkeypatch.setattr(solution_files, "MAX_FILE_BYTES", 1024)
    with pytest.raises(ValidationError, match=r"big.pdf is 2 KB; .* at most 1 KB"):
        files.attach(draft.id, _file(tmp_path, "big.pdf", b"x" * 2048))

    def unreadable(*_args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(BlobStore, "stage_file", unreadable)
    with pytest.raises(ValidationError, match=r"locked.pdf cannot be read \(permission denied\)"):
        files.attach(draft.id, _file(tmp_path, "locked.pdf", PDF))
    assert files.files(draft.id) == []
    store = BlobStore(workspace.blobs_dir)
    assert [p for p in _blob_files(workspace) if p.parent.name != "tmp"] == []
    assert store.leftovers() == []


def test_a_file_that_grows_past_the_limit_while_read_is_not_kept(
    workspace: Workspace,
    solutions: SolutionService,
    files: SolutionFileService,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draft = solutions.create(DRAFT)
    path = _file(tmp_path, "log.csv", b"a,b\n")
    real = BlobStore.stage_file

    def grown(store: BlobStore, source: Path, temp: Path) -> tuple[str, bool]:
        source.write_bytes(b"x" * 4096)  # written to while it was looked at
        return real(store, source, temp)

    monkeypatch.setattr(solution_files, "MAX_FILE_BYTES", 1024)
    monkeypatch.setattr(BlobStore, "stage_file", grown)
    with pytest.raises(ValidationError, match="log.csv is 4 KB"):
        files.attach(draft.id, path)
    assert _blob_files(workspace) == {}


def test_a_released_versions_files_never_change_and_a_new_version_keeps_them(
    workspace: Workspace, solutions: SolutionService, files: SolutionFileService, tmp_path: Path
) -> None:
    draft = solutions.create(DRAFT)
    sheet = files.attach(draft.id, _file(tmp_path, "SDS.pdf", PDF))
    _release(solutions, draft.id)
    never = "released; a released version never changes. Make a new version"
    with pytest.raises(ValidationError, match=never):
        files.attach(draft.id, _file(tmp_path, "drawing.dxf", b"0\nSECTION\n"))
    with pytest.raises(ValidationError, match=never):
        files.remove(sheet.id)
    assert [f.id for f in files.files(draft.id)] == [sheet.id]

    blobs_before = _blob_files(workspace)
    v2 = solutions.new_version(draft.id)
    (carried,) = v2.files
    assert (carried.sha256, carried.filename, carried.media_type, carried.size_bytes) == (
        sheet.sha256,
        "SDS.pdf",
        "application/pdf",
        len(PDF),
    )
    assert carried.id != sheet.id
    assert _blob_files(workspace) == blobs_before  # by hash: not a byte copied
    files.remove(carried.id)  # the draft's own row: the released one keeps its file
    assert files.files(v2.id) == [] and [f.id for f in files.files(draft.id)] == [sheet.id]


def test_files_are_not_photos(
    workspace: Workspace, solutions: SolutionService, files: SolutionFileService, tmp_path: Path
) -> None:
    refs = make_refs(workspace)
    case_id = open_case(CaseService(workspace), refs)
    photos = PhotoService(workspace)
    picture = tmp_path / "pump.jpg"
    Image.new("RGB", (160, 120), "teal").save(picture, quality=85)
    draft = solutions.create(DRAFT)
    owner = PhotoOwner(solution_id=draft.id)

    # the photo attached as a file first: the step photo of the same bytes is a photo of
    # its own, not the file (which the advisor may remove)
    attached = files.attach(draft.id, picture)
    assert photos.photos_of(owner) == [] and photos.deleted_photos(owner) == []
    summary = photos.import_photos(owner, [picture])
    assert [r.outcome for r in summary.results] == [Outcome.IMPORTED]
    (step_photo,) = photos.photos_of(owner)
    assert step_photo.id != attached.id and step_photo.sha256 == attached.sha256
    with_photo = SolutionDraft(DRAFT.title, steps=[StepSpec("Flush", None, step_photo.sha256)])
    solutions.update(draft.id, with_photo)
    files.remove(attached.id)
    assert [p.id for p in photos.photos_of(owner)] == [step_photo.id]
    assert solutions.get(draft.id).steps[0].photo_sha256 == step_photo.sha256
    # and a step photo is not one of the files; nor does a file count on a case
    assert files.files(draft.id) == []
    files.attach(draft.id, _file(tmp_path, "SDS.pdf", PDF))
    with pytest.raises(NotFoundError):
        files.remove(step_photo.id)
    # assigned to a case, the released version's files are not the case's photos
    _release(solutions, draft.id)
    solutions.assign_to_case(case_id, draft.id)
    assert photos.photos_of_case(case_id) == []
    assert CatalogService(workspace).case_records(case_id).photo_count == 0


def test_opening_a_file_copies_it_outside_the_blob_store(
    workspace: Workspace, solutions: SolutionService, files: SolutionFileService, tmp_path: Path
) -> None:
    draft = solutions.create(DRAFT)
    sheet = files.attach(draft.id, _file(tmp_path, "SDS: SP-CAL 7.pdf", PDF))
    drawing = files.attach(draft.id, _file(tmp_path, "drawing.dxf", b"0\nSECTION\n"))
    with workspace.transaction() as session:  # a name from another system, with folders
        row = session.get(Attachment, drawing.id)
        assert row is not None
        row.filename = "..\\../drawing.dxf"
    _release(solutions, draft.id)  # a released version's file opens as well
    before = _blob_files(workspace)
    opened = files.open_copy(sheet.id, tmp_path / "open")
    assert opened.name == "SDS_ SP-CAL 7.pdf" and opened.read_bytes() == PDF
    assert tmp_path / "open" in opened.parents
    assert not opened.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert files.open_copy(sheet.id, tmp_path / "open") == opened  # again: replaced
    elsewhere = files.open_copy(drawing.id, tmp_path / "open")
    assert elsewhere.name == "_.._drawing.dxf" and tmp_path / "open" in elsewhere.parents
    assert _blob_files(workspace) == before  # the store is only read

    BlobStore(workspace.blobs_dir).original_path(sheet.sha256).unlink()
    with pytest.raises(NotFoundError, match="not on this device yet: sync"):
        files.open_copy(sheet.id, tmp_path / "open")


def test_a_files_operation_references_its_blob_with_its_type(
    workspace: Workspace, solutions: SolutionService, files: SolutionFileService, tmp_path: Path
) -> None:
    draft = solutions.create(DRAFT)
    sheet = files.attach(draft.id, _file(tmp_path, "SDS.pdf", PDF))
    with workspace.engine.connect() as conn:
        (payload,) = conn.exec_driver_sql(
            "SELECT payload FROM sync_outbox WHERE record_type = 'attachments' AND record_id = ?",
            (sheet.id,),
        ).one()
    fields = json.loads(payload) if isinstance(payload, str) else payload
    op = {"t": "attachments", "fields": fields}
    assert sync_blobs._referenced([op]) == [(sheet.sha256, "application/pdf")]
    assert os.path.isfile(BlobStore(workspace.blobs_dir).original_path(sheet.sha256))
    with workspace.transaction() as session:
        row = session.get(Attachment, sheet.id)
        assert row is not None and row.width is None and row.case_id is None


central = sync_helpers.central
server = sync_helpers.server


def test_a_file_attached_on_one_device_opens_on_another(
    central: CentralService, server: BackgroundServer, tmp_path: Path
) -> None:
    """The advisor attaches a data sheet; the engineer's device gets the record and the bytes
    through the real server and opens it offline."""
    central.accounts.add_user("eva", sync_helpers.PASSWORD, "advisor")
    advisor = sync_helpers.SyncDevice(tmp_path / "eva", server.url, "eva")
    engineer = sync_helpers.SyncDevice(tmp_path / "anna", server.url, "anna")
    try:
        solutions = SolutionService(advisor.ws)
        draft = solutions.create(DRAFT)
        sheet = SolutionFileService(advisor.ws).attach(draft.id, _file(tmp_path, "SDS.pdf", PDF))
        _release(solutions, draft.id)
        advisor.sync()
        states = {op["record_id"]: op["state"] for op in sync_helpers.outbox(advisor.ws)}
        assert states[sheet.id] == "applied" and set(states.values()) == {"applied"}

        report = engineer.sync()
        assert report.blobs_downloaded >= 1
        (arrived,) = SolutionService(engineer.ws).get(draft.id).files
        assert (arrived.id, arrived.sha256, arrived.filename, arrived.media_type) == (
            sheet.id,
            sheet.sha256,
            "SDS.pdf",
            "application/pdf",
        )
        opened = SolutionFileService(engineer.ws).open_copy(arrived.id, tmp_path / "open")
        assert opened.read_bytes() == PDF
        assert PhotoService(engineer.ws).photos_of(PhotoOwner(solution_id=draft.id)) == []
    finally:
        advisor.close()
        engineer.close()
