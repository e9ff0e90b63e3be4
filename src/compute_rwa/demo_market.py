"""The demo's lending chapter. Before the leasing chapter the admin sets the valuation of one
H800 node (`start_valuation`: the first revenue checkpoint); afterwards (`run_lending_chapter`)
the day of lease revenue the node earned becomes its income leg, the trace is replayed onto the
latest hours so the oracle's utilization is fresh, and the share gets an on-chain price. A lender
fills a market, the fleet owner borrows against four shares, and then the node's lessees leave:
hour by hour the feeder reports idle GPUs, the keeper re-values the share, and once the position
is unhealthy the keeper liquidates it."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from eth_typing import ChecksumAddress
from rich.console import Console
from rich.table import Table
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from compute_rwa.client import SuiteClient
from compute_rwa.demo_oracle import DEMO_SIGNER_KEYS, H800_POWER, REPLAYED_EPOCHS, replay_trace
from compute_rwa.fleet import GpuNode
from compute_rwa.market import Keeper, MarketClient, ValuationClient
from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.feeder import Feeder
from compute_rwa.oracle.outbox import Outbox
from compute_rwa.oracle.quorum import LocalQuorum
from compute_rwa.oracle.submitter import Submitter
from compute_rwa.telemetry.aggregate import AssetInventory
from compute_rwa.telemetry.simulator import SimulatedFleet
from compute_rwa.tx import contract_at

USD = 10**6
WAD = 10**18
SHARE = 10**18
HOUR = 3600
YEAR = 365 * 24 * HOUR
STATUS = ("None", "Ok", "HistoryTooShort", "NoMetrics", "MetricsStale", "Zero", "OutOfBounds")
#: The H800 node's valuation: $30,000 per GPU bought a year ago, 4-year life, 10% salvage; income
#: capitalized at 20%; a 12-hour revenue window and 12 epochs of utilization (the demo's clock is
#: short; a real deployment would use 30 days and a week); prices usable for an hour.
PURCHASE_VALUE = 30_000 * USD
PURCHASE_AGE = YEAR
USEFUL_LIFE = 4 * YEAR
SALVAGE_BPS, CAP_RATE_BPS = 1_000, 2_000
UTILIZATION_WINDOW = 12
REVENUE_WINDOW = 12 * HOUR
MAX_METRICS_AGE, MAX_PRICE_AGE = 3 * HOUR, HOUR
MIN_PRICE, MAX_PRICE = 50 * USD, 100_000 * USD
#: The market: LLTV 80%; 0% base rate, +4%/year up to 80% utilization, +100%/year above.
LLTV = 8 * WAD // 10
RATE_MODEL = (0, 4 * WAD // 100 // YEAR, WAD // YEAR, 8 * WAD // 10)
MIN_BORROW = 100 * USD
DEPOSIT = 20_000 * USD
IDLE_UTILIZATION_BPS = 50  # the lessees are gone: 0.5% of GPU time busy


def usd(amount: int) -> str:
    return f"${amount / USD:,.2f}"


def start_valuation(
    console: Console, suite: SuiteClient, asset_id: int, *, admin: ChecksumAddress, keeper: ChecksumAddress
) -> None:
    """The admin sets the asset's valuation; the first update only checkpoints the revenue."""
    valuator = _valuator(suite)
    now = _now(suite.w3)
    config = (
        PURCHASE_VALUE, now - PURCHASE_AGE, USEFUL_LIFE, SALVAGE_BPS, CAP_RATE_BPS, UTILIZATION_WINDOW,
        REVENUE_WINDOW, MAX_METRICS_AGE, MAX_PRICE_AGE, MIN_PRICE, MAX_PRICE,
    )  # fmt: skip
    suite.sender.transact(valuator.functions.configure(asset_id, config), admin, "ShareValuator")
    suite.sender.transact(valuator.functions.update(asset_id), keeper, "ShareValuator")
    status = STATUS[valuator.functions.valuationOf(asset_id).call()[3]]
    console.print(
        f"\n[bold]Valuation of asset {asset_id} set before it is leased[/bold]: $30,000 per GPU a year ago, 4-year "
        f"life, 10% salvage, 20% cap rate; the first update checkpoints its revenue -> status {status}"
    )


def run_lending_chapter(
    console: Console,
    suite: SuiteClient,
    oracle: OracleClient,
    nodes: Sequence[tuple[int, GpuNode]],
    *,
    asset_id: int,
    admin: ChecksumAddress,
    borrower: ChecksumAddress,
    lender: ChecksumAddress,
    keeper: ChecksumAddress,
) -> dict[str, int]:
    """Prices asset `asset_id` (one of `nodes`), lends against it, crashes its utilization and
    liquidates the loan; returns counts for the demo's checks."""
    w3 = suite.w3
    token = suite.payment_token
    valuator = _valuator(suite)
    console.print("\n[bold]Lending: borrowing dUSD against GPU shares[/bold]")

    # Fresh metrics: the trace's day replayed onto the latest ended hours of both nodes.
    latest = oracle.latest_epoch(asset_id)
    assert latest is not None
    first = max(latest + 1, oracle.epoch_at(_now(w3)) - REPLAYED_EPOCHS)
    replay_trace(console, suite, oracle, nodes, admin=admin, first_epoch=first)
    suite.sender.transact(valuator.functions.update(asset_id), keeper, "ShareValuator")
    _valuation_table(console, valuator, asset_id, "Share valuation after a day of leases (ShareValuator.preview)")
    feed = contract_at(w3, "SharePriceFeed", valuator.functions.feedOf(asset_id).call())
    round_data = feed.functions.latestRoundData().call()
    console.print(
        f"  feed {feed.address}: Chainlink latestRoundData answer {round_data[1] / USD:,.2f} (round {round_data[0]});"
        f" Morpho IOracle price() {feed.functions.price().call():.3e}"
    )

    share = suite.share_token(asset_id)
    factory = contract_at(w3, "MarketFactory", suite.deployment.market_factory or "")
    config = (share.address, token.address, feed.address, LLTV, RATE_MODEL, MIN_BORROW)
    receipt = suite.sender.transact(factory.functions.createMarket(config), admin, "MarketFactory")
    (created,) = factory.events.MarketCreated().process_receipt(receipt, errors=DISCARD)
    market = contract_at(w3, "LendingMarket", created["args"]["market"])
    console.print(
        f"  market {market.functions.symbol().call()} at {market.address}: LLTV 80%, liquidation incentive "
        f"{(market.functions.liquidationIncentive().call() - WAD) / WAD:.2%}, min borrow {usd(MIN_BORROW)}"
    )

    suite.sender.transact(token.functions.mint(lender, DEPOSIT), admin, "USD")
    suite.sender.transact(token.functions.approve(market.address, 2**256 - 1), lender, "USD")
    suite.sender.transact(market.functions.deposit(DEPOSIT, lender), lender, "LendingMarket")
    vault_shares = market.functions.balanceOf(lender).call()
    console.print(f"  a lender deposits {usd(DEPOSIT)} into the ERC-4626 vault: {vault_shares:,} vault shares")

    posted = 4 * SHARE
    suite.sender.transact(share.functions.approve(market.address, posted), borrower, "ShareToken")
    suite.sender.transact(market.functions.supplyCollateral(posted, borrower), borrower, "LendingMarket")
    max_debt = market.functions.maxDebtOf(borrower).call()
    loan = max_debt * 55 // 100 // USD * USD
    suite.sender.transact(market.functions.borrow(loan, borrower), borrower, "LendingMarket")
    console.print(
        f"  the fleet owner posts 4 shares (4 GPUs) and borrows {usd(loan)} (55% of the {usd(max_debt)} the shares "
        f"carry at LLTV): health factor {_health(market, borrower):.3f}"
    )

    console.print(f"\n[bold]The lessees of asset {asset_id} leave: its GPUs idle, hour after hour[/bold]")
    idle = _IdleFeeder(suite, oracle, dict(nodes)[asset_id], asset_id, admin)
    rows = Table(title="Keeper, every hour: re-value the share, check the loan")
    for column in ("epoch", "utilization (12 h)", "hardware", "income", "price", "debt", "health"):
        rows.add_column(column, justify="right")
    epoch = oracle.latest_epoch(asset_id) or 0
    for _ in range(UTILIZATION_WINDOW):
        epoch += 1
        _warp_to(w3, oracle.epoch_start(epoch + 1) + 60)
        idle.report(epoch)
        suite.sender.transact(valuator.functions.update(asset_id), keeper, "ShareValuator")
        status, price, legs = valuator.functions.preview(asset_id).call()
        health = _health(market, borrower)
        rows.add_row(
            str(epoch), f"{legs[3] / 100:.2f}%", usd(legs[0]), usd(legs[1]), usd(price),
            usd(market.functions.debtOf(borrower).call()), f"{health:.3f}",
        )  # fmt: skip
        if health < 1:
            break
    console.print(rows)
    if _health(market, borrower) >= 1:
        raise SystemExit("the utilization crash never made the loan unhealthy")
    # The keeper bot (`compute-rwa market keep`): refresh the price, find the unhealthy
    # position, plan the liquidation that leaves it healthy, debt-free or written off, send it.
    suite.sender.transact(token.functions.mint(keeper, 10 * loan), admin, "USD")
    bot = Keeper(
        [MarketClient(w3, market.address, suite.sender)],
        keeper,
        valuation=ValuationClient(w3, suite.deployment, suite.sender),
    )
    report = bot.run_once()
    if not report.ok or len(report.liquidations) != 1:
        raise SystemExit(f"the keeper did not liquidate: {report.to_json()}")
    (done,) = report.liquidations
    seized, repaid, bad_debt = done.seized_collateral, done.repaid_assets, done.bad_debt_assets
    console.print(
        f"  [bold]keeper[/bold]: {report.positions_checked} position(s) checked, {report.unhealthy} unhealthy;"
        f" liquidated ({done.mode.value}): repaid {usd(repaid)}, received {seized / SHARE:.4f} shares"
        f" (incentive included), tx {done.tx_hash[:12]}…"
    )
    collateral = market.functions.positionOf(borrower).call()[1]
    total_assets = market.functions.totalAssets().call()
    console.print(
        f"  after liquidation: the fleet owner keeps {collateral / SHARE:.4f} shares posted with "
        f"{usd(market.functions.debtOf(borrower).call())} of debt ({_health_text(market, borrower)}); "
        f"bad debt written off: {usd(bad_debt)}; the lender's vault holds {usd(total_assets)} "
        f"(${(total_assets - DEPOSIT) / USD:,.4f} of it interest)"
    )
    return {"loans": 1, "liquidations": 1, "seized_shares_milli": seized * 1000 // SHARE, "repaid": repaid}


class _IdleFeeder:
    """The operator's feeder keeps running on the node: the real aggregation, signing and
    submission path, fed by a simulated fleet whose GPUs sit idle."""

    def __init__(
        self, suite: SuiteClient, oracle: OracleClient, node: GpuNode, asset_id: int, admin: ChecksumAddress
    ) -> None:
        self.oracle = oracle
        inventory = AssetInventory(asset_id, node.gpu_uuids, suite.asset(asset_id).rated_tflops)
        self.fleet = SimulatedFleet(
            node.gpu_uuids, sample_interval=60, start_at=oracle.genesis, seed=7, power_model=H800_POWER,
            base_utilization_bps=IDLE_UTILIZATION_BPS, diurnal_amplitude_bps=0, gpu_spread_bps=200, noise_bps=100,
        )  # fmt: skip
        outbox = Outbox(Path(tempfile.mkdtemp(prefix="compute-rwa-idle-")) / "outbox.sqlite")
        submitter = Submitter(oracle, outbox, LocalQuorum(DEMO_SIGNER_KEYS), admin, echo=lambda _: None)
        self.feeder = Feeder(oracle, outbox, submitter, [inventory], sample_interval=60, echo=lambda _: None)

    def report(self, epoch: int) -> None:
        start = self.oracle.epoch_start(epoch)
        samples = self.fleet.samples_between(start, start + self.oracle.epoch_seconds)
        self.feeder.replay(samples, [epoch])


def _valuation_table(console: Console, valuator: Contract, asset_id: int, title: str) -> None:
    status, price, legs = valuator.functions.preview(asset_id).call()
    table = Table(title=title)
    for column in ("leg", "value per share", "from"):
        table.add_column(column)
    table.add_row("hardware", usd(legs[0]), "$30,000 a year ago, straight line over 4 years to 10%")
    table.add_row(
        "income", usd(legs[1]),
        f"{usd(legs[2])}/year of net revenue per share (last {legs[4] / HOUR:.1f} h) x {legs[3] / 100:.2f}% "
        f"utilization / 20% cap rate",
    )  # fmt: skip
    table.add_row("[bold]price[/bold]", f"[bold]{usd(price)}[/bold]", f"the lower leg; status {STATUS[status]}")
    console.print(table)


def _health(market: Contract, borrower: str) -> float:
    return int(market.functions.healthFactor(borrower).call()) / WAD


def _health_text(market: Contract, borrower: str) -> str:
    if market.functions.debtOf(borrower).call() == 0:
        return "no debt"
    return f"health {_health(market, borrower):.3f}"


def _valuator(suite: SuiteClient) -> Contract:
    return contract_at(suite.w3, "ShareValuator", suite.deployment.valuator or "")


def _now(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def _warp_to(w3: Web3, timestamp: int) -> None:
    if timestamp > _now(w3):
        w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
