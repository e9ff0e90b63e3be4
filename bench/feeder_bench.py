"""Feeder throughput: one epoch for ASSETS assets through the real feeder code path — samples
buffered in the outbox, the epoch aggregated, reports signed by 3 of 5 signers, submitted and
confirmed — once in batches sized to the block gas limit and once with one transaction per
report, side by side on the same chain. Wall-clock figures: compare the ratio, not the
absolute numbers, across machines.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import keccak
from web3 import Web3

from compute_rwa import DeployPlan, SuiteClient, deploy_suite
from compute_rwa.deploy import OraclePlan
from compute_rwa.fleet import GPU_MODELS, GpuNode
from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.feeder import Feeder
from compute_rwa.oracle.outbox import Outbox
from compute_rwa.oracle.quorum import LocalQuorum
from compute_rwa.oracle.submitter import Submitter
from compute_rwa.telemetry.aggregate import AssetInventory
from compute_rwa.telemetry.simulator import SimulatedFleet
from compute_rwa.tx import TxSender

ASSETS = 1000
GPUS_PER_ASSET = 8
SAMPLE_INTERVAL = 300  # five-minute samples: 12 per GPU per hour, 96,000 per epoch for the fleet
KEYS = tuple(Account.from_key(keccak(text=f"feeder-bench-signer-{i}")) for i in range(5))


def measure_feeder(w3: Web3, progress: Callable[[str], None]) -> dict[str, Any]:
    accounts = w3.eth.accounts
    admin, operator = accounts[0], accounts[1]
    now = int(w3.eth.get_block("latest")["timestamp"])
    plan = DeployPlan(
        operators=(operator,),
        admin_transfer_delay=0,
        oracle=OraclePlan(genesis=now - 1000 * 3600, signers=tuple(k.address for k in KEYS), threshold=3),
    )
    deployment = deploy_suite(w3, admin, plan, directory=Path(tempfile.mkdtemp()), echo=lambda _: None)
    suite = SuiteClient(w3, deployment, TxSender(w3))
    assert deployment.oracle is not None
    oracle = OracleClient(w3, deployment.oracle, suite.sender)
    usd = suite.payment_token
    suite.sender.transact(usd.functions.mint(admin, 10**15), admin, "bench")
    suite.sender.transact(usd.functions.approve(oracle.address, 2**256 - 1), admin, "bench")
    for key in KEYS:
        oracle.deposit_bond(key.address, 5_000 * 10**6, admin)

    progress(f"feeder: registering {ASSETS} assets of {GPUS_PER_ASSET} GPUs")
    inventories = []
    for i in range(ASSETS):
        node = GpuNode(f"feeder-bench-{i}", GPU_MODELS["H100"], GPUS_PER_ASSET, "us-east-1")
        registration = node.registration(operator=operator, owner=admin, payment_token=usd.address)
        asset_id, _ = suite.register_asset(registration, operator)
        inventories.append(AssetInventory(asset_id, node.gpu_uuids, registration.rated_tflops))
    ids = [i.asset_id for i in inventories]
    for start in range(0, ASSETS, oracle.max_batch_size):
        oracle.sync_assets(ids[start : start + oracle.max_batch_size], admin)
    uuids = [uuid for inventory in inventories for uuid in inventory.gpu_uuids]
    quorum = LocalQuorum(KEYS[:3])

    def push(epoch: int, max_batch: int | None, label: str) -> tuple[float, int, int]:
        workdir = Path(tempfile.mkdtemp())
        outbox = Outbox(workdir / "outbox.sqlite")
        # A local chain mines on receipt of the transaction: poll for it every 50 ms (the daemon's
        # default of 1 s suits real networks' block times and would dominate this measurement).
        submitter = Submitter(oracle, outbox, quorum, admin, max_batch=max_batch, poll_interval=0.05)
        feeder = Feeder(oracle, outbox, submitter, inventories, sample_interval=SAMPLE_INTERVAL)
        start = oracle.epoch_start(epoch)
        fleet = SimulatedFleet(uuids, sample_interval=SAMPLE_INTERVAL, start_at=start, seed=epoch)
        samples = list(fleet.samples_between(start, start + oracle.epoch_seconds))
        began = time.perf_counter()
        result = feeder.replay(samples, [epoch])
        elapsed = time.perf_counter() - began
        assert result is not None and result.confirmed == ASSETS, result
        progress(f"  {label}: {ASSETS} reports in {len(result.tx_hashes)} tx(s), {elapsed:.2f} s")
        return elapsed, len(result.tx_hashes), result.gas_used

    batched, batched_txs, batched_gas = push(10, None, "batched")
    single, single_txs, single_gas = push(11, 1, "one tx per report")
    return {
        "assets": ASSETS,
        "batched_reports_per_second": round(ASSETS / batched, 1),
        "one_tx_per_report_reports_per_second": round(ASSETS / single, 1),
        "batched_speedup": round(single / batched, 1),
        "batched_transactions": batched_txs,
        "batched_gas_per_report": batched_gas // ASSETS,
        "one_tx_per_report_gas_per_report": single_gas // ASSETS,
        "samples_per_epoch": ASSETS * GPUS_PER_ASSET * (3600 // SAMPLE_INTERVAL),
    }
