#!/usr/bin/env python3
"""`make slither`: slither over our contracts, failing on any High or Medium finding that is not
triaged, with a reason, in security/slither-triage.json.

How it compiles. slither needs the compiler's AST, not bytecode, so the gate hands solc (solcjs
behind tools/solc-facade.js, the compiler brownie uses) one standard-JSON input with every
source under contracts/ (contracts/mocks left out: test doubles, never deployed) and asks for the
AST, ABI and NatSpec only. The settings (remappings, viaIR, optimizer, EVM version) are read from
brownie-config.yaml, so the analysed code is the code brownie builds. Asking for no bytecode
skips the viaIR code generator, which is where solcjs spends its time: about 10 s instead of about
90 s for a `forge build` of the same tree. crytic-compile's solc parser wants bytecode fields, so
empty ones are filled in; no detector run here reads them.

What counts. A finding is ours when one of its elements lies under contracts/; findings wholly
inside node_modules (OpenZeppelin, Solady) are dropped, as slither's --exclude-dependencies does.
Inline `slither-disable` comments are ignored on purpose: the triage file is the only way to
accept a finding.

The key. A finding is matched to the triage file by (detector, contract, function): the slither
check name, and the contract and function of its first element in our sources (for a member
outside any function, such as a state variable, its name stands in for the function; "" for a
whole contract; contract is the file path for an element outside any contract).
Line numbers play no part, so edits elsewhere do not invalidate the triage; a triage entry
covers every finding of that detector in that function.

Functions slither cannot analyse. slither 0.11.6 fails to build its IR for some functions (for
one, `(a + b).toUint128()` with `a` narrower than `b`: crytic/slither#2202); it logs an error,
leaves the function out, and weakens the analysis of its whole contract. The gate turns each such
error into a gated finding of the pseudo-detector `slither-ir-failure` (impact "Unanalysed"), so
code that slither silently skipped has to be triaged like a High finding.

Prints one summary line; with --json PATH, also writes the findings (key, impact, text) there.
Exit status: 0 when every High, Medium and unanalysed finding is triaged, 1 when one is not, 2 when the
triage file or the compilation is broken.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TRIAGE_FILE = ROOT / "security" / "slither-triage.json"
CONFIG_FILE = ROOT / "brownie-config.yaml"
SOURCES_DIR = "contracts"
# Test doubles: deliberately broken tokens, a reentrant holder, a cloner. Never deployed.
EXCLUDED_DIRS = ("contracts/mocks",)
IMPACTS = ("High", "Medium", "Low", "Informational", "Optimization")
UNANALYSED = "Unanalysed"
IR_FAILURE = "slither-ir-failure"
GATED_IMPACTS = frozenset({"High", "Medium", UNANALYSED})
ALL_IMPACTS = (*IMPACTS, UNANALYSED)


class GateError(Exception):
    """The gate could not run: a broken triage file, configuration or compilation."""


@dataclass(frozen=True, order=True)
class FindingKey:
    detector: str
    contract: str
    function: str

    def __str__(self) -> str:
        where = f"{self.contract}.{self.function}" if self.function else self.contract
        return f"{self.detector} @ {where}"


@dataclass(frozen=True)
class Finding:
    key: FindingKey
    impact: str
    confidence: str
    description: str


@dataclass(frozen=True)
class TriageEntry:
    key: FindingKey
    impact: str
    reason: str


@dataclass(frozen=True)
class GateResult:
    counts: Mapping[str, int]
    triaged: Sequence[Finding]
    new: Sequence[Finding]
    stale: Sequence[TriageEntry]

    @property
    def ok(self) -> bool:
        return not self.new

    def summary(self) -> str:
        counts = ", ".join(f"{self.counts.get(impact, 0)} {impact.lower()}" for impact in IMPACTS)
        counts += f", {self.counts.get(UNANALYSED, 0)} functions not analysed"
        gated = len(self.triaged) + len(self.new)
        line = f"slither: {counts}; gated {gated}: {len(self.triaged)} triaged, {len(self.new)} new"
        if self.stale:
            line += f"; {len(self.stale)} triage entries match nothing in this run"
        return line


# --- matching (no slither needed) -----------------------------------------------------------------


def _is_ours(element: Mapping[str, Any]) -> bool:
    filename = str(element.get("source_mapping", {}).get("filename_relative", ""))
    return filename.startswith(f"{SOURCES_DIR}/")


def _scope(element: Mapping[str, Any]) -> tuple[str, str]:
    """(contract, function or member) of an element of a slither result, walking up its parents."""
    contract = ""
    function = ""
    node: Mapping[str, Any] | None = element
    while node:
        kind = node.get("type")
        if kind == "function" and not function:
            function = str(node.get("name", ""))
        elif kind == "contract" and not contract:
            contract = str(node.get("name", ""))
        node = node.get("type_specific_fields", {}).get("parent")
    if not function and element.get("type") != "contract":
        # A contract member outside any function (a state variable, an event): its own name.
        function = str(element.get("name", ""))
    if not contract:
        contract = str(element.get("source_mapping", {}).get("filename_relative", ""))
    return contract, function


def finding_from_result(result: Mapping[str, Any]) -> Finding | None:
    """A slither detector result as a Finding, or None when it lies wholly outside our sources."""
    elements: list[Mapping[str, Any]] = list(result.get("elements", []))
    ours = [element for element in elements if _is_ours(element)]
    if elements and not ours:
        return None
    contract, function = _scope(ours[0]) if ours else ("", "")
    return Finding(
        key=FindingKey(detector=str(result["check"]), contract=contract, function=function),
        impact=str(result["impact"]),
        confidence=str(result.get("confidence", "")),
        description=str(result.get("description", "")).strip(),
    )


def load_triage(path: Path) -> list[TriageEntry]:
    """The committed triage: {"triaged": [{"detector", "contract", "function", "impact", "reason"}]}."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise GateError(f"{path}: {error}") from error
    entries: list[TriageEntry] = []
    seen: set[FindingKey] = set()
    for index, raw in enumerate(document.get("triaged", [])):
        where = f"{path.name}: triaged[{index}]"
        if not isinstance(raw, dict):
            raise GateError(f"{where}: not an object")
        missing = [field for field in ("detector", "contract", "function", "impact", "reason") if field not in raw]
        if missing:
            raise GateError(f"{where}: missing {', '.join(missing)}")
        reason = str(raw["reason"]).strip()
        if len(reason) < 20:
            raise GateError(f"{where}: the reason must say why the finding is not a problem")
        if raw["impact"] not in ALL_IMPACTS:
            raise GateError(f"{where}: impact {raw['impact']!r} is not one of {', '.join(ALL_IMPACTS)}")
        key = FindingKey(str(raw["detector"]), str(raw["contract"]), str(raw["function"]))
        if key in seen:
            raise GateError(f"{where}: {key} is triaged twice")
        seen.add(key)
        entries.append(TriageEntry(key=key, impact=str(raw["impact"]), reason=reason))
    return entries


def evaluate(findings: Iterable[Finding], triage: Iterable[TriageEntry]) -> GateResult:
    """Counts by impact; High/Medium findings split into triaged and new; unused triage entries."""
    entries = {entry.key: entry for entry in triage}
    counts: Counter[str] = Counter()
    triaged: list[Finding] = []
    new: list[Finding] = []
    used: set[FindingKey] = set()
    for finding in findings:
        counts[finding.impact] += 1
        if finding.impact not in GATED_IMPACTS:
            continue
        if finding.key in entries:
            triaged.append(finding)
            used.add(finding.key)
        else:
            new.append(finding)
    stale = [entry for key, entry in entries.items() if key not in used]
    return GateResult(counts=dict(counts), triaged=triaged, new=new, stale=stale)


# --- running slither ----------------------------------------------------------------------------

_IR_FAILURE = re.compile(r"Impossible to generate IR for (?:top level function )?(?P<name>[^\s(]+)")
_SOURCE_REF = re.compile(r"\s*\([^()]*#[\d-]+\)")


def finding_from_log(message: str) -> Finding:
    """An error slither logged while parsing (a function it could not analyse) as a Finding."""
    first_line = message.strip().splitlines()[0] if message.strip() else ""
    match = _IR_FAILURE.search(first_line)
    if match:
        contract, _, function = match["name"].rpartition(".")
        key = FindingKey(IR_FAILURE, contract or "(top level)", function)
    else:
        key = FindingKey(IR_FAILURE, "(slither)", _SOURCE_REF.sub("", first_line))
    return Finding(key=key, impact=UNANALYSED, confidence="", description=" ".join(message.split()))


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def load_compiler_config(root: Path) -> dict[str, Any]:
    """The `compiler` section of brownie-config.yaml."""
    import yaml  # type: ignore[import-untyped]

    try:
        config = yaml.safe_load((root / CONFIG_FILE.name).read_text(encoding="utf-8"))
        compiler: dict[str, Any] = config["compiler"]
        if not compiler["solc"]["version"] or not compiler["evm_version"]:
            raise KeyError("solc.version and evm_version")
    except (OSError, KeyError, TypeError, yaml.YAMLError) as error:
        raise GateError(f"{root / CONFIG_FILE.name}: no compiler settings ({error})") from error
    return compiler


def standard_json_input(root: Path, compiler: Mapping[str, Any]) -> dict[str, Any]:
    """solc standard-JSON input for every source under contracts/ but the excluded folders, with
    brownie-config.yaml's compiler settings, asking for AST, ABI and NatSpec (no bytecode)."""
    solc = compiler["solc"]
    optimizer = solc.get("optimizer", {})
    sources: dict[str, dict[str, str]] = {}
    for path in sorted((root / SOURCES_DIR).rglob("*.sol")):
        relative = path.relative_to(root).as_posix()
        if any(relative.startswith(f"{excluded}/") for excluded in EXCLUDED_DIRS):
            continue
        sources[relative] = {"content": path.read_text(encoding="utf-8")}
    if not sources:
        raise GateError(f"no Solidity sources under {root / SOURCES_DIR}")
    return {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "remappings": list(solc.get("remappings", [])),
            "evmVersion": compiler["evm_version"],
            "viaIR": bool(solc.get("viaIR", False)),
            "optimizer": {"enabled": bool(optimizer.get("enabled", False)), "runs": int(optimizer.get("runs", 200))},
            "outputSelection": {"*": {"*": ["abi", "devdoc", "userdoc"], "": ["ast"]}},
        },
    }


def run_slither(root: Path, solc: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """All of slither's detectors over our sources: the raw results (slither's JSON format) and
    the errors slither logged while building its IR."""
    import inspect

    from crytic_compile import CryticCompile
    from crytic_compile.compilation_unit import CompilationUnit
    from crytic_compile.compiler.compiler import CompilerVersion
    from crytic_compile.platform.exceptions import InvalidCompilation
    from crytic_compile.platform.solc_standard_json import (
        SolcStandardJson,
        parse_standard_json_output,
        run_solc_standard_json,
    )
    from slither import Slither
    from slither.detectors import all_detectors
    from slither.detectors.abstract_detector import AbstractDetector

    root = root.resolve()
    solc = solc.resolve()  # the compilation runs in `root`
    if not solc.is_file():
        raise GateError(f"no compiler at {solc}: run `make setup`")
    compiler = load_compiler_config(root)
    version = str(compiler["solc"]["version"])
    solc_input = standard_json_input(root, compiler)

    class AstOnlyStandardJson(SolcStandardJson):
        """SolcStandardJson that keeps our output selection and fills in empty bytecode fields."""

        def compile(self, crytic_compile: Any, **_kwargs: Any) -> None:
            unit = CompilationUnit(crytic_compile, "contracts")
            settings = self.to_dict()["settings"]
            unit.compiler_version = CompilerVersion(
                compiler="solc",
                version=version,
                optimized=settings["optimizer"]["enabled"],
                optimize_runs=settings["optimizer"]["runs"],
                via_ir=settings["viaIR"],
            )
            output = run_solc_standard_json(
                self.to_dict(),
                unit.compiler_version,
                solc_disable_warnings=True,
                working_dir=str(root),
                solc=str(solc),
            )
            empty = {"object": "", "sourceMap": ""}
            for contracts in output.get("contracts", {}).values():
                for info in contracts.values():
                    info.setdefault("evm", {"bytecode": dict(empty), "deployedBytecode": dict(empty)})
            parse_standard_json_output(output, unit, solc_working_dir=str(root))

    collector = _ErrorCollector()
    loggers = [logging.getLogger(name) for name in ("ContractSolcParsing", "SlitherSolcParsing", "Slither")]
    saved = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(collector)
        logger.propagate = False  # reported by the gate, as findings
    try:
        # crytic-compile resolves source paths against the working directory.
        with contextlib.chdir(root):
            compilation = CryticCompile(AstOnlyStandardJson(solc_input), solc_working_dir=str(root))
            # show_ignored_findings: inline slither-disable comments hide nothing; the triage
            # file is the only way to accept a finding.
            slither = Slither(compilation, show_ignored_findings=True)
            detectors = [
                detector
                for detector in vars(all_detectors).values()
                if inspect.isclass(detector) and issubclass(detector, AbstractDetector)
            ]
            for detector in sorted(detectors, key=lambda cls: str(cls.ARGUMENT)):
                slither.register_detector(detector)
            results = [result for batch in slither.run_detectors() for result in batch]
    except InvalidCompilation as error:
        raise GateError(f"compilation failed: {error}") from error
    finally:
        for logger, propagate in zip(loggers, saved, strict=True):
            logger.removeHandler(collector)
            logger.propagate = propagate
    return results, collector.messages


def _write_report(path: Path, findings: Sequence[Finding], result: GateResult, seconds: float) -> None:
    triaged = {finding.key for finding in result.triaged}
    rows = [
        {
            "detector": finding.key.detector,
            "contract": finding.key.contract,
            "function": finding.key.function,
            "impact": finding.impact,
            "confidence": finding.confidence,
            "triaged": finding.key in triaged,
            "description": finding.description,
        }
        for finding in sorted(findings, key=lambda f: (ALL_IMPACTS.index(f.impact), f.key, f.description))
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {"summary": result.summary(), "seconds": round(seconds, 1), "findings": rows}
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="slither over contracts/, gated by a committed triage file")
    parser.add_argument("--triage", type=Path, default=TRIAGE_FILE, help="triage file (default: %(default)s)")
    parser.add_argument("--json", type=Path, help="also write every finding (key, impact, text) to this file")
    parser.add_argument("--solc", type=Path, help="solc executable (default: .solcx/solc-v<brownie-config's version>)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        triage = load_triage(args.triage)
        solc = args.solc or ROOT / ".solcx" / f"solc-v{load_compiler_config(ROOT)['solc']['version']}"
        raw, errors = run_slither(ROOT, solc)
    except GateError as error:
        print(f"slither gate: {error}", file=sys.stderr)
        return 2
    findings = [finding for finding in map(finding_from_result, raw) if finding is not None]
    findings += [finding_from_log(message) for message in errors]
    result = evaluate(findings, triage)
    seconds = time.monotonic() - started
    if args.json:
        _write_report(args.json, findings, result, seconds)
    for finding in result.new:
        print(f"NEW {finding.impact.upper()} {finding.key}\n    {finding.description}\n", file=sys.stderr)
    for entry in result.stale:
        print(f"note: triage entry {entry.key} matches no finding in this run", file=sys.stderr)
    if result.new:
        print(
            f"slither gate: {len(result.new)} gated finding(s) not in {args.triage.name}: fix them, or triage "
            "them there with a reason (key: detector, contract, function)",
            file=sys.stderr,
        )
    print(f"{result.summary()} ({seconds:.0f} s)")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
