"""Shared pieces of the signer-network tests: the five configured oracle keys (the same ones
tests/conftest.py configures on-chain 3-of-5) and reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from eth_account import Account
from eth_utils import keccak, to_checksum_address

from compute_rwa.oracle.reports import OracleDomain, Report

SIGNER_KEYS = tuple(Account.from_key(keccak(text=f"oracle-signer-{i}")) for i in range(5))
INVENTORY = keccak(text="inventory:network-test")
DOMAIN = OracleDomain(31337, to_checksum_address("0x5fbdb2315678afecb367f032d93f642f64180aa3"), 1)
ASSET, EPOCH = 7, 500


def report(asset_id: int = ASSET, epoch: int = EPOCH, **fields: object) -> Report:
    values: dict[str, object] = {
        "inventory_hash": INVENTORY,
        "utilization_bps": 5_000,
        "uptime_bps": 9_900,
        "gpu_hours_milli": 4_000,
        "energy_wh": 3_000,
        "avg_power_w": 3_000,
    }
    values.update(fields)
    return Report(asset_id=asset_id, epoch=epoch, **values)


def static_observer(*reports: Report) -> Callable[[int, Sequence[int]], list[Report]]:
    """An operator whose measurement is a fixed table of reports."""
    table = {r.key: r for r in reports}

    def observe(epoch: int, asset_ids: Sequence[int]) -> list[Report]:
        return [table[(a, epoch)] for a in asset_ids if (a, epoch) in table]

    return observe


def own_view(i: int) -> Report:
    """Signer i's observation: close to the others, never identical."""
    return replace(
        report(),
        utilization_bps=5_000 + 10 * i,
        gpu_hours_milli=4_000 + 7 * i,
        energy_wh=3_000 - 11 * i,
        avg_power_w=3_000 + 3 * i,
    )
