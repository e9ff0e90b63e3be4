"""ShareValuator and SharePriceFeed test helpers: transactions and reads at pinned block times,
revenue paid in the asset's own payment token, utilization reports with gaps, and a Python model
of the valuation (the contract's integer arithmetic, step by step).

anvil's clock follows the wall clock, so every figure checked exactly is computed at a block
time the test sets itself (`at` for the next transaction, `mine_at` for reads at "latest")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from compute_rwa.tx import contract_at
from tests.lending_support import YEAR, now_of, share_token_of, valuation_config, valuator_of
from tests.unit.metrics_oracle import conftest as oracle_fixtures
from tests.unit.metrics_oracle.conftest import make_report, submit_batch

# The metrics_oracle helpers' fixtures, made visible to the tests of this folder.
challenger = oracle_fixtures.challenger
void = oracle_fixtures.void

ZERO = "0x0000000000000000000000000000000000000000"
BPS = 10_000
CHECKPOINTS = 32
CHECKPOINTS_PER_WINDOW = 8
MAX_USEFUL_LIFE = 20 * YEAR
MAX_REVENUE_WINDOW = YEAR
RING_SIZE = 168  # the oracle's
FIELDS = (
    "purchaseValue", "purchasedAt", "usefulLife", "salvageBps", "capRateBps", "utilizationWindow",
    "revenueWindow", "maxMetricsAge", "maxPriceAge", "minPrice", "maxPrice",
)  # fmt: skip


class Status(IntEnum):
    NONE = 0
    OK = 1
    HISTORY_TOO_SHORT = 2
    NO_METRICS = 3
    METRICS_STALE = 4
    ZERO = 5
    OUT_OF_BOUNDS = 6


# --- clock -------------------------------------------------------------------------------------


def _next_block_at(w3: Web3, timestamp: int) -> None:
    answer = w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])  # type: ignore[arg-type]
    assert "error" not in answer, answer  # a time before the latest block


def mine_at(w3: Web3, timestamp: int) -> int:
    """Mines an empty block at `timestamp`: reads at "latest" then see that block.timestamp."""
    _next_block_at(w3, timestamp)
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert now_of(w3) == timestamp
    return timestamp


def at(w3: Web3, timestamp: int) -> None:
    """The next transaction runs at exactly `timestamp`, its gas estimate too (the latest block
    is mined at that time first; anvil accepts equal timestamps)."""
    mine_at(w3, timestamp)
    _next_block_at(w3, timestamp)


def block_time(w3: Web3, receipt: TxReceipt) -> int:
    return int(w3.eth.get_block(receipt["blockNumber"])["timestamp"])


# --- the valuation model -----------------------------------------------------------------------


def cfg(config: tuple[int, ...]) -> dict[str, int]:
    """A ValuationConfig tuple as a dict by field name."""
    return dict(zip(FIELDS, config, strict=True))


def hardware_value(config: tuple[int, ...], now: int) -> int:
    c = cfg(config)
    age = now - c["purchasedAt"]
    salvage = c["purchaseValue"] * c["salvageBps"] // BPS
    if age >= c["usefulLife"]:
        return salvage
    return salvage + (c["purchaseValue"] - salvage) * (c["usefulLife"] - age) // c["usefulLife"]


def utilization_bps(valid: Mapping[int, int], latest: int, window: int) -> int:
    """Trailing mean over the `window` epochs ending at `latest`, missing or voided ones as 0
    (the oracle's mean of the valid reports, times their count, over the window)."""
    values = [valid[e] for e in range(max(latest + 1 - window, 0), latest + 1) if e in valid]
    if not values:
        return 0
    return sum(values) // len(values) * len(values) // window


def annual_income(earned: int, elapsed: int) -> int:
    return earned * YEAR // elapsed


def income_value(annual: int, utilization: int, config: tuple[int, ...]) -> int:
    return annual * utilization // cfg(config)["capRateBps"]


def window_start(checkpoints: list[tuple[int, int]], cutoff: int) -> tuple[int, int] | None:
    """The newest of the last CHECKPOINTS checkpoints at or before `cutoff`."""
    held = [cp for cp in checkpoints[-CHECKPOINTS:] if cp[0] <= cutoff]
    return held[-1] if held else None


# --- transactions and reads --------------------------------------------------------------------


def send(suite: Any, fn: Any, sender: str) -> TxReceipt:
    return suite.sender.transact(fn, sender, "ShareValuator")


def logs(contract: Contract, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
    """Arguments of each `name` event of `contract` in the transaction (structs as tuples)."""
    out = []
    for event in contract.events[name]().process_receipt(receipt):
        args = dict(event["args"])
        for key, value in args.items():
            if isinstance(value, Mapping):
                args[key] = tuple(value.values())
        out.append(args)
    return out


@pytest.fixture
def valuator(suite) -> Contract:
    return valuator_of(suite)


@pytest.fixture
def configure(suite, valuator, roles, w3) -> Callable[..., tuple[tuple[int, ...], TxReceipt]]:
    """configure(asset_id, when=None, sender=admin, **fields): sends configure (at block time
    `when` if given; purchasedAt defaults to 180 days before it); returns (config, receipt)."""

    def run(
        asset_id: int, when: int | None = None, sender: str | None = None, **fields: int
    ) -> tuple[tuple[int, ...], TxReceipt]:
        now = now_of(w3) if when is None else when
        config = valuation_config(now, **fields)
        if when is not None:
            at(w3, when)
        return config, send(suite, valuator.functions.configure(asset_id, config), sender or roles.admin)

    return run


@pytest.fixture
def update(suite, valuator, roles, w3) -> Callable[..., TxReceipt]:
    """update(asset_id, when=None, sender=outsider): sends update, at block time `when` if given."""

    def run(asset_id: int, when: int | None = None, sender: str | None = None) -> TxReceipt:
        if when is not None:
            at(w3, when)
        return send(suite, valuator.functions.update(asset_id), sender or roles.outsider)

    return run


@pytest.fixture
def pay(suite, roles) -> Callable[..., int]:
    """pay(asset_id, amount, payer=lessee, when=None): mints the asset's payment token to `payer`
    and distributes it as revenue (anyone may), all at block time `when` if given; returns the
    share token's revenuePerShareE18 after."""

    def run(asset_id: int, amount: int, payer: str | None = None, when: int | None = None) -> int:
        payer = payer or roles.lessee
        share = share_token_of(suite, asset_id)
        token = contract_at(suite.w3, "MockStablecoin", share.functions.paymentToken().call())
        for fn, label in (
            (token.functions.mint(payer, amount), "Token"),
            (token.functions.approve(share.address, amount), "Token"),
            (share.functions.distribute(amount), "ShareToken"),
        ):
            if when is not None:
                at(suite.w3, when)
            suite.sender.transact(fn, payer, label)
        return int(share.functions.revenuePerShareE18().call())

    return run


@pytest.fixture
def oracle_contract(suite) -> Contract:
    return contract_at(suite.w3, "MetricsOracle", suite.deployment.oracle)


@pytest.fixture
def epoch_now(oracle_contract, w3) -> Callable[[], int]:
    """The current (unfinished) oracle epoch on the chain's clock."""
    return lambda: int(oracle_contract.functions.epochAt(now_of(w3)).call())


@pytest.fixture
def report(oracle, oracle_setup, roles) -> Callable[[int, Mapping[int, int]], TxReceipt]:
    """report(asset_id, {epoch: utilizationBps}): one signed batch, epochs in order."""

    def run(asset_id: int, utilizations: Mapping[int, int]) -> TxReceipt:
        reports = [make_report(asset_id, e, utilization_bps=u) for e, u in sorted(utilizations.items())]
        return submit_batch(oracle, reports, oracle_setup.keys[:3], roles.outsider)

    return run


@pytest.fixture
def synced(oracle, asset, roles) -> int:
    """The `asset` fixture, its attestation loaded into the oracle (reports accepted)."""
    oracle.sync_assets([asset], roles.outsider)
    return asset


@pytest.fixture
def new_asset(suite, make_registration, oracle, roles) -> Callable[..., int]:
    """new_asset(token=None): a registered asset paying in `token` (dUSD by default), synced."""

    def run(token: Contract | None = None) -> int:
        registration = make_registration(**({} if token is None else {"payment_token": token.address}))
        asset_id, _ = suite.register_asset(registration, roles.operator)
        oracle.sync_assets([asset_id], roles.outsider)
        return asset_id

    return run


@dataclass(frozen=True)
class Valued:
    """An asset with an Ok valuation stored by `valued`, and what went into it."""

    asset_id: int
    config: tuple[int, ...]
    share: Contract
    feed: Contract
    start: tuple[int, int]  # the first checkpoint: (timestamp, revenuePerShareE18)
    updated_at: int
    latest_epoch: int
    utilizations: dict[int, int]
    receipt: TxReceipt


@pytest.fixture
def valued(suite, w3, oracle, roles, valuator, configure, update, pay, report, epoch_now) -> Callable[..., Valued]:
    """valued(asset_id, revenue, utilization=8_000, **fields): configures the asset, checkpoints,
    pays `revenue`, lets one revenue window pass, reports the last 24 epochs at `utilization`
    (none if None) and updates 60 s later (status Ok unless the figures say otherwise)."""

    def run(asset_id: int, revenue: int, utilization: int | None = 8_000, **fields: int) -> Valued:
        oracle.sync_assets([asset_id], roles.outsider)
        t0 = now_of(w3) + 1
        config, _ = configure(asset_id, t0, **fields)
        first = update(asset_id, t0 + 1)
        start = (t0 + 1, int(logs(valuator, first, "RevenueCheckpointed")[0]["revenuePerShareE18"]))
        if revenue:
            pay(asset_id, revenue)
        t1 = t0 + 1 + cfg(config)["revenueWindow"]
        mine_at(w3, t1)
        latest = epoch_now() - 1
        utilizations = {} if utilization is None else {e: utilization for e in range(latest - 23, latest + 1)}
        if utilizations:
            report(asset_id, utilizations)
        receipt = update(asset_id, t1 + 60)
        feed = contract_at(w3, "SharePriceFeed", valuator.functions.feedOf(asset_id).call())
        share = share_token_of(suite, asset_id)
        return Valued(asset_id, config, share, feed, start, t1 + 60, latest, utilizations, receipt)

    return run


def expected_legs(v: Valued, now: int, rps_now: int) -> tuple[int, int, int, int, int]:
    """(hardwareValue, incomeValue, annualIncome, utilizationBps, windowSeconds) of `v` at
    `now`, the window starting at its first checkpoint."""
    elapsed = now - v.start[0]
    annual = annual_income(rps_now - v.start[1], elapsed)
    utilization = utilization_bps(v.utilizations, v.latest_epoch, cfg(v.config)["utilizationWindow"])
    income = income_value(annual, utilization, v.config)
    return hardware_value(v.config, now), income, annual, utilization, elapsed
