"""supplyCollateral and withdrawCollateral: shares in and out, positions, events, and every
refusal with its arguments (the withdrawal edge computed with interest to the second)."""

from __future__ import annotations

from tests.lending_support import DUSD, LLTV
from tests.unit.lending_market.conftest import BORROWER_SHARES, DEBT, SHARE_VALUE
from tests.unit.lending_market.support import (
    SHARE,
    ZERO,
    balance,
    borrow,
    call,
    deposit,
    max_debt,
    min_collateral,
    one,
    pin,
    position,
    post,
    price_for,
    project,
    reverts,
    send,
    set_price,
    to_assets_up,
    totals,
)

PRICE = price_for(SHARE_VALUE * DUSD)


def withdraw(suite, lending, borrower, assets, receiver=None):
    return send(suite, lending.market.functions.withdrawCollateral(assets, receiver or borrower), borrower)


def test_supply_collateral_pulls_shares_and_credits_the_position(suite, roles, lending):
    share, market = lending.share, lending.address
    receipt = post(suite, lending, roles.borrower, SHARE)
    assert one(lending, receipt, "CollateralSupplied") == {
        "caller": roles.borrower,
        "onBehalf": roles.borrower,
        "assets": SHARE,
    }
    assert position(lending, roles.borrower) == (0, SHARE)
    assert balance(share, market) == SHARE
    assert balance(share, roles.borrower) == BORROWER_SHARES - SHARE

    post(suite, lending, roles.borrower, 2 * SHARE)
    assert position(lending, roles.borrower) == (0, 3 * SHARE)
    assert balance(share, market) == 3 * SHARE
    assert call(lending, "maxDebtOf", roles.borrower) == 3 * SHARE_VALUE * DUSD * LLTV // 10**18


def test_supply_collateral_on_behalf_of_another(suite, roles, lending):
    receipt = post(suite, lending, roles.borrower, SHARE, on_behalf=roles.lender)
    assert one(lending, receipt, "CollateralSupplied") == {
        "caller": roles.borrower,
        "onBehalf": roles.lender,
        "assets": SHARE,
    }
    assert position(lending, roles.lender) == (0, SHARE)
    assert position(lending, roles.borrower) == (0, 0)
    # Only the credited account can take it back.
    with reverts("MarketWithdrawExceedsCollateral", borrower=roles.borrower, assets=1, collateral=0):
        withdraw(suite, lending, roles.borrower, 1)
    withdraw(suite, lending, roles.lender, SHARE)
    assert balance(lending.share, roles.lender) == SHARE


def test_supply_collateral_refusals(suite, roles, lending):
    with reverts("MarketZeroAmount"):
        post(suite, lending, roles.borrower, 0)
    with reverts("MarketZeroAddress"):
        post(suite, lending, roles.borrower, SHARE, on_behalf=ZERO)
    # More shares than the caller holds: the share token's own error.
    with reverts(
        "ERC20InsufficientBalance", sender=roles.borrower, balance=BORROWER_SHARES, needed=BORROWER_SHARES + 1
    ):
        post(suite, lending, roles.borrower, BORROWER_SHARES + 1)
    assert position(lending, roles.borrower) == (0, 0)


def test_withdraw_collateral_without_debt(suite, roles, lending):
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    receipt = withdraw(suite, lending, roles.borrower, SHARE, receiver=roles.outsider)
    assert one(lending, receipt, "CollateralWithdrawn") == {
        "borrower": roles.borrower,
        "receiver": roles.outsider,
        "assets": SHARE,
    }
    assert balance(lending.share, roles.outsider) == SHARE
    assert position(lending, roles.borrower) == (0, 3 * SHARE)
    # Without debt the oracle is not asked: a dead price does not lock the shares in.
    set_price(suite, lending, 0, roles.admin)
    withdraw(suite, lending, roles.borrower, 3 * SHARE)
    assert position(lending, roles.borrower) == (0, 0)
    assert balance(lending.share, roles.borrower) == BORROWER_SHARES - SHARE
    assert balance(lending.share, lending.address) == 0


def test_withdraw_collateral_refusals(suite, roles, lending):
    post(suite, lending, roles.borrower, SHARE)
    with reverts("MarketZeroAmount"):
        withdraw(suite, lending, roles.borrower, 0)
    with reverts("MarketZeroAddress"):
        withdraw(suite, lending, roles.borrower, SHARE, receiver=ZERO)
    with reverts("MarketWithdrawExceedsCollateral", borrower=roles.borrower, assets=SHARE + 1, collateral=SHARE):
        withdraw(suite, lending, roles.borrower, SHARE + 1)


def test_withdraw_collateral_stops_at_the_healthy_edge(suite, roles, lending, w3):
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, DEBT * DUSD)  # accrues: the totals are stored as of now
    shares, collateral = position(lending, roles.borrower)
    state = totals(lending)

    pin(w3, 3600)
    _, borrowed, borrow_shares = project(state, 3600)
    debt = to_assets_up(shares, borrowed, borrow_shares)
    assert debt > DEBT * DUSD  # an hour of interest
    keep = min_collateral(debt, PRICE)
    # At this price collateral value moves in steps of one unit per 1e8 share units: one step less.
    short = max_debt(keep - 10**8, PRICE)
    assert short == debt - 1
    with reverts("MarketInsufficientCollateral", borrower=roles.borrower, debt=debt, maxDebt=short):
        # A dry run in the pending block, at the pinned time.
        call(
            lending,
            "withdrawCollateral",
            collateral - keep + 10**8,
            roles.borrower,
            sender=roles.borrower,
            pending=True,
        )
    withdraw(suite, lending, roles.borrower, collateral - keep)  # mined at the pinned time

    assert position(lending, roles.borrower) == (shares, keep)
    assert call(lending, "debtOf", roles.borrower) == debt
    assert call(lending, "maxDebtOf", roles.borrower) >= debt


def test_withdraw_collateral_with_debt_needs_a_price(suite, roles, lending):
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, 1_000 * DUSD)
    set_price(suite, lending, 0, roles.admin)
    with reverts("MockPriceUnavailable"):
        withdraw(suite, lending, roles.borrower, 1)
    set_price(suite, lending, PRICE, roles.admin)
    withdraw(suite, lending, roles.borrower, SHARE)
    assert position(lending, roles.borrower)[1] == BORROWER_SHARES - SHARE
