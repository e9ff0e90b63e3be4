"""Plain helpers of the settlement tests (imported by tests/security/test_lease_attacks.py too):
the clock, settling, the waterfall a settlement ran, the oracle's report status, SLA arithmetic.

Anvil's clock follows the wall clock between warps, so `align` first moves it just past the
start of an epoch: a test then has nearly an hour before the epoch it computed with changes."""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from compute_rwa.tx import guard
from tests.unit.lease_manager.conftest import DAY, PRICE, epoch_end, warp_to
from tests.unit.metrics_oracle.conftest import events

#: One epoch of a 2-GPU lease at PRICE (2 dUSD per GPU-hour, one-hour epochs).
CHARGE = 2 * PRICE
#: The SLA target of the lease_manager POLICY.
TARGET = 9_900
#: MetricsOracle deployment parameters (OraclePlan defaults).
RESOLUTION_TIMEOUT = 7 * DAY
CHALLENGE_BOND = 100 * 10**6
#: LeaseStatus and ReportStatus values.
ACTIVE, TERMINATED, PREEMPTED, CLOSED = 1, 2, 3, 4
MISSING, VOIDED, DISPUTABLE, CHALLENGED, FINAL = 0, 1, 2, 3, 4
#: Waterfall of the `asset` fixture: 10% operator, 5% protocol, 5% reserve.
OPERATOR_BPS, PROTOCOL_BPS, RESERVE_BPS = 1_000, 500, 500
ZERO = "0x0000000000000000000000000000000000000000"


def now(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def align(w3: Web3, manager: Contract) -> int:
    """Moves the clock one minute into the next epoch; returns that epoch, now the current one
    (a lease opened now starts at the epoch after it)."""
    epoch = int(manager.functions.currentEpoch().call()) + 1
    warp_to(w3, int(manager.functions.epochStart(epoch).call()) + 60)
    return epoch


def settle(suite: Any, manager: Contract, lease_id: int, max_epochs: int, sender: str) -> tuple[int, TxReceipt]:
    """Settles; returns (epochs settled, as the call returns it just before, receipt)."""
    fn = manager.functions.settle(lease_id, max_epochs)
    settled = int(guard("LeaseManager", "settle", lambda: fn.call({"from": sender})))
    return settled, suite.sender.transact(manager.functions.settle(lease_id, max_epochs), sender, "LeaseManager")


def settle_many(
    suite: Any, manager: Contract, ids: list[int], max_each: int, sender: str
) -> tuple[list[int], TxReceipt]:
    fn = manager.functions.settleMany(ids, max_each)
    counts = [int(c) for c in guard("LeaseManager", "settleMany", lambda: fn.call({"from": sender}))]
    return counts, suite.sender.transact(manager.functions.settleMany(ids, max_each), sender, "LeaseManager")


def sla_credit(charge: int, uptime_bps: int, target_bps: int = TARGET) -> int:
    """The lease's SLA credit: ceil(charge x (target - uptime) / target), zero at or above target."""
    if uptime_bps >= target_bps:
        return 0
    return -(-charge * (target_bps - uptime_bps) // target_bps)


def waterfall(amount: int) -> tuple[int, int, int, int]:
    """(operator fee, protocol fee, reserve, holders) of `amount` (each fee rounds down)."""
    fees = tuple(amount * bps // 10_000 for bps in (OPERATOR_BPS, PROTOCOL_BPS, RESERVE_BPS))
    return (*fees, amount - sum(fees))  # type: ignore[return-value]


def distributions(share: Contract, receipt: TxReceipt) -> list[tuple[str, int, int, int, int, int]]:
    """(payer, amount, operator fee, protocol fee, reserve, holders) of each RevenueDistributed."""
    return [
        (e["payer"], e["amount"], e["operatorFee"], e["protocolFee"], e["toReserve"], e["toHolders"])
        for e in events(share, receipt, "RevenueDistributed")
    ]


def lease_events(manager: Contract, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
    return events(manager, receipt, name)


def report_status(oracle: Any, asset_id: int, epoch: int, block: int | str = "latest") -> tuple[int, int, int, int]:
    """(status, uptimeBps, updatedAt, finalAt) of MetricsOracle.reportStatus."""
    raw = oracle.contract.functions.reportStatus(asset_id, epoch).call(block_identifier=block)
    return tuple(int(v) for v in raw)  # type: ignore[return-value]


def deadline(manager: Contract, epoch: int) -> int:
    """Last second a report of `epoch` may be accepted and still count (epoch end + grace)."""
    return epoch_end(manager, epoch) + DAY


def balance(token: Contract, account: str) -> int:
    return int(token.functions.balanceOf(account).call())
