"""The demo's leasing chapter: lessees lease GPUs of the H800 nodes for the next day, the
trace's day of real GPU telemetry is replayed onto the leased hours, and a keeper settles every
lease against the oracle's measured uptime. Downtime in the trace (GPUs whose samples stop)
becomes SLA credits; the hours the trace does not cover have no report and are credited in full
under the no-report rule. One lessee ends early, the operator reclaims one lease with notice, and
one position is sold on; a conservation check closes the chapter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_typing import ChecksumAddress
from rich.console import Console
from rich.table import Table
from web3 import Web3

from compute_rwa.client import SuiteClient
from compute_rwa.demo_oracle import REPLAYED_EPOCHS, replay_trace
from compute_rwa.errors import ContractRevertError
from compute_rwa.fleet import GpuNode
from compute_rwa.lease import LeaseClient, LeasePolicy, LeasePricing
from compute_rwa.oracle.client import OracleClient

USD = 10**6
#: Operator's price list for the H800 nodes: $2.19 per GPU-hour, +50% at full booking above 75%.
H800_PRICING = LeasePricing(base_price_per_gpu_hour=2_190_000, dynamic=True, target_utilization_bps=7_500,
                            max_premium_bps=5_000)  # fmt: skip
#: A 99.9% uptime SLA, 10% termination fee, 20% compensation after 2 hours' notice.
H800_POLICY = LeasePolicy(uptime_target_bps=9_990, termination_fee_bps=1_000, compensation_bps=2_000,
                          notice_epochs=2, min_epochs=1, max_epochs=720)  # fmt: skip


@dataclass
class _Ledger:
    """What the chapter paid and got back, for the conservation check."""

    paid: int = 0
    fees: int = 0
    refunds: int = 0
    compensation: int = 0
    released: int = 0
    credited: int = 0
    credits: list[tuple[int, int, int, bool, int]] = field(default_factory=list)


def usd(amount: int) -> str:
    return f"${amount / USD:,.2f}"


def run_lease_chapter(
    console: Console,
    suite: SuiteClient,
    oracle: OracleClient,
    nodes: Sequence[tuple[int, GpuNode]],
    *,
    operator: ChecksumAddress,
    admin: ChecksumAddress,
    lessees: Sequence[ChecksumAddress],
    buyer: ChecksumAddress,
    keeper: ChecksumAddress,
) -> dict[str, int]:
    """Runs the chapter on `nodes` (two H800 assets); returns counts for the demo's checks."""
    w3 = suite.w3
    leases = LeaseClient(w3, suite.deployment, suite.sender)
    token = suite.payment_token
    first, second = (asset_id for asset_id, _ in nodes)
    console.print("\n[bold]Leasing: the H800 nodes rented for the next day, paid in dUSD and escrowed[/bold]")
    for asset_id, _ in nodes:
        leases.set_pricing(asset_id, H800_PRICING, operator)
        leases.set_policy(asset_id, H800_POLICY, operator)
    console.print(
        "  price list: $2.19 per GPU-hour, rising linearly to +50% as bookings go from 75% to 100% of the GPUs;"
        " SLA 99.90% uptime, 10% termination fee, 20% compensation after 2 epochs' notice"
    )
    for account in (*lessees, operator):
        suite.sender.transact(token.functions.mint(account, 100_000 * USD), admin, "USD")

    quotes = Table(title=f"Quotes for 24 hours on asset {first} (LeaseManager.quote)")
    for column in ("GPUs", "total", "per GPU-hour"):
        quotes.add_column(column, justify="right")
    for gpus in (1, 4, 8):
        q = leases.quote(first, gpus, 24)
        quotes.add_row(str(gpus), usd(q.total), usd(q.price_per_gpu_hour))
    console.print(quotes)

    ledger = _Ledger()
    start = leases.current_epoch() + 1
    plan = [  # (lessee, asset, GPUs, epochs)
        (lessees[0], first, 4, REPLAYED_EPOCHS),
        (lessees[1], first, 4, REPLAYED_EPOCHS),
        (lessees[2], second, 6, REPLAYED_EPOCHS + 2),  # two hours past the trace: no reports
        (lessees[3], second, 2, 48),  # to be reclaimed by the operator
    ]
    opened = []
    for lessee, asset_id, gpus, epochs in plan:
        lease_opened = leases.open(asset_id, gpus, epochs, lessee, start_epoch=start)
        ledger.paid += lease_opened.total
        opened.append(lease_opened.lease_id)
        console.print(
            f"  lease #{lease_opened.lease_id}: {lessee[:10]}… takes {gpus} GPUs of asset {asset_id} for epochs "
            f"{lease_opened.start_epoch}–{lease_opened.end_epoch - 1} at "
            f"{usd(lease_opened.price_per_gpu_hour)}/GPU-h, escrows {usd(lease_opened.total)}"
        )
    booked = leases.capacity(second)
    try:
        leases.open(second, 1, 4, lessees[0], start_epoch=start)
    except ContractRevertError as refused:
        console.print(f"  asset {second} is full ({booked.booked} of {booked.gpu_count} GPUs booked): {refused}")

    _warp_to(w3, leases.epoch_start(start + 6) + 300)
    console.print(f"\n[bold]Six hours in (epoch {start + 6})[/bold]")
    ended = leases.terminate(opened[1], lessees[1])
    ledger.fees += ended.fee
    ledger.refunds += ended.refund
    console.print(
        f"  lease #{opened[1]} ends early: service stops after epoch {ended.end_epoch - 1}; refund "
        f"{usd(ended.refund)}, termination fee {usd(ended.fee)} to the holders of asset {first}"
    )
    reclaimed = leases.preempt(opened[3], operator)
    ledger.refunds += reclaimed.refund
    ledger.compensation += reclaimed.compensation
    console.print(
        f"  the operator reclaims lease #{opened[3]} from epoch {reclaimed.end_epoch} (2 epochs' notice): refund "
        f"{usd(reclaimed.refund)} plus {usd(reclaimed.compensation)} compensation paid by the operator"
    )
    leases.transfer(opened[0], buyer, lessees[0])
    console.print(f"  lease #{opened[0]} is sold: the position (ERC-721) moves to {buyer[:10]}…, credits with it")

    _warp_to(w3, leases.epoch_start(start + REPLAYED_EPOCHS + 2) + 60)
    last = start + REPLAYED_EPOCHS - 1
    console.print(f"\n[bold]The day passes: the trace's telemetry is replayed onto epochs {start}–{last}[/bold]")
    replay_trace(console, suite, oracle, nodes, admin=admin, first_epoch=start)
    _warp_to(w3, leases.chain_time() + oracle.epoch_seconds + 24 * 3600)
    console.print("  a day later every report is final (dispute window closed) and the report grace is over")

    results = leases.settle_ready(keeper)
    for result in results:
        ledger.released += result.released
        ledger.credited += result.credited
        ledger.credits.extend((c.lease_id, c.epoch, c.uptime_bps, c.reported, c.credit) for c in result.credits)
    console.print(f"  the keeper settled {sum(r.to_epoch - r.from_epoch for r in results)} lease-epochs in "
                  f"{len({r.tx_hash for r in results})} transaction(s)")  # fmt: skip

    table = Table(title="Leases after settlement")
    for column in ("lease", "asset", "GPUs", "epochs", "status", "released to holders", "SLA credits", "claimable"):
        table.add_column(column, justify="right")
    per_lease = {lease_id: (0, 0) for lease_id in opened}
    for result in results:
        released, credited = per_lease[result.lease_id]
        per_lease[result.lease_id] = (released + result.released, credited + result.credited)
    for lease_id in opened:
        lease = leases.lease(lease_id)
        released, credited = per_lease[lease_id]
        table.add_row(
            f"#{lease_id}",
            str(lease.asset_id),
            str(lease.gpus),
            f"{lease.start_epoch}–{lease.end_epoch - 1}",
            lease.status.name.lower(),
            usd(released),
            usd(credited),
            usd(lease.claimable),
        )
    console.print(table)

    measured = [c for c in ledger.credits if c[3]]
    unreported = [c for c in ledger.credits if not c[3]]
    detail = Table(title="SLA credits from measured downtime (uptime below 99.90%)")
    for column in ("lease", "epoch", "measured uptime", "credit"):
        detail.add_column(column, justify="right")
    for lease_id, epoch, uptime, _, credit in sorted(measured):
        detail.add_row(f"#{lease_id}", str(epoch), f"{uptime / 100:.2f}%", f"${credit / USD:,.6f}")
    console.print(detail)
    console.print(
        f"  {len(measured)} epoch(s) below the SLA in the trace credited {usd(sum(c[4] for c in measured))};"
        f" {len(unreported)} epoch(s) beyond the trace had no report and were credited in full"
        f" ({usd(sum(c[4] for c in unreported))}, no-report rule)"
    )

    claimed = 0
    for lease_id in opened:
        lease = leases.lease(lease_id)
        if lease.claimable:
            claimed += leases.claim(lease_id, lease.owner)
    escrow_left = sum(leases.lease(lease_id).escrow for lease_id in opened)
    console.print(
        f"\n[bold]Lease conservation[/bold]: paid {usd(ledger.paid)} = released to holders {usd(ledger.released)}"
        f" + termination fee {usd(ledger.fees)} + refunds {usd(ledger.refunds)} + SLA credits"
        f" {usd(ledger.credited)} + escrow left {usd(escrow_left)}; owners claimed {usd(claimed)}"
        f" (refunds of the preempted lease, compensation {usd(ledger.compensation)} and credits)"
    )
    if ledger.paid != ledger.released + ledger.fees + ledger.refunds + ledger.credited + escrow_left:
        raise SystemExit("lease conservation check failed")
    return {
        "leases": len(opened),
        "lease_epochs_settled": sum(r.to_epoch - r.from_epoch for r in results),
        "sla_credits_measured": len(measured),
        "sla_credits_unreported": len(unreported),
    }


def _warp_to(w3: Web3, timestamp: int) -> None:
    """Moves the local chain's clock to `timestamp` (the demo's day passes in seconds)."""
    w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
