"""JSON Schema (draft 2020-12) of the report data document, version 1.

Kept in code so it ships wherever the package goes; ``fieldsupport report-schema`` prints
it for the back office's importers.
"""

from __future__ import annotations

from typing import Any

_TIME = {"type": "string", "format": "date-time"}
_OPT_TIME = {"type": ["string", "null"], "format": "date-time"}
_OPT_STR = {"type": ["string", "null"]}
_OPT_NUM = {"type": ["number", "null"]}
_SHA = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_OPT_SHA = {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"}


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    props = {**required, **(optional or {})}
    return {
        "type": "object",
        "required": sorted(required),
        "properties": props,
        "additionalProperties": False,
    }


_PARTY = {
    "oneOf": [
        {"type": "null"},
        _obj(
            {
                "id": _OPT_STR,
                "title": {"type": "string"},
                "details": {"type": "object", "additionalProperties": {"type": "string"}},
            }
        ),
    ]
}

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://fieldsupport.example/schemas/service-report-1.json",
    "title": "FieldSupport service report data",
    **_obj(
        {
            "document": {"const": "fieldsupport.service-report"},
            "schema_version": {"const": 1},
            "generator": {"type": "string"},
            "report": _obj(
                {
                    "number": {"type": "string", "minLength": 1},
                    "revision": {"type": "integer", "minimum": 1},
                    "status": {"enum": ["draft", "signed", "final"]},
                    "generated_at": _TIME,
                    "device": {"type": "string"},
                }
            ),
            "pdf": _obj({"sha256": _SHA, "bytes": {"type": "integer", "minimum": 1}}),
            "case": _obj(
                {
                    "id": {"type": "string"},
                    "number": {"type": "string"},
                    "title": {"type": "string"},
                    "assist_type": {"type": "string"},
                    "priority": {"type": "string"},
                    "status": {"type": "string"},
                }
            ),
            "customer": _PARTY,
            "site": _PARTY,
            "contact": _PARTY,
            "asset": _PARTY,
            "visit": _obj(
                {
                    "id": {"type": "string"},
                    "engineer": _OPT_STR,
                    "status": {"type": "string"},
                    "timeline": {
                        "type": "array",
                        "items": _obj(
                            {
                                "at": _OPT_TIME,
                                "what": {"type": "string"},
                                "minutes": {"type": ["integer", "null"]},
                                "note": _OPT_STR,
                            }
                        ),
                    },
                    "work_minutes": {"type": "integer", "minimum": 0},
                    "travel_minutes": {"type": "integer", "minimum": 0},
                    "travel_distance_km": _OPT_NUM,
                    "work_performed": _OPT_STR,
                    "findings": _OPT_STR,
                    "follow_up_needed": {"type": "boolean"},
                    "follow_up_notes": _OPT_STR,
                }
            ),
            "measurements": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "value": {"type": "number"},
                        "unit": {"type": "string"},
                        "lower_limit": _OPT_NUM,
                        "upper_limit": _OPT_NUM,
                        "phase": {"type": "string"},
                        "measured_at": _TIME,
                        "within_limits": {"type": ["boolean", "null"]},
                        "note": _OPT_STR,
                    }
                ),
            },
            "parts": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "string"},
                        "part_number": {"type": "string"},
                        "description": {"type": "string"},
                        "quantity": {"type": "number", "exclusiveMinimum": 0},
                        "unit": {"type": "string"},
                        "serial_number": _OPT_STR,
                    }
                ),
            },
            "applications": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "string"},
                        "solution_title": {"type": "string"},
                        "version_number": {"type": "integer", "minimum": 1},
                        "applied_at": _TIME,
                        "outcome": {"type": "string"},
                        "outcome_notes": _OPT_STR,
                        "parameters": {
                            "type": "array",
                            "items": _obj(
                                {
                                    "parameter_id": {"type": "string"},
                                    "name": {"type": "string"},
                                    "unit": {"type": "string"},
                                    "min_value": _OPT_NUM,
                                    "max_value": _OPT_NUM,
                                    "planned_value": _OPT_NUM,
                                    "actual_value": _OPT_NUM,
                                    "out_of_range": {"type": "boolean"},
                                    "deviation_reason": _OPT_STR,
                                }
                            ),
                        },
                        "skipped_steps": {
                            "type": "array",
                            "items": _obj(
                                {"title": {"type": "string"}, "note": {"type": "string"}}
                            ),
                        },
                    }
                ),
            },
            "training": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "string"},
                        "topic": {"type": "string"},
                        "trainer": _OPT_STR,
                        "started_at": _TIME,
                        "duration_minutes": {"type": "integer", "minimum": 0},
                        "attendees": {
                            "type": "array",
                            "items": _obj(
                                {
                                    "id": {"type": "string"},
                                    "name": {"type": "string"},
                                    "role": {"type": "string"},
                                    "company": {"type": "string"},
                                    "sign_off": {"enum": ["signed", "yes", "no"]},
                                    "assessment": {"type": "string"},
                                }
                            ),
                        },
                    }
                ),
            },
            "photos": {
                "type": "array",
                "items": _obj(
                    {
                        "attachment_id": {"type": "string"},
                        "sha256": _SHA,
                        "caption": _OPT_STR,
                        "before_after": {"enum": ["before", "after", None]},
                        "taken_at": _OPT_TIME,
                        "in_pdf": {"type": "boolean"},
                    }
                ),
            },
            "signature": {
                "oneOf": [
                    {"type": "null"},
                    _obj(
                        {
                            "id": _OPT_STR,
                            "signer_name": {"type": "string", "minLength": 1},
                            "signer_role": _OPT_STR,
                            "signed_at": _TIME,
                            "declined": {"type": "boolean"},
                            "decline_reason": _OPT_STR,
                            "image_sha256": _OPT_SHA,
                        }
                    ),
                ]
            },
            "satisfaction": {
                "oneOf": [
                    {"type": "null"},
                    _obj(
                        {
                            "score": {"type": "integer", "minimum": 1, "maximum": 5},
                            "comment": _OPT_STR,
                        }
                    ),
                ]
            },
            "problems": {"type": "array", "items": {"type": "string"}},
        }
    ),
}
