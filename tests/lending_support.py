"""Shared set-up for the lending tests (valuation, markets, Morpho peer, campaign, bench-like
flows): an asset with a revenue and utilization history whose valuation is Ok, and markets on it.

Plain functions, so that unit, integration, security and stateful tests can all import them.
The numbers are chosen so both legs are easy to check by hand:
- hardware: 25,000 dUSD per share bought 180 days ago, 4-year life, 10% salvage;
- income: REVENUE_PER_WEEK dUSD paid to holders each week, 20% cap rate, 80% utilization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from compute_rwa.tx import contract_at
from tests.unit.metrics_oracle.conftest import make_report, submit_batch, warp_chain

HOUR = 3600
DAY = 24 * HOUR
YEAR = 365 * DAY
WAD = 10**18
DUSD = 10**6  # the suite's 6-decimal payment token

PURCHASE_VALUE = 25_000 * DUSD
PURCHASE_AGE = 180 * DAY
USEFUL_LIFE = 4 * YEAR
SALVAGE_BPS = 1_000
CAP_RATE_BPS = 2_000
UTILIZATION_WINDOW = 24
REVENUE_WINDOW = 7 * DAY
MAX_METRICS_AGE = 6 * HOUR
MAX_PRICE_AGE = DAY
MIN_PRICE = 1
MAX_PRICE = 10**6 * DUSD

LLTV = 8 * WAD // 10
#: Kinked curve: 0% base, +4%/year up to 80% utilization, +100%/year above it (per second).
RATE_MODEL = (0, 4 * WAD // 100 // YEAR, WAD // YEAR, 8 * WAD // 10)
MIN_BORROW = 100 * DUSD


def valuation_config(now: int, **overrides: int) -> tuple[int, ...]:
    """A ValuationConfig tuple (field order of the struct) with the defaults above."""
    fields: dict[str, int] = {
        "purchaseValue": PURCHASE_VALUE,
        "purchasedAt": now - PURCHASE_AGE,
        "usefulLife": USEFUL_LIFE,
        "salvageBps": SALVAGE_BPS,
        "capRateBps": CAP_RATE_BPS,
        "utilizationWindow": UTILIZATION_WINDOW,
        "revenueWindow": REVENUE_WINDOW,
        "maxMetricsAge": MAX_METRICS_AGE,
        "maxPriceAge": MAX_PRICE_AGE,
        "minPrice": MIN_PRICE,
        "maxPrice": MAX_PRICE,
    }
    fields.update(overrides)
    order = (
        "purchaseValue", "purchasedAt", "usefulLife", "salvageBps", "capRateBps", "utilizationWindow",
        "revenueWindow", "maxMetricsAge", "maxPriceAge", "minPrice", "maxPrice",
    )  # fmt: skip
    return tuple(fields[name] for name in order)


def now_of(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def valuator_of(suite: Any) -> Contract:
    return contract_at(suite.w3, "ShareValuator", suite.deployment.valuator)


def factory_of(suite: Any) -> Contract:
    return contract_at(suite.w3, "MarketFactory", suite.deployment.market_factory)


def share_token_of(suite: Any, asset_id: int) -> Contract:
    return contract_at(suite.w3, "ShareToken", suite.registry.functions.shareTokenOf(asset_id).call())


def current_epoch(suite: Any) -> int:
    oracle = contract_at(suite.w3, "MetricsOracle", suite.deployment.oracle)
    return int(oracle.functions.epochAt(now_of(suite.w3)).call())


def report_utilization(
    oracle: Any, keys: Any, transmitter: str, asset_id: int, utilization_bps: int = 8_000, epochs: int = 24
) -> TxReceipt:
    """Reports the `epochs` ended epochs before the current one, all at `utilization_bps`."""
    suite_oracle = contract_at(oracle.w3, "MetricsOracle", oracle.address)
    now_epoch = int(suite_oracle.functions.epochAt(now_of(oracle.w3)).call())
    wanted = list(range(now_epoch - epochs, now_epoch))
    latest = suite_oracle.functions.latestEpoch(asset_id).call()
    if latest[0]:
        wanted = [e for e in wanted if e > latest[1]]  # the oracle takes epochs in order
    reports = [make_report(asset_id, e, utilization_bps=utilization_bps) for e in wanted]
    return submit_batch(oracle, reports, keys[:3], transmitter)


def distribute(suite: Any, asset_id: int, amount: int, payer: str, minter: str) -> None:
    """Pays `amount` dUSD of revenue into the asset's waterfall (payer is funded first)."""
    token = suite.payment_token
    share = share_token_of(suite, asset_id)
    suite.sender.transact(token.functions.mint(payer, amount), minter, "Token")
    suite.sender.transact(token.functions.approve(share.address, amount), payer, "Token")
    suite.sender.transact(share.functions.distribute(amount), payer, "ShareToken")


@dataclass(frozen=True)
class ValuedAsset:
    asset_id: int
    share: Contract
    valuator: Contract
    feed: Contract  # SharePriceFeed (AggregatorV3 and Morpho IOracle)


def value_asset(
    suite: Any,
    oracle: Any,
    keys: Any,
    roles: Any,
    asset_id: int,
    weekly_revenue: int = 2_000 * DUSD,
    utilization_bps: int = 8_000,
    **config: int,
) -> ValuedAsset:
    """Configures the asset's valuation, builds a week of revenue and a day of utilization
    reports, and stores an Ok valuation. The chain's clock moves forward REVENUE_WINDOW."""
    w3 = suite.w3
    valuator = valuator_of(suite)
    oracle.sync_assets([asset_id], roles.outsider)
    suite.sender.transact(
        valuator.functions.configure(asset_id, valuation_config(now_of(w3), **config)), roles.admin, "ShareValuator"
    )
    suite.sender.transact(valuator.functions.update(asset_id), roles.outsider, "ShareValuator")  # first checkpoint
    distribute(suite, asset_id, weekly_revenue, roles.lessee, roles.admin)
    warp_chain(w3, config.get("revenueWindow", REVENUE_WINDOW))
    report_utilization(oracle, keys, roles.outsider, asset_id, utilization_bps)
    suite.sender.transact(valuator.functions.update(asset_id), roles.outsider, "ShareValuator")
    feed = contract_at(w3, "SharePriceFeed", valuator.functions.feedOf(asset_id).call())
    return ValuedAsset(asset_id, share_token_of(suite, asset_id), valuator, feed)


def create_market(
    suite: Any,
    share: str,
    oracle_address: str,
    creator: str,
    loan_token: str | None = None,
    lltv: int = LLTV,
    rate_model: tuple[int, int, int, int] = RATE_MODEL,
    min_borrow: int = MIN_BORROW,
) -> Contract:
    """A LendingMarket from the suite's factory (loan token: the suite's dUSD by default)."""
    factory = factory_of(suite)
    config = (share, loan_token or suite.deployment.payment_token, oracle_address, lltv, rate_model, min_borrow)
    receipt = suite.sender.transact(factory.functions.createMarket(config), creator, "MarketFactory")
    (event,) = factory.events.MarketCreated().process_receipt(receipt)
    return contract_at(suite.w3, "LendingMarket", event["args"]["market"])
