"""The invariant gate of `make test` (tools/invariant_gate.py): it reads forge's JSON results and
fails on a broken law, a campaign under 20,000 calls, a reverted handler call, or a contract
family without a campaign. Runs on fabricated forge results: no build, no forge run
(`make invariants` does that)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

GATE = Path(__file__).resolve().parents[3] / "tools" / "invariant_gate.py"


def _gate() -> ModuleType:
    if "invariant_gate" in sys.modules:
        return sys.modules["invariant_gate"]
    spec = importlib.util.spec_from_file_location("invariant_gate", GATE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["invariant_gate"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _suite(family: str, contract: str, *, ok: bool = True, calls: int = 20_000, reverts: int = 0) -> dict[str, Any]:
    result = {
        "status": "Success" if ok else "Failure",
        "reason": None if ok else 'InvariantBroken("escrow conserved", 5, 4)',
        "counterexample": None
        if ok
        else {"Sequence": [{"contract_name": "LeaseHandler", "signature": "open(uint256,uint256)", "args": "1, 2"}]},
        "kind": {"Invariant": {"runs": calls // 200, "calls": calls, "reverts": reverts, "metrics": {}}},
    }
    return {f"tests/invariant/{family}/X.t.sol:{contract}": {"test_results": {"invariant_laws()": result}}}


def _run(monkeypatch, capsys, results: dict[str, Any], *argv: str) -> tuple[int, str]:
    gate = _gate()
    monkeypatch.setattr(gate, "run_forge", lambda seed, match: results)
    code = gate.main(list(argv))
    return code, capsys.readouterr().out


def _all_families(**overrides: Any) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for family in _gate().FAMILIES:
        results |= _suite(family, f"{family.title()}Invariants", **overrides.get(family, {}))
    return results


def test_every_family_passing_prints_calls_per_family(monkeypatch, capsys):
    code, out = _run(monkeypatch, capsys, _all_families())
    assert code == 0
    assert "calls per family: lease 20,000, lending 20,000, oracle 20,000, shares 20,000; 4 campaigns, 0 failed" in out


def test_a_broken_law_fails_and_prints_the_sequence(monkeypatch, capsys):
    code, out = _run(monkeypatch, capsys, _all_families(lease={"ok": False}))
    assert code == 1
    assert 'broke a law: InvariantBroken("escrow conserved", 5, 4)' in out
    assert "LeaseHandler.open(uint256,uint256)(1, 2)" in out


@pytest.mark.parametrize(
    ("override", "message"), [({"calls": 19_999}, "fewer than 20,000"), ({"reverts": 3}, "3 calls reverted")]
)
def test_a_short_or_wasteful_campaign_fails(monkeypatch, capsys, override, message):
    code, out = _run(monkeypatch, capsys, _all_families(oracle=override))
    assert code == 1
    assert message in out


def test_a_family_without_a_campaign_fails(monkeypatch, capsys):
    results = _all_families()
    del results["tests/invariant/lending/X.t.sol:LendingInvariants"]
    code, out = _run(monkeypatch, capsys, results)
    assert code == 1
    assert "lending  FAILED: no campaign under tests/invariant/lending" in out


def test_a_path_filter_skips_the_family_check(monkeypatch, capsys):
    code, _ = _run(monkeypatch, capsys, _suite("shares", "RevenueInvariants"), "--match", "tests/invariant/shares/*")
    assert code == 0


@pytest.mark.parametrize(("value", "expected"), [(None, 20261130), ("7", 7), ("0x10", 16)])
def test_seed_is_fixed_unless_asked(value, expected):
    assert _gate().resolve_seed(value) == expected


def test_a_bad_seed_is_refused_by_name():
    with pytest.raises(SystemExit, match="INVARIANT_SEED must be an integer"):
        _gate().resolve_seed("often")
