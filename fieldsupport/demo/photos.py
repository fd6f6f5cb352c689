"""Demo photos: a few generated site pictures on the latest completed visits, so reports and
sync have real blobs (originals, upright copies, thumbnails) to carry.

The pictures are drawn with Pillow from the demo's random generator (same seed, same bytes,
same hashes) and stored through the blob store like imported photos; their records go in
with the rest of the demo data, in the same transaction.
"""

from __future__ import annotations

import io
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldsupport.media.blobstore import BlobStore
from fieldsupport.media.images import derive
from fieldsupport.models import Attachment, Blob, Visit
from fieldsupport.models.enums import BeforeAfter, VisitStatus
from fieldsupport.services.photo_imports import write_copies

VISITS_WITH_PHOTOS = 4
SIZE = (800, 600)
SHOTS = (
    ("Pump head before the repair: leak at the gland", BeforeAfter.BEFORE),
    ("Pump head after the repair: dry", BeforeAfter.AFTER),
    ("Dosing line and pressure gauge", None),
)


def _picture(rng: random.Random, caption: str, leaking: bool) -> bytes:
    """An 'equipment' picture: pipe, pump body, gauge; a leak drawn when ``leaking``."""
    wall = tuple(rng.randint(150, 210) for _ in range(3))
    image = Image.new("RGB", SIZE, wall)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 470, 800, 600), fill=(90, 90, 95))  # floor
    draw.rectangle((0, 300, 800, 340), fill=(70, 110, 160))  # pipe
    body = (rng.randint(220, 300), 220, rng.randint(480, 540), 470)
    draw.rounded_rectangle(body, radius=24, fill=(40, 120, 70), outline=(20, 60, 35), width=6)
    centre = (rng.randint(600, 680), 160)
    draw.ellipse((centre[0] - 60, 100, centre[0] + 60, 220), fill="white", outline="black", width=5)
    draw.line((centre, (centre[0] + rng.randint(-40, 40), 120)), fill="red", width=5)
    if leaking:
        for _ in range(12):
            x = rng.randint(body[0], body[2])
            y = rng.randint(body[3] - 20, body[3] + 100)
            draw.ellipse((x - 8, y - 5, x + 8, y + 5), fill=(60, 90, 200))
    draw.text((20, 20), caption, fill="black")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def add_demo_photos(
    session: Session, new_id: Callable[[], str], store: BlobStore, rng: random.Random
) -> int:
    """Photos on the latest completed visits; returns how many were added."""
    visits = session.scalars(
        select(Visit)
        .where(Visit.status == VisitStatus.COMPLETED, Visit.departed_at.is_not(None))
        .order_by(Visit.departed_at.desc(), Visit.id)
        .limit(VISITS_WITH_PHOTOS)
    ).all()
    added = 0
    with tempfile.TemporaryDirectory(prefix="fieldsupport-demo-photos-") as tmp:
        for visit in visits:
            pair_id = new_id()
            for position, (caption, role) in enumerate(SHOTS, start=1):
                data = _picture(rng, caption, leaking=role is BeforeAfter.BEFORE)
                source = Path(tmp) / f"visit-{added}.jpg"
                source.write_bytes(data)
                derived = derive(source)
                sha256 = store.put_bytes(data)
                write_copies(store, sha256, derived.report_jpeg, derived.thumbnail_jpeg)
                if session.get(Blob, sha256) is None:
                    session.add(Blob(sha256=sha256, size_bytes=len(data), media_type="image/jpeg"))
                    session.flush()  # the blob row before the attachment that refers to it
                session.add(
                    Attachment(
                        id=new_id(),
                        sha256=sha256,
                        media_type="image/jpeg",
                        size_bytes=len(data),
                        filename=f"IMG_{1000 + added}.jpg",
                        width=derived.facts.width,
                        height=derived.facts.height,
                        taken_at=visit.departed_at,
                        caption=caption,
                        position=position,
                        before_after=role,
                        pair_id=pair_id if role else None,
                        case_id=visit.case_id,
                        visit_id=visit.id,
                    )
                )
                added += 1
    return added
