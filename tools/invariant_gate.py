#!/usr/bin/env python3
"""`make invariants`: the forge invariant campaigns of tests/invariant, one folder per contract
family, with a summary a reviewer can read and a gate on their size.

Each campaign is one `invariant_` function of a test contract: forge calls the family's handler
with random arguments `runs` x `depth` times (foundry.toml: 100 x 200 = 20,000) and checks the
family's laws after every call. Handlers revert only when one of their own checks fails
(`fail_on_revert = true`), so "0 reverts" means every call was a real one.

The gate fails (exit 1) when a campaign breaks a law, when one ran fewer than MIN_CALLS calls or
any call reverted, or when a family has no campaign at all; it prints the failing call sequence
forge shrank to. Exit 2 when forge cannot build or run the campaigns.

The fuzz seed is fixed by default so a CI failure replays exactly (`INVARIANT_SEED=<n>` picks
another; `INVARIANT_SEED=random` draws one and prints it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FORGE = ROOT / "node_modules" / ".bin" / "forge"
SUITE_DIR = "tests/invariant"
FAMILIES = ("shares", "oracle", "lease", "lending")
MIN_CALLS = 20_000
DEFAULT_SEED = 20261130


@dataclass(frozen=True)
class Campaign:
    family: str
    contract: str
    invariant: str
    ok: bool
    runs: int
    calls: int
    reverts: int
    reason: str | None
    counterexample: Any

    @property
    def problems(self) -> list[str]:
        found = []
        if not self.ok:
            found.append(f"broke a law: {self.reason or 'no reason given'}")
        if self.calls < MIN_CALLS:
            found.append(f"ran {self.calls:,} calls, fewer than {MIN_CALLS:,}")
        if self.reverts:
            found.append(f"{self.reverts:,} calls reverted (a handler check failed or a call was wasted)")
        return found


def resolve_seed(value: str | None) -> int:
    if not value:
        return DEFAULT_SEED
    if value == "random":
        return random.SystemRandom().randrange(1, 2**63)
    try:
        return int(value, 0)
    except ValueError:
        raise SystemExit(f"INVARIANT_SEED must be an integer or 'random', not {value!r}") from None


def run_forge(seed: int, match: str | None) -> dict[str, Any]:
    if not FORGE.exists():
        print(f"invariants: {FORGE.relative_to(ROOT)} is missing: run `make setup`", file=sys.stderr)
        raise SystemExit(2)
    command = [str(FORGE), "test", "--json", "--fuzz-seed", str(seed), "--match-path", match or f"{SUITE_DIR}/**"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    # forge exits 1 both for a failing test and for a build error; the JSON tells them apart.
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            parsed: dict[str, Any] = json.loads(line)
            return parsed
    sys.stderr.write(done.stdout[-8000:] + done.stderr[-8000:])
    print(f"invariants: forge produced no results (exit {done.returncode})", file=sys.stderr)
    raise SystemExit(2)


def campaigns_of(results: dict[str, Any]) -> list[Campaign]:
    found = []
    for suite_id, suite in sorted(results.items()):
        path, _, contract = suite_id.partition(":")
        family = Path(path).relative_to(SUITE_DIR).parts[0]
        for name, test in sorted(suite["test_results"].items()):
            kind = test.get("kind", {}).get("Invariant")
            if kind is None:
                continue
            found.append(
                Campaign(
                    family=family,
                    contract=contract,
                    invariant=name,
                    ok=test["status"] == "Success",
                    runs=int(kind["runs"]),
                    calls=int(kind["calls"]),
                    reverts=int(kind["reverts"]),
                    reason=test.get("reason"),
                    counterexample=test.get("counterexample"),
                )
            )
    return found


def describe_sequence(counterexample: Any) -> list[str]:
    """The shrunk call sequence, one call a line, as forge's JSON gives it."""
    if not counterexample:
        return []
    calls = counterexample.get("Sequence") if isinstance(counterexample, dict) else None
    if not isinstance(calls, list):
        return [json.dumps(counterexample)[:2000]]
    lines = []
    for call in calls:
        target = call.get("contract_name") or call.get("addr")
        lines.append(f"      {target}.{call.get('signature') or call.get('func_name')}({call.get('args', '')})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--match", help="only the campaigns under this path glob (no family check)")
    args = parser.parse_args(argv)
    seed = resolve_seed(os.environ.get("INVARIANT_SEED"))
    started = time.monotonic()
    campaigns = campaigns_of(run_forge(seed, args.match))
    elapsed = time.monotonic() - started

    per_family: dict[str, int] = defaultdict(int)
    failures = 0
    print(f"invariant campaigns (forge, seed {seed}, {elapsed:.0f} s including the build):")
    for c in campaigns:
        per_family[c.family] += c.calls
        problems = c.problems
        failures += bool(problems)
        verdict = "ok" if not problems else "FAILED: " + "; ".join(problems)
        print(
            f"  {c.family:<8} {c.contract:<44} runs {c.runs:>4}  calls {c.calls:>7,}  reverts {c.reverts:>3}  {verdict}"
        )
        if not c.ok:
            print("\n".join(describe_sequence(c.counterexample)))
    missing = [] if args.match else [f for f in FAMILIES if f not in per_family]
    for family in missing:
        print(f"  {family:<8} FAILED: no campaign under {SUITE_DIR}/{family}")
    totals = ", ".join(f"{family} {calls:,}" for family, calls in sorted(per_family.items()))
    print(f"calls per family: {totals}; {len(campaigns)} campaigns, {failures + len(missing)} failed")
    if failures or missing:
        print(f"replay with: INVARIANT_SEED={seed} make invariants", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
