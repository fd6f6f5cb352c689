"""Importing onto a nearly full disk (a real small tmpfs under ``blobs/``): the photos that
do not fit are refused with a clear reason, the others import, and no partial or orphaned
file is left behind."""

from __future__ import annotations

import os
from pathlib import Path

from builders import make_refs, open_case
from fs_helpers import tmpfs
from PIL import Image

from fieldsupport.media.blobstore import BlobStore
from fieldsupport.services.cases import CaseService
from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
from fieldsupport.workspace import Workspace

PHOTO = Path(__file__).parent / "data" / "photos" / "orientation" / "Landscape_0.jpg"
DISK_FULL = "The disk is full: the photo was not stored. Free some space and import it again."


def _leave_free(folder: Path, free_bytes: int) -> None:
    """Fill the file system of ``folder`` until about ``free_bytes`` are left."""
    stats = os.statvfs(folder)
    available = stats.f_bavail * stats.f_frsize
    filler = folder / "filler.bin"
    with open(filler, "ab") as out:
        out.write(b"\0" * max(available - free_bytes, 0))


def _stored_files(store: BlobStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file() and p.name not in ("filler.bin",))


def test_full_disk_refuses_what_does_not_fit(workspace: Workspace, tmp_path: Path) -> None:
    case_id = open_case(CaseService(workspace), make_refs(workspace))
    small = tmp_path / "small.jpg"
    Image.new("RGB", (120, 90), "teal").save(small, quality=80)
    service = PhotoService(workspace)
    store = BlobStore(workspace.blobs_dir)
    with tmpfs(workspace.blobs_dir, size="2m"):
        # room for the photo's original (350 kB) but not for its 1600 px copy (316 kB)
        _leave_free(workspace.blobs_dir, PHOTO.stat().st_size + 64 * 1024)
        summary = service.import_photos(PhotoOwner(case_id), [PHOTO, small])
        outcomes = {r.path.name: (r.outcome, r.reason) for r in summary.results}
        assert outcomes["Landscape_0.jpg"] == (Outcome.REFUSED, DISK_FULL)
        assert outcomes["small.jpg"][0] is Outcome.IMPORTED
        assert store.leftovers() == []
        # only the small photo's three files: the big one's original was removed again
        (photo,) = service.photos_of(PhotoOwner(case_id))
        assert photo.filename == "small.jpg"
        assert _stored_files(store) == sorted(
            [
                store.original_path(photo.sha256),
                store.report_copy_path(photo.sha256),
                store.thumbnail_path(photo.sha256),
            ]
        )

        # no room even for the original: refused the same way, nothing left over
        (workspace.blobs_dir / "filler.bin").unlink()
        _leave_free(workspace.blobs_dir, 100 * 1024)
        again = service.import_photos(PhotoOwner(case_id), [PHOTO])
        assert [(r.outcome, r.reason) for r in again.results] == [(Outcome.REFUSED, DISK_FULL)]
        assert store.leftovers() == []
        assert len(_stored_files(store)) == 3

        # space freed: the same photo imports
        (workspace.blobs_dir / "filler.bin").unlink()
        last = service.import_photos(PhotoOwner(case_id), [PHOTO])
        assert last.results[0].outcome is Outcome.IMPORTED
        assert len(service.photos_of(PhotoOwner(case_id))) == 2
