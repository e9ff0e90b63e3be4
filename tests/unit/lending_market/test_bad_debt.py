"""Bad debt: seizing all the collateral of an underwater position writes the rest of its debt
off against the lenders (BadDebtWrittenOff), exact against the model; the vault's totalAssets
and share price fall by it, and other borrowers' debts do not move."""

from __future__ import annotations

from tests.lending_support import DUSD
from tests.unit.lending_market.conftest import BORROWER_SHARES
from tests.unit.lending_market.support import (
    LLTV,
    SHARE,
    accrue,
    balance,
    borrow,
    call,
    deposit,
    give_shares,
    incentive,
    liquidate,
    liquidation,
    market_events,
    one,
    pin,
    position,
    post,
    price_for,
    project,
    set_price,
    to_assets_up,
    totals,
)

HOUR = 3600
CRASHED = price_for(5_000 * DUSD)  # 4 shares worth 20,000 dUSD against 30,000 of debt


def write_off(state, shares, collateral, price):
    """The model: (repaid assets, repaid shares, bad assets, bad shares) of seizing all."""
    _, borrowed, total_shares = state
    _, repaid_shares, repaid = liquidation(state, price, incentive(LLTV), seized=collateral)
    borrowed, total_shares = max(borrowed - repaid, 0), total_shares - repaid_shares
    bad_shares = shares - repaid_shares
    bad = min(borrowed, to_assets_up(bad_shares, borrowed, total_shares))
    return repaid, repaid_shares, bad, bad_shares


def test_seizing_all_collateral_writes_the_rest_off(suite, roles, lending, liquidator, w3):
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, 30_000 * DUSD)
    set_price(suite, lending, CRASHED, roles.admin)
    state = accrue(suite, lending, roles.outsider)
    vault_shares = lending.market.functions.balanceOf(roles.lender).call()
    shares, collateral = position(lending, roles.borrower)

    pin(w3, HOUR)
    supplied, borrowed, total_shares = project(state, HOUR)
    repaid, repaid_shares, bad, bad_shares = write_off((supplied, borrowed, total_shares), shares, collateral, CRASHED)
    assert 18_800 * DUSD < repaid <= 18_800 * DUSD + 2  # 20,000 x 0.94, rounded up
    assert bad == borrowed - repaid  # the only borrower: everything it still owed

    receipt = liquidate(suite, lending, liquidator, roles.borrower, collateral, 0)

    assert one(lending, receipt, "Liquidated") == {
        "liquidator": liquidator,
        "borrower": roles.borrower,
        "repaidAssets": repaid,
        "repaidShares": repaid_shares,
        "seizedCollateral": collateral,
    }
    assert one(lending, receipt, "BadDebtWrittenOff") == {
        "borrower": roles.borrower,
        "assets": bad,
        "shares": bad_shares,
    }
    assert position(lending, roles.borrower) == (0, 0)
    assert totals(lending) == (supplied - bad, 0, 0)
    assert lending.market.functions.totalAssets().call() == supplied - bad
    assert lending.market.functions.liquidity().call() == supplied - bad
    # Cash is all there: what was lent out, less the loss, came back.
    assert balance(lending.loan, lending.address) == supplied - bad
    assert balance(lending.share, liquidator) == collateral
    # The lenders bear it: the same vault shares are worth about 11,200 dUSD less.
    worth = lending.market.functions.convertToAssets(vault_shares).call()
    assert worth == supplied - bad  # the only lender: all of it (floored)
    assert 100_000 * DUSD - worth > 11_000 * DUSD
    assert call(lending, "debtOf", roles.borrower) == 0


def test_other_borrowers_keep_their_debt(suite, roles, lending, liquidator, w3):
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, 30_000 * DUSD)
    give_shares(suite, lending, roles.holders[0], roles.lender, 4 * SHARE)
    post(suite, lending, roles.lender, 4 * SHARE)
    borrow(suite, lending, roles.lender, 5_000 * DUSD)  # safe even at the crashed price
    set_price(suite, lending, CRASHED, roles.admin)
    state = accrue(suite, lending, roles.outsider)
    shares, collateral = position(lending, roles.borrower)
    other = position(lending, roles.lender)[0]

    pin(w3, HOUR)
    now_state = project(state, HOUR)
    other_debt = to_assets_up(other, now_state[1], now_state[2])
    repaid, repaid_shares, bad, bad_shares = write_off(now_state, shares, collateral, CRASHED)
    receipt = liquidate(suite, lending, liquidator, roles.borrower, collateral, 0)
    assert [(e["assets"], e["shares"]) for e in market_events(lending, receipt, "BadDebtWrittenOff")] == [
        (bad, bad_shares)
    ]

    supplied, borrowed, total_shares = totals(lending)
    assert (supplied, borrowed, total_shares) == (
        now_state[0] - bad,
        now_state[1] - repaid - bad,
        now_state[2] - repaid_shares - bad_shares,
    )
    assert total_shares == other
    # The repayment and the write-off each round up against the liquidated shares: the debt
    # left to the other borrower can only round down, by a unit for each.
    assert other_debt - 2 <= call(lending, "debtOf", roles.lender) <= other_debt
    assert position(lending, roles.lender) == (other, 4 * SHARE)
