"""Awkward loan tokens: the lender and borrower flows over 6- and 18-decimal tokens and one
without return values, to the unit; a fee-on-transfer token is refused whenever the market
pulls it (deposit, repay, liquidate)."""

from __future__ import annotations

import pytest

from tests.unit.lease_manager.support import new_asset
from tests.unit.lending_market.conftest import BORROWER_SHARES, unit
from tests.unit.lending_market.support import (
    LLTV,
    SHARE,
    accrue,
    balance,
    borrow,
    call,
    deposit,
    incentive,
    liquidate,
    liquidation,
    one,
    pin,
    position,
    post,
    price_for,
    project,
    repay,
    reverts,
    send,
    set_price,
    to_assets_up,
    to_shares_down,
    totals,
)

YEAR = 365 * 86_400


@pytest.fixture
def loan_market(make_lending, payment_token):
    """A market lending each token shape; minBorrow 100 whole tokens."""
    whole = unit(payment_token)
    return make_lending(loan=payment_token, min_borrow=100 * whole), whole


def test_decimals_follow_the_loan_token(loan_market, payment_token):
    lending, whole = loan_market
    decimals = payment_token.functions.decimals().call()
    assert lending.market.functions.decimals().call() == decimals + 6
    assert whole == 10**decimals


def test_lend_borrow_repay_and_exit(suite, roles, loan_market, w3):
    lending, whole = loan_market
    market, token = lending.market, lending.loan
    lender_before, borrower_before = balance(token, roles.lender), balance(token, roles.borrower)

    receipt = deposit(suite, lending, roles.lender, 100_000 * whole)
    assert one(lending, receipt, "Deposit")["shares"] == 100_000 * whole * 10**6
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, 20_000 * whole)
    assert balance(token, roles.borrower) == borrower_before + 20_000 * whole
    assert balance(token, lending.address) == 80_000 * whole
    state = totals(lending)

    pin(w3, YEAR)
    _, borrowed, shares = project(state, YEAR)
    debt = to_assets_up(position(lending, roles.borrower)[0], borrowed, shares)
    receipt = repay(suite, lending, roles.borrower, 0, position(lending, roles.borrower)[0])
    assert one(lending, receipt, "Repaid")["assets"] == debt
    interest = debt - 20_000 * whole
    assert interest > 199 * whole  # 1% a year at 20% utilization
    assert balance(token, roles.borrower) == borrower_before - interest
    send(suite, market.functions.withdrawCollateral(BORROWER_SHARES, roles.borrower), roles.borrower)
    assert balance(lending.share, roles.borrower) == BORROWER_SHARES

    own = market.functions.balanceOf(roles.lender).call()
    assert market.functions.maxRedeem(roles.lender).call() == own
    send(suite, market.functions.redeem(own, roles.lender, roles.lender), roles.lender)
    gained = balance(token, roles.lender) - lender_before
    assert interest - 1 <= gained <= interest  # the virtual offset keeps under a unit
    assert balance(token, lending.address) == interest - gained


def test_liquidation(suite, roles, loan_market, liquidator, w3):
    lending, whole = loan_market
    deposit(suite, lending, roles.lender, 100_000 * whole)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, 30_000 * whole)
    price = price_for(9_000 * whole)
    set_price(suite, lending, price, roles.admin)
    state = accrue(suite, lending, roles.outsider)
    pin(w3, 3600)
    seized, repaid_shares, repaid = liquidation(project(state, 3600), price, incentive(LLTV), seized=SHARE)
    loan_before, share_before = balance(lending.loan, liquidator), balance(lending.share, liquidator)

    receipt = liquidate(suite, lending, liquidator, roles.borrower, SHARE, 0)

    event = one(lending, receipt, "Liquidated")
    assert (event["repaidAssets"], event["repaidShares"], event["seizedCollateral"]) == (repaid, repaid_shares, seized)
    assert balance(lending.loan, liquidator) == loan_before - repaid
    assert balance(lending.share, liquidator) == share_before + SHARE
    assert balance(lending.loan, lending.address) == 70_000 * whole + repaid


def test_auto_repay_with_an_18_decimal_payment_token(suite, roles, make_registration, make_lending, tokens, w3):
    # An asset paying its revenue in the 18-decimal token, and a market lending that token.
    dai = tokens.dai18
    asset_id, share = new_asset(suite, make_registration, roles, token=dai, configure=False)
    lending = make_lending(loan=dai, share=share, min_borrow=100 * 10**18)
    deposit(suite, lending, roles.lender, 100_000 * 10**18)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, 20_000 * 10**18)
    send(suite, lending.market.functions.setAutoRepay(True), roles.borrower)
    suite.sender.transact(dai.functions.mint(roles.lessee, 10_000 * 10**18), roles.admin, "Token")
    suite.sender.transact(dai.functions.approve(share.address, 10_000 * 10**18), roles.lessee, "Token")
    suite.sender.transact(share.functions.distribute(10_000 * 10**18), roles.lessee, "ShareToken")
    state = accrue(suite, lending, roles.outsider)
    pin(w3, 60)
    _, borrowed, shares = project(state, 60)
    receipt = send(suite, lending.market.functions.harvest(roles.borrower), roles.outsider)
    assert one(lending, receipt, "RevenueRepaid") == {
        "borrower": roles.borrower,
        "assets": 4_000 * 10**18,
        "shares": to_shares_down(4_000 * 10**18, borrowed, shares),
    }
    assert lending.asset_id == asset_id


# --------------------------------------------------------------- fee on transfer


@pytest.fixture
def taxed(make_lending, tokens):
    return make_lending(loan=tokens.fee_on_transfer)


def test_fee_on_transfer_deposit_is_refused(suite, roles, taxed, tokens):
    token = tokens.fee_on_transfer
    assert token.functions.feeBps().call() == 100
    with reverts("MarketFeeOnTransfer", token=token.address, expected=1_000 * 10**6, received=990 * 10**6):
        deposit(suite, taxed, roles.lender, 1_000 * 10**6)
    assert totals(taxed) == (0, 0, 0)
    mint = taxed.market.functions.mint(10**15, roles.lender)
    with reverts("MarketFeeOnTransfer", token=token.address, expected=1_000 * 10**6, received=990 * 10**6):
        send(suite, mint, roles.lender)


def seed_liquidity(w3, suite, lending, amount, minter):
    """Puts `amount` of lendable cash in a market no deposit can fund: the tokens, and the
    supplied total in storage (slot 5, low 128 bits: _totalSupplyAssets)."""
    suite.sender.transact(lending.loan.functions.mint(lending.address, amount), minter, "Token")
    w3.provider.make_request("anvil_setStorageAt", [lending.address, hex(5), "0x" + amount.to_bytes(32, "big").hex()])
    assert totals(lending) == (amount, 0, 0)
    assert lending.market.functions.liquidity().call() == amount


def test_fee_on_transfer_repayment_and_liquidation_are_refused(suite, roles, taxed, tokens, liquidator, w3):
    token = tokens.fee_on_transfer
    seed_liquidity(w3, suite, taxed, 100_000 * 10**6, roles.admin)
    post(suite, taxed, roles.borrower, BORROWER_SHARES)
    borrow(suite, taxed, roles.borrower, 20_000 * 10**6)  # paid out less the fee: not our loss
    state = totals(taxed)
    pin(w3, 60)
    _, borrowed, shares = project(state, 60)
    mine = position(taxed, roles.borrower)[0]
    debt = to_assets_up(mine, borrowed, shares)
    with reverts("MarketFeeOnTransfer", token=token.address, expected=debt, received=debt - debt // 100):
        call(taxed, "repay", 0, mine, roles.borrower, sender=roles.borrower, pending=True)
    with reverts("MarketFeeOnTransfer", token=token.address):
        repay(suite, taxed, roles.borrower, 1_000 * 10**6, 0)
    set_price(suite, taxed, price_for(6_000 * 10**6), roles.admin)  # 4 shares carry 19,200
    with reverts("MarketFeeOnTransfer", token=token.address):
        liquidate(suite, taxed, liquidator, roles.borrower, 2 * SHARE, 0)
    assert position(taxed, roles.borrower)[0] == mine
