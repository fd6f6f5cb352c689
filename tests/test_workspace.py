"""The workspace folder: layout, pragmas, lock, location, and refusal of bad databases."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from fieldsupport.errors import WorkspaceError, WorkspaceLockedError
from fieldsupport.store.gate import GateBusy
from fieldsupport.workspace import Workspace, resolve_workspace_path
from tests.fs_helpers import can_mount, remount_read_only, tmpfs


def test_layout_and_pragmas(workspace: Workspace) -> None:
    for name in ("blobs", "reports", "logs", "backups"):
        assert (workspace.root / name).is_dir(), name
    assert workspace.db_path.name == "fieldsupport.db"
    with workspace.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (workspace.logs_dir / "fieldsupport.log").read_text(encoding="utf-8").count(
        "opened workspace"
    ) == 1


def test_device_identity_is_created_once(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        device_id, code = ws.device_id, ws.device_code
    assert (len(code) == 4 and code.isalnum() and code.isupper()) or code.isdigit()
    with Workspace.open(tmp_path / "ws") as ws:
        assert (ws.device_id, ws.device_code) == (device_id, code)


def test_location_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDSUPPORT_WORKSPACE", str(tmp_path / "from-env"))
    assert resolve_workspace_path(None) == tmp_path / "from-env"
    assert resolve_workspace_path(tmp_path / "explicit") == tmp_path / "explicit"
    monkeypatch.delenv("FIELDSUPPORT_WORKSPACE")
    default = resolve_workspace_path(None)
    # platformdirs under the (isolated) home: never the developer's real data folder
    assert str(default).startswith(os.environ["HOME"])
    assert default.name == "workspace"


def test_second_writer_in_this_process_is_refused(workspace: Workspace) -> None:
    with pytest.raises(WorkspaceLockedError, match="already open"):
        Workspace.open(workspace.root)


def test_second_process_is_refused_with_a_clear_message(workspace: Workspace) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fieldsupport", "migrate", "--workspace", str(workspace.root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "already open in another FieldSupport window or command" in result.stderr
    assert f"process {os.getpid()}" in result.stderr
    assert "Traceback" not in result.stderr


def test_lock_is_released_on_close_and_when_the_holder_dies(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    Workspace.open(root).close()
    # a process that takes the lock and is killed: the OS drops its lock
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from fieldsupport.workspace import Workspace; "
            f"ws = Workspace.open({str(root)!r}); print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(WorkspaceLockedError):
            Workspace.open(root)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    Workspace.open(root).close()


def test_read_only_open_needs_no_lock(workspace: Workspace) -> None:
    with Workspace.open(workspace.root, read_only=True) as reader:
        assert reader.read_only
        with reader.engine.connect() as conn:
            with pytest.raises(Exception, match="readonly|query_only|attempt to write"):
                conn.execute(text("INSERT INTO settings(key, value) VALUES ('x', '1')"))


def test_read_only_open_of_missing_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="There is no FieldSupport workspace"):
        Workspace.open(tmp_path / "nothing-here", read_only=True)


def test_file_that_is_not_sqlite_is_refused_and_kept(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    garbage = b"%PDF-1.7 this is not a database" * 10
    (root / "fieldsupport.db").write_bytes(garbage)
    with pytest.raises(WorkspaceError, match="not an SQLite file"):
        Workspace.open(root)
    assert (root / "fieldsupport.db").read_bytes() == garbage


def test_foreign_sqlite_database_is_refused_and_kept(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    conn = sqlite3.connect(root / "fieldsupport.db")
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices VALUES (1, 99.5)")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="not a FieldSupport one"):
        Workspace.open(root)
    conn = sqlite3.connect(root / "fieldsupport.db")
    assert conn.execute("SELECT total FROM invoices").fetchall() == [(99.5,)]
    conn.close()


def test_damaged_database_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    Workspace.open(root).close()
    db = root / "fieldsupport.db"
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the schema page, keep the header
    db.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    with pytest.raises(WorkspaceError, match="damaged|not a FieldSupport"):
        Workspace.open(root)


def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    Workspace.open(root).close()
    conn = sqlite3.connect(root / "fieldsupport.db")
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="newer version of FieldSupport"):
        Workspace.open(root)
    conn = sqlite3.connect(root / "fieldsupport.db")
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("9999_future",)
    conn.close()


def test_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(WorkspaceError, match="Cannot create the workspace"):
        Workspace.open(blocker / "ws")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file systems")
def test_read_only_disk_gives_a_clear_error(tmp_path: Path) -> None:
    if can_mount():
        context = tmpfs(tmp_path / "ro-disk", read_only=True)
    else:
        (tmp_path / "ro-disk").mkdir()
        (tmp_path / "ro-disk").chmod(0o555)
        context = contextlib.nullcontext(tmp_path / "ro-disk")
    with context as mount:
        with pytest.raises(WorkspaceError, match="(?i)read-only|writable|write to"):
            Workspace.open(mount / "ws")
        assert not (mount / "ws").exists()


def test_workspace_that_became_read_only_refuses_to_open(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", size="8m") as mount:
        Workspace.open(mount / "ws").close()
        remount_read_only(mount)
        with pytest.raises(WorkspaceError, match="(?i)read-only|writable|write to"):
            Workspace.open(mount / "ws")


def test_tests_never_touch_the_real_user_folders() -> None:
    from PySide6.QtCore import QSettings

    home = os.environ["HOME"]
    assert home.startswith(tempfile.gettempdir())
    settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "FieldSupport")
    assert settings.fileName().startswith(home)


# -- putting another database file in place while the workspace is open ------------------------


def _copy_with_marker(ws: Workspace, value: str) -> Path:
    """A copy of the workspace's database (in its folder) whose setting "marker" is ``value``."""
    target = ws.root / f"replacement-{value}.db"
    source = sqlite3.connect(ws.db_path)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
        with dest:
            dest.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES ('marker', ?)", (f'"{value}"',)
            )
    finally:
        source.close()
        dest.close()
    return target


def _keep_nothing(_conn: sqlite3.Connection) -> None:
    return None


def _until(condition: Callable[[], bool]) -> None:
    waited = threading.Event()
    for _ in range(1000):
        if condition():
            return
        waited.wait(0.005)
    raise AssertionError("the condition never came true")


def test_replace_database_waits_for_connections_in_use_and_hands_out_the_new_file(
    workspace: Workspace,
) -> None:
    workspace.set_setting("marker", "old")
    new_db = _copy_with_marker(workspace, "new")
    release, reading = threading.Event(), threading.Event()
    seen: list[object] = []

    def long_reader() -> None:  # e.g. a worker that loads a case file
        with workspace.engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM settings").scalar()
            reading.set()
            release.wait(10)

    def late_reader() -> None:  # asks while the file is being replaced
        seen.append(workspace.get_setting("marker"))

    holder = threading.Thread(target=long_reader)
    holder.start()
    reading.wait(10)
    failures: list[BaseException] = []

    def replace() -> None:
        try:
            workspace.replace_database(new_db, _keep_nothing, timeout=10)
        except BaseException as exc:
            failures.append(exc)

    replacing = threading.Thread(target=replace)
    replacing.start()
    _until(lambda: workspace._gate._shut_by is not None)
    asker = threading.Thread(target=late_reader)
    asker.start()
    assert seen == [] and replacing.is_alive()  # both wait for the connection still out
    release.set()
    for thread in (holder, replacing, asker):
        thread.join(10)
    assert failures == []
    assert seen == ["new"]  # the waiting reader got the new file
    assert workspace.get_setting("marker") == "new"
    assert not new_db.exists()
    with workspace.engine.connect() as conn:  # still the house pragmas, still WAL
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_replace_database_gives_up_while_a_connection_stays_in_use(
    workspace: Workspace,
) -> None:
    workspace.set_setting("marker", "old")
    new_db = _copy_with_marker(workspace, "new")
    with workspace.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1").scalar()
        with pytest.raises(GateBusy, match="stayed in use"):
            workspace.replace_database(new_db, _keep_nothing, timeout=0.1)
    assert workspace.get_setting("marker") == "old" and new_db.exists()


def test_replace_database_refuses_while_another_program_has_the_file(
    workspace: Workspace,
) -> None:
    workspace.set_setting("marker", "old")
    new_db = _copy_with_marker(workspace, "new")
    other = sqlite3.connect(workspace.db_path)  # not the workspace's: another program's
    try:
        other.execute("SELECT count(*) FROM settings").fetchone()
        with pytest.raises(WorkspaceError, match="Another program has the workspace database"):
            workspace.replace_database(new_db, _keep_nothing)
        assert other.execute("SELECT value FROM settings WHERE key = 'marker'").fetchone() == (
            '"old"',
        )
    finally:
        other.close()
    assert workspace.get_setting("marker") == "old"


def test_replace_database_keeps_the_old_file_when_prepare_refuses(workspace: Workspace) -> None:
    workspace.set_setting("marker", "old")
    new_db = _copy_with_marker(workspace, "new")

    def refuse(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM main.settings")  # rolled back with the refusal
        raise ValueError("not this one")

    with pytest.raises(ValueError, match="not this one"):
        workspace.replace_database(new_db, refuse)
    assert workspace.get_setting("marker") == "old"
    check = sqlite3.connect(new_db)
    try:
        assert check.execute("SELECT count(*) FROM settings").fetchone()[0] > 0
    finally:
        check.close()
