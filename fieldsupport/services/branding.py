"""The company branding printed on service reports (a workspace setting).

Values are checked when they are set, so a report on site never meets a bad colour or a
logo that is not an image; a logo file that goes missing later still gives a report, with
a visible marker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from fieldsupport.errors import ValidationError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import Blob
from fieldsupport.services.report_content import BRANDING_SETTING, COLOR_PATTERN
from fieldsupport.workspace import Workspace

MAX_LOGO_BYTES = 5 * 1024 * 1024
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
PAPERS = ("A4", "Letter")
TEXT_FIELDS = {"company_name": 120, "footer_text": 140}


class BrandingService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def get(self) -> dict[str, Any]:
        raw = self.workspace.get_setting(BRANDING_SETTING)
        return dict(raw) if isinstance(raw, dict) else {}

    def update(
        self,
        *,
        company_name: str | None = None,
        address_lines: list[str] | None = None,
        footer_text: str | None = None,
        primary_color: str | None = None,
        accent_color: str | None = None,
        paper: str | None = None,
    ) -> dict[str, Any]:
        branding = self.get()
        for key, value in (("company_name", company_name), ("footer_text", footer_text)):
            if value is not None:
                text = value.strip()
                if len(text) > TEXT_FIELDS[key]:
                    raise ValidationError(
                        f"The {key.replace('_', ' ')} is longer than {TEXT_FIELDS[key]} "
                        "characters; it would not fit the report's header or footer.",
                        field=key,
                    )
                branding[key] = text
        if address_lines is not None:
            lines = [line.strip() for line in address_lines if line.strip()]
            if len(lines) > 5 or any(len(line) > 120 for line in lines):
                raise ValidationError("Give at most 5 address lines of 120 characters.")
            branding["address_lines"] = lines
        for key, value in (("primary_color", primary_color), ("accent_color", accent_color)):
            if value is not None:
                if not COLOR_PATTERN.fullmatch(value):
                    raise ValidationError(
                        f"Colour {value!r} is not of the form #RRGGBB (e.g. #1F4E79).", field=key
                    )
                branding[key] = value.upper()
        if paper is not None:
            match = [p for p in PAPERS if p.lower() == paper.strip().lower()]
            if not match:
                raise ValidationError("Paper must be A4 or Letter.", field="paper")
            branding["paper"] = match[0]
        self.workspace.set_setting(BRANDING_SETTING, branding)
        return branding

    def set_logo(self, path: Path) -> str:
        """Store a PNG or JPEG logo and use it on reports; returns its hash."""
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ValidationError(f"The logo {path} cannot be read: {exc.strerror}.") from exc
        if size > MAX_LOGO_BYTES:
            raise ValidationError("The logo is larger than 5 MB; use a smaller image.")
        try:
            with Image.open(path) as img:
                kind = img.format or ""
                img.verify()
        except Image.DecompressionBombError as exc:
            raise ValidationError(
                f"{path.name} has too many pixels for a logo; use a smaller image."
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ValidationError(
                f"{path.name} is not an image that can be used as a logo."
            ) from exc
        if kind not in LOGO_FORMATS:
            raise ValidationError("The logo must be a PNG or JPEG image.")
        sha256 = BlobStore(self.workspace.blobs_dir).put_file(path, LOGO_FORMATS[kind])
        with self.workspace.transaction() as session:
            if session.get(Blob, sha256) is None:
                session.add(Blob(sha256=sha256, size_bytes=size, media_type=LOGO_FORMATS[kind]))
        branding = self.get()
        branding["logo_sha256"] = sha256
        self.workspace.set_setting(BRANDING_SETTING, branding)
        return sha256

    def clear_logo(self) -> None:
        branding = self.get()
        branding.pop("logo_sha256", None)
        self.workspace.set_setting(BRANDING_SETTING, branding)
