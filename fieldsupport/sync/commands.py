"""``fieldsupport connect`` and ``fieldsupport sync``: the command-line side of sync."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import TextIO

from fieldsupport.errors import FieldSupportError

PASSWORD_VAR = "FIELDSUPPORT_PASSWORD"


def add_parsers(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    add_workspace: Callable[[argparse.ArgumentParser], None],
) -> None:
    connect = sub.add_parser("connect", help="connect a workspace to a central server")
    add_workspace(connect)
    connect.add_argument("--server", required=True, metavar="URL", help="e.g. https://central:8443")
    connect.add_argument("--user", required=True, metavar="NAME")
    sync = sub.add_parser("sync", help="sync a workspace with its central server once")
    add_workspace(sync)
    sync.add_argument(
        "--verify", action="store_true", help="also compare counts and hashes with the server"
    )


def _password(user: str) -> str:
    password = os.environ.get(PASSWORD_VAR)
    if password:
        return password
    if not sys.stdin.isatty():
        raise FieldSupportError(
            f"No password: set {PASSWORD_VAR} or run the command in a terminal to be asked."
        )
    return getpass.getpass(f"Password for {user}: ")


def run_connect(args: argparse.Namespace, out: TextIO) -> int:
    from fieldsupport.sync.session import connect
    from fieldsupport.workspace import Workspace

    password = _password(args.user)
    with Workspace.open(getattr(args, "workspace", None)) as workspace:
        enrolment = connect(workspace, args.server, args.user, password)
    print(
        f"Connected {workspace.root} to {enrolment.url} as {enrolment.username} "
        f"({enrolment.role}). {enrolment.place.describe()}",
        file=out,
    )
    return 0


def run_sync_command(args: argparse.Namespace, out: TextIO) -> int:
    from fieldsupport.sync.session import run_sync, status
    from fieldsupport.tasks import TaskState
    from fieldsupport.workspace import Workspace

    def report(fraction: float, message: str) -> None:
        if sys.stderr.isatty():
            print(f"\r{fraction:6.1%}  {message:<40}", end="", file=sys.stderr, flush=True)

    with Workspace.open(getattr(args, "workspace", None)) as workspace:
        try:
            result = run_sync(workspace, TaskState(report), verify=args.verify)
        finally:
            if sys.stderr.isatty():
                print(file=sys.stderr)
        state = status(workspace)
    print(f"Synced: {result.summary()}.", file=out)
    for returned in result.returned:
        print(f"{returned.text()}", file=out)
    if state.rejected:
        print(f"{state.rejected} changes were refused by the server (see the Sync page).", file=out)
    if state.open_conflicts:
        print(f"{state.open_conflicts} conflicts wait for a decision.", file=out)
    if result.divergent:
        details = "; ".join(f"{k}: {v}" for k, v in result.divergent.items())
        raise FieldSupportError(
            f"After a repair the workspace still differs from the server ({details}). Nothing "
            "was deleted; contact the back office."
        )
    return 0
