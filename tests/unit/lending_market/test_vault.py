"""The lenders' ERC-4626 vault: decimals, conversions with the 10**6 virtual offset, previews
that never favour the caller and that deposit, mint, withdraw and redeem honour (after interest
and after bad debt), withdrawals capped by idle liquidity."""

from __future__ import annotations

from fractions import Fraction

import pytest

from tests.lending_support import DUSD
from tests.unit.lending_market.conftest import BORROWER_SHARES
from tests.unit.lending_market.support import (
    MAX_UINT,
    accrue,
    balance,
    borrow,
    deposit,
    liquidate,
    one,
    pin,
    position,
    post,
    price_for,
    repay,
    reverts,
    send,
    set_price,
    vault_assets,
    vault_shares,
)

DAY = 86_400


def vault(lending, name, *args, pending=False):
    block = "pending" if pending else "latest"
    return lending.market.functions[name](*args).call(block_identifier=block)


def test_first_deposit_mints_a_million_shares_per_unit(suite, roles, lending):
    market = lending.market
    assert market.functions.decimals().call() == 12  # dUSD's 6 + the offset's 6
    assert market.functions.asset().call() == lending.loan.address
    assert market.functions.maxDeposit(roles.lender).call() == MAX_UINT
    assert market.functions.maxMint(roles.lender).call() == MAX_UINT
    assert market.functions.previewDeposit(1_000 * DUSD).call() == 1_000 * DUSD * 10**6
    before = balance(lending.loan, roles.lender)

    receipt = deposit(suite, lending, roles.lender, 1_000 * DUSD, receiver=roles.outsider)

    assert one(lending, receipt, "Deposit") == {
        "sender": roles.lender,
        "owner": roles.outsider,
        "assets": 1_000 * DUSD,
        "shares": 1_000 * DUSD * 10**6,
    }
    assert market.functions.balanceOf(roles.outsider).call() == 1_000 * DUSD * 10**6
    assert market.functions.totalSupply().call() == 1_000 * DUSD * 10**6
    assert market.functions.totalAssets().call() == 1_000 * DUSD
    assert balance(lending.loan, roles.lender) == before - 1_000 * DUSD
    assert balance(lending.loan, lending.address) == 1_000 * DUSD
    assert market.functions.maxWithdraw(roles.outsider).call() == 1_000 * DUSD


@pytest.fixture(params=["after_interest", "after_bad_debt"])
def seasoned(request, suite, roles, opened, liquidator, w3):
    """`opened` with an awkward share price: a year of interest, or a write-off on top of it."""
    lending = opened
    pin(w3, 365 * DAY)
    accrue(suite, lending, roles.outsider)
    if request.param == "after_bad_debt":
        set_price(suite, lending, price_for(5_000 * DUSD), roles.admin)
        liquidate(suite, lending, liquidator, roles.borrower, BORROWER_SHARES, 0)
        assert position(lending, roles.borrower) == (0, 0)
        # Some debt again, so that interest keeps moving the price.
        set_price(suite, lending, price_for(10_000 * DUSD), roles.admin)
        suite.sender.transact(lending.share.functions.approve(lending.address, MAX_UINT), liquidator, "ShareToken")
        post(suite, lending, liquidator, BORROWER_SHARES)
        borrow(suite, lending, liquidator, 20_000 * DUSD)
    return lending


def assert_no_favour(kind, amount, supply, total_assets, result):
    """The result against the exact conversion at the vault's rate (with its offsets)."""
    rate = Fraction(supply + 10**6, total_assets + 1)  # shares per asset
    if kind == "deposit":  # shares for assets: at most
        assert rate * amount - 1 < result <= rate * amount
    elif kind == "mint":  # assets for shares: at least
        assert amount / rate <= result < amount / rate + 1
    elif kind == "withdraw":  # shares burned for assets: at least
        assert rate * amount <= result < rate * amount + 1
    else:  # redeem, assets for shares: at most
        assert amount / rate - 1 < result <= amount / rate


@pytest.mark.parametrize("kind", ["deposit", "mint", "withdraw", "redeem"])
def test_actions_honour_their_previews(suite, roles, seasoned, w3, kind):
    lending, market = seasoned, seasoned.market
    amount = 12_345_678_901 if kind in ("deposit", "withdraw") else 9_876_543_210_987_654
    at = pin(w3, DAY)
    supply, total_assets = vault(lending, "totalSupply", pending=True), vault(lending, "totalAssets", pending=True)
    preview_name = {"deposit": "previewDeposit", "mint": "previewMint", "withdraw": "previewWithdraw"}
    preview = vault(lending, preview_name.get(kind, "previewRedeem"), amount, pending=True)
    up = kind in ("mint", "withdraw")
    convert = vault_shares if kind in ("deposit", "withdraw") else vault_assets
    assert preview == convert(amount, supply, total_assets, up=up)
    assert_no_favour(kind, amount, supply, total_assets, preview)
    lender = roles.lender

    if kind == "deposit":
        receipt = send(suite, market.functions.deposit(amount, lender), lender)
        assert one(lending, receipt, "Deposit")["shares"] == preview
    elif kind == "mint":
        receipt = send(suite, market.functions.mint(amount, lender), lender)
        assert one(lending, receipt, "Deposit")["assets"] == preview
    elif kind == "withdraw":
        receipt = send(suite, market.functions.withdraw(amount, lender, lender), lender)
        assert one(lending, receipt, "Withdraw")["shares"] == preview
    else:
        receipt = send(suite, market.functions.redeem(amount, lender, lender), lender)
        assert one(lending, receipt, "Withdraw")["assets"] == preview
    assert w3.eth.get_block(receipt["blockNumber"])["timestamp"] == at  # when the previews were read


def test_withdrawals_are_capped_by_liquidity(suite, roles, lending, liquidator):
    market = lending.market
    deposit(suite, lending, roles.lender, 30_000 * DUSD)
    deposit(suite, lending, liquidator, 1_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, 25_000 * DUSD)
    liquidity = market.functions.liquidity().call()
    assert liquidity == 6_000 * DUSD
    supply, total_assets = market.functions.totalSupply().call(), market.functions.totalAssets().call()
    own = market.functions.balanceOf(roles.lender).call()

    max_redeem = market.functions.maxRedeem(roles.lender).call()
    assert max_redeem == min(own, vault_shares(liquidity, supply, total_assets))
    max_withdraw = market.functions.maxWithdraw(roles.lender).call()
    assert max_withdraw == min(vault_assets(max_redeem, supply, total_assets), liquidity)
    assert liquidity - 1 <= max_withdraw <= liquidity
    # A small lender is not capped: all of its assets are there.
    small = market.functions.balanceOf(liquidator).call()
    assert market.functions.maxRedeem(liquidator).call() == small
    assert market.functions.maxWithdraw(liquidator).call() == vault_assets(small, supply, total_assets)

    with reverts("ERC4626ExceededMaxWithdraw", owner=roles.lender, assets=liquidity + 1):
        send(suite, market.functions.withdraw(liquidity + 1, roles.lender, roles.lender), roles.lender)
    with reverts("ERC4626ExceededMaxRedeem", owner=roles.lender, shares=own):
        send(suite, market.functions.redeem(own, roles.lender, roles.lender), roles.lender)

    send(suite, market.functions.withdraw(5_000 * DUSD, roles.lender, roles.lender), roles.lender)
    borrow(suite, lending, roles.borrower, market.functions.liquidity().call())
    assert market.functions.liquidity().call() == 0
    assert market.functions.maxWithdraw(liquidator).call() == 0
    assert market.functions.maxRedeem(liquidator).call() == 0
    with reverts("ERC4626ExceededMaxWithdraw", owner=liquidator, assets=1, max=0):
        send(suite, market.functions.withdraw(1, liquidator, liquidator), liquidator)
    # Repayment brings the cash back.
    repay(suite, lending, roles.borrower, 0, position(lending, roles.borrower)[0])
    assert market.functions.maxRedeem(liquidator).call() == small


def test_withdrawing_for_another_owner_needs_an_allowance(suite, roles, lending):
    market = lending.market
    deposit(suite, lending, roles.lender, 1_000 * DUSD)
    shares = market.functions.previewWithdraw(100 * DUSD).call()
    with reverts("ERC20InsufficientAllowance", spender=roles.outsider, allowance=0, needed=shares):
        send(suite, market.functions.withdraw(100 * DUSD, roles.outsider, roles.lender), roles.outsider)
    send(suite, market.functions.approve(roles.outsider, shares), roles.lender)
    before = balance(lending.loan, roles.outsider)
    receipt = send(suite, market.functions.withdraw(100 * DUSD, roles.outsider, roles.lender), roles.outsider)
    assert one(lending, receipt, "Withdraw") == {
        "sender": roles.outsider,
        "receiver": roles.outsider,
        "owner": roles.lender,
        "assets": 100 * DUSD,
        "shares": shares,
    }
    assert balance(lending.loan, roles.outsider) == before + 100 * DUSD
    assert market.functions.allowance(roles.lender, roles.outsider).call() == 0


def test_lenders_take_the_interest_borrowers_pay(suite, roles, opened, w3):
    lending, market = opened, opened.market
    pin(w3, 365 * DAY)
    paid_before = balance(lending.loan, roles.borrower)
    repay(suite, lending, roles.borrower, 0, position(lending, roles.borrower)[0])
    interest = paid_before - balance(lending.loan, roles.borrower) - 20_000 * DUSD
    assert interest > 190 * DUSD  # about 1% a year at 20% utilization
    own = market.functions.balanceOf(roles.lender).call()
    assert market.functions.maxRedeem(roles.lender).call() == own
    before = balance(lending.loan, roles.lender)
    send(suite, market.functions.redeem(own, roles.lender, roles.lender), roles.lender)
    got = balance(lending.loan, roles.lender) - before
    # All of it but the rounding the virtual offset keeps (under a unit).
    assert 100_000 * DUSD + interest - 1 <= got <= 100_000 * DUSD + interest
    assert market.functions.totalSupply().call() == 0


def test_after_a_loss_the_last_lender_can_still_take_everything(suite, roles, lending, liquidator):
    market = lending.market
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, 30_000 * DUSD)
    set_price(suite, lending, price_for(5_000 * DUSD), roles.admin)
    liquidate(suite, lending, liquidator, roles.borrower, BORROWER_SHARES, 0)  # bad debt written off
    own = market.functions.balanceOf(roles.lender).call()
    assert market.functions.liquidity().call() == market.functions.totalAssets().call()  # all idle
    assert market.functions.maxRedeem(roles.lender).call() == own
