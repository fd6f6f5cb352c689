"""Soak run of the sync simulation: ``python -m fieldsupport.sync.soak --seeds 10000``.

Prints the number of violations per invariant (all must be 0) and the failing seeds, each
replayable with ``--start SEED --seeds 1 --verbose``. Exit status 1 if any seed failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence

from fieldsupport.sync.faults import FaultRates
from fieldsupport.sync.invariants import INVARIANTS, check_world
from fieldsupport.sync.simulation import run_seed


def run(
    seeds: range, rates: FaultRates | None = None, *, verbose: bool = False, out=sys.stdout
) -> dict[int, dict[str, list[str]]]:
    failures: dict[int, dict[str, list[str]]] = {}
    for seed in seeds:
        world = run_seed(seed, rates=rates)
        try:
            problems = check_world(world)
        finally:
            world.close()
        if problems:
            failures[seed] = problems
            if verbose:
                for name, found in problems.items():
                    for line in found[:10]:
                        print(f"seed {seed} {name}: {line}", file=out)
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fieldsupport.sync.soak", description=__doc__)
    parser.add_argument("--seeds", type=int, default=10_000, help="how many seeds")
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--crash", type=float, help="crash probability per named point")
    parser.add_argument("--verbose", action="store_true", help="print every violation")
    args = parser.parse_args(argv)
    rates = FaultRates() if args.crash is None else FaultRates(crash=args.crash)
    started = time.perf_counter()
    seeds = range(args.start, args.start + args.seeds)
    failures = run(seeds, rates, verbose=args.verbose)
    seconds = time.perf_counter() - started
    counts = Counter(name for problems in failures.values() for name in problems)
    print(f"{len(seeds)} seeds in {seconds:.0f} s ({len(seeds) / seconds:.1f} seeds/s)")
    for name in INVARIANTS:
        print(f"  {name:<18} {counts.get(name, 0)} violations")
    if failures:
        print("failing seeds: " + " ".join(str(s) for s in sorted(failures)))
        return 1
    print("all invariants held")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
