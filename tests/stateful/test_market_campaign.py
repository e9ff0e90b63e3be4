"""Stateful campaign over a lending market: random deposits, withdrawals and redemptions by two
lenders, collateral posted and withdrawn, borrows and repays by three borrowers, price moves,
revenue paid to the share token, auto-repay and harvests, revenue claims, donations straight to
the vault, clock jumps, and liquidations of whatever became unhealthy (partial, full, and
seize-everything with bad debt), on a 6-decimal and an 18-decimal stablecoin (each lent by a
market whose collateral asset earns in that same token, so auto-repay works).

Every action either succeeds or fails with one of the custom errors listed for it (never a
panic, never an undecoded revert). After every step, reading the chain:

1. total borrows are at most total supply (totals());
2. the borrowers' debt shares add up to the total, and no position has debt without collateral;
3. the market holds exactly the posted collateral in share tokens;
4. the vault covers what lenders can withdraw: the loan-token balance is at least the idle
   liquidity, every lender's maxWithdraw is at most the liquidity, and the lenders' redeemable
   assets (previewRedeem of their balances) add up to at most totalAssets();
5. the borrowers' revenue (banked plus accrued) is covered by what the market can pay: its
   share-token claim plus its loan-token balance beyond liquidity and donations;
6. after any liquidation the position is healthy, debt-free, or out of collateral with its
   remaining debt written off (BadDebtWrittenOff) — and donations never moved totalAssets.

MARKET_CAMPAIGN_RUNS (default 20) and MARKET_CAMPAIGN_STEPS (default 30) size it per token.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract

from compute_rwa.errors import ContractRevertError
from tests.helpers import report_figures
from tests.lending_support import LLTV, WAD, create_market, share_token_of
from tests.unit.metrics_oracle.conftest import warp_chain

RUNS = int(os.environ.get("MARKET_CAMPAIGN_RUNS", "20"))
SEED = int(os.environ.get("MARKET_CAMPAIGN_SEED", "20261130"))
STEPS = int(os.environ.get("MARKET_CAMPAIGN_STEPS", "30"))
SHARES = 10**18
MAX_UINT = 2**256 - 1

#: The custom errors each action may legitimately end with.
ALLOWED: dict[str, set[str]] = {
    "deposit": set(),
    "withdraw": {"MarketInsufficientLiquidity", "ERC4626ExceededMaxWithdraw"},
    "redeem": {"MarketInsufficientLiquidity", "ERC4626ExceededMaxRedeem"},
    "supply_collateral": set(),
    "withdraw_collateral": {"MarketInsufficientCollateral", "MarketWithdrawExceedsCollateral"},
    "borrow": {"MarketInsufficientCollateral", "MarketInsufficientLiquidity", "MarketBelowMinBorrow"},
    "repay": {"MarketBelowMinBorrow", "MarketRepayExceedsDebt"},
    "liquidate": {"MarketPositionHealthy", "MarketStillUnhealthy", "MarketBelowMinBorrow"},
    "harvest": {"MarketAutoRepayOff"},
    "claim": {"MarketNothingToClaim"},
}
#: Actions every campaign must have taken successfully at the default size.
REQUIRED = (
    "deposit:ok", "withdraw:ok", "borrow:ok", "borrow:MarketInsufficientCollateral", "repay:ok",
    "supply_collateral:ok", "withdraw_collateral:ok", "price", "revenue", "warp", "donate",
    "liquidate:ok", "claim:ok",
)  # fmt: skip


Draw = Callable[[random.Random], Any]


def integers(low: int, high: int) -> Draw:
    return lambda rng: rng.randint(low, high)


def floats(low: float, high: float) -> Draw:
    return lambda rng: rng.uniform(low, high)


def sampled(values: list[Any]) -> Draw:
    return lambda rng: rng.choice(values)


def booleans(rng: random.Random) -> bool:
    return rng.random() < 0.5


def action(weight: int = 1, **draws: Draw) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Marks a campaign action, how often it is picked relative to others, and how each of its
    arguments is drawn."""

    def mark(method: Callable[..., None]) -> Callable[..., None]:
        method.draws = draws  # type: ignore[attr-defined]
        method.weight = weight  # type: ignore[attr-defined]
        return method

    return mark


def price_of(loan_decimals: int, dollars: float) -> int:
    """1e36-scale IOracle price for one share worth `dollars` of the loan token."""
    return int(dollars * 100) * 10**loan_decimals * 10**18 // 100


@pytest.fixture(params=["usdc6", "dai18"])
def market_world(request, suite, tokens, roles, make_registration) -> dict[str, Any]:
    token: Contract = getattr(tokens, request.param)
    decimals = int(token.functions.decimals().call())
    asset_id, _ = suite.register_asset(make_registration(payment_token=token.address), roles.operator)
    share = share_token_of(suite, asset_id)
    oracle = suite.sender.deploy("MockPriceOracle", roles.admin, price_of(decimals, 20_000))
    market = create_market(
        suite, share.address, oracle.address, roles.admin, loan_token=token.address, min_borrow=100 * 10**decimals
    )
    lenders = [roles.lender, roles.holders[1]]
    borrowers = [roles.borrower, roles.holders[2], roles.holders[3]]
    for account in [*lenders, *borrowers, roles.outsider, roles.lessee]:
        suite.sender.transact(token.functions.mint(account, 10**9 * 10**decimals), roles.admin, "Token")
        suite.sender.transact(token.functions.approve(market.address, MAX_UINT), account, "Token")
    for borrower in borrowers:
        suite.sender.transact(share.functions.transfer(borrower, 2 * SHARES), roles.holders[0], "ShareToken")
        suite.sender.transact(share.functions.approve(market.address, MAX_UINT), borrower, "ShareToken")
    suite.sender.transact(token.functions.approve(share.address, MAX_UINT), roles.lessee, "Token")
    return {
        "w3": suite.w3, "sender": suite.sender, "token": token, "decimals": decimals, "share": share,
        "oracle": oracle, "market": market, "lenders": lenders, "borrowers": borrowers,
        "liquidator": roles.outsider, "payer": roles.lessee, "admin": roles.admin, "name": request.param,
    }  # fmt: skip


def make_machine(world: dict[str, Any], campaign: dict[str, Any]) -> type[Any]:
    w3: Web3 = world["w3"]
    send = world["sender"].transact
    token, share, oracle, market = world["token"], world["share"], world["oracle"], world["market"]
    lenders, borrowers, liquidator = world["lenders"], world["borrowers"], world["liquidator"]
    unit = 10 ** world["decimals"]

    def call(fn: Any) -> Any:
        return fn.call()

    class MarketMachine:
        def start(self) -> None:
            campaign["runs"] += 1
            self.snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
            self.donated = 0
            self.price_dollars = 20_000.0
            # Every run starts from a lent market with posted collateral, so that borrowing,
            # price moves and liquidations matter from the first step.
            send(market.functions.deposit(60_000 * unit, lenders[0]), lenders[0], "LendingMarket")
            for borrower in borrowers:
                send(market.functions.supplyCollateral(SHARES, borrower), borrower, "LendingMarket")

        def teardown(self) -> None:
            if hasattr(self, "snapshot"):
                w3.provider.make_request("evm_revert", [self.snapshot])  # type: ignore[arg-type]

        def _act(self, kind: str, fn: Any, sender: str) -> Any:
            """Sends; a revert must be one of the errors allowed for `kind`."""
            try:
                receipt = send(fn, sender, "LendingMarket")
            except ContractRevertError as error:
                assert error.error_name in ALLOWED[kind], f"{kind}: {error}"
                campaign["actions"][f"{kind}:{error.error_name}"] += 1
                return None
            campaign["actions"][f"{kind}:ok"] += 1
            return receipt

        # ------------------------------------------------------------ lenders

        @action(who=integers(0, 1), amount=integers(1, 200_000))
        def deposit(self, who: int, amount: int) -> None:
            self._act("deposit", market.functions.deposit(amount * unit, lenders[who]), lenders[who])

        @action(who=integers(0, 1), fraction=floats(0.01, 1.5))
        def withdraw(self, who: int, fraction: float) -> None:
            lender = lenders[who]
            assets = int(call(market.functions.previewRedeem(call(market.functions.balanceOf(lender)))) * fraction)
            if assets == 0:
                return
            self._act("withdraw", market.functions.withdraw(assets, lender, lender), lender)

        @action(who=integers(0, 1), fraction=floats(0.01, 1.0))
        def redeem(self, who: int, fraction: float) -> None:
            lender = lenders[who]
            shares = int(call(market.functions.balanceOf(lender)) * fraction)
            if shares == 0:
                return
            self._act("redeem", market.functions.redeem(shares, lender, lender), lender)

        @action(amount=integers(1, 10_000))
        def donate(self, amount: int) -> None:
            """The inflation-attack move: tokens sent straight to the vault change nothing."""
            cash, total = call(market.functions.liquidity()), call(market.functions.totalAssets())
            send(token.functions.transfer(market.address, amount * unit), lenders[0], "Token")
            self.donated += amount * unit
            # Idle cash is tracked, not read from the balance; totalAssets moves by interest only.
            assert call(market.functions.liquidity()) == cash
            assert call(market.functions.totalAssets()) - total < amount * unit
            campaign["actions"]["donate"] += 1

        # ------------------------------------------------------------ borrowers

        @action(who=integers(0, 2), amount=integers(1, 2 * SHARES))
        def supply_collateral(self, who: int, amount: int) -> None:
            borrower = borrowers[who]
            amount = min(amount, call(share.functions.balanceOf(borrower)))
            if amount == 0:
                return
            self._act("supply_collateral", market.functions.supplyCollateral(amount, borrower), borrower)

        @action(who=integers(0, 2), fraction=floats(0.01, 1.2))
        def withdraw_collateral(self, who: int, fraction: float) -> None:
            borrower = borrowers[who]
            assets = int(call(market.functions.positionOf(borrower))[1] * fraction)
            if assets == 0:
                return
            receipt = self._act("withdraw_collateral", market.functions.withdrawCollateral(assets, borrower), borrower)
            if receipt is not None:
                self._assert_healthy(borrower)

        @action(weight=2, who=integers(0, 2), fraction=floats(0.5, 1.3))
        def borrow(self, who: int, fraction: float) -> None:
            borrower = borrowers[who]
            try:
                room = call(market.functions.maxDebtOf(borrower)) - call(market.functions.debtOf(borrower))
            except Exception:
                return
            assets = int(max(room, 150 * unit) * fraction)
            if assets == 0:
                return
            if self._act("borrow", market.functions.borrow(assets, borrower), borrower) is not None:
                self._assert_healthy(borrower)

        @action(who=integers(0, 2), fraction=floats(0.05, 1.0), by_shares=booleans)
        def repay(self, who: int, fraction: float, by_shares: bool) -> None:
            borrower = borrowers[who]
            debt_shares = call(market.functions.positionOf(borrower))[0]
            if debt_shares == 0:
                return
            if by_shares:
                fn = market.functions.repay(0, max(1, int(debt_shares * fraction)), borrower)
            else:
                assets = max(1, int(call(market.functions.debtOf(borrower)) * fraction))
                fn = market.functions.repay(assets, 0, borrower)
            self._act("repay", fn, borrower)

        @action(who=integers(0, 2), enabled=booleans)
        def auto_repay(self, who: int, enabled: bool) -> None:
            send(market.functions.setAutoRepay(enabled), borrowers[who], "LendingMarket")
            campaign["actions"]["auto_repay"] += 1

        @action(who=integers(0, 2))
        def harvest(self, who: int) -> None:
            self._act("harvest", market.functions.harvest(borrowers[who]), liquidator)

        @action(who=integers(0, 2))
        def claim(self, who: int) -> None:
            borrower = borrowers[who]
            owed = call(market.functions.revenueOf(borrower))
            before = call(token.functions.balanceOf(borrower))
            if self._act("claim", market.functions.claimRevenue(borrower), borrower) is not None:
                assert call(token.functions.balanceOf(borrower)) - before == owed

        # ------------------------------------------------------------ the world

        @action(weight=2, factor=sampled([0.3, 0.5, 0.8, 0.9, 1.1, 1.25, 2.0]))
        def move_price(self, factor: float) -> None:
            self.price_dollars = min(max(self.price_dollars * factor, 50.0), 200_000.0)
            send(oracle.functions.setPrice(price_of(world["decimals"], self.price_dollars)), world["admin"], "Oracle")
            campaign["actions"]["price"] += 1

        @action(amount=integers(1, 50_000))
        def revenue(self, amount: int) -> None:
            send(share.functions.distribute(amount * unit), world["payer"], "ShareToken")
            campaign["actions"]["revenue"] += 1

        @action(seconds=sampled([1, 3600, 86_400, 30 * 86_400, 365 * 86_400]))
        def warp(self, seconds: int) -> None:
            warp_chain(w3, seconds)
            campaign["actions"]["warp"] += 1

        @action(weight=3, who=integers(0, 2), mode=sampled(["plan", "all_shares", "all_collateral", "half"]))
        def liquidate(self, who: int, mode: str) -> None:
            borrower = borrowers[who]
            debt_shares, collateral = call(market.functions.positionOf(borrower))
            if debt_shares == 0:
                return
            try:
                healthy = call(market.functions.debtOf(borrower)) <= call(market.functions.maxDebtOf(borrower))
            except Exception:
                return
            if mode == "plan":
                mode = "all_collateral" if self._underwater(borrower) else "all_shares"
            if mode == "all_collateral":
                fn = market.functions.liquidate(borrower, collateral, 0)
            elif mode == "all_shares":
                fn = market.functions.liquidate(borrower, 0, debt_shares)
            else:
                fn = market.functions.liquidate(borrower, 0, max(1, debt_shares // 2))
            try:
                receipt = send(fn, liquidator, "LendingMarket")
            except ContractRevertError as error:
                # Seizing everything can exceed the collateral the debt buys back.
                allowed = ALLOWED["liquidate"] | {"MarketSeizeExceedsCollateral", "MarketRepayExceedsDebt"}
                assert error.error_name in allowed, f"liquidate {mode}: {error}"
                if healthy:
                    assert error.error_name == "MarketPositionHealthy", error
                campaign["actions"][f"liquidate:{error.error_name}"] += 1
                return
            assert not healthy, "a healthy position was liquidated"
            campaign["actions"]["liquidate:ok"] += 1
            debt_shares, collateral = call(market.functions.positionOf(borrower))
            bad = market.events.BadDebtWrittenOff().process_receipt(receipt)
            if bad:
                campaign["actions"]["liquidate:bad_debt"] += 1
                assert collateral == 0 and debt_shares == 0
            elif debt_shares != 0:
                self._assert_healthy(borrower)

        # ------------------------------------------------------------ checks

        def _underwater(self, borrower: str) -> bool:
            debt = call(market.functions.debtOf(borrower))
            value = call(market.functions.maxDebtOf(borrower)) * WAD // LLTV  # collateral value
            return value * WAD < debt * call(market.functions.liquidationIncentive())

        def _assert_healthy(self, borrower: str) -> None:
            debt = call(market.functions.debtOf(borrower))
            assert debt <= call(market.functions.maxDebtOf(borrower)), f"{borrower} left unhealthy"

        def books_balance(self) -> None:
            if not hasattr(self, "snapshot"):
                return
            supply, borrowed, borrow_shares, _ = call(market.functions.totals())
            assert borrowed <= supply, (borrowed, supply)
            positions = [call(market.functions.positionOf(b)) for b in borrowers]
            assert sum(p[0] for p in positions) == borrow_shares
            for debt_shares, collateral in positions:
                assert debt_shares == 0 or collateral > 0, "debt without collateral"
            assert call(share.functions.balanceOf(market.address)) == sum(p[1] for p in positions)
            liquidity = call(market.functions.liquidity())
            assert liquidity == supply - borrowed or liquidity <= supply - borrowed + 1
            balance = call(token.functions.balanceOf(market.address))
            assert balance >= liquidity + self.donated
            total_assets = call(market.functions.totalAssets())
            redeemable = sum(call(market.functions.previewRedeem(call(market.functions.balanceOf(x)))) for x in lenders)
            assert redeemable <= total_assets
            for lender in lenders:
                assert call(market.functions.maxWithdraw(lender)) <= liquidity
            revenue = sum(call(market.functions.revenueOf(b)) for b in borrowers)
            payable = call(share.functions.claimableOf(market.address)) + balance - liquidity - self.donated
            assert revenue <= payable, (revenue, payable)

    return MarketMachine


def test_market_campaign(market_world: dict[str, Any]) -> None:
    """RUNS runs of STEPS random actions each, from a seeded generator (MARKET_CAMPAIGN_SEED
    reproduces a run), each run from the same snapshot, the invariants checked after every step."""
    campaign: dict[str, Any] = {"runs": 0, "actions": Counter()}
    machine_class = make_machine(market_world, campaign)
    actions = [m for m in vars(machine_class).values() if hasattr(m, "draws") for _ in range(m.weight)]
    rng = random.Random(f"{SEED}:{market_world['name']}")
    checks = 0
    for _ in range(RUNS):
        machine = machine_class()
        machine.start()
        try:
            for _ in range(STEPS):
                chosen = rng.choice(actions)
                chosen(machine, **{name: draw(rng) for name, draw in chosen.draws.items()})
                machine.books_balance()
                checks += 1
        finally:
            machine.teardown()
    counted: Counter[str] = campaign["actions"]
    calls = sum(counted.values())
    report_figures(
        f"\nmarket campaign ({market_world['name']}, seed {SEED}): {campaign['runs']} runs, {calls} calls, "
        f"{checks} invariant checks: {dict(sorted(counted.items()))}"
    )
    if RUNS >= 20 and STEPS >= 30:
        missing = [kind for kind in REQUIRED if counted[kind] == 0]
        assert not missing, f"never happened: {missing}"
