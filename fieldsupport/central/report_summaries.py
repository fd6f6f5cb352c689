"""What the back-office inbox needs from a service report's structured data (its JSON
document, a blob): the PDF it names, the report number and revision it is of, and the case,
customer and engineer it shows. Read once per document and kept in ``report_summaries``.

Documents are content-addressed, so a summary stored under a SHA-256 never goes stale: the
inbox reads a few table rows instead of opening and parsing every report's JSON on every
request (``benchmarks/backoffice.py``). A summary is stored only after the bytes read were
checked against their SHA-256: a damaged copy on the server's disk is reported as such and
not remembered (restored from a backup, it is read again).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import OperationalError

from fieldsupport.central import storage as t
from fieldsupport.central.blobs import ServerBlobs
from fieldsupport.reports.export import DOCUMENT_LIMIT, document_section

CHUNK = 500  # ids per query: bounds the query's parameters


@dataclass(frozen=True)
class ReportSummary:
    readable: bool  # False: the (intact) file is not a report document
    pdf_sha256: str | None = None
    report_number: str | None = None
    revision: int | None = None
    case_number: str | None = None
    case_title: str | None = None
    customer: str | None = None
    engineer: str | None = None

    @classmethod
    def of_document(cls, body: bytes) -> ReportSummary:
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return cls(readable=False)
        if not isinstance(document, dict):
            return cls(readable=False)
        about = document_section(document, "report")
        case = document_section(document, "case")
        revision = about.get("revision")
        return cls(
            readable=True,
            pdf_sha256=_text(document_section(document, "pdf").get("sha256")),
            report_number=_text(about.get("number")),
            # a revision that is not a whole number matches no report: kept as None
            revision=revision if type(revision) is int and abs(revision) < 2**62 else None,
            case_number=_text(case.get("number")),
            case_title=_text(case.get("title")),
            customer=_text(document_section(document, "customer").get("title")),
            engineer=_text(document_section(document, "visit").get("engineer")),
        )

    def describe(self) -> dict[str, str | None]:
        """The inbox row's fields as the document shows them."""
        return {
            "case_number": self.case_number,
            "case_title": self.case_title,
            "customer": self.customer,
            "engineer": self.engineer,
        }


@dataclass
class Lookup:
    known: dict[str, ReportSummary] = field(default_factory=dict)
    damaged: set[str] = field(default_factory=set)  # on disk, but not the bytes named
    fresh: dict[str, ReportSummary] = field(default_factory=dict)  # read now, not yet stored


class ReportSummaries:
    def __init__(self, engine: Engine, blobs: ServerBlobs) -> None:
        self.engine = engine
        self.blobs = blobs

    def lookup(self, conn: Connection, shas: Iterable[str]) -> Lookup:
        """Summaries of the documents ``shas`` (files the caller knows are on disk): stored
        ones from the table, the others read, checked and parsed now (``fresh``)."""
        wanted = sorted(set(shas))
        found = Lookup()
        columns = t.report_summaries.c
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            for row in conn.execute(
                select(t.report_summaries).where(columns.data_sha256.in_(chunk))
            ):
                values = row._asdict()
                sha = values.pop("data_sha256")
                found.known[sha] = ReportSummary(**values)
        for sha in wanted:
            if sha not in found.known:
                self._read(sha, found)
        return found

    def _read(self, sha: str, found: Lookup) -> None:
        path = self.blobs.path(sha)
        try:
            if path.stat().st_size > DOCUMENT_LIMIT:  # not a report's few kB: not parsed
                found.known[sha] = ReportSummary(readable=False)
                return
            body = path.read_bytes()
        except OSError:
            return  # gone since the caller looked: reported as missing next time
        if hashlib.sha256(body).hexdigest() != sha:
            found.damaged.add(sha)
            return
        summary = ReportSummary.of_document(body)
        found.known[sha] = summary
        found.fresh[sha] = summary

    def remember(self, fresh: dict[str, ReportSummary]) -> None:
        """Store summaries read by :meth:`lookup`, in a short transaction of their own.
        Another request storing the same ones at the same time is no conflict; a database
        too busy to take them now only means they are read again next time."""
        if not fresh:
            return
        rows = [{"data_sha256": sha, **asdict(s)} for sha, s in sorted(fresh.items())]
        try:
            with self.engine.begin() as conn:
                t.insert_new(conn, t.report_summaries, rows)
        except OperationalError:
            pass  # a cache: the inbox answer does not depend on it


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
