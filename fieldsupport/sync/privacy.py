"""Photos leave the device without the places they were taken, when the workspace says so.

With the privacy setting on (the default, ``media.privacy.STRIP_GPS_SETTING``), an operation
on a photo is sent with the photo's positions removed: its latitude and longitude go as
null and its ``sha256`` names a copy of the original with the GPS values zeroed in place
(``media.privacy.without_gps``: same pixels, same orientation, the same bytes every time, so
a retried or resumed upload has the same hash). That copy is written to the blob store
beside the original, with its thumbnail and report copy (identical pixels), so the record
the server echoes back shows at once.

The outbox keeps what the user did; the change is made to what is sent, when it is sent, so
the setting in force at the moment a photo leaves is the one that counts (a photo taken
before the setting was switched on still leaves without its positions). The device keeps
its positions: ``apply`` never lets a null from the server clear them
(``wire.KEPT_ON_DEVICE``).
"""

from __future__ import annotations

from typing import Any

from fieldsupport.errors import ValidationError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.media.privacy import STRIP_GPS_SETTING, without_gps
from fieldsupport.models.base import utcnow
from fieldsupport.store.bulk import utc_text
from fieldsupport.sync import wire
from fieldsupport.workspace import Workspace

PHOTO_TYPE = "attachments"


class OutgoingPhotos:
    """Rewrites the photo operations of a push batch per the workspace's privacy setting."""

    def __init__(self, workspace: Workspace, store: BlobStore) -> None:
        self.workspace = workspace
        self.store = store
        self.enabled = bool(workspace.get_setting(STRIP_GPS_SETTING, True))
        self._outgoing: dict[str, str] = {}  # original sha -> the sha that is sent

    def prepare(self, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not self.enabled:
            return ops
        return [self._prepared(op) if op["t"] == PHOTO_TYPE else op for op in ops]

    def _prepared(self, op: dict[str, Any]) -> dict[str, Any]:
        fields = dict(op["fields"])
        for name in wire.KEPT_ON_DEVICE[PHOTO_TYPE]:
            if name in fields:
                fields[name] = None
        sha = fields.get("sha256")
        if isinstance(sha, str):
            sent = self.outgoing_sha(sha)
            if sent != sha:
                fields["sha256"] = sent
                if "size_bytes" in fields:  # PNG: dropped text chunks change the size
                    fields["size_bytes"] = self.store.original_path(sent).stat().st_size
        return {**op, "fields": fields}

    def outgoing_sha(self, sha256: str) -> str:
        """The hash of the bytes that leave for ``sha256``: itself when it holds no position
        (or is not a photo, or is not on this device: the blob step then skips it and the
        server answers "retry", as for any missing blob)."""
        if sha256 in self._outgoing:
            return self._outgoing[sha256]
        sent = sha256
        path = self.store.original_path(sha256)
        if path.is_file():
            data = path.read_bytes()
            try:
                stripped = without_gps(data)
            except ValidationError:  # a PDF or other file: no positions to remove
                stripped = data
            if stripped != data:
                sent = self.store.put_bytes(stripped)
                self._describe(sha256, sent, len(stripped))
                _copy_derived(self.store, sha256, sent)
        self._outgoing[sha256] = sent
        return sent

    def _describe(self, original: str, sent: str, size: int) -> None:
        """The ``blobs`` row of the copy, so a record pointing at it is whole locally."""
        with self.workspace.engine.begin() as conn:
            media = conn.exec_driver_sql(
                "SELECT media_type FROM blobs WHERE sha256 = ?", (original,)
            ).scalar()
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO blobs (sha256, size_bytes, media_type, created_at) "
                "VALUES (?, ?, ?, ?)",
                (sent, size, media or "image/jpeg", utc_text(utcnow())),
            )


def _copy_derived(store: BlobStore, original: str, sent: str) -> None:
    """Thumbnail and report copy of the copy: the pixels are the original's, so are they."""
    for path_of in (store.thumbnail_path, store.report_copy_path):
        source, target = path_of(original), path_of(sent)
        if not source.is_file() or target.is_file():
            continue
        # staged in the store's staging folder: a crash's leftover is swept at the next open
        store.link_or_copy(source, target)
