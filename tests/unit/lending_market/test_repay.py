"""repay: by assets (shares rounded down) or by shares (assets rounded up), by anyone for
anyone, never leaving a debt below minBorrow; each refusal with its arguments."""

from __future__ import annotations

from tests.lending_support import DUSD, MIN_BORROW
from tests.unit.lending_market.conftest import BORROWER_SHARES, DEBT
from tests.unit.lending_market.support import (
    ZERO,
    balance,
    call,
    one,
    pin,
    position,
    project,
    repay,
    reverts,
    send,
    send_pinned,
    set_price,
    to_assets_up,
    to_shares_down,
    totals,
)

DAY = 86_400


def test_repay_by_assets(suite, roles, opened, w3):
    lending = opened
    state = totals(lending)
    pin(w3, DAY)
    supplied, borrowed, shares = project(state, DAY)
    repaid_shares = to_shares_down(5_000 * DUSD, borrowed, shares)
    assert call(lending, "repay", 5_000 * DUSD, 0, roles.borrower, sender=roles.borrower, pending=True) == [
        5_000 * DUSD,
        repaid_shares,
    ]
    paid_before, held_before = balance(lending.loan, roles.borrower), balance(lending.loan, lending.address)

    receipt = repay(suite, lending, roles.borrower, 5_000 * DUSD, 0)

    assert one(lending, receipt, "Repaid") == {
        "caller": roles.borrower,
        "onBehalf": roles.borrower,
        "assets": 5_000 * DUSD,
        "shares": repaid_shares,
    }
    assert balance(lending.loan, roles.borrower) == paid_before - 5_000 * DUSD
    assert balance(lending.loan, lending.address) == held_before + 5_000 * DUSD
    assert position(lending, roles.borrower) == (shares - repaid_shares, BORROWER_SHARES)
    assert totals(lending) == (supplied, borrowed - 5_000 * DUSD, shares - repaid_shares)
    assert lending.market.functions.liquidity().call() == supplied - borrowed + 5_000 * DUSD


def test_anyone_may_repay_for_a_borrower(suite, roles, opened, liquidator):
    lending = opened
    shares_before = position(lending, roles.borrower)[0]
    payer_before, borrower_before = balance(lending.loan, liquidator), balance(lending.loan, roles.borrower)
    receipt = repay(suite, lending, liquidator, 1_000 * DUSD, 0, on_behalf=roles.borrower)
    event = one(lending, receipt, "Repaid")
    assert (event["caller"], event["onBehalf"], event["assets"]) == (liquidator, roles.borrower, 1_000 * DUSD)
    assert position(lending, roles.borrower)[0] == shares_before - event["shares"]
    assert balance(lending.loan, liquidator) == payer_before - 1_000 * DUSD
    assert balance(lending.loan, roles.borrower) == borrower_before


def test_repay_refusals(suite, roles, opened):
    lending = opened
    shares, _ = position(lending, roles.borrower)
    with reverts("MarketInconsistentInput", assets=0, shares=0):
        repay(suite, lending, roles.borrower, 0, 0)
    with reverts("MarketInconsistentInput", assets=1, shares=1):
        repay(suite, lending, roles.borrower, 1, 1)
    with reverts("MarketZeroAddress"):
        repay(suite, lending, roles.borrower, 1, 0, on_behalf=ZERO)
    with reverts("MarketRepayExceedsDebt", borrower=roles.borrower, shares=shares + 1, debtShares=shares):
        repay(suite, lending, roles.borrower, 0, shares + 1)
    with reverts("MarketRepayExceedsDebt", borrower=roles.borrower, debtShares=shares):
        repay(suite, lending, roles.borrower, 2 * DEBT * DUSD, 0)
    with reverts("MarketRepayExceedsDebt", borrower=roles.outsider, shares=10**6, debtShares=0):
        repay(suite, lending, roles.outsider, 0, 10**6)
    assert position(lending, roles.borrower)[0] == shares


def test_repay_never_leaves_a_debt_below_the_minimum(suite, roles, opened, w3):
    lending = opened
    state = totals(lending)
    pin(w3, DAY)
    _, borrowed, shares = project(state, DAY)
    mine = position(lending, roles.borrower)[0]
    debt = to_assets_up(mine, borrowed, shares)
    too_much = debt - MIN_BORROW + 1
    gone = to_shares_down(too_much, borrowed, shares)
    left = to_assets_up(mine - gone, borrowed - too_much, shares - gone)
    assert 0 < left < MIN_BORROW
    with reverts("MarketBelowMinBorrow", borrower=roles.borrower, debt=left, minBorrow=MIN_BORROW):
        call(lending, "repay", too_much, 0, roles.borrower, sender=roles.borrower, pending=True)

    send_pinned(suite, lending.market.functions.repay(too_much - 1, 0, roles.borrower), roles.borrower)
    assert call(lending, "debtOf", roles.borrower) == MIN_BORROW


def test_full_repayment_by_shares(suite, roles, opened, w3):
    lending = opened
    state = totals(lending)
    pin(w3, 365 * DAY)
    _, borrowed, shares = project(state, 365 * DAY)
    mine = position(lending, roles.borrower)[0]
    assert mine == shares  # the only borrower
    debt = to_assets_up(mine, borrowed, shares)
    assert debt > DEBT * DUSD
    before = balance(lending.loan, roles.borrower)

    receipt = repay(suite, lending, roles.borrower, 0, mine)

    assert one(lending, receipt, "Repaid") == {
        "caller": roles.borrower,
        "onBehalf": roles.borrower,
        "assets": debt,
        "shares": mine,
    }
    assert balance(lending.loan, roles.borrower) == before - debt
    assert position(lending, roles.borrower) == (0, BORROWER_SHARES)
    supplied, borrowed_after, shares_after = totals(lending)
    assert (borrowed_after, shares_after) == (0, 0)  # rounding up may overpay by a unit: floored at 0
    assert debt - borrowed <= 1
    assert call(lending, "debtOf", roles.borrower) == 0
    assert call(lending, "healthFactor", roles.borrower) == 2**256 - 1
    # Debt-free: the shares come back even without a price.
    set_price(suite, lending, 0, roles.admin)
    send(suite, lending.market.functions.withdrawCollateral(BORROWER_SHARES, roles.borrower), roles.borrower)
    assert balance(lending.share, roles.borrower) == BORROWER_SHARES
    assert lending.market.functions.liquidity().call() == supplied


def test_repaying_the_debt_read_in_assets_can_overshoot_the_shares(suite, roles, opened, w3):
    # Debt rounds up to assets and assets round down to shares: after interest, debtOf() in
    # assets buys more shares than the position has. A full repayment goes by shares.
    lending = opened
    state = totals(lending)
    pin(w3, 7 * DAY)
    _, borrowed, shares = project(state, 7 * DAY)
    mine = position(lending, roles.borrower)[0]
    debt = to_assets_up(mine, borrowed, shares)
    assert to_shares_down(debt, borrowed, shares) > mine
    with reverts(
        "MarketRepayExceedsDebt",
        borrower=roles.borrower,
        shares=to_shares_down(debt, borrowed, shares),
        debtShares=mine,
    ):
        call(lending, "repay", debt, 0, roles.borrower, sender=roles.borrower, pending=True)
    repay(suite, lending, roles.borrower, 0, mine)
    assert position(lending, roles.borrower)[0] == 0


def test_repay_needs_no_price(suite, roles, opened):
    set_price(suite, opened, 0, roles.admin)
    shares = position(opened, roles.borrower)[0]
    repay(suite, opened, roles.borrower, 0, shares)
    assert position(opened, roles.borrower)[0] == 0
