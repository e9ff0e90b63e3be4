"""Compiled contract artifacts (brownie's build/contracts/*.json) and custom-error decoding."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address

from compute_rwa.errors import ArtifactNotFoundError

#: The repository root when the package runs from a checkout (src/ layout).
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def build_dir() -> Path:
    """Folder of compiled artifacts: $COMPUTE_RWA_BUILD_DIR, else <project>/build/contracts."""
    override = os.environ.get("COMPUTE_RWA_BUILD_DIR")
    return Path(override) if override else PROJECT_ROOT / "build" / "contracts"


@dataclass(frozen=True)
class Artifact:
    """ABI and creation bytecode of one contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str

    @property
    def deployable(self) -> bool:
        return len(self.bytecode) > 2


@cache
def load_artifact(name: str) -> Artifact:
    """Loads `name` from the build folder; raises ArtifactNotFoundError if it was not compiled."""
    path = build_dir() / f"{name}.json"
    if not path.is_file():
        raise ArtifactNotFoundError(f"{path}: no compiled artifact for {name!r}; run `make build`")
    data = json.loads(path.read_text())
    bytecode = data.get("bytecode") or ""
    return Artifact(name=name, abi=data["abi"], bytecode=bytecode if bytecode.startswith("0x") else "0x" + bytecode)


#: Contracts whose custom errors the client decodes (everything a suite call can revert with).
ERROR_SOURCES = (
    "AssetRegistry",
    "ShareToken",
    "MetricsOracle",
    "MetricFeed",
    "LeaseManager",
    "LeaseTerms",
    "LeasePositions",
    "ShareValuator",
    "SharePriceFeed",
    "LendingMarket",
    "MarketFactory",
    "MockStablecoin",
)


@dataclass(frozen=True)
class ErrorSpec:
    name: str
    input_names: tuple[str, ...]
    input_types: tuple[str, ...]


@cache
def error_table() -> dict[bytes, ErrorSpec]:
    """Selector -> custom error, across the suite's contracts (OpenZeppelin's errors included)."""
    table: dict[bytes, ErrorSpec] = {}
    for source in ERROR_SOURCES:
        for item in load_artifact(source).abi:
            if item.get("type") != "error":
                continue
            types = tuple(_abi_type(i) for i in item["inputs"])
            selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
            table[selector] = ErrorSpec(item["name"], tuple(i["name"] for i in item["inputs"]), types)
    return table


def decode_error(data: bytes) -> tuple[str, dict[str, Any]]:
    """Decodes revert data into (error name, arguments by name); unknown data is returned raw."""
    if len(data) >= 4 and data[:4] == bytes.fromhex("08c379a0"):
        (reason,) = abi_decode(["string"], data[4:])
        return "Error", {"reason": reason}
    spec = error_table().get(bytes(data[:4]))
    if spec is None:
        return "UnknownError", {"data": bytes(data)}
    values = abi_decode(list(spec.input_types), data[4:])
    checksummed = [
        to_checksum_address(v) if t == "address" else v for t, v in zip(spec.input_types, values, strict=True)
    ]
    return spec.name, dict(zip(spec.input_names, checksummed, strict=True))


def _abi_type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in item["components"])
        return f"({inner}){item['type'][len('tuple'):]}"
    return str(item["type"])
