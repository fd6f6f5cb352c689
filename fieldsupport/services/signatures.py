"""Signatures: a signed PNG with its strokes, or a recorded refusal to sign.

The PNG goes into the blob store by its hash (so it syncs like a photo); the strokes are kept
beside it as normalised points, so the signature can be re-rendered at any size and checked
later. A refusal is a signature record too: who declined, when, and the reason they gave.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldsupport.errors import ValidationError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import (
    Blob,
    ServiceReport,
    Signature,
    TrainingAttendee,
    Visit,
    utcnow,
)
from fieldsupport.models.base import NAME_LEN, TEXT_LEN
from fieldsupport.services.records import get_live
from fieldsupport.services.validation import optional_text, require_text
from fieldsupport.workspace import Workspace

MAX_SIGNATURE_BYTES = 2 * 1024 * 1024
MAX_SIGNATURE_PIXELS = 4096 * 4096
MAX_STROKE_POINTS = 50_000


@dataclass(frozen=True)
class SignatureView:
    id: str
    visit_id: str | None
    signer_name: str
    signer_role: str | None
    signed_at: datetime
    declined: bool
    decline_reason: str | None
    image_sha256: str | None
    image_path: Path | None


def check_signature_png(data: bytes) -> tuple[int, int]:
    """The PNG's size, or a readable refusal (not a PNG, empty, absurdly large)."""
    if not data:
        raise ValidationError("The signature is empty; ask the signer to sign again.")
    if len(data) > MAX_SIGNATURE_BYTES:
        raise ValidationError("The signature image is larger than 2 MB; it was not saved.")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "PNG":
                raise ValidationError("A signature must be a PNG image.")
            width, height = img.size
            if width * height > MAX_SIGNATURE_PIXELS:
                raise ValidationError("The signature image is too large; it was not saved.")
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationError("The signature image could not be read; sign again.") from exc
    return width, height


def _is_point(point: Any) -> bool:
    # x, y (0..1 of the pad) and optionally the pressure
    return (
        isinstance(point, list | tuple)
        and 2 <= len(point) <= 3
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in point
        )
    )


def _check_strokes(strokes: list[Any] | None) -> list[Any] | None:
    if strokes is None:
        return None
    if not all(isinstance(stroke, list | tuple) for stroke in strokes):
        raise ValidationError("The signature's strokes are not lists of points; sign again.")
    points = sum(len(stroke) for stroke in strokes)
    if not strokes or points == 0:
        raise ValidationError("The signature has no strokes; ask the signer to sign again.")
    if points > MAX_STROKE_POINTS:
        raise ValidationError("The signature has too many points to store; sign again.")
    if not all(_is_point(point) for stroke in strokes for point in stroke):
        raise ValidationError("The signature's strokes are not lists of points; sign again.")
    return [list(map(list, stroke)) for stroke in strokes]


class SignatureService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.store = BlobStore(workspace.blobs_dir)

    def record_signature(
        self,
        *,
        signer_name: str,
        png: bytes,
        strokes: list[Any] | None = None,
        signer_role: str | None = None,
        visit_id: str | None = None,
        signed_at: datetime | None = None,
        then: Callable[[Session, Signature], None] | None = None,
    ) -> SignatureView:
        """``then`` runs in the signature's transaction (what the signature is for, e.g. an
        attendee's sign-off): both are saved or, when it refuses, neither."""
        name = require_text(signer_name, "signer's name", max_len=NAME_LEN)
        check_signature_png(png)
        kept_strokes = _check_strokes(strokes)
        # bytes first: a record never points at a blob that is not on disk
        sha256 = self.store.put_bytes(png, "image/png")
        with self.workspace.transaction() as session:
            if visit_id is not None:
                get_live(session, Visit, visit_id, "visit")
            if session.get(Blob, sha256) is None:
                session.add(Blob(sha256=sha256, size_bytes=len(png), media_type="image/png"))
            signature = Signature(
                signer_name=name,
                signer_role=optional_text(signer_role, "signer's role", max_len=NAME_LEN),
                signed_at=signed_at or utcnow(),
                image_sha256=sha256,
                strokes=kept_strokes,
                declined=False,
                visit_id=visit_id,
            )
            session.add(signature)
            session.flush()
            if then is not None:
                then(session, signature)
            return self._view(signature)

    def record_refusal(
        self,
        *,
        signer_name: str,
        reason: str,
        signer_role: str | None = None,
        visit_id: str | None = None,
        at: datetime | None = None,
    ) -> SignatureView:
        name = require_text(signer_name, "name of the person who declined", max_len=NAME_LEN)
        why = require_text(reason, "reason for not signing", max_len=TEXT_LEN)
        with self.workspace.transaction() as session:
            if visit_id is not None:
                get_live(session, Visit, visit_id, "visit")
            signature = Signature(
                signer_name=name,
                signer_role=optional_text(signer_role, "signer's role", max_len=NAME_LEN),
                signed_at=at or utcnow(),
                declined=True,
                decline_reason=why,
                visit_id=visit_id,
            )
            session.add(signature)
            session.flush()
            return self._view(signature)

    def discard(self, signature_id: str) -> bool:
        """Tombstone a signature nothing uses (a finalize that was refused or cancelled after
        the customer signed); True when it was discarded. One in use stays."""
        with self.workspace.transaction() as session:
            signature = session.get(Signature, signature_id)
            if signature is None or signature.deleted_at is not None:
                return False
            used = session.scalar(
                select(ServiceReport.id).where(ServiceReport.signature_id == signature_id)
            ) or session.scalar(
                select(TrainingAttendee.id).where(TrainingAttendee.signature_id == signature_id)
            )
            if used:
                return False
            signature.deleted_at = utcnow()
            return True

    def get(self, signature_id: str) -> SignatureView:
        with self.workspace.transaction() as session:
            return self._view(get_live(session, Signature, signature_id, "signature"))

    def _view(self, s: Signature) -> SignatureView:
        path = self.store.original_path(s.image_sha256) if s.image_sha256 else None
        return SignatureView(
            id=s.id,
            visit_id=s.visit_id,
            signer_name=s.signer_name,
            signer_role=s.signer_role,
            signed_at=s.signed_at,
            declined=s.declined,
            decline_reason=s.decline_reason,
            image_sha256=s.image_sha256,
            image_path=path,
        )
