"""The demo's oracle chapter: Alibaba's GenAI trace replayed on the H800 nodes, aggregated per
hourly epoch by the feeder, signed by a quorum of oracle signers, submitted in batches, and
read back from the chain — raw, as trailing averages, and through a Chainlink-style feed."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from rich.console import Console
from rich.table import Table

from compute_rwa.client import SuiteClient
from compute_rwa.fleet import GpuNode
from compute_rwa.oracle.client import Metric, OracleClient
from compute_rwa.oracle.feeder import Feeder
from compute_rwa.oracle.outbox import Outbox
from compute_rwa.oracle.quorum import LocalQuorum
from compute_rwa.oracle.submitter import Submitter
from compute_rwa.telemetry.aggregate import AssetInventory
from compute_rwa.telemetry.traces import PowerModel, TraceReplay, read_duty_cycle_trace

#: Demo oracle signers: fixed keys so that runs are reproducible (never use them on a real chain).
DEMO_SIGNER_KEYS: tuple[LocalAccount, ...] = tuple(
    Account.from_key(keccak(text=f"compute-rwa demo oracle signer {i}")) for i in range(3)
)
DEMO_THRESHOLD = 2
#: Hours of the trace replayed (it covers 22.8 h; the last partial hour is left out).
REPLAYED_EPOCHS = 22
H800_POWER = PowerModel(idle_w=70, max_w=700)


def run_oracle_chapter(
    console: Console,
    suite: SuiteClient,
    oracle: OracleClient,
    nodes: Sequence[tuple[int, GpuNode]],
    *,
    admin: ChecksumAddress,
    challenger: ChecksumAddress,
) -> dict[str, int]:
    """Replays the trace for `nodes` (asset id, node) and returns counts for the demo's checks."""
    console.print("\n[bold]Oracle: replaying Alibaba's 2026 GenAI GPU trace on the H800 nodes[/bold]")
    inventories, counts = replay_trace(console, suite, oracle, nodes, admin=admin, first_epoch=0)

    table = Table(title="On-chain metrics (MetricsOracle.getReport), first 6 hours")
    for column in ("epoch", "asset", "utilization", "uptime", "busy GPU-h", "energy", "avg power", "GFLOPS/W"):
        table.add_column(column, justify="right")
    for epoch in range(6):
        for inventory in inventories:
            r = oracle.report(inventory.asset_id, epoch)
            table.add_row(
                str(epoch),
                str(inventory.asset_id),
                f"{r.utilization_bps / 100:.2f}%",
                f"{r.uptime_bps / 100:.2f}%",
                f"{r.gpu_hours_milli / 1000:.3f}",
                f"{r.energy_wh:,} Wh",
                f"{r.avg_power_w:,} W",
                f"{r.efficiency_gflops_per_w:,}",
            )
    console.print(table)
    for inventory in inventories:
        utilization, n = oracle.trailing_average(inventory.asset_id, Metric.UTILIZATION, 24)
        uptime, _ = oracle.trailing_average(inventory.asset_id, Metric.UPTIME, 24)
        console.print(
            f"  asset {inventory.asset_id}: trailing {n} h utilization {utilization / 100:.2f}%,"
            f" uptime {uptime / 100:.2f}%"
        )
    console.print(
        "  Power is modelled from utilization (70 W idle to 700 W); the trace has none. Missing samples count as"
        " down time, never as idle."
    )
    first = inventories[0].asset_id
    feed = suite.sender.deploy("MetricFeed", admin, oracle.address, first, int(Metric.UTILIZATION))
    round_id, answer, started, updated, _ = feed.functions.latestRoundData().call()
    decimals = feed.functions.decimals().call()
    console.print(
        f'  Chainlink-style feed {feed.address}: "{feed.functions.description().call()}" latestRoundData -> '
        f"round {round_id}, answer {answer / 10**decimals:.4f}, epoch started {started}, updated {updated}"
    )
    voided = _dispute(console, suite, oracle, first, admin, challenger)
    return {"reports": counts.get("done", 0), "voided": voided}


def replay_trace(
    console: Console,
    suite: SuiteClient,
    oracle: OracleClient,
    nodes: Sequence[tuple[int, GpuNode]],
    *,
    admin: ChecksumAddress,
    first_epoch: int,
) -> tuple[list[AssetInventory], dict[str, int]]:
    """Replays the trace's 22 hours onto epochs first_epoch.. of `nodes` through the real feeder
    path (buffer, aggregate per epoch, sign with the demo quorum, submit, confirm)."""
    inventories = [
        AssetInventory(asset_id, node.gpu_uuids, suite.asset(asset_id).rated_tflops) for asset_id, node in nodes
    ]
    for inventory in inventories:  # the feeder's GPU list is the one the registry attested
        if inventory.inventory_hash != suite.asset(inventory.asset_id).inventory_hash:
            raise SystemExit(f"asset {inventory.asset_id}: feeder inventory does not match the registry")
    uuids = [uuid for inventory in inventories for uuid in inventory.gpu_uuids]
    start_at = oracle.genesis + first_epoch * oracle.epoch_seconds
    replay = TraceReplay(read_duty_cycle_trace(), uuids, start_at=start_at, power_model=H800_POWER)
    console.print(
        f"  {len(replay.pods)} pods of the trace become the {len(uuids)} GPUs of assets "
        f"{', '.join(str(i.asset_id) for i in inventories)} (epochs {first_epoch}–{first_epoch + REPLAYED_EPOCHS - 1});"
        f" signers: {DEMO_THRESHOLD} of {len(DEMO_SIGNER_KEYS)}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="compute-rwa-demo-"))
    outbox = Outbox(workdir / "outbox.sqlite")
    submitter = Submitter(oracle, outbox, LocalQuorum(DEMO_SIGNER_KEYS), admin, echo=lambda _: None)
    feeder = Feeder(oracle, outbox, submitter, inventories, sample_interval=60, echo=lambda s: console.print("  " + s))
    result = feeder.replay(replay.samples(), range(first_epoch, first_epoch + REPLAYED_EPOCHS))
    counts = outbox.counts()
    console.print(
        f"  outbox: {counts}; {result.confirmed if result else 0} reports confirmed in "
        f"{len(result.tx_hashes) if result else 0} transaction(s), {result.gas_used if result else 0:,} gas"
    )
    return inventories, counts


def _dispute(
    console: Console,
    suite: SuiteClient,
    oracle: OracleClient,
    asset_id: int,
    admin: ChecksumAddress,
    challenger: ChecksumAddress,
) -> int:
    """A challenger disputes the newest report; the arbiter upholds it; readers skip it."""
    epoch = oracle.latest_epoch(asset_id)
    assert epoch is not None
    token = suite.payment_token
    suite.sender.transact(token.functions.mint(challenger, 1_000 * 10**6), admin, "USD")
    suite.sender.transact(token.functions.approve(oracle.address, 2**256 - 1), challenger, "USD")
    oracle.challenge(asset_id, epoch, challenger)
    oracle.resolve(asset_id, epoch, True, admin)
    report = oracle.report(asset_id, epoch)
    console.print(
        f"  Dispute: asset {asset_id} epoch {epoch} challenged and upheld by the arbiter -> voided={report.voided};"
        f" the challenger got its bond back plus the signers' slashed bonds"
        f" ({token.functions.balanceOf(challenger).call() / 10**6:,.2f} dUSD now)."
    )
    return 1 if report.voided else 0
