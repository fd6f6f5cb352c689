"""The demo workspace carries real photos: blobs with their copies, before/after pairs on
the latest completed visits, the same bytes for the same seed."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from fieldsupport.demo.generator import create_demo
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import Attachment
from fieldsupport.models.enums import BeforeAfter
from fieldsupport.services.photos import PhotoOwner, PhotoService
from fieldsupport.workspace import Workspace

REFERENCE = datetime.fromisoformat("2026-11-02T12:00:00+00:00")


def _demo_photos(root: Path) -> list[tuple[str, str | None]]:
    with Workspace.open(root) as workspace:
        create_demo(workspace, cases=120, seed=5, reference=REFERENCE)
        store = BlobStore(workspace.blobs_dir)
        with workspace.transaction() as session:
            rows = session.scalars(select(Attachment).order_by(Attachment.filename)).all()
            assert len(rows) == 12 and len({r.visit_id for r in rows}) == 4
            for row in rows:
                data = store.original_path(row.sha256).read_bytes()
                assert hashlib.sha256(data).hexdigest() == row.sha256
                assert store.report_copy_path(row.sha256).is_file()
                assert store.thumbnail_path(row.sha256).is_file()
            case_id, visit_id = rows[0].case_id, rows[0].visit_id
        photos = PhotoService(workspace).photos_of(PhotoOwner(case_id, visit_id))
        roles = [p.before_after for p in photos]
        assert roles == [BeforeAfter.BEFORE, BeforeAfter.AFTER, None]
        assert photos[0].pair_id == photos[1].pair_id is not None
        assert all(p.caption for p in photos)
        assert store.leftovers() == []
        return [(r.sha256, r.caption) for r in rows]


def test_demo_photos_are_real_and_repeatable(tmp_path: Path) -> None:
    assert _demo_photos(tmp_path / "a") == _demo_photos(tmp_path / "b")
