"""Lending gas: our LendingMarket next to Morpho Blue, same run, same chain, same shape.

One 8 x H100 asset, valued by the suite's ShareValuator (a week of revenue, a day of 80%
utilization reports signed by 3 of 5 oracle signers; price = the depreciated hardware leg,
about 22,200 dUSD per share). On it, two markets of identical shape:
- ours: MarketFactory.createMarket (dUSD loan, the asset's SharePriceFeed, LLTV 80%, the kinked
  RATE_MODEL, minimum borrow 100 dUSD);
- Morpho Blue 1.0.0 (npm, solcjs 0.8.19, its production settings), deployed here: a market with
  the same loan token, collateral, oracle (the same SharePriceFeed, through IOracle.price()),
  LLTV, and KinkedIrm (our curve as a Morpho IRM) with the same RATE_MODEL.

Every measured operation is the steady state, done on ours and then on Morpho with the same
amounts: the market already has supply and borrowers, the actor already has a position there
(this is its second operation of the kind), tokens are approved for the maximum, and time has
passed since the markets' last accrual (interest accrues in both):
- supply: a lender's second deposit (ERC-4626 `deposit` / Morpho `supply`);
- supply_collateral: a borrower's second posting of shares;
- borrow: that borrower's second borrow;
- repay: its second repayment (by assets);
- liquidate: after the share price falls 10% (the admin marks the hardware down and the
  valuation is updated), a third party repays half of an unhealthy borrower's debt shares and
  seizes shares with the incentive (1 / 0.94 at LLTV 80%); the position is healthy after it,
  on both. It is the liquidator's second liquidation (it already holds shares and dUSD); the
  first, on another borrower in the same state, is under "cold".

`python bench/market_gas.py` runs it alone on its own anvil.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from compute_rwa import DeployPlan, SuiteClient, deploy_suite
from compute_rwa.deploy import OraclePlan
from compute_rwa.fleet import GPU_MODELS, GpuNode
from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.reports import Report, join_signatures, pack_reports, sign_batch
from compute_rwa.peers.morpho_blue import MarketParams, MorphoBlue, max_borrow, to_assets_up
from compute_rwa.tx import TxSender, contract_at

sys.path.insert(0, str(Path(__file__).resolve().parent))
from oracle_gas import KEYS

USD = 10**6
SHARE = 10**18
WAD = 10**18
MAX = 2**256 - 1
HOUR = 3600
DAY = 24 * HOUR
YEAR = 365 * DAY

# The valuation (as tests/lending_support.py): 25,000 dUSD per share bought 180 days ago, 4-year
# life, 10% salvage; income capitalized at 20%; 24 epochs of utilization; a week of revenue.
PURCHASE_VALUE = 25_000 * USD
PURCHASE_AGE = 180 * DAY
WEEKLY_REVENUE = 2_000 * USD
UTILIZATION_BPS = 8_000
#: The hardware mark-down that makes the liquidated positions unhealthy.
PRICE_DROP_BPS = 1_000
# The markets (as tests/lending_support.py).
LLTV = 8 * WAD // 10
RATE_MODEL = (0, 4 * WAD // 100 // YEAR, WAD // YEAR, 8 * WAD // 10)
MIN_BORROW = 100 * USD

LENDER_FIRST = 100_000 * USD
LENDER_SECOND = 10_000 * USD
COLLATERAL_PART = SHARE // 2  # the measured borrower posts half a share twice
BORROW_PART = 2_000 * USD  # and borrows this twice
REPAY_PART = 500 * USD  # and repays this twice
VICTIM_COLLATERAL = SHARE
VICTIM_LTV_BPS = 7_500  # of the price before the drop


class MarketBench:
    """A suite with its oracle (3 of 5 bonded signers) and one valued asset, our market and a
    Morpho Blue market on it, and the funded actors."""

    def __init__(self, w3: Web3, progress: Callable[[str], None]) -> None:
        self.w3 = w3
        self.progress = progress
        a = w3.eth.accounts
        self.admin, self.operator, self.keeper = a[0], a[1], a[2]
        self.lender, self.borrower = a[3], a[4]
        self.victims = (a[5], a[6])
        # One liquidator per protocol, so that each receives shares for the first time once.
        self.liquidator, self.morpho_liquidator = a[7], a[8]
        plan = DeployPlan(
            operators=(self.operator,),
            admin_transfer_delay=0,
            oracle=OraclePlan(signers=tuple(k.address for k in KEYS[:5]), threshold=3),
        )
        deployment = deploy_suite(w3, self.admin, plan, directory=Path(tempfile.mkdtemp()), echo=lambda _: None)
        assert deployment.oracle and deployment.valuator and deployment.market_factory
        self.suite = SuiteClient(w3, deployment, TxSender(w3))
        self.oracle = OracleClient(w3, deployment.oracle, self.suite.sender)
        self.valuator = contract_at(w3, "ShareValuator", deployment.valuator)
        self.factory = contract_at(w3, "MarketFactory", deployment.market_factory)
        self.usd = self.suite.payment_token
        self.tx(self.usd.functions.mint(self.admin, 10**15))
        self.tx(self.usd.functions.approve(self.oracle.address, MAX))
        for key in KEYS[:5]:
            self.oracle.deposit_bond(key.address, 5_000 * USD, self.admin)

    def tx(self, fn: Any, sender: str | None = None) -> TxReceipt:
        return self.suite.sender.transact(fn, sender or self.admin, "market-bench")

    def gas(self, fn: Any, sender: str) -> int:
        return int(self.tx(fn, sender)["gasUsed"])

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def warp(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    # -- the valued asset ---------------------------------------------------------------------

    def value_asset(self) -> None:
        """Registers the asset (8 shares with the admin), builds its revenue and utilization
        history and stores an Ok valuation: the chain's clock moves a week forward."""
        node = GpuNode("market-bench", GPU_MODELS["H100"], 8, "us-east-1")
        registration = node.registration(operator=self.operator, owner=self.admin, payment_token=self.usd.address)
        self.asset_id, _ = self.suite.register_asset(registration, self.operator)
        self.inventory = registration.inventory_hash
        self.share = self.suite.share_token(self.asset_id)
        self.oracle.sync_assets([self.asset_id], self.admin)
        self.config = [
            PURCHASE_VALUE,
            self.now() - PURCHASE_AGE,
            4 * YEAR,  # useful life
            1_000,  # salvage bps
            2_000,  # cap rate bps
            24,  # utilization window (epochs)
            7 * DAY,  # revenue window
            6 * HOUR,  # max metrics age
            DAY,  # max price age
            1,  # min price
            10**6 * USD,  # max price
        ]
        self.tx(self.valuator.functions.configure(self.asset_id, tuple(self.config)))
        self.tx(self.valuator.functions.update(self.asset_id), self.keeper)  # first revenue checkpoint
        self.tx(self.usd.functions.approve(self.share.address, WEEKLY_REVENUE))
        self.tx(self.share.functions.distribute(WEEKLY_REVENUE))
        self.warp(7 * DAY)
        self.report_utilization()
        self.tx(self.valuator.functions.update(self.asset_id), self.keeper)
        self.feed = contract_at(self.w3, "SharePriceFeed", self.valuator.functions.feedOf(self.asset_id).call())

    def report_utilization(self) -> None:
        """Reports the ended epochs of the last day not yet reported, at UTILIZATION_BPS."""
        now_epoch = self.oracle.epoch_at(self.now())
        latest = self.oracle.latest_epoch(self.asset_id)
        first = max(now_epoch - 24, -1 if latest is None else latest + 1)
        reports = [
            Report(
                asset_id=self.asset_id,
                epoch=epoch,
                inventory_hash=self.inventory,
                utilization_bps=UTILIZATION_BPS,
                uptime_bps=9_900,
                gpu_hours_milli=6_400,
                energy_wh=4_960,
                avg_power_w=4_960,
            )
            for epoch in range(first, now_epoch)
        ]
        if reports:
            packed = pack_reports(reports)
            domain = self.oracle.domain()
            signatures = join_signatures([sign_batch(domain, packed, k) for k in KEYS[:3]])
            self.oracle.submit(packed, signatures, self.admin)

    def mark_down(self, drop_bps: int) -> None:
        """The admin marks the hardware down by `drop_bps`; a keeper updates the valuation."""
        self.config[0] = PURCHASE_VALUE * (10_000 - drop_bps) // 10_000
        self.tx(self.valuator.functions.configure(self.asset_id, tuple(self.config)))
        self.report_utilization()
        self.tx(self.valuator.functions.update(self.asset_id), self.keeper)

    def price(self) -> int:
        return int(self.feed.functions.price().call())

    # -- the two markets ----------------------------------------------------------------------

    def create_markets(self) -> dict[str, int]:
        """Our market from the factory and Morpho's; every actor funded and approved."""
        cold: dict[str, int] = {}
        receipt = self.tx(
            self.factory.functions.createMarket(
                (self.share.address, self.usd.address, self.feed.address, LLTV, RATE_MODEL, MIN_BORROW)
            ),
            self.keeper,
        )
        cold["market_create"] = int(receipt["gasUsed"])
        (event,) = self.factory.events.MarketCreated().process_receipt(receipt, errors=DISCARD)
        self.ours: Contract = contract_at(self.w3, "LendingMarket", event["args"]["market"])

        self.progress("lending: Morpho Blue (npm @morpho-org/morpho-blue 1.0.0, solcjs 0.8.19; cached in build/peers)")
        self.morpho = MorphoBlue.deploy(self.w3, self.admin, self.suite.sender)
        self.irm = self.suite.sender.deploy("KinkedIrm", self.admin, RATE_MODEL)
        self.morpho.enable_irm(self.irm.address, self.admin)
        self.morpho.enable_lltv(LLTV, self.admin)
        self.params = MarketParams.of(self.usd.address, self.share.address, self.feed.address, self.irm.address, LLTV)
        receipt = self.tx(self.morpho.contract.functions.createMarket(self.params.to_abi()), self.keeper)
        cold["morpho_blue_create_market"] = int(receipt["gasUsed"])
        assert self.morpho.market(self.params.id).last_update != 0

        actors = (self.lender, self.borrower, self.liquidator, self.morpho_liquidator, *self.victims)
        for actor in actors:
            self.tx(self.usd.functions.mint(actor, 10**13))
            for spender in (self.ours.address, self.morpho.address):
                self.tx(self.usd.functions.approve(spender, MAX), actor)
        for actor in (self.borrower, *self.victims):
            self.tx(self.share.functions.transfer(actor, 2 * SHARE))
            for spender in (self.ours.address, self.morpho.address):
                self.tx(self.share.functions.approve(spender, MAX), actor)
        return cold

    # One function per operation and protocol; each returns the receipt of its transaction.

    def ours_supply(self, assets: int) -> TxReceipt:
        return self.tx(self.ours.functions.deposit(assets, self.lender), self.lender)

    def morpho_supply(self, assets: int) -> TxReceipt:
        return self.morpho.supply(self.params, assets, self.lender, self.lender).receipt

    def ours_supply_collateral(self, who: str, assets: int) -> TxReceipt:
        return self.tx(self.ours.functions.supplyCollateral(assets, who), who)

    def morpho_supply_collateral(self, who: str, assets: int) -> TxReceipt:
        return self.morpho.supply_collateral(self.params, assets, who, who)

    def ours_borrow(self, who: str, assets: int) -> TxReceipt:
        return self.tx(self.ours.functions.borrow(assets, who), who)

    def morpho_borrow(self, who: str, assets: int) -> TxReceipt:
        return self.morpho.borrow(self.params, assets, who, who, who).receipt

    def ours_repay(self, who: str, assets: int) -> TxReceipt:
        return self.tx(self.ours.functions.repay(assets, 0, who), who)

    def morpho_repay(self, who: str, assets: int) -> TxReceipt:
        return self.morpho.repay(self.params, assets, who, who).receipt

    def ours_liquidate(self, victim: str) -> TxReceipt:
        shares = int(self.ours.functions.positionOf(victim).call()[0]) // 2  # (borrowShares, collateral)
        receipt = self.tx(self.ours.functions.liquidate(victim, 0, shares), self.liquidator)
        health = int(self.ours.functions.healthFactor(victim).call())
        assert health >= WAD, f"our liquidation left {victim} unhealthy ({health / WAD:.3f})"
        return receipt

    def morpho_liquidate(self, victim: str) -> TxReceipt:
        market_id = self.params.id
        shares = self.morpho.position(market_id, victim).borrow_shares // 2
        result = self.morpho.liquidate(self.params, victim, 0, shares, self.morpho_liquidator)
        assert result.bad_debt_shares == 0
        assert not self.morpho_unhealthy(victim), f"Morpho's liquidation left {victim} unhealthy"
        return result.receipt

    def interest_accrued(self, ours: TxReceipt, morpho: TxReceipt) -> bool:
        """Whether both transactions accrued interest (InterestAccrued / AccrueInterest > 0)."""
        accrued = self.ours.events.InterestAccrued().process_receipt(ours, errors=DISCARD)
        morpho_accrued = self.morpho.contract.events.AccrueInterest().process_receipt(morpho, errors=DISCARD)
        return bool(accrued) and any(e["args"]["interest"] > 0 for e in morpho_accrued)

    def ours_unhealthy(self, victim: str) -> bool:
        return int(self.ours.functions.healthFactor(victim).call()) < WAD

    def morpho_unhealthy(self, victim: str) -> bool:
        position, market = self.morpho.position(self.params.id, victim), self.morpho.market(self.params.id)
        debt = to_assets_up(position.borrow_shares, market.total_borrow_assets, market.total_borrow_shares)
        return debt > max_borrow(position.collateral, self.price(), LLTV)


def measure_markets(w3: Web3, progress: Callable[[str], None]) -> dict[str, Any]:
    """Lending gas figures: {"gas": {market_*}, "peers": {morpho_blue_*}, "cold": {...}}."""
    started = time.monotonic()
    progress("lending: valued asset, our market and Morpho Blue's on it")
    bench = MarketBench(w3, progress)
    bench.value_asset()
    cold = bench.create_markets()
    price_before = bench.price()
    gas: dict[str, int] = {}
    peers: dict[str, int] = {}

    def both(key: str, ours: Callable[[], TxReceipt], morpho: Callable[[], TxReceipt], steady: bool = True) -> None:
        """Ours, then Morpho's, ten minutes after the markets' last operations. Steady figures
        go under gas and peers; first-time ones (steady=False) under cold."""
        bench.warp(10 * 60)
        ours_receipt, morpho_receipt = ours(), morpho()
        ours_gas, morpho_gas = int(ours_receipt["gasUsed"]), int(morpho_receipt["gasUsed"])
        if not steady:
            cold[f"market_{key}_first"], cold[f"morpho_blue_{key}_first"] = ours_gas, morpho_gas
            return
        if key != "supply_collateral":  # neither protocol accrues on posting collateral
            assert bench.interest_accrued(ours_receipt, morpho_receipt), f"{key}: no interest accrued"
        gas[f"market_{key}"], peers[f"morpho_blue_{key}"] = ours_gas, morpho_gas

    b = bench.borrower
    # First of each kind (cold): the lender's first deposit (the vault's first shares), the
    # victims' collateral and borrows (the markets' first share balance and first debt), the
    # measured borrower's first collateral (its first position).
    both("supply", lambda: bench.ours_supply(LENDER_FIRST), lambda: bench.morpho_supply(LENDER_FIRST), False)
    debt = max_borrow(VICTIM_COLLATERAL, price_before, WAD) * VICTIM_LTV_BPS // 10_000
    for index, victim in enumerate(bench.victims):
        bench.ours_supply_collateral(victim, VICTIM_COLLATERAL)
        bench.morpho_supply_collateral(victim, VICTIM_COLLATERAL)
        if index == 0:
            both(
                "borrow",
                lambda v=victim: bench.ours_borrow(v, debt),
                lambda v=victim: bench.morpho_borrow(v, debt),
                False,
            )
        else:
            bench.ours_borrow(victim, debt)
            bench.morpho_borrow(victim, debt)
    both(
        "supply_collateral",
        lambda: bench.ours_supply_collateral(b, COLLATERAL_PART),
        lambda: bench.morpho_supply_collateral(b, COLLATERAL_PART),
        False,
    )
    bench.ours_borrow(b, BORROW_PART)
    bench.morpho_borrow(b, BORROW_PART)
    bench.ours_repay(b, REPAY_PART)
    bench.morpho_repay(b, REPAY_PART)

    progress("lending: steady state (second operation of each kind, interest accruing)")
    both("supply", lambda: bench.ours_supply(LENDER_SECOND), lambda: bench.morpho_supply(LENDER_SECOND))
    both(
        "supply_collateral",
        lambda: bench.ours_supply_collateral(b, COLLATERAL_PART),
        lambda: bench.morpho_supply_collateral(b, COLLATERAL_PART),
    )
    both("borrow", lambda: bench.ours_borrow(b, BORROW_PART), lambda: bench.morpho_borrow(b, BORROW_PART))
    both("repay", lambda: bench.ours_repay(b, REPAY_PART), lambda: bench.morpho_repay(b, REPAY_PART))

    progress(f"lending: the share price falls {PRICE_DROP_BPS / 100:.0f}%, partial liquidations")
    bench.mark_down(PRICE_DROP_BPS)
    price_after = bench.price()
    assert price_after < price_before
    for victim in bench.victims:
        assert bench.ours_unhealthy(victim) and bench.morpho_unhealthy(victim), victim
    first, second = bench.victims
    both("liquidate", lambda: bench.ours_liquidate(first), lambda: bench.morpho_liquidate(first), False)
    both("liquidate", lambda: bench.ours_liquidate(second), lambda: bench.morpho_liquidate(second))

    for key in ("supply", "supply_collateral", "borrow", "repay", "liquidate"):
        ours, morpho = gas[f"market_{key}"], peers[f"morpho_blue_{key}"]
        progress(f"  {key}: ours {ours:,} gas, Morpho Blue {morpho:,} gas ({ours / morpho:.3f} x)")
    progress(f"lending: done in {time.monotonic() - started:.0f} s")
    return {
        "gas": gas,
        "peers": peers,
        "cold": cold,
        "lending": {
            "share_price_before": price_before // 10**18,
            "share_price_after": price_after // 10**18,
            "victim_ltv_before_bps": VICTIM_LTV_BPS,
            "price_drop_bps": PRICE_DROP_BPS,
        },
    }


def main() -> int:
    """Runs the lending bench alone on its own anvil and prints the figures."""
    import json

    from compute_rwa.chain import LocalChain

    with LocalChain("anvil") as chain:
        results = measure_markets(chain.web3(), lambda message: print(message, flush=True))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
