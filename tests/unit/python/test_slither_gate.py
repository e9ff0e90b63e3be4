"""The slither gate of `make test` (tools/slither_gate.py): a High, Medium or unanalysed finding
that the committed triage file does not list fails it; the triage matches by a stable key
(detector, contract, function), not by line numbers. Runs on fabricated slither results: no
compilation, no slither run (`make slither` does that)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

GATE = Path(__file__).resolve().parents[3] / "tools" / "slither_gate.py"


def _gate() -> ModuleType:
    if "slither_gate" in sys.modules:
        return sys.modules["slither_gate"]
    spec = importlib.util.spec_from_file_location("slither_gate", GATE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["slither_gate"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _source(path, lines=(10, 11)):
    return {"filename_relative": path, "lines": list(lines), "is_dependency": path.startswith("node_modules/")}


def _contract(name, path):
    return {"type": "contract", "name": name, "source_mapping": _source(path, (1, 200))}


def _function(name, contract, path="contracts/Vault.sol", lines=(10, 11)):
    return {
        "type": "function",
        "name": name,
        "source_mapping": _source(path, lines),
        "type_specific_fields": {"parent": _contract(contract, path), "signature": f"{name}()"},
    }


def _result(check, impact, elements, line=10):
    return {
        "check": check,
        "impact": impact,
        "confidence": "Medium",
        "description": f"{check} in something (contracts/Vault.sol#{line})",
        "elements": elements,
    }


def _findings(results):
    gate = _gate()
    return [finding for finding in map(gate.finding_from_result, results) if finding is not None]


def _entry(detector, contract, function, impact="High"):
    gate = _gate()
    return gate.TriageEntry(gate.FindingKey(detector, contract, function), impact, "a reason long enough to count")


def test_an_untriaged_high_finding_fails_the_gate():
    gate = _gate()
    findings = _findings([_result("arbitrary-send-erc20", "High", [_function("pull", "Vault")])])
    result = gate.evaluate(findings, [])
    assert not result.ok
    assert [str(finding.key) for finding in result.new] == ["arbitrary-send-erc20 @ Vault.pull"]
    assert "1 high, 0 medium" in result.summary()
    assert "0 triaged, 1 new" in result.summary()


def test_a_triaged_finding_passes_whatever_its_line_numbers():
    gate = _gate()
    triage = [_entry("arbitrary-send-erc20", "Vault", "pull")]
    for line in (10, 250):
        findings = _findings(
            [_result("arbitrary-send-erc20", "High", [_function("pull", "Vault", lines=(line, line + 3))], line)]
        )
        result = gate.evaluate(findings, triage)
        assert result.ok
        assert len(result.triaged) == 1
        assert result.stale == []


def test_the_triage_of_one_function_does_not_cover_another_or_another_detector():
    gate = _gate()
    triage = [_entry("unused-return", "Vault", "pull", "Medium")]
    findings = _findings(
        [
            _result("unused-return", "Medium", [_function("push", "Vault")]),
            _result("unused-return", "Medium", [_function("pull", "Other")]),
            _result("divide-before-multiply", "Medium", [_function("pull", "Vault")]),
        ]
    )
    result = gate.evaluate(findings, triage)
    assert not result.ok
    assert len(result.new) == 3
    assert [str(entry.key) for entry in result.stale] == ["unused-return @ Vault.pull"]


def test_low_informational_and_optimization_findings_are_counted_not_gated():
    gate = _gate()
    findings = _findings(
        [
            _result("timestamp", "Low", [_function("settle", "Vault")]),
            _result("naming-convention", "Informational", [_function("settle", "Vault")]),
            _result("constable-states", "Optimization", [_function("settle", "Vault")]),
        ]
    )
    result = gate.evaluate(findings, [])
    assert result.ok
    assert result.summary().startswith("slither: 0 high, 0 medium, 1 low, 1 informational, 1 optimization")


def test_findings_wholly_inside_dependencies_are_dropped_mixed_ones_kept():
    dependency = _function("mulDiv", "Math", path="node_modules/@openzeppelin/contracts/utils/math/Math.sol")
    ours = _function("price", "Feed", path="contracts/Feed.sol")
    findings = _findings(
        [
            _result("divide-before-multiply", "Medium", [dependency]),
            _result("reentrancy-no-eth", "Medium", [dependency, ours]),
        ]
    )
    assert [str(finding.key) for finding in findings] == ["reentrancy-no-eth @ Feed.price"]


def test_a_state_variable_finding_is_keyed_by_the_variable_and_a_node_by_its_function():
    variable = {
        "type": "variable",
        "name": "_latest",
        "source_mapping": _source("contracts/Oracle.sol"),
        "type_specific_fields": {"parent": _contract("Oracle", "contracts/Oracle.sol")},
    }
    node = {
        "type": "node",
        "name": "x = a / b",
        "source_mapping": _source("contracts/Oracle.sol"),
        "type_specific_fields": {"parent": _function("quorum", "Oracle", path="contracts/Oracle.sol")},
    }
    findings = _findings(
        [_result("uninitialized-state", "High", [variable]), _result("divide-before-multiply", "Medium", [node])]
    )
    assert [str(finding.key) for finding in findings] == [
        "uninitialized-state @ Oracle._latest",
        "divide-before-multiply @ Oracle.quorum",
    ]


def test_a_function_slither_could_not_analyse_is_gated_until_triaged():
    gate = _gate()
    message = (
        "Impossible to generate IR for LendingMarket.borrow (contracts/LendingMarket.sol#116-140):\n"
        " 'NoneType' object has no attribute 'parameters'"
    )
    finding = gate.finding_from_log(message)
    assert str(finding.key) == "slither-ir-failure @ LendingMarket.borrow"
    assert finding.impact == gate.UNANALYSED
    assert not gate.evaluate([finding], []).ok
    assert "1 functions not analysed" in gate.evaluate([finding], []).summary()
    triage = [_entry("slither-ir-failure", "LendingMarket", "borrow", gate.UNANALYSED)]
    assert gate.evaluate([finding], triage).ok


def test_the_triage_file_needs_a_reason_and_one_entry_per_key(tmp_path):
    gate = _gate()
    entry = {"detector": "unused-return", "contract": "Vault", "function": "pull", "impact": "Medium"}
    path = tmp_path / "triage.json"

    path.write_text(json.dumps({"triaged": [{**entry, "reason": "fine"}]}))
    with pytest.raises(gate.GateError, match="reason"):
        gate.load_triage(path)

    reason = "the return value is the amount paid, which nothing here needs"
    path.write_text(json.dumps({"triaged": [{**entry, "reason": reason}, {**entry, "reason": reason}]}))
    with pytest.raises(gate.GateError, match="twice"):
        gate.load_triage(path)

    path.write_text(json.dumps({"triaged": [{k: v for k, v in entry.items() if k != "function"}]}))
    with pytest.raises(gate.GateError, match="missing function"):
        gate.load_triage(path)


def test_the_committed_triage_file_is_valid():
    gate = _gate()
    entries = gate.load_triage(gate.TRIAGE_FILE)
    assert entries
    assert all(entry.impact in ("High", "Medium", gate.UNANALYSED) for entry in entries)


def test_main_exits_1_on_an_untriaged_finding_and_0_once_it_is_triaged(tmp_path, monkeypatch, capsys):
    gate = _gate()
    results = [_result("incorrect-shift", "High", [_function("store", "Oracle", path="contracts/Oracle.sol")])]
    monkeypatch.setattr(gate, "run_slither", lambda root, solc: (results, []))
    triage = tmp_path / "triage.json"
    triage.write_text(json.dumps({"triaged": []}))
    assert gate.main(["--triage", str(triage), "--solc", "solc"]) == 1
    captured = capsys.readouterr()
    assert "NEW HIGH incorrect-shift @ Oracle.store" in captured.err
    assert "1 high" in captured.out and "1 new" in captured.out

    entry = {"detector": "incorrect-shift", "contract": "Oracle", "function": "store", "impact": "High"}
    triage.write_text(json.dumps({"triaged": [{**entry, "reason": "shl(shift, value): the operands are in order"}]}))
    report = tmp_path / "slither.json"
    assert gate.main(["--triage", str(triage), "--solc", "solc", "--json", str(report)]) == 0
    assert "1 triaged, 0 new" in capsys.readouterr().out
    assert json.loads(report.read_text())["findings"][0]["triaged"] is True
