"""The suite's ABIs as JSON files for integrators, with an index naming each file and, given a
deployments registry (deployments/<chainId>.json), the deployed addresses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from compute_rwa.errors import DeploymentError
from compute_rwa.integrator.natspec import ArtifactSet

ContractKind = Literal["contract", "interface", "standard"]

#: Standard ABIs exported beside the suite's: the payment token is any ERC-20 with metadata.
STANDARD = ("IERC20Metadata",)

#: Where integrators find the contracts that exist once per asset, market or feed.
INSTANCES: dict[str, str] = {
    "ShareToken": "one per asset: AssetRegistry.shareTokenOf(assetId) (EIP-1167 clones of the implementation)",
    "SharePriceFeed": "one per valued asset: ShareValuator.feedOf(assetId)",
    "LendingMarket": "one per market: MarketFactory.marketsOf(shareToken), or MarketFactory's MarketCreated events",
    "MetricFeed": "one per (asset, metric), deployed by anyone: `compute-rwa oracle feed ASSET METRIC`",
    "KinkedIrm": "one per Morpho Blue rate curve, deployed by whoever lists shares on Morpho",
}

#: Registry entries whose name is not the contract's: entry -> (contract, what the address is).
REGISTRY_ALIASES: dict[str, tuple[str, str]] = {
    "ShareTokenImplementation": ("ShareToken", "implementation"),
    "PaymentToken": ("IERC20Metadata", "payment_token"),
}


@dataclass(frozen=True)
class SuiteContract:
    name: str
    kind: ContractKind
    source_path: str


def suite_contracts(artifacts: ArtifactSet | None = None) -> list[SuiteContract]:
    """The suite's deployable contracts and its interfaces (contracts/, without mocks and
    libraries), by name."""
    artifacts = artifacts or ArtifactSet()
    found: list[SuiteContract] = []
    for name in artifacts.names:
        raw = artifacts.raw(name)
        source = str(raw.get("sourcePath", ""))
        if not source.startswith("contracts/") or source.startswith("contracts/mocks/"):
            continue
        kind = raw.get("type")
        bytecode = str(raw.get("bytecode") or "")
        if kind == "contract" and len(bytecode.removeprefix("0x")) > 0:
            found.append(SuiteContract(name, "contract", source))
        elif kind == "interface":
            found.append(SuiteContract(name, "interface", source))
    return found


def read_registry(path: Path) -> dict[str, Any]:
    """A deployments registry file (what `deploy_suite` writes): chain id and addresses."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DeploymentError(f"{path}: not a readable deployments registry ({exc.__class__.__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("contracts"), dict) or "chain_id" not in data:
        raise DeploymentError(f"{path}: a deployments registry needs 'chain_id' and a 'contracts' object")
    return data


@dataclass(frozen=True)
class AbiExport:
    directory: Path
    files: tuple[Path, ...]
    index: dict[str, Any]


def build_index(contracts: list[SuiteContract], registry: dict[str, Any] | None = None) -> dict[str, Any]:
    """index.json: contract name -> ABI file, kind, source, and where deployed."""
    deployed: dict[str, dict[str, str]] = {}
    if registry is not None:
        for key, address in sorted(registry["contracts"].items()):
            contract, role = REGISTRY_ALIASES.get(key, (key, "address"))
            deployed.setdefault(contract, {})[role] = str(address)
    index: dict[str, Any] = {}
    if registry is not None:
        index["chain_id"] = int(registry["chain_id"])
    entries: dict[str, Any] = {}
    for contract in contracts:
        entry: dict[str, Any] = {"abi": f"{contract.name}.json", "kind": contract.kind, "source": contract.source_path}
        entry.update(deployed.get(contract.name, {}))
        if contract.name in INSTANCES:
            entry["instances"] = INSTANCES[contract.name]
        entries[contract.name] = entry
    index["contracts"] = entries
    if registry is not None:
        index["addresses"] = dict(sorted(registry["contracts"].items()))
    return index


def export_abis(
    directory: Path, registry: dict[str, Any] | None = None, artifacts: ArtifactSet | None = None
) -> AbiExport:
    """Writes <Contract>.json (the ABI alone) for every suite contract and interface, the
    standard ABIs integrators need beside them (the payment token's), and index.json;
    `registry` (see `read_registry`) adds the chain id and addresses."""
    artifacts = artifacts or ArtifactSet()
    contracts = suite_contracts(artifacts) + [
        SuiteContract(name, "standard", str(artifacts.raw(name).get("sourcePath", ""))) for name in STANDARD
    ]
    directory.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for contract in contracts:
        path = directory / f"{contract.name}.json"
        path.write_text(json.dumps(artifacts.raw(contract.name)["abi"], indent=2) + "\n")
        files.append(path)
    index = build_index(contracts, registry)
    index_path = directory / "index.json"
    index_path.write_text(json.dumps(index, indent=2) + "\n")
    files.append(index_path)
    return AbiExport(directory, tuple(files), index)
