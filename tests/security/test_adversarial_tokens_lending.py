"""Adversarial loan and payment tokens against every token-moving path of a LendingMarket:
deposit / mint, redeem / withdraw, supply and withdraw collateral, borrow, repay, liquidate,
claimRevenue and harvest, over a token without return values, an ERC-777-style hook token and
a USDC/USDT-style blocklist token (whose fee switch a test turns on mid-life).

Markets here lend at zero interest (every slope 0), so that each amount is exact to the unit
without pinning block times; the paths are the same at any rate."""

from __future__ import annotations

import pytest

from compute_rwa.tx import contract_at
from tests.lending_support import LLTV, WAD
from tests.security.adversarial_support import (
    KINDS,
    MAX,
    act,
    calldata,
    make_token,
    recorded,
    set_blocked,
    set_fee,
)
from tests.unit.lending_market import conftest as lending_fixtures
from tests.unit.lending_market.support import (
    SHARE,
    balance,
    borrow,
    deposit,
    earnings,
    incentive,
    liquidation,
    position,
    post,
    price_for,
    repay,
    reverts,
    send,
    set_price,
    to_shares_down,
    totals,
    vault_assets,
    vault_shares,
)

make_lending = lending_fixtures.make_lending
liquidator = lending_fixtures.liquidator

UNIT = 10**6  # every token here has 6 decimals
ZERO_RATES = (0, 0, 0, 8 * WAD // 10)
SEND, RECEIVE = 1, 2  # HookedActor triggers


@pytest.fixture
def market_in(suite, roles, tokens, make_registration, make_lending):
    """market_in(kind, share_value=10,000): a zero-rate market lending the `kind` token against
    the shares of a new 8-GPU asset paying its revenue in that same token (so auto-repay and
    claimRevenue move it too); lender, borrower and liquidator funded and approved, the
    borrower holding 4 shares (approved), holders[0] the other 4."""

    def make(kind, share_value=10_000):
        token = make_token(suite, roles, tokens, kind)
        asset_id, share_address = suite.register_asset(make_registration(payment_token=token.address), roles.operator)
        share = contract_at(suite.w3, "ShareToken", share_address)
        lending = make_lending(
            loan=token, share=share, price=price_for(share_value * UNIT), rate_model=ZERO_RATES, min_borrow=100 * UNIT
        )
        return lending, token

    return make


def pay_revenue(suite, lending, amount, payer, minter):
    """Pays `amount` into the asset's waterfall: 80% reaches holders, per share amount x 0.8 / 8."""
    token = lending.loan
    suite.sender.transact(token.functions.mint(payer, amount), minter, "Token")
    suite.sender.transact(token.functions.approve(lending.share.address, amount), payer, "Token")
    suite.sender.transact(lending.share.functions.distribute(amount), payer, "ShareToken")


def assert_cash_matches_books(lending):
    """With every revenue claim passed on, the market holds exactly its idle cash."""
    assert balance(lending.loan, lending.address) == lending.market.functions.liquidity().call()


@pytest.mark.parametrize("kind", KINDS)
def test_every_market_path_moves_exact_amounts(suite, roles, market_in, liquidator, kind):
    lending, token = market_in(kind)
    market, borrower, lender = lending.market, roles.borrower, roles.lender
    lender0, borrower0, liquidator0 = (balance(token, a) for a in (lender, borrower, liquidator))

    deposit(suite, lending, lender, 100_000 * UNIT)
    assert market.functions.balanceOf(lender).call() == 100_000 * UNIT * 10**6
    post(suite, lending, borrower, 4 * SHARE)
    borrow(suite, lending, borrower, 20_000 * UNIT)
    assert balance(token, borrower) == borrower0 + 20_000 * UNIT
    assert_cash_matches_books(lending)

    # Revenue on the posted shares: 10,000 paid, 8,000 to holders, 1,000 a share, 4,000 the market's.
    pay_revenue(suite, lending, 10_000 * UNIT, roles.outsider, roles.admin)
    assert market.functions.revenueOf(borrower).call() == 4_000 * UNIT
    send(suite, market.functions.claimRevenue(borrower), borrower)
    assert balance(token, borrower) == borrower0 + 24_000 * UNIT
    assert lending.share.functions.claimableOf(market.address).call() == 0
    assert_cash_matches_books(lending)

    repay(suite, lending, borrower, 5_000 * UNIT, 0)
    assert totals(lending)[1] == 15_000 * UNIT
    assert balance(token, borrower) == borrower0 + 19_000 * UNIT

    # 4 shares at 4,600 carry 14,720 < 15,000: one share seized, at the incentive.
    price = price_for(4_600 * UNIT)
    set_price(suite, lending, price, roles.admin)
    state = totals(lending)
    seized, repaid_shares, repaid = liquidation(state, price, incentive(LLTV), seized=SHARE)
    send(suite, market.functions.liquidate(borrower, SHARE, 0), liquidator)
    assert seized == SHARE
    assert 4_324 * UNIT <= repaid <= 4_324 * UNIT + 2  # 4,600 / 1.0638..., rounded up
    assert balance(token, liquidator) == liquidator0 - repaid
    assert lending.share.functions.balanceOf(liquidator).call() == SHARE
    debt_shares = position(lending, borrower)[0]
    assert position(lending, borrower) == (state[2] - repaid_shares, 3 * SHARE)
    assert_cash_matches_books(lending)

    send(suite, market.functions.repay(0, debt_shares, borrower), borrower)
    rest = 15_000 * UNIT - repaid
    assert balance(token, borrower) == borrower0 + 19_000 * UNIT - rest
    send(suite, market.functions.withdrawCollateral(3 * SHARE, borrower), borrower)
    assert lending.share.functions.balanceOf(borrower).call() == 3 * SHARE
    assert totals(lending) == (100_000 * UNIT, 0, 0)

    # The lender leaves with exactly what it put in (no interest, no bad debt); nothing is left.
    shares = market.functions.balanceOf(lender).call()
    send(suite, market.functions.redeem(shares, lender, lender), lender)
    assert balance(token, lender) == lender0
    assert balance(token, market.address) == 0
    assert market.functions.totalSupply().call() == 0


# ------------------------------------------------------------------ ERC-777-style hooks


def test_a_deposit_hook_cannot_redeem_against_assets_not_yet_pulled(suite, roles, market_in):
    """ReentrantLender deposits; while the market pulls the deposit (tokensToSend, before any
    balance moves) it redeems its vault shares and repays its debt with exactly what the
    redemption paid, so the deposit's balance check still passes. The redemption must be priced
    on the vault as it was: the deposit's assets are not there yet, nor its shares."""
    lending, token = market_in("hook", share_value=1_000_000)
    market = lending.market
    deposit(suite, lending, roles.lender, 1_500_000 * UNIT)
    attacker = suite.sender.deploy("ReentrantLender", roles.admin, market.address, token.address, lending.share.address)
    suite.sender.transact(token.functions.mint(attacker.address, 2_000_000 * UNIT), roles.admin, "T")
    suite.sender.transact(lending.share.functions.transfer(attacker.address, 4 * SHARE), roles.holders[0], "S")
    suite.sender.transact(attacker.functions.deposit(500_000 * UNIT), roles.admin, "A")
    suite.sender.transact(attacker.functions.postAndBorrow(4 * SHARE, 1_000_000 * UNIT), roles.admin, "A")
    stake = market.functions.balanceOf(attacker.address).call()
    supply, assets = market.functions.totalSupply().call(), market.functions.totalAssets().call()
    assert (stake, supply, assets) == (500_000 * UNIT * 10**6, 2_000_000 * UNIT * 10**6, 2_000_000 * UNIT)
    fair = vault_assets(stake, supply, assets)
    minted = vault_shares(1_000_000 * UNIT, supply, assets)
    assert (fair, minted) == (500_000 * UNIT, 1_000_000 * UNIT * 10**6)

    suite.sender.transact(attacker.functions.arm(stake), roles.admin, "A")
    suite.sender.transact(attacker.functions.deposit(1_000_000 * UNIT), roles.admin, "A")

    assert attacker.functions.seenTotalAssets().call() == assets  # not yet counting the deposit
    assert attacker.functions.redeemed().call() == fair
    assert market.functions.balanceOf(attacker.address).call() == minted
    # The other lender's stake is worth what it was, to the unit; the books match the cash.
    assert market.functions.previewRedeem(market.functions.balanceOf(roles.lender).call()).call() == (1_500_000 * UNIT)
    assert totals(lending)[:2] == (2_500_000 * UNIT, 500_000 * UNIT)
    assert_cash_matches_books(lending)


def _hooked_actor(suite, roles, lending, token, amount):
    actor = suite.sender.deploy("HookedActor", roles.admin)
    suite.sender.transact(actor.functions.hook(token.address), roles.admin, "A")
    suite.sender.transact(token.functions.mint(actor.address, amount), roles.admin, "T")
    act(suite, actor, token, "approve", lending.address, MAX, sender=roles.admin)
    return actor


def test_a_liquidator_re_entering_while_it_pays_finds_the_books_final(suite, roles, market_in):
    lending, token = market_in("hook")
    market, borrower = lending.market, roles.borrower
    deposit(suite, lending, roles.lender, 100_000 * UNIT)
    post(suite, lending, borrower, 4 * SHARE)
    borrow(suite, lending, borrower, 30_000 * UNIT)
    actor = _hooked_actor(suite, roles, lending, token, 100_000 * UNIT)
    price = price_for(9_000 * UNIT)  # 4 x 9,000 x 0.8 = 28,800 < 30,000
    set_price(suite, lending, price, roles.admin)
    state = totals(lending)
    _, repaid_shares, repaid = liquidation(state, price, incentive(LLTV), seized=SHARE)
    # While paying, it liquidates again: the position it just fixed is healthy by then.
    suite.sender.transact(
        actor.functions.arm(SEND, market.address, calldata(market, "liquidate", borrower, SHARE, 0), True),
        roles.admin,
        "A",
    )

    act(suite, actor, market, "liquidate", borrower, SHARE, 0, sender=roles.admin)

    assert actor.functions.reentries().call() == 1
    ok, error, _ = recorded(actor)
    assert not ok
    assert error == "MarketPositionHealthy"
    assert position(lending, borrower) == (state[2] - repaid_shares, 3 * SHARE)
    assert lending.share.functions.balanceOf(actor.address).call() == SHARE
    assert balance(token, actor.address) == 100_000 * UNIT - repaid
    assert_cash_matches_books(lending)


@pytest.mark.parametrize("reentry", ["borrow", "redeem"])
def test_cash_moved_by_a_re_entry_during_a_repayment_undoes_it(suite, roles, market_in, reentry):
    """During a repayment's pull the debt is already reduced and the cash not yet in; a
    re-entry that takes cash out then (borrowing again, redeeming) makes the pull's balance
    check fail: the whole repayment is undone."""
    lending, token = market_in("hook")
    market = lending.market
    deposit(suite, lending, roles.lender, 100_000 * UNIT)
    actor = _hooked_actor(suite, roles, lending, token, 100_000 * UNIT)
    suite.sender.transact(lending.share.functions.transfer(actor.address, 4 * SHARE), roles.holders[0], "S")
    act(suite, actor, lending.share, "approve", market.address, MAX, sender=roles.admin)
    act(suite, actor, market, "deposit", 10_000 * UNIT, actor.address, sender=roles.admin)
    act(suite, actor, market, "supplyCollateral", 4 * SHARE, actor.address, sender=roles.admin)
    act(suite, actor, market, "borrow", 20_000 * UNIT, actor.address, sender=roles.admin)
    before = (totals(lending), position(lending, actor.address), balance(token, actor.address))
    inner = {
        "borrow": calldata(market, "borrow", 5_000 * UNIT, actor.address),
        "redeem": calldata(market, "withdraw", 5_000 * UNIT, actor.address, actor.address),
    }[reentry]
    suite.sender.transact(actor.functions.arm(SEND, market.address, inner, False), roles.admin, "A")

    with reverts("MarketFeeOnTransfer", token=token.address, expected=5_000 * UNIT, received=0):
        act(suite, actor, market, "repay", 5_000 * UNIT, 0, actor.address, sender=roles.admin)

    assert (totals(lending), position(lending, actor.address), balance(token, actor.address)) == before
    assert_cash_matches_books(lending)


# ------------------------------------------------------------------ blocklists


def test_a_blocked_borrower_cannot_stop_its_liquidation(suite, roles, market_in, liquidator):
    lending, token = market_in("blocklist")
    market, borrower = lending.market, roles.borrower
    deposit(suite, lending, roles.lender, 100_000 * UNIT)
    post(suite, lending, borrower, 4 * SHARE)
    borrow(suite, lending, borrower, 30_000 * UNIT)
    send(suite, market.functions.setAutoRepay(True), borrower)
    pay_revenue(suite, lending, 1_000 * UNIT, roles.outsider, roles.admin)  # 400 on the posted shares
    set_blocked(suite, token, borrower, True, roles.admin)
    price = price_for(9_000 * UNIT)
    set_price(suite, lending, price, roles.admin)

    # Its revenue repays first (400 is not enough), then one share is seized.
    supplied, borrowed, shares = totals(lending)
    applied_shares = to_shares_down(400 * UNIT, borrowed, shares)
    state = (supplied, borrowed - 400 * UNIT, shares - applied_shares)
    _, repaid_shares, repaid = liquidation(state, price, incentive(LLTV), seized=SHARE)
    liquidator0 = balance(token, liquidator)
    send(suite, market.functions.liquidate(borrower, SHARE, 0), liquidator)

    assert balance(token, liquidator) == liquidator0 - repaid
    assert lending.share.functions.balanceOf(liquidator).call() == SHARE
    assert position(lending, borrower) == (state[2] - repaid_shares, 3 * SHARE)
    assert earnings(lending, borrower)[0] == 0
    assert totals(lending)[1] == 30_000 * UNIT - 400 * UNIT - repaid
    assert_cash_matches_books(lending)


def test_a_blocked_borrower_keeps_its_revenue_and_may_name_another_receiver(suite, roles, market_in):
    lending, token = market_in("blocklist")
    market, borrower = lending.market, roles.borrower
    post(suite, lending, borrower, 4 * SHARE)
    pay_revenue(suite, lending, 1_000 * UNIT, roles.outsider, roles.admin)
    set_blocked(suite, token, borrower, True, roles.admin)

    with reverts("Error", reason="blocklist: receiver blocked"):
        send(suite, market.functions.claimRevenue(borrower), borrower)
    assert market.functions.revenueOf(borrower).call() == 400 * UNIT
    # The market does not police the blocklist; the token does: another receiver is paid.
    send(suite, market.functions.claimRevenue(roles.treasury), borrower)
    assert balance(token, roles.treasury) == 400 * UNIT
    assert market.functions.revenueOf(borrower).call() == 0
    assert balance(token, market.address) == 0


def test_a_blocked_lender_cannot_stop_others_withdrawing(suite, roles, market_in):
    lending, token = market_in("blocklist")
    market, other = lending.market, roles.outsider
    suite.sender.transact(token.functions.mint(other, 40_000 * UNIT), roles.admin, "T")
    suite.sender.transact(token.functions.approve(market.address, MAX), other, "T")
    deposit(suite, lending, roles.lender, 60_000 * UNIT)
    deposit(suite, lending, other, 40_000 * UNIT)
    post(suite, lending, roles.borrower, 4 * SHARE)
    borrow(suite, lending, roles.borrower, 20_000 * UNIT)
    set_blocked(suite, token, roles.lender, True, roles.admin)
    lender0 = balance(token, roles.lender)
    mine = market.functions.balanceOf(roles.lender).call()

    with reverts("Error", reason="blocklist: receiver blocked"):
        send(suite, market.functions.redeem(mine, roles.lender, roles.lender), roles.lender)
    assert market.functions.balanceOf(roles.lender).call() == mine
    assert market.functions.maxWithdraw(roles.lender).call() == 60_000 * UNIT

    send(suite, market.functions.withdraw(40_000 * UNIT, other, other), other)
    assert balance(token, other) == 40_000 * UNIT
    assert market.functions.balanceOf(other).call() == 0
    send(suite, market.functions.repay(0, position(lending, roles.borrower)[0], roles.borrower), roles.borrower)
    set_blocked(suite, token, roles.lender, False, roles.admin)
    send(suite, market.functions.redeem(mine, roles.lender, roles.lender), roles.lender)
    assert balance(token, roles.lender) == lender0 + 60_000 * UNIT
    assert balance(token, market.address) == 0


# ------------------------------------------------------------------ fee switched on mid-life


def test_a_fee_switched_on_mid_life_is_refused_on_pulls_and_exact_on_payouts(suite, roles, market_in, liquidator):
    lending, token = market_in("blocklist")
    market, borrower, lender = lending.market, roles.borrower, roles.lender
    deposit(suite, lending, lender, 100_000 * UNIT)
    post(suite, lending, borrower, 4 * SHARE)
    borrow(suite, lending, borrower, 20_000 * UNIT)
    set_fee(suite, token, 100, roles.admin)  # 1% from now on

    with reverts("MarketFeeOnTransfer", token=token.address, expected=1_000 * UNIT, received=990 * UNIT):
        deposit(suite, lending, lender, 1_000 * UNIT)
    with reverts("MarketFeeOnTransfer", token=token.address, expected=1_000 * UNIT, received=990 * UNIT):
        repay(suite, lending, borrower, 1_000 * UNIT, 0)
    price = price_for(6_000 * UNIT)  # 4 x 6,000 x 0.8 = 19,200 < 20,000
    set_price(suite, lending, price, roles.admin)
    _, _, repaid = liquidation(totals(lending), price, incentive(LLTV), seized=2 * SHARE)
    with reverts("MarketFeeOnTransfer", token=token.address, expected=repaid, received=repaid - repaid // 100):
        send(suite, market.functions.liquidate(borrower, 2 * SHARE, 0), liquidator)
    set_price(suite, lending, price_for(10_000 * UNIT), roles.admin)

    # Payouts: the market's books and cash move by exactly the amount; the fee is the receiver's.
    borrower0, lender0 = balance(token, borrower), balance(token, lender)
    borrow(suite, lending, borrower, 1_000 * UNIT)
    assert balance(token, borrower) == borrower0 + 990 * UNIT
    send(suite, market.functions.withdraw(10_000 * UNIT, lender, lender), lender)
    assert balance(token, lender) == lender0 + 9_900 * UNIT
    assert totals(lending)[:2] == (90_000 * UNIT, 21_000 * UNIT)
    assert_cash_matches_books(lending)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="KNOWN LIMITATION (docs/security.md, section 6): LendingMarket passes revenue on "
    "(claimRevenue, and the auto-repay of harvest and liquidate) assuming ShareToken.claim() "
    "delivered it in full; with a payment token whose fee is switched on (USDT-style) the "
    "market receives less and books the full amount, so its cash falls below its books by the "
    "fee and the last lender out is short.",
)
@pytest.mark.parametrize("path", ["claimRevenue", "harvest"])
def test_revenue_passed_through_the_market_arrives_whole(suite, roles, market_in, path):
    lending, token = market_in("blocklist")
    market, borrower = lending.market, roles.borrower
    deposit(suite, lending, roles.lender, 100_000 * UNIT)
    post(suite, lending, borrower, 4 * SHARE)
    borrow(suite, lending, borrower, 20_000 * UNIT)
    send(suite, market.functions.setAutoRepay(True), borrower)
    pay_revenue(suite, lending, 10_000 * UNIT, roles.outsider, roles.admin)  # 4,000 on the posted shares
    set_fee(suite, token, 100, roles.admin)

    if path == "claimRevenue":
        send(suite, market.functions.claimRevenue(roles.treasury), borrower)
    else:
        send(suite, market.functions.harvest(borrower), roles.outsider)
        assert totals(lending)[1] == 16_000 * UNIT

    assert_cash_matches_books(lending)


@pytest.mark.parametrize(
    ("kind", "error"),
    [("usdt_noreturn", "Error"), ("hook", "ERC20InsufficientAllowance"), ("blocklist", "ERC20InsufficientAllowance")],
)
def test_refused_pulls_leave_no_trace(suite, roles, market_in, kind, error):
    """An allowance short by one unit: the pull fails inside the token (a token without return
    values reverts with its own string) and the market's books are as before."""
    lending, token = market_in(kind)
    market, lender = lending.market, roles.lender
    deposit(suite, lending, lender, 1_000 * UNIT)
    suite.sender.transact(token.functions.approve(market.address, 500 * UNIT - 1), lender, "T")
    before = (totals(lending), market.functions.balanceOf(lender).call(), balance(token, lender))
    with reverts(error):
        deposit(suite, lending, lender, 500 * UNIT)
    assert (totals(lending), market.functions.balanceOf(lender).call(), balance(token, lender)) == before
    assert_cash_matches_books(lending)
