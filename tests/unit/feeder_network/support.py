"""Shared pieces of the signer-network tests: the five configured oracle keys (the same ones
tests/conftest.py configures on-chain 3-of-5) and reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from eth_account import Account
from eth_utils import keccak, to_checksum_address

from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.reports import OracleDomain, Report
from compute_rwa.telemetry import AssetInventory, aggregate_epoch
from compute_rwa.telemetry.simulator import SimulatedFleet

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


def simulated_operator(
    seed: int, inventories: Sequence[AssetInventory], oracle: OracleClient, interval: int = 60, **fleet: Any
) -> Callable[[int, Sequence[int]], list[Report]]:
    """An operator's `observe`: its own simulated telemetry of the inventories' GPUs, aggregated
    per epoch on the oracle's clock (`fleet` goes to SimulatedFleet: faults, spread, ...)."""
    uuids = [u for i in inventories for u in i.gpu_uuids]
    genesis, epoch_seconds = oracle.genesis, oracle.epoch_seconds
    simulated = SimulatedFleet(uuids, sample_interval=interval, start_at=genesis, seed=seed, **fleet)

    def observe(epoch: int, asset_ids: Sequence[int]) -> list[Report]:
        start = genesis + epoch * epoch_seconds
        result = aggregate_epoch(
            simulated.samples_between(start, start + epoch_seconds),
            epoch=epoch,
            genesis=genesis,
            epoch_seconds=epoch_seconds,
            sample_interval=interval,
            inventories=inventories,
        )
        return [Report.from_metrics(m) for a, m in result.metrics.items() if a in asset_ids]

    return observe
