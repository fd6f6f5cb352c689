"""Command line: ``fieldsupport`` opens the app; subcommands serve scripts and IT staff."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from fieldsupport import __version__
from fieldsupport.errors import FieldSupportError

log = logging.getLogger(__name__)

PAGE = 5_000
DEMO_CASES_FOR_GUI = 300


def _add_workspace_option(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    parser.add_argument(
        "--workspace",
        metavar="PATH",
        # on subcommands SUPPRESS keeps a value given before the subcommand
        default=None if top else argparse.SUPPRESS,
        help="workspace folder (default: $FIELDSUPPORT_WORKSPACE, else the user data folder)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldsupport",
        description="FieldSupport: offline-first field technical support. "
        "Without a command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"FieldSupport {__version__}")
    _add_workspace_option(parser, top=True)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the demo workspace (created with demo data on first use)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the app (the default)")
    _add_workspace_option(gui)
    gui.add_argument("--demo", action="store_true", default=argparse.SUPPRESS)

    cases = sub.add_parser("cases", help="list the cases of a workspace")
    _add_workspace_option(cases)
    cases.add_argument("--json", action="store_true", help="machine-readable JSON output")
    cases.add_argument("--status", action="append", metavar="STATUS", help="filter (repeatable)")
    cases.add_argument("--type", action="append", metavar="A1..A4", help="assist type filter")
    cases.add_argument("--open", action="store_true", help="only cases not resolved or closed")
    cases.add_argument("--limit", type=int, metavar="N", help="at most N cases")

    demo = sub.add_parser("demo", help="create a demo workspace")
    _add_workspace_option(demo)
    demo.add_argument("--cases", type=int, default=200, metavar="N", help="number of cases")
    demo.add_argument("--seed", type=int, default=None, help="random seed (deterministic data)")
    demo.add_argument(
        "--reference",
        metavar="ISO-TIME",
        help="the 'now' of the data, e.g. 2026-11-02T12:00:00+00:00 (default: this hour)",
    )
    demo.add_argument(
        "--if-empty", action="store_true", help="do nothing if the workspace already has cases"
    )

    migrate = sub.add_parser("migrate", help="create or upgrade a workspace's database")
    _add_workspace_option(migrate)

    photos = sub.add_parser("photos", help="photo commands")
    photos_sub = photos.add_subparsers(dest="photos_command", metavar="ACTION", required=True)
    photo_import = photos_sub.add_parser("import", help="import photos into a case")
    _add_workspace_option(photo_import)
    photo_import.add_argument("--case", required=True, metavar="CASE_NUMBER")
    photo_import.add_argument("--visit", metavar="VISIT_ID", help="attach to this visit too")
    photo_import.add_argument("files", nargs="+", type=Path, metavar="FILE_OR_FOLDER")

    report = sub.add_parser(
        "report", help="write the service report PDF of a case's visit, with its JSON beside it"
    )
    _add_workspace_option(report)
    report.add_argument("case", metavar="CASE_NUMBER")
    report.add_argument("--out", required=True, type=Path, metavar="FILE.pdf")
    report.add_argument("--visit", metavar="VISIT_ID", help="this visit (default: the latest)")
    report.add_argument(
        "--existing",
        action="store_true",
        help="copy the visit's latest existing revision (e.g. the signed one) instead of "
        "making a new preview",
    )

    branding = sub.add_parser("branding", help="show or set the company branding on reports")
    _add_workspace_option(branding)
    branding.add_argument("--company", metavar="NAME")
    branding.add_argument("--address", action="append", metavar="LINE", help="repeatable")
    branding.add_argument("--footer", metavar="TEXT")
    branding.add_argument("--color", metavar="#RRGGBB", help="headings and table headers")
    branding.add_argument("--accent", metavar="#RRGGBB", help="out-of-limit marks")
    branding.add_argument("--paper", choices=["A4", "Letter", "a4", "letter"])
    branding.add_argument("--logo", type=Path, metavar="PNG_OR_JPEG")

    from fieldsupport.sync.commands import add_parsers as add_sync_parsers

    add_sync_parsers(sub, _add_workspace_option)

    sub.add_parser(
        "self-test", help="check this installation in a temporary workspace (exit 0 = fine)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "gui"
    try:
        if command == "gui":
            return _run_gui(args)
        if command == "cases":
            return _run_cases(args, sys.stdout)
        if command == "demo":
            return _run_demo(args)
        if command == "migrate":
            return _run_migrate(args)
        if command == "photos":
            return _run_photo_import(args, sys.stdout)
        if command == "branding":
            return _run_branding(args, sys.stdout)
        if command == "report":
            return _run_report(args, sys.stdout)
        if command == "connect":
            from fieldsupport.sync.commands import run_connect

            return run_connect(args, sys.stdout)
        if command == "sync":
            from fieldsupport.sync.commands import run_sync_command

            return run_sync_command(args, sys.stdout)
        if command == "self-test":
            from fieldsupport.ui.self_test import run_self_test

            return run_self_test(sys.stdout)
    except FieldSupportError as exc:
        print(f"fieldsupport: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fieldsupport: interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130
    parser.error(f"unknown command {command!r}")
    return 2  # pragma: no cover - parser.error exits


def demo_workspace_path() -> Path:
    from fieldsupport.workspace import default_workspace_path

    return default_workspace_path().with_name("demo-workspace")


def _run_gui(args: argparse.Namespace) -> int:
    workspace = args.workspace
    if getattr(args, "demo", False):
        workspace = workspace or str(demo_workspace_path())
        _ensure_demo(workspace)
    from fieldsupport.ui.app import run_app  # Qt is imported only when a window is wanted

    return run_app(workspace, embedded_server=bool(getattr(args, "demo", False)))


def _ensure_demo(workspace_path: str) -> None:
    from fieldsupport.demo.generator import create_demo
    from fieldsupport.workspace import Workspace

    with Workspace.open(workspace_path) as workspace:
        if workspace.get_setting("demo") is None and _case_count(workspace) == 0:
            print(f"Creating the demo workspace in {workspace.root} ...", file=sys.stderr)
            create_demo(workspace, cases=DEMO_CASES_FOR_GUI)


def _case_count(workspace: Any) -> int:
    from fieldsupport.services.case_queries import CaseListService, CaseQuery

    return CaseListService(workspace).count(CaseQuery())


def _run_cases(args: argparse.Namespace, out: TextIO) -> int:
    from fieldsupport.models.enums import AssistType, CaseStatus
    from fieldsupport.services.case_queries import CaseListService, CaseQuery, SortKey
    from fieldsupport.services.validation import parse_enum
    from fieldsupport.workspace import Workspace

    query = CaseQuery(
        statuses=[parse_enum(CaseStatus, s, "status") for s in args.status or []],
        assist_types=[parse_enum(AssistType, t, "assist type") for t in args.type or []],
        open_only=args.open,
        sort=SortKey.CASE_NUMBER,
        descending=False,
    )
    if args.limit is not None and args.limit < 0:
        raise FieldSupportError("--limit cannot be negative.")
    with Workspace.open(args.workspace, read_only=True) as workspace:
        service = CaseListService(workspace)
        remaining = service.count(query) if args.limit is None else args.limit
        offset = 0
        first = True
        if args.json:
            out.write("[")
        while remaining > 0:
            rows = service.page(query, offset, min(PAGE, remaining))
            if not rows:
                break
            for row in rows:
                if args.json:
                    out.write(("\n  " if first else ",\n  ") + json.dumps(_row_json(row)))
                else:
                    out.write(_row_text(row) + "\n")
                first = False
            offset += len(rows)
            remaining -= len(rows)
        if args.json:
            out.write("\n]\n" if not first else "]\n")
    return 0


def _row_json(row: Any) -> dict[str, Any]:
    return {
        "case_number": row.case_number,
        "assist_type": row.assist_type.value,
        "status": row.status.value,
        "priority": row.priority.value,
        "customer": row.customer,
        "site": row.site,
        "assignee": row.assignee,
        "title": row.title,
        "resolution_due": row.resolution_due.isoformat() if row.resolution_due else None,
        "updated_at": row.updated_at.isoformat(),
    }


def _row_text(row: Any) -> str:
    return (
        f"{row.case_number:<16} {row.assist_type.value:<3} {row.status.value:<22} "
        f"{row.priority.value:<7} {row.customer}"
    )


def _run_demo(args: argparse.Namespace) -> int:
    from fieldsupport.demo.generator import DEFAULT_SEED, create_demo
    from fieldsupport.tasks import TaskState
    from fieldsupport.workspace import Workspace

    def report(fraction: float, message: str) -> None:
        print(f"\r{fraction:6.1%}  {message:<40}", end="", file=sys.stderr, flush=True)

    reference = None
    if args.reference:
        try:
            reference = datetime.fromisoformat(args.reference)
        except ValueError:
            raise FieldSupportError(
                f"--reference {args.reference!r} is not a date and time like "
                "2026-11-02T12:00:00+00:00."
            ) from None
        if reference.tzinfo is None:
            raise FieldSupportError("--reference needs a time zone, e.g. +00:00.")
    with Workspace.open(args.workspace) as workspace:
        if args.if_empty and _case_count(workspace) > 0:
            print(f"{workspace.root} already has cases; left as it is.", file=sys.stderr)
            return 0
        summary = create_demo(
            workspace,
            cases=args.cases,
            seed=DEFAULT_SEED if args.seed is None else args.seed,
            reference=reference,
            task=TaskState(report),
        )
        print(file=sys.stderr)
        rate = summary.cases / summary.seconds if summary.seconds else 0.0
        print(
            f"Demo workspace {workspace.root}: {summary.cases:,} cases, {summary.events:,} "
            f"timeline entries, {summary.visits:,} visits, {summary.measurements:,} "
            f"measurements in {summary.seconds:.1f} s ({rate:,.0f} cases/s)."
        )
    return 0


def _run_photo_import(args: argparse.Namespace, out: TextIO) -> int:
    """One line per file (imported / duplicate / refused: reason / skipped: not a photo, a
    folder's video or PDF), then the counts. Exit 0 when every file was handled, refused and
    skipped ones included (their reason is printed); 1 when the import could not run at all
    (no such case or workspace)."""
    from fieldsupport.services.cases import CaseService
    from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
    from fieldsupport.workspace import Workspace

    with Workspace.open(getattr(args, "workspace", None)) as workspace:
        case = CaseService(workspace).find_by_number(args.case)
        summary = PhotoService(workspace).import_photos(PhotoOwner(case.id, args.visit), args.files)
    for result in [*summary.results, *summary.skipped]:
        print(result.line(), file=out)
    skipped = summary.count(Outcome.SKIPPED)
    if not summary.results:
        # a folder of videos, the wrong folder: not "0 imported", as if something failed
        others = f"; {skipped} other file(s) skipped, not photos" if skipped else ""
        where = ", ".join(str(path) for path in args.files)
        print(
            f"No photos found in {where} (JPEG, PNG and HEIC files are imported){others}", file=out
        )
        return 0
    line = (
        f"{summary.count(Outcome.IMPORTED)} imported, {summary.count(Outcome.DUPLICATE)} "
        f"already there, {summary.count(Outcome.REFUSED)} refused"
    )
    if skipped:
        line += f", {skipped} skipped (not photos)"
    print(line, file=out)
    return 0


def _run_report(args: argparse.Namespace, out: TextIO) -> int:
    from fieldsupport.services.reports import ReportService
    from fieldsupport.workspace import Workspace

    with Workspace.open(getattr(args, "workspace", None)) as workspace:
        reports = ReportService(workspace)
        visit_id = reports.visit_for_report(args.case, args.visit)
        if args.existing:
            existing = reports.reports_of_visit(visit_id)
            if not existing:
                raise FieldSupportError("This visit has no report yet; leave out --existing.")
            view = existing[-1]
        else:
            view = reports.generate_draft(visit_id)
        pdf, data = reports.export(view.id, args.out)
    for problem in view.problems:
        print(f"note: {problem}", file=out)
    print(f"{view.report_number} revision {view.revision} ({view.status.value}): {pdf}", file=out)
    print(f"data: {data}", file=out)
    return 0


def _run_branding(args: argparse.Namespace, out: TextIO) -> int:
    from fieldsupport.services.branding import BrandingService
    from fieldsupport.workspace import Workspace

    with Workspace.open(getattr(args, "workspace", None)) as workspace:
        service = BrandingService(workspace)
        service.update(
            company_name=args.company,
            address_lines=args.address,
            footer_text=args.footer,
            primary_color=args.color,
            accent_color=args.accent,
            paper=args.paper,
        )
        if args.logo is not None:
            service.set_logo(args.logo)
        current = service.get()
    for key in sorted(current):
        print(f"{key}: {current[key]}", file=out)
    return 0


def _run_migrate(args: argparse.Namespace) -> int:
    from fieldsupport.store.migrate import head_revision
    from fieldsupport.workspace import Workspace

    with Workspace.open(args.workspace) as workspace:
        print(f"{workspace.root}: database at schema {head_revision()}.")
    return 0
