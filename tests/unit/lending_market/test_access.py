"""No function lets an outsider move someone else's collateral or debt: each entry point acts
on the caller's own position, or only ever in the position owner's favour (repaying,
posting collateral, applying its own revenue with its consent), or needs an allowance."""

from __future__ import annotations

from tests.lending_support import DUSD, distribute
from tests.unit.lending_market.conftest import BORROWER_SHARES
from tests.unit.lending_market.support import (
    SHARE,
    balance,
    borrow,
    deposit,
    earnings,
    fund,
    liquidate,
    position,
    post,
    repay,
    reverts,
    send,
    totals,
)


def test_an_outsider_cannot_touch_a_position(suite, roles, opened, liquidator):
    lending, market, outsider = opened, opened.market, roles.outsider
    fund(suite, lending.loan, outsider, 10**12, lending.address, roles.admin)
    distribute(suite, lending.asset_id, 1_000 * DUSD, roles.lessee, roles.admin)
    before = position(lending, roles.borrower), totals(lending)
    revenue = market.functions.revenueOf(roles.borrower).call()

    with reverts("MarketWithdrawExceedsCollateral", borrower=outsider, assets=SHARE, collateral=0):
        send(suite, market.functions.withdrawCollateral(SHARE, outsider), outsider)
    with reverts("MarketInsufficientCollateral", borrower=outsider, maxDebt=0):
        borrow(suite, lending, outsider, 1_000 * DUSD)
    with reverts("MarketPositionHealthy", borrower=roles.borrower):
        liquidate(suite, lending, outsider, roles.borrower, SHARE, 0)
    with reverts("MarketNothingToClaim", borrower=outsider):
        send(suite, market.functions.claimRevenue(outsider), outsider)
    with reverts("MarketAutoRepayOff", borrower=roles.borrower):
        send(suite, market.functions.harvest(roles.borrower), outsider)
    send(suite, market.functions.setAutoRepay(True), outsider)  # its own switch only
    assert earnings(lending, roles.borrower)[2] is False
    # The share token itself: the market's posted shares move only through the market.
    with reverts("ERC20InsufficientAllowance", spender=outsider, allowance=0, needed=SHARE):
        suite.sender.transact(
            lending.share.functions.transferFrom(lending.address, outsider, SHARE), outsider, "ShareToken"
        )

    assert position(lending, roles.borrower) == before[0]
    assert totals(lending)[2] == before[1][2]  # debt shares (assets move with interest)
    assert market.functions.revenueOf(roles.borrower).call() == revenue
    assert balance(lending.share, lending.address) == BORROWER_SHARES


def test_what_an_outsider_may_do_only_helps_the_owner(suite, roles, opened):
    lending, outsider = opened, roles.outsider
    fund(suite, lending.loan, outsider, 10**12, lending.address, roles.admin)
    shares, collateral = position(lending, roles.borrower)
    # Repaying someone's debt: paid by the caller.
    paid = balance(lending.loan, outsider)
    repay(suite, lending, outsider, 1_000 * DUSD, 0, on_behalf=roles.borrower)
    assert balance(lending.loan, outsider) == paid - 1_000 * DUSD
    assert position(lending, roles.borrower)[0] < shares
    # Posting collateral for someone: the caller's shares, the owner's to withdraw.
    suite.sender.transact(lending.share.functions.transfer(outsider, SHARE), roles.holders[0], "ShareToken")
    suite.sender.transact(lending.share.functions.approve(lending.address, SHARE), outsider, "ShareToken")
    post(suite, lending, outsider, SHARE, on_behalf=roles.borrower)
    assert position(lending, roles.borrower)[1] == collateral + SHARE
    assert position(lending, outsider) == (0, 0)


def test_vault_shares_move_only_with_an_allowance(suite, roles, lending):
    market, outsider = lending.market, roles.outsider
    deposit(suite, lending, roles.lender, 10_000 * DUSD)
    own = market.functions.balanceOf(roles.lender).call()
    with reverts("ERC20InsufficientAllowance", spender=outsider, allowance=0, needed=own):
        send(suite, market.functions.redeem(own, outsider, roles.lender), outsider)
    with reverts("ERC20InsufficientAllowance", spender=outsider, allowance=0, needed=own):
        send(suite, market.functions.transferFrom(roles.lender, outsider, own), outsider)
    assert market.functions.balanceOf(roles.lender).call() == own
    assert market.functions.balanceOf(outsider).call() == 0
