"""The back office's report inbox on a central server holding many submitted reports.

One real signed report is made the way an engineer makes it (a workspace, a visit, a PDF and
its JSON, synced to a real server on loopback); the server then gets ``--reports`` copies
of it, each with a case, a visit, a PDF and a JSON document of its own (distinct hashes), of
which ``--decided`` are accepted. Figures (server side, ``BackOffice.inbox``, the 500 rows
the app asks for; and the same through HTTP):

* ``inbox_first_<N>``: the first inbox request ever (nothing known about the documents yet);
* ``inbox_restart_<N>``: the first request of a freshly started server process;
* ``inbox_repeat_<N>``: the median of 5 further requests;
* ``inbox_http_<N>``: the app's request over loopback (median of 5);
* ``inbox_decided_view_<N>``: the 500 latest decisions (with ``--decided``; median of 5).

``python benchmarks/backoffice.py [--reports 2000] [--decided 0]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sqlalchemy import insert, select  # noqa: E402

from fieldsupport.central import storage as t  # noqa: E402
from fieldsupport.central.accounts import Principal, now  # noqa: E402
from fieldsupport.central.backoffice import BackOffice  # noqa: E402
from fieldsupport.central.server import BackgroundServer, open_service  # noqa: E402
from fieldsupport.central.service import CentralService  # noqa: E402
from fieldsupport.sync import wire  # noqa: E402
from fieldsupport.sync.backoffice import BackOfficeClient  # noqa: E402
from tests.backoffice_helpers import Device, submit_report  # noqa: E402
from tests.sync_helpers import PASSWORD  # noqa: E402

Add = Callable[[str, float, str], None]
LIMIT = 500  # what the app asks for
REPEAT = 5


def _record(conn: Any, record_type: str, record_id: str) -> dict[str, Any]:
    row = conn.execute(
        select(t.records.c.data, t.records.c.field_versions).where(
            t.records.c.record_type == record_type, t.records.c.id == record_id
        )
    ).one()
    return json.loads(row.data)


def _copy_reports(service: CentralService, report_id: str, count: int) -> list[str]:
    """``count`` copies of the template report, each on a case and visit of its own, with
    its own PDF and JSON document (the template's, made distinct)."""
    with service.reading() as conn:
        report = _record(conn, "service_reports", report_id)
        case = _record(conn, "cases", report["case_id"])
        visit = _record(conn, "visits", report["visit_id"])
    pdf = service.blobs.path(report["pdf_sha256"]).read_bytes()
    document = json.loads(service.blobs.path(report["data_sha256"]).read_bytes())
    ids: list[str] = []
    blobs: list[dict[str, Any]] = []
    stamp = now()
    with service.writing() as (conn, seqs):
        rows: list[dict[str, Any]] = []
        access: list[dict[str, Any]] = []
        for i in range(count):
            case_id, visit_id, new_id = (str(uuid.uuid4()) for _ in range(3))
            number = f"SR-BNCH-{i:06d}"
            pdf_i = pdf + f"%bench {i}\n".encode()
            pdf_sha = _store(service, pdf_i)
            document["report"]["number"] = number
            document["case"]["number"] = f"FS-BNCH-{i:06d}"
            document["case"]["id"] = case_id
            document["pdf"] = {"bytes": len(pdf_i), "sha256": pdf_sha}
            data_sha = _store(service, json.dumps(document, indent=1).encode())
            for sha, size, media in (
                (pdf_sha, len(pdf_i), "application/pdf"),
                (data_sha, service.blobs.path(data_sha).stat().st_size, "application/json"),
            ):
                blobs.append({"sha256": sha, "size": size, "media_type": media, "complete": True})
            values = (
                ("cases", case_id, {**case, "case_number": f"FS-BNCH-{i:06d}"}),
                ("visits", visit_id, {**visit, "case_id": case_id}),
                (
                    "service_reports",
                    new_id,
                    {
                        **report,
                        "case_id": case_id,
                        "visit_id": visit_id,
                        "report_number": number,
                        "pdf_sha256": pdf_sha,
                        "data_sha256": data_sha,
                    },
                ),
            )
            for record_type, record_id, data in values:
                rows.append(
                    {
                        "record_type": record_type,
                        "id": record_id,
                        "version": 1,
                        "change_seq": seqs.next(),
                        "deleted": False,
                        "scope_case": case_id,
                        "subject_type": record_type,
                        "row_hash": wire.row_hash(record_id, 1),
                        "data": json.dumps(data, separators=(",", ":"), ensure_ascii=False),
                        "field_versions": "{}",
                        "created_by": None,
                    }
                )
            access.append({"case_id": case_id, "assignee_id": case.get("assignee_id")})
            ids.append(new_id)
        conn.execute(insert(t.records), rows)
        conn.execute(insert(t.case_access), access)
        conn.execute(insert(t.blobs), [{**b, "created_at": stamp} for b in blobs])
    return ids


def _store(service: CentralService, body: bytes) -> str:
    import hashlib

    sha = hashlib.sha256(body).hexdigest()
    path = service.blobs.path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return sha


def _seconds(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def bench_backoffice(add: Add, reports: int = 2_000, decided: int = 0) -> None:
    with tempfile.TemporaryDirectory(prefix="fieldsupport-backoffice-") as tmp:
        folder = Path(tmp)
        service = open_service(f"sqlite:///{folder / 'central.db'}", folder / "blobs")
        service.accounts.add_user("anna", PASSWORD, "engineer", team="north")
        service.accounts.add_user("bo", PASSWORD, "back_office")
        with BackgroundServer(service) as server:
            bo = Device(folder / "bo", server.url, "bo")
            anna = Device(folder / "anna", server.url, "anna")
            try:
                template = submit_report(bo, anna).report
                ids = _copy_reports(service, template.id, reports)
                client = BackOfficeClient(bo.transport)
                with service.reading() as conn:
                    account = conn.execute(
                        select(t.accounts.c.id).where(t.accounts.c.username == "bo")
                    ).scalar_one()
                principal = Principal(account, "bo", "back_office", None, bo.ws.device_id)
                deciding = BackOffice(service)  # as the endpoint does, without HTTP
                for report_id in ids[:decided]:
                    deciding.decide(principal, report_id, "accepted", None)
                size = f"{reports + 1}"
                first = BackOffice(service)
                add(f"inbox_first_{size}", _seconds(lambda: first.inbox(principal)) * 1e3, "ms")
                restarted = BackOffice(service)
                add(
                    f"inbox_restart_{size}",
                    _seconds(lambda: restarted.inbox(principal)) * 1e3,
                    "ms",
                )
                repeat = statistics.median(
                    _seconds(lambda: restarted.inbox(principal)) for _ in range(REPEAT)
                )
                add(f"inbox_repeat_{size}", repeat * 1e3, "ms")
                http = statistics.median(
                    _seconds(lambda: client.inbox(limit=LIMIT)) for _ in range(REPEAT)
                )
                add(f"inbox_http_{size}", http * 1e3, "ms")
                if decided:
                    decided_view = statistics.median(
                        _seconds(lambda: restarted.inbox(principal, "decided"))
                        for _ in range(REPEAT)
                    )
                    add(f"inbox_decided_view_{size}", decided_view * 1e3, "ms")
                inbox = client.inbox(limit=LIMIT)
                print(
                    f"({inbox.pending} pending, {len(inbox.rows)} rows answered, "
                    f"{sum(1 for r in inbox.rows if r.problems)} with problems)"
                )
            finally:
                bo.close()
                anna.close()
        service.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=2_000)
    parser.add_argument("--decided", type=int, default=0)
    args = parser.parse_args()

    def add(name: str, value: float, unit: str) -> None:
        print(f"{name}: {value:,.4g} {unit}", flush=True)

    bench_backoffice(add, args.reports, args.decided)
    return 0


if __name__ == "__main__":
    sys.exit(main())
