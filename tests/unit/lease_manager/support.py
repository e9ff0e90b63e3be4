"""Helpers of the LeaseManager entry-point tests (quote, open, capacity, extend, terminate,
preempt, claim, positions): prices computed in Python independently of LeaseMath, lease reads,
clock moves, funding, pausing, statuses, allow lists and extra assets."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from itertools import pairwise
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from compute_rwa.tx import contract_at
from tests.unit.lease_manager.conftest import (
    MAX,
    POLICY,
    configure_asset,
    fund_and_approve,
    warp_to,
)
from tests.unit.metrics_oracle.conftest import events, view

BPS = 10_000
EPOCH_SECONDS = 3600
MAX_BATCH = 50
MAX_LEASE_EPOCHS = 87_600
ZERO = "0x0000000000000000000000000000000000000000"
# LeaseStatus
NONE, ACTIVE, TERMINATED, PREEMPTED, CLOSED = range(5)
# AssetStatus
MAINTENANCE, RETIRED = 1, 2
# POLICY (the `leasing` fixture): uptime target, termination fee, compensation, notice, min, max.
UPTIME_BPS, FEE_BPS, COMP_BPS, NOTICE, MIN_EPOCHS, MAX_EPOCHS = POLICY
# The suite's waterfall: asset operator fee (make_registration), protocol fee, reserve.
OPERATOR_FEE_BPS, PROTOCOL_FEE_BPS, RESERVE_BPS = 1_000, 500, 500

# ------------------------------------------------------------------ prices


def curve(base: int, target_bps: int, premium_bps: int, u: Fraction) -> Fraction:
    """docs/leasing.md: price(u) = base x (1 + maxPremium x max(0, u - target) / (1 - target))."""
    target = Fraction(target_bps, BPS)
    if target == 1:
        return Fraction(base)
    return base * (1 + Fraction(premium_bps, BPS) * max(Fraction(0), u - target) / (1 - target))


def mean_price(
    base: int, target_bps: int, premium_bps: int, gpu_count: int, booked0: int, booked1: int, dynamic: bool = True
) -> int:
    """The curve's mean over booked utilization [booked0, booked1] / gpu_count (its point value
    when they are equal), rounded up. Integrates the piecewise-linear curve exactly with
    trapezoids split at the kink, rather than LeaseMath's closed form."""
    if not dynamic:
        return base
    u0, u1 = Fraction(booked0, gpu_count), Fraction(booked1, gpu_count)
    if u0 == u1:
        return math.ceil(curve(base, target_bps, premium_bps, u0))
    kink = Fraction(target_bps, BPS)
    points = sorted({u0, u1} | ({kink} if u0 < kink < u1 else set()))
    area = sum(
        (b - a) * (curve(base, target_bps, premium_bps, a) + curve(base, target_bps, premium_bps, b)) / 2
        for a, b in pairwise(points)
    )
    return math.ceil(area / (u1 - u0))


def lease_total(gpus: int, price: int, epochs: int, epoch_seconds: int = EPOCH_SECONDS) -> int:
    """epochs x floor(gpus x price x epochSeconds / 3600)."""
    return epochs * (gpus * price * epoch_seconds // 3600)


def waterfall(amount: int) -> dict[str, int]:
    """What RevenueDistributed reports for `amount` paid into the asset's waterfall."""
    operator, protocol, reserve = (amount * bps // BPS for bps in (OPERATOR_FEE_BPS, PROTOCOL_FEE_BPS, RESERVE_BPS))
    return {
        "amount": amount,
        "operatorFee": operator,
        "protocolFee": protocol,
        "toReserve": reserve,
        "toHolders": amount - operator - protocol - reserve,
    }


# ------------------------------------------------------------------- reads


def lease_of(manager: Contract, lease_id: int) -> dict[str, Any]:
    """The lease's LeaseView as a dict."""
    names = [o["name"] for o in manager.functions.lease(lease_id).abi["outputs"][0]["components"]]
    return dict(zip(names, view(manager, "lease", lease_id), strict=True))


def booked(manager: Contract, asset_id: int) -> int:
    return int(manager.functions.capacityOf(asset_id).call()[0])


def current_epoch(manager: Contract) -> int:
    return int(manager.functions.currentEpoch().call())


def epoch_start(manager: Contract, epoch: int) -> int:
    return int(manager.functions.epochStart(epoch).call())


def balance(token: Contract, account: str) -> int:
    return int(token.functions.balanceOf(account).call())


def one(contract: Contract, receipt: TxReceipt, name: str) -> dict[str, Any]:
    """The single `name` event `contract` emitted in the transaction."""
    (event,) = events(contract, receipt, name)
    return event


# ------------------------------------------------------------------- clock


def align(w3: Web3, manager: Contract) -> int:
    """Moves to the first seconds of the next epoch (an hour before the next boundary, so that
    a test never straddles one by accident); returns that epoch."""
    epoch = current_epoch(manager) + 1
    warp_to(w3, epoch_start(manager, epoch) + 1)
    assert current_epoch(manager) == epoch
    return epoch


def warp_into(w3: Web3, manager: Contract, epoch: int, offset: int = 1) -> None:
    """Moves into `epoch` (`offset` seconds after it starts)."""
    warp_to(w3, epoch_start(manager, epoch) + offset)
    assert current_epoch(manager) == epoch


# ------------------------------------------------------- transactions


def send(suite: Any, fn: Any, sender: str) -> TxReceipt:
    return suite.sender.transact(fn, sender, "LeaseManager")


def open_request(
    asset_id: int, gpus: int, epochs: int, start: int = 0, max_total: int = MAX, recipient: str = ZERO
) -> tuple[Any, ...]:
    return (asset_id, gpus, start, epochs, max_total, recipient)


def try_open(suite: Any, manager: Contract, payer: str, request: tuple[Any, ...], release=(), predecessors=()):
    """Sends open(request, releaseFirst, predecessors) from `payer` (for reverts)."""
    return send(suite, manager.functions.open(request, list(release), list(predecessors)), payer)


def fund(suite: Any, token: Contract, account: str, spender: str, minter: str, amount: int = 10**30) -> None:
    """Mints `amount` to `account`, which approves `spender` for everything."""
    fund_and_approve(suite, token, account, amount, spender, minter)


def pause_registry(suite: Any, roles: Any) -> None:
    suite.sender.transact(suite.registry.functions.pause(), roles.pauser, "AssetRegistry")


def set_asset_status(suite: Any, asset_id: int, status: int, operator: str) -> None:
    suite.sender.transact(suite.registry.functions.setAssetStatus(asset_id, status), operator, "AssetRegistry")


def allow_list(suite: Any, terms: Contract, asset_id: int, compliance: str, allowed: Iterable[str] = ()) -> None:
    """Switches the asset's lessee allow list on and allows `allowed`."""
    suite.sender.transact(terms.functions.setLesseeAllowListEnabled(asset_id, True), compliance, "LeaseTerms")
    accounts = list(allowed)
    if accounts:
        suite.sender.transact(terms.functions.setLesseeAllowed(asset_id, accounts, True), compliance, "LeaseTerms")


def new_asset(
    suite: Any, make_registration: Any, roles: Any, token: Contract | None = None, configure: bool = True, **pricing
) -> tuple[int, Contract]:
    """Registers another asset of roles.operator (8 GPUs, the suite's token unless `token`),
    configured with configure_asset(**pricing) unless `configure` is false. Returns its id and
    share token."""
    overrides = {} if token is None else {"payment_token": token.address}
    asset_id, share = suite.register_asset(make_registration(**overrides), roles.operator)
    if configure:
        configure_asset(suite, asset_id, roles.operator, **pricing)
    return asset_id, contract_at(suite.w3, "ShareToken", share)
