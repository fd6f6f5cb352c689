"""Blobs on the server: resumable uploads by offset, verified by SHA-256 before they count.

Files live under the blobs folder as ``<ab>/<sha256>``; an upload in progress is
``partial/<sha256>``, whose size on disk is what the server holds (so a crash of the server
between writing a chunk and answering loses nothing: the client asks and resumes).
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from fieldsupport.central import storage as t
from fieldsupport.central.accounts import now
from fieldsupport.errors import FieldSupportError
from fieldsupport.store.durable import fsync_dir, write_new_file

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
CHUNK = 1024 * 1024
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
# The statements of every upload, built once (building and keying a statement per request
# was a visible part of the server's time per photo)
_IS_COMPLETE = select(t.blobs.c.complete).where(t.blobs.c.sha256 == bindparam("sha256"))

Body = bytes | Sequence[bytes]  # the bytes of a PUT, whole or in the pieces they arrived in


@functools.cache
def _record_complete(dialect_name: str) -> Any:
    """``INSERT ... ON CONFLICT DO UPDATE``: the blob's row says complete, whether or not an
    earlier upload of it had begun one."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    insert = dialect.insert(t.blobs)
    return insert.on_conflict_do_update(
        index_elements=[t.blobs.c.sha256],
        set_={"complete": True, "size": insert.excluded.size},
    )


def _pieces(body: Body) -> Sequence[bytes]:
    return [body] if isinstance(body, bytes | bytearray | memoryview) else body


class BlobError(FieldSupportError):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.extra = extra


class ServerBlobs:
    def __init__(self, engine: Engine, root: Path, max_bytes: int) -> None:
        self.engine = engine
        self.root = root
        self.max_bytes = max_bytes

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _partial(self, sha256: str) -> Path:
        return self.root / "partial" / sha256

    @staticmethod
    def check_sha(sha256: str) -> None:
        if not _SHA256.match(sha256):
            raise BlobError(422, "bad_sha256", "A blob is named by its SHA-256: 64 hex digits.")

    def is_complete(self, conn: Connection, sha256: str) -> bool:
        row = conn.execute(_IS_COMPLETE, {"sha256": sha256}).first()
        return bool(row and row.complete)

    def describe(self, conn: Connection, shas: set[str]) -> list[dict[str, Any]]:
        if not shas:
            return []
        rows = conn.execute(
            select(t.blobs.c.sha256, t.blobs.c.size, t.blobs.c.media_type).where(
                t.blobs.c.sha256.in_(sorted(shas)), t.blobs.c.complete.is_(True)
            )
        ).all()
        return [{"sha256": s, "size": n, "media_type": m} for s, n, m in rows]

    def status(self, sha256: str) -> dict[str, Any]:
        self.check_sha(sha256)
        with self.engine.connect() as conn:
            row = conn.execute(select(t.blobs).where(t.blobs.c.sha256 == sha256)).first()
        if row is None:
            raise BlobError(404, "blob_unknown", f"The server has no blob {sha256}.")
        received = row.size if row.complete else self._received(sha256)
        return {
            "sha256": sha256,
            "size": row.size,
            "received": received,
            "complete": bool(row.complete),
        }

    def statuses(self, shas: list[str]) -> dict[str, dict[str, Any] | None]:
        """:meth:`status` of many blobs in one read (``None``: unknown to the server)."""
        for sha in shas:
            self.check_sha(sha)
        with self.engine.connect() as conn:
            rows = {
                row.sha256: row
                for row in conn.execute(select(t.blobs).where(t.blobs.c.sha256.in_(set(shas))))
            }
        out: dict[str, dict[str, Any] | None] = {}
        for sha in shas:
            row = rows.get(sha)
            out[sha] = (
                None
                if row is None
                else {
                    "sha256": sha,
                    "size": row.size,
                    "received": row.size if row.complete else self._received(sha),
                    "complete": bool(row.complete),
                }
            )
        return out

    def _received(self, sha256: str) -> int:
        try:
            return self._partial(sha256).stat().st_size
        except FileNotFoundError:
            return 0

    def put(
        self, sha256: str, offset: int, size: int, media_type: str, body: Body
    ) -> dict[str, Any]:
        """Take the bytes of ``sha256`` from ``offset``: ``body`` whole or as the pieces it
        arrived in (the HTTP layer passes those as they are, not copied into one)."""
        try:
            return self._put(sha256, offset, size, media_type, body)
        except OSError as error:
            if error.errno not in _DISK_FULL:
                raise
            # a whole blob's temporary file is gone again; a piece of a resumable upload
            # stays as far as it was written, which is what the server then says it holds
            raise BlobError(
                507,
                "server_disk_full",
                "The server's disk is full: the file was not stored. The device keeps it and "
                "sends it again; the server's administrator must free space.",
            ) from error

    def _put(
        self, sha256: str, offset: int, size: int, media_type: str, body: Body
    ) -> dict[str, Any]:
        self.check_sha(sha256)
        pieces = _pieces(body)
        length = sum(len(piece) for piece in pieces)
        if not 0 <= size <= self.max_bytes:
            raise BlobError(
                413, "blob_too_large", f"Blobs may have at most {self.max_bytes} bytes."
            )
        if not _MEDIA_TYPE.match(media_type) or len(media_type) > 64:
            raise BlobError(422, "bad_media_type", f"{media_type!r} is not a media type.")
        if offset < 0 or offset + length > size:
            raise BlobError(
                422, "bad_range", "The bytes sent go beyond the declared size of the blob."
            )
        if offset == 0 and length == size:
            return self._put_whole(sha256, size, media_type, pieces)
        with self.engine.begin() as conn:
            # write first: on SQLite a transaction that read first fails at once ("database
            # is locked") when another upload writes at the same time, instead of waiting
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(
                dialect.insert(t.blobs)
                .values(
                    sha256=sha256,
                    size=size,
                    media_type=media_type,
                    complete=False,
                    created_at=now(),
                )
                .on_conflict_do_nothing()
            )
            row = conn.execute(select(t.blobs).where(t.blobs.c.sha256 == sha256)).one()
            if row.complete:
                return {"sha256": sha256, "size": row.size, "received": row.size, "complete": True}
            elif row.size != size:
                conn.execute(update(t.blobs).where(t.blobs.c.sha256 == sha256).values(size=size))
                self._partial(sha256).unlink(missing_ok=True)
        received = self._received(sha256)
        if offset > received:
            raise BlobError(
                409,
                "offset_mismatch",
                f"The server holds {received} bytes of this blob; continue from there.",
                received=received,
            )
        partial = self._partial(sha256)
        partial.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "r+b" if partial.exists() else "wb") as out:
            out.seek(offset)
            for piece in pieces:
                out.write(piece)
            out.truncate(offset + length)
            out.flush()
            os.fsync(out.fileno())
        received = offset + length
        if received < size:
            return {"sha256": sha256, "size": size, "received": received, "complete": False}
        return self._finish(sha256, size)

    def _put_whole(
        self, sha256: str, size: int, media_type: str, pieces: Sequence[bytes]
    ) -> dict[str, Any]:
        """A blob sent in one request (a photo): checked before anything is written, made
        durable under a name of its own (another upload of it may run at the same time),
        renamed into place, and recorded complete in one statement."""
        digest = hashlib.sha256()
        for piece in pieces:
            digest.update(piece)
        if digest.hexdigest() != sha256:
            raise BlobError(
                422,
                "hash_mismatch",
                "The uploaded bytes do not match the blob's SHA-256; upload it again from the "
                "start.",
            )
        with self.engine.connect() as conn:
            if self.is_complete(conn, sha256):
                return {"sha256": sha256, "size": size, "received": size, "complete": True}
        target = self.path(sha256)
        temporary = self.root / "partial" / f"{sha256}.{uuid.uuid4().hex}"
        temporary.parent.mkdir(parents=True, exist_ok=True)
        try:
            write_new_file(temporary, pieces)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        fsync_dir(target.parent)  # the rename survives a power cut before the row says so
        self._partial(sha256).unlink(missing_ok=True)  # an earlier upload's piece
        with self.engine.begin() as conn:
            conn.execute(
                _record_complete(conn.dialect.name),
                {
                    "sha256": sha256,
                    "size": size,
                    "media_type": media_type,
                    "complete": True,
                    "created_at": now(),
                },
            )
        return {"sha256": sha256, "size": size, "received": size, "complete": True}

    def _finish(self, sha256: str, size: int) -> dict[str, Any]:
        try:
            return self._finish_partial(sha256, size)
        except FileNotFoundError:
            # another upload of the same blob finished it meanwhile (its partial file was
            # verified and renamed into place) - or took it back as damaged
            if self.path(sha256).is_file():
                with self.engine.begin() as conn:
                    conn.execute(
                        update(t.blobs).where(t.blobs.c.sha256 == sha256).values(complete=True)
                    )
                return {"sha256": sha256, "size": size, "received": size, "complete": True}
            received = self._received(sha256)
            raise BlobError(
                409,
                "offset_mismatch",
                f"The server holds {received} bytes of this blob; continue from there.",
                received=received,
            ) from None

    def _finish_partial(self, sha256: str, size: int) -> dict[str, Any]:
        partial = self._partial(sha256)
        digest = hashlib.sha256()
        with open(partial, "rb") as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != sha256:
            partial.unlink(missing_ok=True)
            raise BlobError(
                422,
                "hash_mismatch",
                "The uploaded bytes do not match the blob's SHA-256; upload it again from the "
                "start.",
            )
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, target)
        fsync_dir(target.parent)
        with self.engine.begin() as conn:
            conn.execute(update(t.blobs).where(t.blobs.c.sha256 == sha256).values(complete=True))
        return {"sha256": sha256, "size": size, "received": size, "complete": True}

    def content_path(self, sha256: str) -> tuple[Path, str]:
        self.check_sha(sha256)
        with self.engine.connect() as conn:
            row = conn.execute(select(t.blobs).where(t.blobs.c.sha256 == sha256)).first()
        if row is None or not row.complete:
            raise BlobError(404, "blob_unknown", f"The server has no blob {sha256}.")
        path = self.path(sha256)
        if not path.is_file():  # lost from the blobs folder: a 404, not a server error
            raise BlobError(404, "blob_missing", f"The server's file of blob {sha256} is missing.")
        return path, row.media_type
