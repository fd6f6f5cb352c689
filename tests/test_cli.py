"""The command line, run as a user runs it: real processes, real workspace files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fieldsupport import __version__
from fieldsupport.cli import main
from fieldsupport.store.migrate import head_revision

CLI = [sys.executable, "-m", "fieldsupport"]


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "demo"
    result = run("demo", "--workspace", str(root), "--cases", "120")
    assert result.returncode == 0, result.stderr
    assert "120 cases" in result.stdout
    return root


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"FieldSupport {__version__}"


def test_cases_json_lists_every_case(demo_ws: Path) -> None:
    result = run("cases", "--workspace", str(demo_ws), "--json")
    assert result.returncode == 0, result.stderr
    cases = json.loads(result.stdout)
    assert len(cases) == 120
    assert {"case_number", "assist_type", "status", "priority", "customer"} <= set(cases[0])
    assert {c["assist_type"] for c in cases} == {"A1", "A2", "A3", "A4"}
    numbers = [c["case_number"] for c in cases]
    assert numbers == sorted(numbers) and len(set(numbers)) == 120


def test_cases_text_and_filters(demo_ws: Path) -> None:
    text = run("cases", "--workspace", str(demo_ws), "--type", "A3", "--limit", "5")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.strip().splitlines()
    assert len(lines) == 5
    assert all(" A3 " in line for line in lines)
    open_only = json.loads(run("cases", "--workspace", str(demo_ws), "--open", "--json").stdout)
    assert open_only and all(c["status"] not in ("resolved", "closed") for c in open_only)


def test_workspace_from_environment(demo_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDSUPPORT_WORKSPACE", str(demo_ws))
    result = subprocess.run([*CLI, "cases", "--json"], capture_output=True, text=True)
    assert result.returncode == 0 and len(json.loads(result.stdout)) == 120


def test_unknown_status_is_a_clear_error(demo_ws: Path) -> None:
    result = run("cases", "--workspace", str(demo_ws), "--status", "finished")
    assert result.returncode == 1
    assert "Unknown status 'finished'. Choose one of: new, triaged" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    result = run("cases", "--workspace", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert "There is no FieldSupport workspace" in result.stderr


def test_demo_refuses_a_workspace_with_cases(demo_ws: Path) -> None:
    result = run("demo", "--workspace", str(demo_ws), "--cases", "5")
    assert result.returncode == 1
    assert "already has cases" in result.stderr
    skipped = run("demo", "--workspace", str(demo_ws), "--if-empty")
    assert skipped.returncode == 0 and "left as it is" in skipped.stderr


def test_demo_rejects_a_negative_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--workspace", str(tmp_path / "w"), "--cases", "-3"]) == 1
    assert "between 0 and" in capsys.readouterr().err


def test_demo_reference_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--workspace", str(tmp_path / "a"), "--reference", "yesterday"]) == 1
    assert "is not a date and time" in capsys.readouterr().err
    assert (
        main(["demo", "--workspace", str(tmp_path / "b"), "--reference", "2026-11-02T12:00"]) == 1
    )
    assert "needs a time zone" in capsys.readouterr().err
    ws = str(tmp_path / "c")
    ref = "2026-11-02T12:00:00+00:00"
    assert main(["demo", "--workspace", ws, "--cases", "30", "--reference", ref]) == 0
    capsys.readouterr()
    assert main(["cases", "--workspace", ws, "--json"]) == 0
    cases = json.loads(capsys.readouterr().out)
    assert len(cases) == 30
    assert max(c["updated_at"] for c in cases) <= ref


def test_migrate_reports_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--workspace", str(tmp_path / "w")]) == 0
    assert f"database at schema {head_revision()}." in capsys.readouterr().out


def test_workspace_option_before_the_command(demo_ws: Path) -> None:
    result = run("--workspace", str(demo_ws), "cases", "--limit", "1")
    assert result.returncode == 0 and result.stdout.count("\n") == 1
