"""Auto-repay: setAutoRepay (only where revenue is paid in the loan token), harvest applying a
borrower's banked revenue to its debt (part, all, never leaving dust below minBorrow), and
liquidation applying it first."""

from __future__ import annotations

from tests.lending_support import DUSD, MIN_BORROW, distribute
from tests.unit.lending_market.conftest import BORROWER_SHARES, DEBT
from tests.unit.lending_market.support import (
    LLTV,
    SHARE,
    accrue,
    balance,
    call,
    earnings,
    incentive,
    liquidate,
    liquidation,
    market_events,
    one,
    pin,
    position,
    price_for,
    project,
    reverts,
    send,
    set_price,
    to_assets_up,
    to_shares_down,
    totals,
)

DAY = 86_400


def pay(suite, roles, lending, amount):
    """Revenue into the waterfall: the borrower's 4 posted shares of 8 earn 40% of it."""
    distribute(suite, lending.asset_id, amount, roles.lessee, roles.admin)


def opt_in(suite, lending, borrower, on=True):
    return send(suite, lending.market.functions.setAutoRepay(on), borrower)


def harvest(suite, lending, borrower, caller):
    return send(suite, lending.market.functions.harvest(borrower), caller)


def test_set_auto_repay(suite, roles, lending):
    receipt = opt_in(suite, lending, roles.borrower)
    assert one(lending, receipt, "AutoRepaySet") == {"borrower": roles.borrower, "enabled": True}
    assert earnings(lending, roles.borrower)[2] is True
    assert earnings(lending, roles.outsider)[2] is False
    receipt = opt_in(suite, lending, roles.borrower, on=False)
    assert one(lending, receipt, "AutoRepaySet") == {"borrower": roles.borrower, "enabled": False}
    assert earnings(lending, roles.borrower)[2] is False


def test_auto_repay_needs_revenue_in_the_loan_token(suite, roles, make_lending, tokens):
    lending = make_lending(loan=tokens.dai18)
    with reverts("MarketAutoRepayUnsupported", loanToken=tokens.dai18.address, paymentToken=tokens.usdc6.address):
        opt_in(suite, lending, roles.borrower)
    opt_in(suite, lending, roles.borrower, on=False)  # opting out is always possible
    assert earnings(lending, roles.borrower)[2] is False
    with reverts("MarketAutoRepayOff", borrower=roles.borrower):
        harvest(suite, lending, roles.borrower, roles.outsider)


def test_harvest_needs_the_borrowers_consent(suite, roles, opened):
    pay(suite, roles, opened, 1_000 * DUSD)
    with reverts("MarketAutoRepayOff", borrower=roles.borrower):
        harvest(suite, opened, roles.borrower, roles.outsider)
    with reverts("MarketAutoRepayOff", borrower=roles.borrower):
        harvest(suite, opened, roles.borrower, roles.borrower)


def test_harvest_repays_part_of_the_debt(suite, roles, opened, w3):
    lending = opened
    opt_in(suite, lending, roles.borrower)
    pay(suite, roles, lending, 10_000 * DUSD)  # 4,000 dUSD for the borrower
    state = accrue(suite, lending, roles.outsider)
    liquidity = lending.market.functions.liquidity().call()
    held = balance(lending.loan, lending.address)
    shares, collateral = position(lending, roles.borrower)
    pin(w3, DAY)
    supplied, borrowed, total_shares = project(state, DAY)
    repaid_shares = to_shares_down(4_000 * DUSD, borrowed, total_shares)
    assert call(lending, "harvest", roles.borrower, sender=roles.outsider, pending=True) == 4_000 * DUSD

    receipt = harvest(suite, lending, roles.borrower, roles.outsider)  # anyone may

    assert one(lending, receipt, "RevenueRepaid") == {
        "borrower": roles.borrower,
        "assets": 4_000 * DUSD,
        "shares": repaid_shares,
    }
    assert one(lending, receipt, "RevenueBanked")["amount"] == 4_000 * DUSD
    assert position(lending, roles.borrower) == (shares - repaid_shares, collateral)
    assert totals(lending) == (supplied, borrowed - 4_000 * DUSD, total_shares - repaid_shares)
    assert earnings(lending, roles.borrower)[0] == 0
    # The revenue came in from the share token and is lendable again.
    assert balance(lending.loan, lending.address) == held + 4_000 * DUSD
    assert lending.market.functions.liquidity().call() == liquidity + 4_000 * DUSD


def test_harvest_clears_the_debt_and_keeps_the_rest(suite, roles, opened, w3):
    lending = opened
    opt_in(suite, lending, roles.borrower)
    pay(suite, roles, lending, 60_000 * DUSD)  # 24,000 dUSD for the borrower
    state = accrue(suite, lending, roles.outsider)
    shares, _ = position(lending, roles.borrower)
    pin(w3, DAY)
    _, borrowed, total_shares = project(state, DAY)
    debt = to_assets_up(shares, borrowed, total_shares)

    receipt = harvest(suite, lending, roles.borrower, roles.outsider)

    assert one(lending, receipt, "RevenueRepaid") == {"borrower": roles.borrower, "assets": debt, "shares": shares}
    assert position(lending, roles.borrower)[0] == 0
    assert totals(lending)[1:] == (0, 0)
    assert earnings(lending, roles.borrower)[0] == 24_000 * DUSD - debt
    before = balance(lending.loan, roles.borrower)
    send(suite, lending.market.functions.claimRevenue(roles.borrower), roles.borrower)
    assert balance(lending.loan, roles.borrower) == before + 24_000 * DUSD - debt
    # Nothing left to apply: harvest answers 0 and moves nothing.
    pay(suite, roles, lending, 1_000 * DUSD)
    receipt = harvest(suite, lending, roles.borrower, roles.outsider)
    assert market_events(lending, receipt, "RevenueRepaid") == []
    assert earnings(lending, roles.borrower)[0] == 400 * DUSD


def test_harvest_never_leaves_dust(suite, roles, opened, w3):
    lending = opened
    opt_in(suite, lending, roles.borrower)
    pay(suite, roles, lending, 49_875 * DUSD)  # 19,950 dUSD: debt would drop below minBorrow
    state = accrue(suite, lending, roles.outsider)
    shares, _ = position(lending, roles.borrower)
    pin(w3, DAY)
    _, borrowed, total_shares = project(state, DAY)
    debt = to_assets_up(shares, borrowed, total_shares)
    assert 0 < debt - 19_950 * DUSD < MIN_BORROW
    applied = debt - MIN_BORROW
    gone = to_shares_down(applied, borrowed, total_shares)

    receipt = harvest(suite, lending, roles.borrower, roles.outsider)

    assert one(lending, receipt, "RevenueRepaid") == {"borrower": roles.borrower, "assets": applied, "shares": gone}
    left = to_assets_up(shares - gone, borrowed - applied, total_shares - gone)
    assert left >= MIN_BORROW
    assert call(lending, "debtOf", roles.borrower) == left
    assert earnings(lending, roles.borrower)[0] == 19_950 * DUSD - applied


def test_harvest_without_debt_or_revenue_does_nothing(suite, roles, lending):
    opt_in(suite, lending, roles.borrower)
    assert call(lending, "harvest", roles.borrower, sender=roles.outsider) == 0
    send(suite, lending.market.functions.supplyCollateral(BORROWER_SHARES, roles.borrower), roles.borrower)
    pay(suite, roles, lending, 1_000 * DUSD)
    receipt = harvest(suite, lending, roles.borrower, roles.outsider)  # banks, repays nothing
    assert market_events(lending, receipt, "RevenueRepaid") == []
    assert earnings(lending, roles.borrower)[0] == 400 * DUSD


def test_revenue_rescues_before_liquidation(suite, roles, opened, liquidator):
    # At 5,800 dUSD a share, 4 shares carry 18,560 dUSD: 20,000 borrowed is liquidatable, but
    # 2,000 dUSD of banked revenue repays first and the liquidation finds the position healthy:
    # the call succeeds, keeps the repayment and seizes nothing.
    lending = opened
    opt_in(suite, lending, roles.borrower)
    pay(suite, roles, lending, 5_000 * DUSD)
    set_price(suite, lending, price_for(5_800 * DUSD), roles.admin)
    assert call(lending, "healthFactor", roles.borrower) < 10**18
    collateral = position(lending, roles.borrower)[1]
    receipt = liquidate(suite, lending, liquidator, roles.borrower, SHARE // 10, 0)
    assert one(lending, receipt, "RevenueRepaid")["assets"] == 2_000 * DUSD
    assert market_events(lending, receipt, "Liquidated") == []
    assert position(lending, roles.borrower)[1] == collateral  # nothing seized
    assert call(lending, "healthFactor", roles.borrower) >= 10**18
    # Healthy now, and with no revenue left to apply: a second attempt is refused.
    with reverts("MarketPositionHealthy", borrower=roles.borrower):
        liquidate(suite, lending, liquidator, roles.borrower, SHARE // 10, 0)


def test_liquidation_applies_revenue_first(suite, roles, opened, liquidator, w3):
    lending = opened
    opt_in(suite, lending, roles.borrower)
    pay(suite, roles, lending, 1_000 * DUSD)  # 400 dUSD: not enough to rescue
    price = price_for(5_500 * DUSD)
    set_price(suite, lending, price, roles.admin)
    state = accrue(suite, lending, roles.outsider)
    shares, collateral = position(lending, roles.borrower)
    pin(w3, DAY)
    _, borrowed, total_shares = project(state, DAY)
    gone = to_shares_down(400 * DUSD, borrowed, total_shares)
    after = (0, borrowed - 400 * DUSD, total_shares - gone)
    seized, repaid_shares, repaid = liquidation(after, price, incentive(LLTV), seized=3 * SHARE)

    receipt = liquidate(suite, lending, liquidator, roles.borrower, 3 * SHARE, 0)

    assert one(lending, receipt, "RevenueRepaid") == {"borrower": roles.borrower, "assets": 400 * DUSD, "shares": gone}
    event = one(lending, receipt, "Liquidated")
    assert (event["repaidAssets"], event["repaidShares"], event["seizedCollateral"]) == (repaid, repaid_shares, seized)
    assert position(lending, roles.borrower) == (shares - gone - repaid_shares, collateral - 3 * SHARE)
    assert repaid < DEBT * DUSD
