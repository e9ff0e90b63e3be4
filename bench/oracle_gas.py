"""Gas of the metrics oracle, from receipts of real submitReports transactions.

Steady state as the bench brief asks: every asset already has a report history, and the ring
slot a new epoch lands in already holds the report from RING_SIZE epochs before (an oracle
that has run for a week), so each report rewrites one warm-able slot. The first week's cost
(ring slots written for the first time) is recorded under `cold`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3

from compute_rwa import DeployPlan, SuiteClient, deploy_suite
from compute_rwa.deploy import OraclePlan
from compute_rwa.fleet import GPU_MODELS, GpuNode
from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.reports import Report, join_signatures, pack_reports, sign_batch
from compute_rwa.tx import TxSender

USD = 10**6
ASSETS = 100
BATCH_SIZES = (1, 10, 50, 100)
SIGNER_COUNTS = (1, 3, 5, 7)
KEYS: tuple[LocalAccount, ...] = tuple(Account.from_key(keccak(text=f"bench-signer-{i}")) for i in range(7))


class OracleBench:
    """A suite with ASSETS registered 8-GPU H100 nodes, their oracle, and seven bonded keys."""

    def __init__(self, w3: Web3, progress: Callable[[str], None]) -> None:
        self.w3 = w3
        self.progress = progress
        accounts = w3.eth.accounts
        self.admin, self.operator = accounts[0], accounts[1]
        now = int(w3.eth.get_block("latest")["timestamp"])
        plan = DeployPlan(
            operators=(self.operator,),
            admin_transfer_delay=0,
            # Epoch 0 began 1,000 hours ago so that the history below is all in the past.
            oracle=OraclePlan(genesis=now - 1000 * 3600, signers=tuple(k.address for k in KEYS[:5]), threshold=3),
        )
        deployment = deploy_suite(w3, self.admin, plan, directory=Path(tempfile.mkdtemp()), echo=lambda _: None)
        self.suite = SuiteClient(w3, deployment, TxSender(w3))
        assert deployment.oracle is not None
        self.oracle = OracleClient(w3, deployment.oracle, self.suite.sender)
        usd = self.suite.payment_token
        self.suite.sender.transact(usd.functions.mint(self.admin, 10**15), self.admin, "bench")
        self.suite.sender.transact(usd.functions.approve(self.oracle.address, 2**256 - 1), self.admin, "bench")
        for key in KEYS:
            self.oracle.deposit_bond(key.address, 5_000 * USD, self.admin)
        self.inventories: list[bytes] = []
        for i in range(ASSETS):
            node = GpuNode(f"oracle-bench-{i}", GPU_MODELS["H100"], 8, "us-east-1")
            registration = node.registration(operator=self.operator, owner=self.admin, payment_token=usd.address)
            self.suite.register_asset(registration, self.operator)
            self.inventories.append(registration.inventory_hash)
        self.oracle.sync_assets(list(range(1, ASSETS + 1)), self.admin)

    def reports(self, epoch: int, count: int) -> list[Report]:
        """Plausible 8 x H100 figures for one hour (every field non-zero, as a real report)."""
        out = []
        for i in range(count):
            utilization = 6_000 + (epoch * 37 + i * 113) % 3_500
            power = 2_400 + utilization * 3_200 // 10_000
            out.append(
                Report(
                    asset_id=i + 1,
                    epoch=epoch,
                    inventory_hash=self.inventories[i],
                    utilization_bps=utilization,
                    uptime_bps=10_000 - (i % 3) * 125,
                    gpu_hours_milli=8 * utilization // 10,
                    energy_wh=power,
                    avg_power_w=power,
                )
            )
        return out

    def submit(self, reports: Sequence[Report], keys: Sequence[LocalAccount]) -> int:
        packed = pack_reports(reports)
        domain = self.oracle.domain()
        signatures = join_signatures([sign_batch(domain, packed, k) for k in keys])
        return int(self.oracle.submit(packed, signatures, self.admin)["gasUsed"])


def measure_oracle(w3: Web3, progress: Callable[[str], None]) -> dict[str, Any]:
    progress("oracle: 100 assets, 3 of 5 signers")
    bench = OracleBench(w3, progress)
    ring = bench.oracle.ring_size
    three = KEYS[:3]
    cold: dict[str, int] = {}
    # History: epochs 0..9 for every asset (first writes of their ring slots).
    first = bench.submit(bench.reports(0, ASSETS), three)
    cold["oracle_report_per_asset_batch100_first_week"] = first // ASSETS
    for epoch in range(1, 10):
        bench.submit(bench.reports(epoch, ASSETS), three)
    # Steady state: epoch ring + j reuses the slot epoch j wrote.
    epoch = ring
    single = bench.submit(bench.reports(epoch, 1), three)
    per_asset: dict[str, int] = {}
    for size in BATCH_SIZES:
        epoch += 1
        per_asset[str(size)] = bench.submit(bench.reports(epoch, size), three) // size
        progress(f"  batch of {size}: {per_asset[str(size)]:,} gas per asset")
    by_signers: dict[str, int] = {}
    for count in SIGNER_COUNTS:
        epoch += 1
        bench.oracle.set_signers([k.address for k in KEYS[:count]], count // 2 + 1, bench.admin)
        by_signers[str(count)] = bench.submit(bench.reports(epoch, 1), KEYS[:count])
        progress(f"  one report, {count} signatures: {by_signers[str(count)]:,} gas")
    return {
        "oracle_report_single": single,
        "oracle_gas_per_asset_by_batch": per_asset,
        "oracle_gas_by_signers": by_signers,
        "cold": cold,
    }
