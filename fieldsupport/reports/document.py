"""The structured data beside each report PDF: the same facts as a versioned JSON document.

The back office imports this, not the PDF's text. It names the PDF by its SHA-256, so a
JSON document and a PDF that do not belong together are detected, and photos and the
signature by their blob hashes, so the images can be fetched from the central server.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from fieldsupport import __version__
from fieldsupport.reports.content import Party, ReportContent

DOCUMENT_TYPE = "fieldsupport.service-report"
SCHEMA_VERSION = 1


def _time(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _party(party: Party | None) -> dict[str, Any] | None:
    if party is None:
        return None
    return {"id": party.id, "title": party.title, "details": dict(party.details)}


def report_document(
    content: ReportContent,
    *,
    pdf_sha256: str,
    pdf_bytes: int,
    problems: list[str],
    missing_photos: set[str],
) -> dict[str, Any]:
    c = content
    signature: dict[str, Any] | None = None
    if c.signature is not None and c.status != "draft":
        s = c.signature
        signature = {
            "id": s.signature_id,
            "signer_name": s.signer_name,
            "signer_role": s.signer_role or None,
            "signed_at": _time(s.signed_at),
            "declined": s.declined,
            "decline_reason": s.decline_reason or None,
            "image_sha256": s.image_sha256,
        }
    return {
        "document": DOCUMENT_TYPE,
        "schema_version": SCHEMA_VERSION,
        "generator": f"FieldSupport {__version__}",
        "report": {
            "number": c.report_number,
            "revision": c.revision,
            "status": c.status,
            "generated_at": _time(c.generated_at),
            "device": c.device_code,
        },
        "pdf": {"sha256": pdf_sha256, "bytes": pdf_bytes},
        "case": {
            "id": c.case_id,
            "number": c.case_number,
            "title": c.case_title,
            "assist_type": c.assist_type,
            "priority": c.priority,
            "status": c.case_status,
        },
        "customer": _party(c.customer),
        "site": _party(c.site),
        "contact": _party(c.contact),
        "asset": _party(c.asset),
        "visit": {
            "id": c.visit_id,
            "engineer": c.engineer or None,
            "status": c.visit_status,
            "timeline": [
                {"at": _time(r.when), "what": r.what, "minutes": r.minutes, "note": r.note or None}
                for r in c.timeline
            ],
            "work_minutes": c.total_work_minutes,
            "travel_minutes": c.total_travel_minutes,
            "travel_distance_km": c.travel_distance_km,
            "work_performed": c.work_performed or None,
            "findings": c.findings or None,
            "follow_up_needed": c.follow_up_needed,
            "follow_up_notes": c.follow_up_notes or None,
        },
        "measurements": [
            {**asdict(m), "measured_at": _time(m.measured_at), "note": m.note or None}
            for m in c.measurements
        ],
        "parts": [{**asdict(p), "serial_number": p.serial_number or None} for p in c.parts],
        "applications": [
            {
                "id": a.id,
                "solution_title": a.solution_title,
                "version_number": a.version_number,
                "applied_at": _time(a.applied_at),
                "outcome": a.outcome,
                "outcome_notes": a.outcome_notes or None,
                "parameters": [
                    {**asdict(p), "deviation_reason": p.deviation_reason or None}
                    for p in a.parameters
                ],
                "skipped_steps": [{"title": t, "note": n} for t, n in a.skipped_steps],
            }
            for a in c.applications
        ],
        "training": [
            {
                "id": t.id,
                "topic": t.topic,
                "trainer": t.trainer or None,
                "started_at": _time(t.started_at),
                "duration_minutes": t.duration_minutes,
                "attendees": [asdict(a) for a in t.attendees],
            }
            for t in c.training
        ],
        "photos": [
            {
                "attachment_id": p.attachment_id,
                "sha256": p.sha256,
                "caption": p.caption or None,
                "before_after": p.before_after,
                "taken_at": _time(p.taken_at),
                "in_pdf": p.attachment_id not in missing_photos,
            }
            for p in c.photos
        ],
        "signature": signature,
        "satisfaction": (
            {"score": c.csat_score, "comment": c.csat_comment or None}
            if c.csat_score is not None
            else None
        ),
        "problems": problems,
    }


def dumps(document: dict[str, Any]) -> bytes:
    """Stable bytes (sorted keys) so the same facts always hash the same."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
