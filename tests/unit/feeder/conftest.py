"""Feeder test helpers: assets registered for the feeder, reports within their bounds, a
Submitter wired to the session chain's oracle with fast timings, and checks that each report
landed exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.outbox import Outbox, ReportKey
from compute_rwa.oracle.quorum import LocalQuorum
from compute_rwa.oracle.reports import Report
from compute_rwa.oracle.submitter import Submitter
from tests.conftest import OracleSetup, inventory_hash

#: Epochs that ended long ago on the session chain (genesis is 1,000 epochs back).
EPOCH = 900


def feeder_inventory(asset_id: int) -> bytes:
    return inventory_hash(f"feeder-node-{asset_id}")


def make_report(asset_id: int, epoch: int, **fields: Any) -> Report:
    """A report within the bounds of an 8-GPU, 5,600 W asset over one-hour epochs (gpuHoursMilli
    <= 8,000, avgPowerW and energyWh <= 6,160), against the inventory `register` gave the asset."""
    values: dict[str, Any] = {
        "inventory_hash": feeder_inventory(asset_id),
        "utilization_bps": 7_500,
        "uptime_bps": 9_900,
        "gpu_hours_milli": 6_000 + asset_id % 100,
        "energy_wh": 4_500,
        "avg_power_w": 4_500,
    }
    values.update(fields)
    return Report(asset_id=asset_id, epoch=epoch, **values)


@pytest.fixture
def register(suite, make_registration, roles) -> Callable[[int], list[int]]:
    """register(count): new assets (not synced into the oracle), each with its own inventory."""

    def run(count: int) -> list[int]:
        ids = []
        for _ in range(count):
            next_id = suite.asset_count() + 1
            asset_id, _token = suite.register_asset(
                make_registration(inventory_hash=feeder_inventory(next_id)), roles.operator
            )
            assert asset_id == next_id
            ids.append(asset_id)
        return ids

    return run


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.sqlite") as box:
        yield box


@pytest.fixture
def echo_lines() -> list[str]:
    return []


@pytest.fixture
def make_submitter(oracle_setup: OracleSetup, outbox, roles, echo_lines) -> Callable[..., Submitter]:
    """make_submitter(**overrides): a Submitter of the session oracle, sending from roles.outsider
    (node-unlocked) through a LocalQuorum of the five signer keys, with short timings."""

    def make(**overrides: Any) -> Submitter:
        client = oracle_setup.client
        options: dict[str, Any] = {
            "confirm_timeout": 5.0,
            "poll_interval": 0.02,
            "retries": 2,
            "backoff": 0.01,
            "echo": echo_lines.append,
        }
        options.update(overrides)
        box = options.pop("outbox", outbox)
        account = options.pop("account", roles.outsider)
        quorum = LocalQuorum(oracle_setup.keys, client.signer_config)
        return Submitter(client, box, quorum, account, **options)

    return make


@dataclass(frozen=True)
class MiningControl:
    stop: Callable[[], None]
    mine: Callable[[], None]


@pytest.fixture
def manual_mining(w3: Web3) -> Iterator[MiningControl]:
    """Yields `stop()`, which turns automine off (transactions wait in the pool until `mine()`), and
    `mine()`; automine is back on, the pool empty, after the test."""

    def stop() -> None:
        w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]

    def mine() -> None:
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    try:
        yield MiningControl(stop, mine)
    finally:
        w3.provider.make_request("anvil_dropAllTransactions", [])  # type: ignore[arg-type]
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


SUBMIT_SELECTOR = Web3.keccak(text="submitReports(bytes,bytes)")[:4]


def landed_since(oracle: OracleClient, first_block: int) -> Counter[ReportKey]:
    """How many successful submitReports transactions, from anyone, carried each report in the
    blocks from `first_block` on."""
    w3 = oracle.w3
    counts: Counter[ReportKey] = Counter()
    for number in range(first_block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            assert not isinstance(tx, bytes)
            if tx["to"] != oracle.address or bytes(tx["input"])[:4] != SUBMIT_SELECTOR:
                continue
            if w3.eth.get_transaction_receipt(tx["hash"])["status"] == 1:
                counts.update(r.key for r in oracle.decode_batch(tx["hash"]))
    return counts


def assert_on_chain(oracle: OracleClient, reports: Iterable[Report]) -> None:
    """Each report is held by the oracle with exactly its values."""
    for r in reports:
        held = oracle.report(r.asset_id, r.epoch)
        assert (held.utilization_bps, held.uptime_bps, held.gpu_hours_milli, held.energy_wh, held.avg_power_w) == (
            r.utilization_bps,
            r.uptime_bps,
            r.gpu_hours_milli,
            r.energy_wh,
            r.avg_power_w,
        ), r.key
