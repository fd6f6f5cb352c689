"""``fieldsupport-central``: serve, manage users and devices, purge tombstones, export
accepted service reports."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from fieldsupport.central.accounts import ROLES
from fieldsupport.errors import FieldSupportError

DEFAULT_DB = "sqlite:///central.db"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldsupport-central", description="FieldSupport central case server."
    )
    parser.add_argument(
        "--db",
        default=os.environ.get("FIELDSUPPORT_CENTRAL_DB", DEFAULT_DB),
        metavar="URL",
        help="SQLAlchemy URL: sqlite:///path.db (default) or postgresql://user@host/db",
    )
    parser.add_argument("--schema", help="PostgreSQL schema to use (default: the user's)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser("serve", help="serve the sync API")
    serve.add_argument("--db", default=argparse.SUPPRESS, metavar="URL")
    serve.add_argument("--blobs", type=Path, default=Path("central-blobs"), metavar="DIR")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--certfile", help="TLS certificate (PEM); with --keyfile serves HTTPS")
    serve.add_argument("--keyfile", help="TLS private key (PEM)")

    user = sub.add_parser("user", help="manage user accounts")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser(
        "add", help="add an account (password: $FIELDSUPPORT_PASSWORD or prompt)"
    )
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, default="engineer")
    add.add_argument("--team")
    add.add_argument("--name", help="display name")
    disable = user_sub.add_parser("disable", help="disable an account (its devices get 401)")
    disable.add_argument("username")
    enable = user_sub.add_parser("enable", help="enable a disabled account")
    enable.add_argument("username")
    user_sub.add_parser("list", help="list accounts")

    device = sub.add_parser("device", help="manage enrolled devices")
    device_sub = device.add_subparsers(dest="device_command", metavar="ACTION", required=True)
    device_sub.add_parser("list", help="list devices")
    revoke = device_sub.add_parser("revoke", help="revoke a device's token")
    revoke.add_argument("device_id")

    serve.add_argument(
        "--no-snapshots",
        action="store_true",
        help="do not prepare snapshots for new devices by itself (see the snapshot command)",
    )

    sub.add_parser("purge-tombstones", help="remove deletions every active device has seen")

    snapshot = sub.add_parser(
        "snapshot",
        help="bring the snapshots new devices start from up to date (serve does it by itself)",
    )
    snapshot.add_argument("--db", default=argparse.SUPPRESS, metavar="URL")
    snapshot.add_argument("--blobs", type=Path, default=Path("central-blobs"), metavar="DIR")
    snapshot.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="NAME",
        help="the scope of this account (repeatable; default: the back-office/admin scope)",
    )

    export = sub.add_parser(
        "export", help="write newly accepted service reports (PDF, JSON, CSV, manifest)"
    )
    export.add_argument("--db", default=argparse.SUPPRESS, metavar="URL")
    export.add_argument("--blobs", type=Path, default=Path("central-blobs"), metavar="DIR")
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="export folder")
    export.add_argument(
        "--since",
        type=int,
        metavar="CURSOR",
        help="decision sequence to export after (default: the folder's ledger); reports "
        "already in the folder's ledger are never exported again",
    )
    return parser


def _password(username: str) -> str:
    password = os.environ.get("FIELDSUPPORT_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise FieldSupportError("Set FIELDSUPPORT_PASSWORD or run in a terminal to be asked.")
    first = getpass.getpass(f"Password for {username}: ")
    if first != getpass.getpass("Again: "):
        raise FieldSupportError("The passwords differ; nothing was changed.")
    return first


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except FieldSupportError as exc:
        print(f"fieldsupport-central: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from fieldsupport.central.server import open_service, serve
    from fieldsupport.central.snapshots import SnapshotPolicy

    try:
        blobs = getattr(args, "blobs", None) or Path("central-blobs")
        policy = SnapshotPolicy(
            auto=args.command == "serve" and not getattr(args, "no_snapshots", False)
        )
        service = open_service(args.db, blobs, schema=args.schema, snapshots=policy)
    except SQLAlchemyError as exc:
        # only driver errors carry ``orig``; a malformed URL is an ArgumentError without one
        reason = getattr(exc, "orig", None) or exc
        raise FieldSupportError(f"Cannot open the database {args.db}: {reason}") from exc
    accounts = service.accounts
    if args.command == "serve":
        if bool(args.certfile) != bool(args.keyfile):
            raise FieldSupportError("TLS needs both --certfile and --keyfile.")
        scheme = "https" if args.certfile else "http"
        print(f"Serving FieldSupport sync on {scheme}://{args.host}:{args.port}", file=sys.stderr)
        serve(service, args.host, args.port, certfile=args.certfile, keyfile=args.keyfile)
        return 0
    if args.command == "user":
        if args.user_command == "add":
            accounts.add_user(
                args.username,
                _password(args.username),
                args.role,
                team=args.team,
                display_name=args.name,
            )
            print(f"Added {args.role} {args.username}.")
        elif args.user_command in ("disable", "enable"):
            accounts.set_disabled(args.username, args.user_command == "disable")
            print(f"{args.username}: {args.user_command}d.")
        else:
            for row in accounts.list_users():
                state = "disabled" if row["disabled"] else "active"
                print(f"{row['username']:<20} {row['role']:<12} {row['team'] or '-':<12} {state}")
        return 0
    if args.command == "device":
        if args.device_command == "revoke":
            accounts.revoke(args.device_id)
            print(f"Revoked {args.device_id}.")
        else:
            for row in accounts.list_devices():
                state = "revoked" if row["revoked_at"] else "active"
                print(
                    f"{row['id']}  {row['username']:<16} {row['name']:<24} {state:<8} "
                    f"pushed to {row['last_seq']}, pulled to {row['pull_cursor']}"
                )
        return 0
    if args.command == "snapshot":
        from fieldsupport.central.accounts import Principal

        callers = [accounts.account_principal(name) for name in args.user] or [
            Principal(0, "snapshot", "admin", None, "")
        ]
        for caller in callers:
            made = service.snapshots.refresh(caller)
            print(
                f"{caller.username if args.user else 'all cases'}: {made['records']:,} records "
                f"at cursor {made['cursor']}, {made['size'] / 1e6:,.1f} MB "
                f"({made['raw_size'] / 1e6:,.1f} MB unpacked), {made['sha256'][:12]}"
            )
        return 0
    if args.command == "purge-tombstones":
        print(f"Purged {service.purge_tombstones()} tombstones.")
        return 0
    if args.command == "export":
        from fieldsupport.central.backoffice import ServerExportSource
        from fieldsupport.reports.export import export_reports

        result = export_reports(ServerExportSource(service), args.out, since=args.since)
        print(result.summary())
        print(f"Cursor: {result.cursor_to}")
        return 0
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
