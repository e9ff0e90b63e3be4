"""`compute-rwa lease …`: what lessees, keepers and operators run against the lease contracts.

\b
Lessees:
  compute-rwa lease quote 1 2 24 --rpc URL
  compute-rwa lease open 1 2 24 --rpc URL --max-total 100        # 2 GPUs of asset 1 for 24 epochs
  compute-rwa lease extend 7 12 --rpc URL
  compute-rwa lease show 7 --rpc URL                             # terms, escrow, claimable, readiness
  compute-rwa lease terminate 7 --rpc URL
  compute-rwa lease claim 7 --rpc URL
Keepers (anyone):
  compute-rwa lease settle --all --rpc URL                       # every lease with a settleable epoch
  compute-rwa lease release --asset 1 --rpc URL                  # free the GPUs of ended leases
Operators:
  compute-rwa lease pricing 1 --base-price 2.5 --dynamic --rpc URL
  compute-rwa lease policy 1 --notice-epochs 48 --rpc URL
  compute-rwa lease preempt 7 --rpc URL                          # at the earliest epoch the notice allows

Amounts are in whole tokens of the asset's payment token ("2.5"); --json prints token units.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from web3 import Web3

from compute_rwa.chain import connect
from compute_rwa.cli_oracle import deployments_option, rpc_option, sender_options
from compute_rwa.cli_tx import ADDRESS, AMOUNT, cli_sender
from compute_rwa.cli_tx import cli_signer as _signer
from compute_rwa.deploy import Deployment, registry_path
from compute_rwa.errors import DeploymentError, InvalidInputError
from compute_rwa.lease.client import DEFAULT_MAX_EPOCHS_EACH, DEFAULT_SLIPPAGE_BPS, LeaseClient
from compute_rwa.lease.models import Lease, LeasePolicy, LeaseStatus, Readiness, SettleResult, TokenInfo

console = Console()

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (amounts in token units).")


F = TypeVar("F", bound=Callable[..., Any])


def _stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


#: Options of every command that only reads, and of every command that sends a transaction.
read_options = _stack(rpc_option, deployments_option, json_option)
write_options = _stack(rpc_option, deployments_option, sender_options, json_option)


def _client(rpc: str, deployments: Path | None) -> LeaseClient:
    w3 = connect(rpc)
    path = registry_path(w3.eth.chain_id, deployments)
    if not path.exists():
        raise DeploymentError(f"no deployment recorded for chain {w3.eth.chain_id} at {path}")
    deployment = Deployment.load(path)
    if deployment.lease_manager is None:
        raise DeploymentError(f"{path}: this deployment has no LeaseManager")
    return LeaseClient(w3, deployment, cli_sender(w3))


def _amount(client: LeaseClient, asset_id: int, text: str | None, hint: str) -> int | None:
    if text is None:
        return None
    try:
        return client.parse_amount(asset_id, text, hint)
    except InvalidInputError as exc:
        raise click.BadParameter(exc.problem, param_hint=hint) from None


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


def _token_json(token: TokenInfo) -> dict[str, Any]:
    return {"address": token.address, "symbol": token.symbol, "decimals": token.decimals}


def _when(timestamp: int | None, now: int) -> str:
    if timestamp is None:
        return "when the arbiter decides"
    if timestamp <= now:
        return "now"
    wait = timestamp - now
    hours, rest = divmod(wait, 3600)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))
    return f"{stamp} (in {hours}h {rest // 60:02d}m)" if hours else f"{stamp} (in {rest // 60}m {rest % 60}s)"


def _bps(value: int) -> str:
    return f"{value / 100:.2f}%"


@click.group()
def lease() -> None:
    """Lease GPU capacity: quote, open, extend, terminate, settle, show, claim; operators set
    pricing and policy, preempt, and anyone releases ended leases' capacity. Amounts are given
    in whole tokens of the asset's payment token ("2.5"); --json prints token units.

    \b
    Examples:
      compute-rwa lease quote 1 2 24 --rpc URL
      compute-rwa lease open 1 2 24 --rpc URL --max-total 100
      compute-rwa lease show 7 --rpc URL
      compute-rwa lease settle --all --rpc URL
    """


# --------------------------------------------------------------------- lessees


@lease.command()
@click.argument("asset_id", type=click.IntRange(1))
@click.argument("gpus", type=click.IntRange(1))
@click.argument("epochs", type=click.IntRange(1))
@read_options
def quote(asset_id: int, gpus: int, epochs: int, rpc: str, deployments: Path | None, as_json: bool) -> None:
    """What GPUS GPUs of ASSET_ID for EPOCHS epochs cost now, with capacity and policy."""
    client = _client(rpc, deployments)
    q = client.quote(asset_id, gpus, epochs)
    token = client.token(asset_id)
    capacity = client.capacity(asset_id)
    policy = client.policy(asset_id)
    if as_json:
        _echo_json(
            {
                "asset_id": asset_id,
                "gpus": gpus,
                "epochs": epochs,
                "total": q.total,
                "price_per_gpu_hour": q.price_per_gpu_hour,
                "epoch_charge": q.epoch_charge,
                "epoch_seconds": client.epoch_seconds,
                "start_epoch": client.current_epoch() + 1,
                "token": _token_json(token),
                "capacity": {**capacity._asdict(), "free": capacity.free},
                "policy": policy.__dict__,
            }
        )
        return
    console.print(
        f"{gpus} GPU(s) of asset {asset_id} for {epochs} epoch(s) of {client.epoch_seconds // 60} min: "
        f"[bold]{token.format(q.total)}[/bold]"
    )
    console.print(f"  {token.format(q.price_per_gpu_hour)} per GPU-hour, {token.format(q.epoch_charge)} per epoch")
    console.print(f"  capacity: {capacity.booked} of {capacity.gpu_count} GPUs booked, {capacity.free} free")
    console.print(
        f"  policy: SLA {_bps(policy.uptime_target_bps)} uptime, termination fee {_bps(policy.termination_fee_bps)}, "
        f"preemption notice {policy.notice_epochs} epoch(s) + {_bps(policy.compensation_bps)} compensation, "
        f"{policy.min_epochs}..{policy.max_epochs} epochs"
    )


@lease.command("open")
@click.argument("asset_id", type=click.IntRange(1))
@click.argument("gpus", type=click.IntRange(1))
@click.argument("epochs", type=click.IntRange(1))
@click.option("--start", "start_epoch", type=click.IntRange(0), default=0, help="First epoch (default: the next).")
@click.option("--max-total", type=AMOUNT, help="Most to pay, in whole tokens (default: the quote plus --slippage-bps).")
@click.option("--slippage-bps", type=click.IntRange(0, 10_000), default=DEFAULT_SLIPPAGE_BPS, show_default=True)
@click.option("--recipient", type=ADDRESS, help="Receiver of the lease position (default: the payer).")
@click.option("--release-first", "release_first", type=click.IntRange(1), multiple=True, help="Ended lease to free.")
@click.option("--release-ended", is_flag=True, help="Free the capacity of every ended lease of the asset first.")
@click.option("--predecessor", "predecessors", type=click.IntRange(1), multiple=True, help="Lease to take GPUs over.")
@write_options
def open_(
    asset_id: int,
    gpus: int,
    epochs: int,
    start_epoch: int,
    max_total: str | None,
    slippage_bps: int,
    recipient: str | None,
    release_first: tuple[int, ...],
    release_ended: bool,
    predecessors: tuple[int, ...],
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Open a lease of GPUS GPUs of ASSET_ID for EPOCHS epochs, paying the whole price now
    (approves the lease manager first when needed)."""
    client = _client(rpc, deployments)
    if recipient is not None and not Web3.is_address(recipient):
        raise click.BadParameter(f"not an address: {recipient!r}", param_hint="--recipient")
    limit = _amount(client, asset_id, max_total, "--max-total")
    release = list(release_first)
    if release_ended:
        release += [i for i in client.releasable(asset_id) if i not in release][: client.max_batch - len(release)]
    payer = _signer(keystore, from_address)
    opened = client.open(
        asset_id,
        gpus,
        epochs,
        payer,
        start_epoch=start_epoch,
        max_total=limit,
        slippage_bps=slippage_bps,
        recipient=recipient,
        release_first=release,
        predecessors=predecessors,
    )
    if as_json:
        _echo_json(opened.__dict__)
        return
    token = client.token(asset_id)
    console.print(
        f"opened lease #{opened.lease_id}: {opened.gpus} GPU(s) of asset {asset_id}, epochs "
        f"{opened.start_epoch}..{opened.end_epoch - 1}, paid {token.format(opened.total)} "
        f"({token.format(opened.price_per_gpu_hour)} per GPU-hour); position held by {opened.recipient}"
    )


@lease.command()
@click.argument("lease_id", type=click.IntRange(1))
@click.argument("epochs", type=click.IntRange(1))
@click.option("--max-cost", type=AMOUNT, help="Most to pay, in whole tokens (default: the quote plus --slippage-bps).")
@click.option("--slippage-bps", type=click.IntRange(0, 10_000), default=DEFAULT_SLIPPAGE_BPS, show_default=True)
@write_options
def extend(
    lease_id: int,
    epochs: int,
    max_cost: str | None,
    slippage_bps: int,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Extend LEASE_ID by EPOCHS epochs at today's price (position owner or approved)."""
    client = _client(rpc, deployments)
    asset_id = client.lease(lease_id).asset_id
    limit = _amount(client, asset_id, max_cost, "--max-cost")
    result = client.extend(lease_id, epochs, _signer(keystore, from_address), max_cost=limit, slippage_bps=slippage_bps)
    if as_json:
        _echo_json(result.__dict__)
        return
    token = client.token(asset_id)
    console.print(
        f"extended lease #{lease_id} by {result.epochs} epoch(s) to end before epoch {result.end_epoch}, "
        f"paid {token.format(result.cost)} ({token.format(result.price_per_gpu_hour)} per GPU-hour)"
    )


@lease.command()
@click.argument("lease_id", type=click.IntRange(1))
@write_options
def terminate(
    lease_id: int, rpc: str, deployments: Path | None, keystore: Path | None, from_address: str | None, as_json: bool
) -> None:
    """End LEASE_ID after the current epoch; the unused escrow minus the termination fee, and
    anything else owed, is paid to the position's owner now."""
    client = _client(rpc, deployments)
    asset_id = client.lease(lease_id).asset_id
    result = client.terminate(lease_id, _signer(keystore, from_address))
    if as_json:
        _echo_json(result.__dict__)
        return
    token = client.token(asset_id)
    console.print(
        f"terminated lease #{lease_id}: service ends before epoch {result.end_epoch}; refund "
        f"{token.format(result.refund)} (fee {token.format(result.fee)}), paid {token.format(result.paid)}"
    )


@lease.command()
@click.argument("lease_id", type=click.IntRange(1))
@write_options
def claim(
    lease_id: int, rpc: str, deployments: Path | None, keystore: Path | None, from_address: str | None, as_json: bool
) -> None:
    """Pay LEASE_ID's owner what the position is owed: SLA credits, refunds, compensation."""
    client = _client(rpc, deployments)
    current = client.lease(lease_id)
    amount = client.claim(lease_id, _signer(keystore, from_address))
    if as_json:
        _echo_json({"lease_id": lease_id, "owner": current.owner, "amount": amount})
        return
    console.print(f"paid {client.format_amount(current.asset_id, amount)} to {current.owner} for lease #{lease_id}")


# --------------------------------------------------------------------- anyone


@lease.command()
@click.argument("lease_id", type=click.IntRange(1), required=False)
@click.option("--all", "settle_all", is_flag=True, help="Keeper: settle every lease with a settleable epoch.")
@click.option("--asset", "asset_id", type=click.IntRange(1), help="With --all: only this asset's leases.")
@click.option(
    "--max-epochs",
    type=click.IntRange(1),
    help=f"Epochs to settle per lease and transaction (default: all; with --all {DEFAULT_MAX_EPOCHS_EACH}).",
)
@write_options
def settle(
    lease_id: int | None,
    settle_all: bool,
    asset_id: int | None,
    max_epochs: int | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Settle LEASE_ID's ended epochs (or, with --all, every ready lease's) against the oracle's
    uptime: the charge goes to holders, SLA credits to the position."""
    if (lease_id is None) == (not settle_all):
        raise click.UsageError("give a LEASE_ID or --all (not both)")
    if asset_id is not None and not settle_all:
        raise click.UsageError("--asset goes with --all")
    client = _client(rpc, deployments)
    signer = _signer(keystore, from_address)
    if lease_id is not None:
        results = [client.settle(lease_id, signer, max_epochs)]
    else:
        progress = None if as_json else _print_settled(client)
        results = client.settle_ready(
            signer, asset_id, max_epochs_each=max_epochs or DEFAULT_MAX_EPOCHS_EACH, on_batch=progress
        )
    if as_json:
        _echo_json([r.to_json() for r in results])
        return
    if lease_id is not None:
        _print_settled(client)(results)
    elif not results:
        console.print("no lease has a settleable epoch")
    else:
        epochs, leases = sum(r.settled_epochs for r in results), len({r.lease_id for r in results})
        console.print(f"settled {epochs} epoch(s) of {leases} lease(s)")


def _print_settled(client: LeaseClient) -> Callable[[list[SettleResult]], None]:
    def show(results: list[SettleResult]) -> None:
        for r in results:
            asset_id = client.lease(r.lease_id).asset_id
            token = client.token(asset_id)
            line = (
                f"lease #{r.lease_id}: settled epochs {r.from_epoch}..{r.to_epoch - 1}, released "
                f"{token.format(r.released)} to holders, credited {token.format(r.credited)}"
            )
            console.print(line + (" (closed)" if r.closed else ""))
            for c in r.credits:
                measured = f"uptime {_bps(c.uptime_bps)}" if c.reported else "no usable report"
                console.print(f"    epoch {c.epoch}: {measured}, credit {token.format(c.credit)}")

    return show


@lease.command()
@click.argument("lease_ids", type=click.IntRange(1), nargs=-1)
@click.option("--asset", "asset_id", type=click.IntRange(1), help="Without LEASE_IDS: only this asset's leases.")
@write_options
def release(
    lease_ids: tuple[int, ...],
    asset_id: int | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Give the GPUs of ended leases (LEASE_IDS, default: every releasable one) back to their
    assets' free capacity."""
    client = _client(rpc, deployments)
    ids = list(lease_ids) or client.releasable(asset_id)
    if ids:
        client.release_capacity(ids, _signer(keystore, from_address))
    if as_json:
        _echo_json({"released": ids})
    elif ids:
        console.print(f"released the capacity of lease(s) {', '.join(f'#{i}' for i in ids)}")
    else:
        console.print("no ended lease holds capacity")


@lease.command()
@click.argument("lease_id", type=click.IntRange(1), required=False)
@click.option("--owner", type=ADDRESS, help="Only leases whose position this address holds.")
@click.option("--asset", "asset_id", type=click.IntRange(1), help="Only this asset's leases.")
@click.option("--running", is_flag=True, help="Hide closed leases.")
@read_options
def show(
    lease_id: int | None,
    owner: str | None,
    asset_id: int | None,
    running: bool,
    rpc: str,
    deployments: Path | None,
    as_json: bool,
) -> None:
    """LEASE_ID's terms, escrow, claimable and settlement readiness; without it, a table of
    leases."""
    if owner is not None and not Web3.is_address(owner):
        raise click.BadParameter(f"not an address: {owner!r}", param_hint="--owner")
    client = _client(rpc, deployments)
    if lease_id is not None:
        _show_one(client, lease_id, as_json)
        return
    leases = client.leases(asset_id, owner)
    if running:
        leases = [item for item in leases if item.running]
    if as_json:
        _echo_json([item.to_json() for item in leases])
        return
    _lease_table(client, leases)


def _show_one(client: LeaseClient, lease_id: int, as_json: bool) -> None:
    item = client.lease(lease_id)
    readiness = client.readiness(lease_id)
    token = client.token(item.asset_id)
    if as_json:
        _echo_json({**item.to_json(), "readiness": readiness.to_json(), "token": _token_json(token)})
        return
    table = Table(title=f"Lease #{lease_id}", show_header=False)
    table.add_row("owner", item.owner)
    table.add_row("asset", str(item.asset_id))
    table.add_row(
        "GPUs", f"{item.gpus}" + (f" ({item.handed_over} promised to a later lease)" if item.handed_over else "")
    )
    table.add_row("epochs", f"{item.start_epoch}..{item.end_epoch - 1} ({item.epochs})")
    table.add_row("status", item.status.name.lower())
    table.add_row("price", f"{token.format(item.price_per_gpu_hour)} per GPU-hour")
    table.add_row("SLA", f"{_bps(item.uptime_target_bps)} uptime")
    table.add_row("termination fee", _bps(item.termination_fee_bps))
    table.add_row("preemption", f"{item.notice_epochs} epoch(s) notice, {_bps(item.compensation_bps)} compensation")
    table.add_row("escrow", f"{token.format(item.escrow)} for {item.unsettled_epochs} unsettled epoch(s)")
    table.add_row("claimable", token.format(item.claimable))
    table.add_row("capacity", "released" if item.capacity_released else "booked")
    table.add_row("settlement", _readiness_text(readiness))
    console.print(table)


def _readiness_text(r: Readiness) -> str:
    if r.can_settle:
        if r.ready_epochs > 1:
            return f"epochs {r.next_epoch}..{r.next_epoch + r.ready_epochs - 1} can be settled now"
        return f"epoch {r.next_epoch} can be settled now"
    if r.status is LeaseStatus.CLOSED:
        return "every epoch settled"
    return f"epoch {r.next_epoch}: {r.reason.value}; ready {_when(r.ready_at, r.now)}"


def _lease_table(client: LeaseClient, leases: Sequence[Lease]) -> None:
    table = Table(title=f"{len(leases)} lease(s)")
    for column in ("id", "owner", "asset", "GPUs", "epochs", "status", "escrow", "claimable"):
        table.add_column(column, justify="right", no_wrap=column in ("owner", "epochs"))
    for item in leases:
        token = client.token(item.asset_id)
        table.add_row(
            str(item.lease_id),
            f"{item.owner[:6]}…{item.owner[-4:]}",
            str(item.asset_id),
            str(item.gpus),
            f"{item.start_epoch}..{item.end_epoch - 1}",
            item.status.name.lower(),
            token.format(item.escrow),
            token.format(item.claimable),
        )
    console.print(table)


# --------------------------------------------------------------------- operators


@lease.command()
@click.argument("lease_id", type=click.IntRange(1))
@click.argument("effective_epoch", type=click.IntRange(0), required=False)
@write_options
def preempt(
    lease_id: int,
    effective_epoch: int | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Operator: reclaim LEASE_ID's GPUs from EFFECTIVE_EPOCH (default: the earliest the lease's
    notice allows), paying compensation (approved first when needed)."""
    client = _client(rpc, deployments)
    asset_id = client.lease(lease_id).asset_id
    result = client.preempt(lease_id, _signer(keystore, from_address), effective_epoch)
    if as_json:
        _echo_json(result.__dict__)
        return
    token = client.token(asset_id)
    console.print(
        f"preempted lease #{lease_id} from epoch {result.end_epoch}: the position may claim a refund of "
        f"{token.format(result.refund)} plus {token.format(result.compensation)} compensation"
    )


@lease.command()
@click.argument("asset_id", type=click.IntRange(1))
@click.option("--base-price", type=AMOUNT, help="Set: price of one GPU-hour, in whole tokens.")
@click.option("--dynamic/--flat", default=None, help="Set: whether the premium curve applies.")
@click.option("--target-utilization-bps", type=click.IntRange(0, 10_000), help="Set: where the premium starts.")
@click.option("--max-premium-bps", type=click.IntRange(0, 100_000), help="Set: premium when every GPU is booked.")
@write_options
def pricing(
    asset_id: int,
    base_price: str | None,
    dynamic: bool | None,
    target_utilization_bps: int | None,
    max_premium_bps: int | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Show ASSET_ID's price list; with any option, set it (operator or admin; other fields keep
    their values)."""
    client = _client(rpc, deployments)
    current = client.pricing(asset_id)
    changes: dict[str, Any] = {}
    base = _amount(client, asset_id, base_price, "--base-price")
    if base is not None:
        changes["base_price_per_gpu_hour"] = base
    for field, value in (
        ("dynamic", dynamic),
        ("target_utilization_bps", target_utilization_bps),
        ("max_premium_bps", max_premium_bps),
    ):
        if value is not None:
            changes[field] = value
    if changes:
        current = replace(current, **changes)
        client.set_pricing(asset_id, current, _signer(keystore, from_address))
    capacity = client.capacity(asset_id)
    token = client.token(asset_id)
    point = current.price_at(capacity.booked, capacity.gpu_count)
    if as_json:
        _echo_json({"asset_id": asset_id, **current.__dict__, "price_now": point, "token": _token_json(token)})
        return
    verb = "set" if changes else "is"
    curve = (
        f", +{_bps(current.max_premium_bps)} premium at full booking above {_bps(current.target_utilization_bps)}"
        if current.dynamic
        else ", flat"
    )
    console.print(
        f"asset {asset_id} pricing {verb}: {token.format(current.base_price_per_gpu_hour)} per GPU-hour{curve}; "
        f"{token.format(point)} now ({capacity.booked} of {capacity.gpu_count} GPUs booked)"
    )


@lease.command()
@click.argument("asset_id", type=click.IntRange(1))
@click.option("--uptime-target-bps", type=click.IntRange(0, 10_000), help="Set: SLA uptime target.")
@click.option("--termination-fee-bps", type=click.IntRange(0, 5_000), help="Set: fee on early termination.")
@click.option("--compensation-bps", type=click.IntRange(0, 10_000), help="Set: compensation on preemption.")
@click.option("--notice-epochs", type=click.IntRange(0), help="Set: notice owed before preemption.")
@click.option("--min-epochs", type=click.IntRange(1), help="Set: shortest lease and extension.")
@click.option("--max-epochs", type=click.IntRange(1), help="Set: longest lease.")
@write_options
def policy(
    asset_id: int,
    uptime_target_bps: int | None,
    termination_fee_bps: int | None,
    compensation_bps: int | None,
    notice_epochs: int | None,
    min_epochs: int | None,
    max_epochs: int | None,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Show ASSET_ID's lease policy; with any option, set it for leases opened from now on
    (operator or admin; other fields keep their values)."""
    client = _client(rpc, deployments)
    current = client.policy(asset_id)
    changes = {
        name: value
        for name, value in (
            ("uptime_target_bps", uptime_target_bps),
            ("termination_fee_bps", termination_fee_bps),
            ("compensation_bps", compensation_bps),
            ("notice_epochs", notice_epochs),
            ("min_epochs", min_epochs),
            ("max_epochs", max_epochs),
        )
        if value is not None
    }
    if changes:
        current = replace(current, **changes)
        client.set_policy(asset_id, current, _signer(keystore, from_address))
    if as_json:
        _echo_json({"asset_id": asset_id, **current.__dict__})
        return
    console.print(f"asset {asset_id} policy {'set' if changes else 'is'}: {_policy_text(current)}")


def _policy_text(p: LeasePolicy) -> str:
    return (
        f"SLA {_bps(p.uptime_target_bps)} uptime, termination fee {_bps(p.termination_fee_bps)}, "
        f"{p.notice_epochs} epoch(s) notice and {_bps(p.compensation_bps)} compensation on preemption, "
        f"leases of {p.min_epochs}..{p.max_epochs} epochs"
    )


@lease.command()
@click.argument("asset_id", type=click.IntRange(1))
@click.argument("accounts", type=ADDRESS, nargs=-1)
@click.option("--enable/--disable", "enabled", default=None, help="Switch the asset's lessee allow list on or off.")
@click.option("--remove", is_flag=True, help="Remove ACCOUNTS instead of adding them.")
@write_options
def allow(
    asset_id: int,
    accounts: tuple[str, ...],
    enabled: bool | None,
    remove: bool,
    rpc: str,
    deployments: Path | None,
    keystore: Path | None,
    from_address: str | None,
    as_json: bool,
) -> None:
    """Compliance: ASSET_ID's lessee allow list. Adds ACCOUNTS (or, with --remove, removes them),
    switches the list on or off, then shows whether it is on and whether ACCOUNTS may lease."""
    for account in accounts:
        if not Web3.is_address(account):
            raise click.BadParameter(f"not an address: {account!r}", param_hint="ACCOUNTS")
    client = _client(rpc, deployments)
    if enabled is not None or accounts:
        signer = _signer(keystore, from_address)
        if enabled is not None:
            client.set_lessee_allow_list(asset_id, enabled, signer)
        if accounts:
            client.set_lessee_allowed(asset_id, accounts, not remove, signer)
    on = client.lessee_allow_list_enabled(asset_id)
    allowed = {Web3.to_checksum_address(a): client.is_lessee_allowed(asset_id, a) for a in accounts}
    if as_json:
        _echo_json({"asset_id": asset_id, "enabled": on, "allowed": allowed})
        return
    console.print(f"asset {asset_id} lessee allow list is {'on' if on else 'off'}")
    for account, ok in allowed.items():
        console.print(f"  {account}: {'may' if ok else 'may not'} lease")
