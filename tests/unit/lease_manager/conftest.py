"""LeaseManager test helpers: a leasable asset, a funded lessee, oracle reports of uptime for
lease epochs, and moving the chain's clock to where an epoch can be settled.

The plain functions are imported by the security, stateful and integration lease tests too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from compute_rwa.tx import contract_at
from tests.unit.metrics_oracle.conftest import events, make_report, submit_batch, view, warp_chain

HOUR = 3600
DAY = 24 * HOUR
REPORT_GRACE = DAY  # DeployPlan.lease_report_grace
DISPUTE_WINDOW = DAY  # OraclePlan.dispute_window
PRICE = 2_000_000  # 2.00 dUSD per GPU-hour (6 decimals)
MAX = 2**256 - 1
# Policy the `leasable` fixture sets: 99% SLA, 10% termination fee, 20% compensation,
# 2 epochs of notice, leases of 1 to 1,000 epochs.
POLICY = (9_900, 1_000, 2_000, 2, 1, 1_000)


@dataclass(frozen=True)
class Leasing:
    manager: Contract
    terms: Contract
    positions: Contract
    token: Contract
    asset_id: int
    share_token: Contract


def manager_contracts(suite: Any) -> tuple[Contract, Contract, Contract]:
    d = suite.deployment
    w3 = suite.w3
    return (
        contract_at(w3, "LeaseManager", d.lease_manager),
        contract_at(w3, "LeaseTerms", d.lease_terms),
        contract_at(w3, "LeasePositions", d.lease_positions),
    )


def configure_asset(
    suite: Any,
    asset_id: int,
    operator: str,
    price: int = PRICE,
    dynamic: bool = False,
    target_bps: int = 8_000,
    max_premium_bps: int = 5_000,
    policy: tuple[int, ...] = POLICY,
) -> None:
    _, terms, _ = manager_contracts(suite)
    suite.sender.transact(
        terms.functions.setPricing(asset_id, (price, dynamic, target_bps, max_premium_bps)), operator, "T"
    )
    suite.sender.transact(terms.functions.setPolicy(asset_id, policy), operator, "T")


def fund_and_approve(suite: Any, token: Contract, account: str, amount: int, spender: str, minter: str) -> None:
    suite.sender.transact(token.functions.mint(account, amount), minter, "Token")
    suite.sender.transact(token.functions.approve(spender, MAX), account, "Token")


def open_lease(
    manager: Contract,
    sender: Any,
    lessee: str,
    asset_id: int,
    gpus: int = 2,
    epochs: int = 10,
    start: int = 0,
    max_total: int = MAX,
    recipient: str | None = None,
    release_first: list[int] | None = None,
    predecessors: list[int] | None = None,
) -> tuple[int, TxReceipt]:
    """Opens a lease; returns (lease id, receipt)."""
    request = (asset_id, gpus, start, epochs, max_total, recipient or lessee)
    receipt = sender.transact(
        manager.functions.open(request, release_first or [], predecessors or []), lessee, "LeaseManager"
    )
    (opened,) = events(manager, receipt, "LeaseOpened")
    return int(opened["leaseId"]), receipt


def epoch_end(manager: Contract, epoch: int) -> int:
    return int(manager.functions.epochStart(epoch + 1).call())


def warp_to(w3: Web3, timestamp: int) -> int:
    """Moves the chain's clock to at least `timestamp` (never backwards)."""
    now = int(w3.eth.get_block("latest")["timestamp"])
    return warp_chain(w3, max(0, timestamp - now))


def report_uptime(
    oracle: Any, keys: Any, transmitter: str, asset_id: int, epochs: list[int], uptime_bps: int | list[int] = 10_000
) -> TxReceipt:
    """Signs and submits one report per epoch with the given uptime (3 of the 5 signers)."""
    uptimes = uptime_bps if isinstance(uptime_bps, list) else [uptime_bps] * len(epochs)
    reports = [make_report(asset_id, e, uptime_bps=u) for e, u in zip(epochs, uptimes, strict=True)]
    return submit_batch(oracle, reports, keys[:3], transmitter)


@pytest.fixture
def leasing(suite, asset, oracle, roles) -> Leasing:
    """The 8-GPU `asset` (6-decimal dUSD), priced at 2 dUSD per GPU-hour with POLICY, synced in
    the oracle, and roles.lessee funded with 1,000,000 dUSD and approved."""
    manager, terms, positions = manager_contracts(suite)
    configure_asset(suite, asset, roles.operator)
    oracle.sync_assets([asset], roles.outsider)
    token = suite.payment_token
    fund_and_approve(suite, token, roles.lessee, 10**12, manager.address, roles.admin)
    share = contract_at(suite.w3, "ShareToken", suite.registry.functions.shareTokenOf(asset).call())
    return Leasing(manager, terms, positions, token, asset, share)


@pytest.fixture
def lease_view(leasing) -> Callable[[int], dict[str, Any]]:
    """lease_view(id): the lease's LeaseView as a dict."""

    def read(lease_id: int) -> dict[str, Any]:
        names = [o["name"] for o in leasing.manager.functions.lease(lease_id).abi["outputs"][0]["components"]]
        return dict(zip(names, view(leasing.manager, "lease", lease_id), strict=True))

    return read
