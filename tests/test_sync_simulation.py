"""Deterministic fault-injection simulation of sync (fieldsupport.sync.simulation): devices
and an in-process server through a network that drops, duplicates, delays and reorders,
devices that crash at named points, clocks off by days. 200 seeds here; the soak command
runs thousands (python -m fieldsupport.sync.soak --seeds 10000)."""

from __future__ import annotations

import pytest

from fieldsupport.sync import soak
from fieldsupport.sync.faults import FaultRates
from fieldsupport.sync.invariants import check_world
from fieldsupport.sync.simulation import run_seed

CHUNKS = 4
SEEDS_PER_CHUNK = 50


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_invariants_hold_under_faults(chunk: int) -> None:
    start = chunk * SEEDS_PER_CHUNK
    failures = soak.run(range(start, start + SEEDS_PER_CHUNK))
    assert failures == {}, (
        f"replay with: python -m fieldsupport.sync.soak --start N --seeds 1 --verbose; {failures}"
    )


def test_the_faults_really_happen() -> None:
    """Guards the guard: a run with faults must see crashes, lost requests and conflicts."""
    crashes = conflicts = late = 0
    for seed in range(8):
        world = run_seed(seed, rates=FaultRates(crash=0.2))
        try:
            crashes += sum(d.crashes for d in world.devices)
            with world.service.engine.connect() as conn:
                conflicts += conn.exec_driver_sql(
                    "SELECT count(*) FROM records WHERE record_type = 'sync_conflicts'"
                ).scalar_one()
            late += world.network.delivered  # held-back requests that arrived late
            assert check_world(world) == {}
        finally:
            world.close()
    assert crashes > 5 and conflicts > 0 and late > 0


def test_a_broken_server_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The invariant check has teeth: a server that forgets conflict detection (last writer
    wins) loses values, and the simulation reports it."""
    from fieldsupport.central.service import CentralService

    original = CentralService._update

    def last_writer_wins(self, conn, seqs, principal, rtype, op, fields, row):  # type: ignore[no-untyped-def]
        return original(self, conn, seqs, principal, rtype, {**op, "base": 2**31}, fields, row)

    monkeypatch.setattr(CentralService, "_update", last_writer_wins)
    failures = soak.run(range(20))
    assert failures and all("both_values_kept" in p for p in failures.values())


def test_soak_command_prints_counts_per_invariant(capsys: pytest.CaptureFixture[str]) -> None:
    assert soak.main(["--seeds", "3", "--start", "1000"]) == 0
    out = capsys.readouterr().out
    assert "both_values_kept   0 violations" in out and "all invariants held" in out
