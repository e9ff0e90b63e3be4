"""The donation (inflation) attack: an attacker who deposits one unit and then sends a large
amount straight to the vault moves neither totalAssets (idle cash is tracked, not read from
the balance) nor the victim's shares; the donation is simply lost to the attacker."""

from __future__ import annotations

from fractions import Fraction

from tests.lending_support import DUSD
from tests.unit.lending_market.conftest import BORROWER_SHARES
from tests.unit.lending_market.support import (
    SHARE,
    balance,
    borrow,
    deposit,
    fund,
    one,
    position,
    post,
    reverts,
    send,
)

DONATION = 1_000_000 * DUSD


def test_a_donation_cannot_inflate_the_share_price(suite, roles, lending):
    market, attacker, victim = lending.market, roles.outsider, roles.lender
    fund(suite, lending.loan, attacker, DONATION + 1, lending.address, roles.admin)
    deposit(suite, lending, attacker, 1)
    assert market.functions.balanceOf(attacker).call() == 10**6  # the offset's virtual shares
    suite.sender.transact(lending.loan.functions.transfer(lending.address, DONATION), attacker, "Token")

    assert balance(lending.loan, lending.address) == DONATION + 1
    assert market.functions.totalAssets().call() == 1  # the donation is not an asset of lenders
    assert market.functions.liquidity().call() == 1
    assert market.functions.convertToAssets(10**6).call() == 1

    receipt = deposit(suite, lending, victim, 10_000 * DUSD)
    minted = one(lending, receipt, "Deposit")["shares"]
    assert minted == 10_000 * DUSD * 10**6  # exactly as without the donation
    assert market.functions.maxWithdraw(victim).call() == 10_000 * DUSD

    own = market.functions.balanceOf(victim).call()
    before = balance(lending.loan, victim)
    send(suite, market.functions.redeem(own, victim, victim), victim)
    assert balance(lending.loan, victim) == before + 10_000 * DUSD  # not a unit lost

    before = balance(lending.loan, attacker)
    send(suite, market.functions.redeem(10**6, attacker, attacker), attacker)
    assert balance(lending.loan, attacker) == before + 1  # the unit back, the donation gone
    assert market.functions.totalSupply().call() == 0
    assert balance(lending.loan, lending.address) == DONATION  # stranded: nobody's to claim


def test_a_victim_never_mints_zero_shares(suite, roles, lending):
    # Even the smallest deposit after a donation mints its million shares.
    attacker = roles.outsider
    fund(suite, lending.loan, attacker, DONATION + 1, lending.address, roles.admin)
    deposit(suite, lending, attacker, 1)
    suite.sender.transact(lending.loan.functions.transfer(lending.address, DONATION), attacker, "Token")
    receipt = deposit(suite, lending, roles.lender, 1)
    assert one(lending, receipt, "Deposit")["shares"] == 10**6
    # Ratio of the victim's claim to its deposit stays one, to the unit.
    supply, total = lending.market.functions.totalSupply().call(), lending.market.functions.totalAssets().call()
    assert Fraction(total + 1, supply + 10**6) == Fraction(1, 10**6)


def test_donated_cash_cannot_be_borrowed(suite, roles, lending):
    deposit(suite, lending, roles.lender, 1_000 * DUSD)
    suite.sender.transact(lending.loan.functions.transfer(lending.address, 50_000 * DUSD), roles.lender, "Token")
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    with reverts("MarketInsufficientLiquidity", requested=2_000 * DUSD, available=1_000 * DUSD):
        borrow(suite, lending, roles.borrower, 2_000 * DUSD)


def test_donated_shares_credit_no_position(suite, roles, lending):
    suite.sender.transact(lending.share.functions.transfer(lending.address, SHARE), roles.borrower, "ShareToken")
    assert balance(lending.share, lending.address) == SHARE
    assert position(lending, roles.borrower) == (0, 0)
    with reverts("MarketWithdrawExceedsCollateral", borrower=roles.borrower, assets=SHARE, collateral=0):
        send(suite, lending.market.functions.withdrawCollateral(SHARE, roles.borrower), roles.borrower)
