"""liquidate: by seized collateral or by repaid debt shares, exact against the Python model of
the incentive and of the share conversions (the repayment rounds up, the seizure down), the
position left healthy or debt-free, and each refusal with its arguments."""

from __future__ import annotations

from fractions import Fraction

import pytest

from tests.lending_support import DUSD, MIN_BORROW
from tests.unit.lending_market.conftest import BORROWER_SHARES
from tests.unit.lending_market.support import (
    LLTV,
    ORACLE_SCALE,
    SHARE,
    WAD,
    accrue,
    balance,
    borrow,
    call,
    deposit,
    incentive,
    liquidate,
    liquidation,
    max_debt,
    one,
    pin,
    position,
    post,
    price_for,
    project,
    reverts,
    set_price,
    to_assets_up,
    to_shares_up,
    totals,
)

HOUR = 3600
DROPPED = price_for(9_000 * DUSD)  # 4 shares now carry at most 28,800 dUSD of debt
BORROWED = 30_000 * DUSD


def setup(suite, roles, lending, borrowed=BORROWED, price=DROPPED):
    """Supplies, borrows `borrowed` against the borrower's 4 shares, moves the price, and
    accrues: the totals are stored as of the latest block."""
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, borrowed)
    set_price(suite, lending, price, roles.admin)
    return accrue(suite, lending, roles.outsider)


@pytest.fixture
def underwater(suite, roles, lending):
    """`lending` with 30,000 dUSD borrowed and the price down to 9,000 dUSD a share."""
    setup(suite, roles, lending)
    return lending


def test_liquidate_by_seized_collateral(suite, roles, underwater, liquidator, w3):
    lending = underwater
    inc = incentive(LLTV)
    state = totals(lending)
    pin(w3, HOUR)
    supplied, borrowed, total_shares = project(state, HOUR)
    shares, collateral = position(lending, roles.borrower)
    seized, repaid_shares, repaid = liquidation((supplied, borrowed, total_shares), DROPPED, inc, seized=SHARE)
    assert seized == SHARE
    assert call(lending, "liquidate", roles.borrower, SHARE, 0, sender=liquidator, pending=True) == [SHARE, repaid]
    share_before, loan_before = balance(lending.share, liquidator), balance(lending.loan, liquidator)

    receipt = liquidate(suite, lending, liquidator, roles.borrower, SHARE, 0)

    assert one(lending, receipt, "Liquidated") == {
        "liquidator": liquidator,
        "borrower": roles.borrower,
        "repaidAssets": repaid,
        "repaidShares": repaid_shares,
        "seizedCollateral": SHARE,
    }
    assert balance(lending.share, liquidator) == share_before + SHARE
    assert balance(lending.loan, liquidator) == loan_before - repaid
    assert position(lending, roles.borrower) == (shares - repaid_shares, collateral - SHARE)
    assert totals(lending) == (supplied, borrowed - repaid, total_shares - repaid_shares)
    assert call(lending, "healthFactor", roles.borrower) >= WAD
    # The real numbers: 9,000 dUSD of collateral for 9,000 / 1.0638 dUSD of debt, never less.
    exact = Fraction(9_000 * DUSD) / Fraction(inc, WAD)
    assert exact <= repaid <= exact + 2


def test_liquidate_by_repaid_shares(suite, roles, underwater, liquidator, w3):
    lending = underwater
    inc = incentive(LLTV)
    shares, collateral = position(lending, roles.borrower)
    state = totals(lending)
    pin(w3, HOUR)
    supplied, borrowed, total_shares = project(state, HOUR)
    seized, _, repaid = liquidation((supplied, borrowed, total_shares), DROPPED, inc, repaid_shares=shares // 3)
    share_before, loan_before = balance(lending.share, liquidator), balance(lending.loan, liquidator)

    receipt = liquidate(suite, lending, liquidator, roles.borrower, 0, shares // 3)

    assert one(lending, receipt, "Liquidated") == {
        "liquidator": liquidator,
        "borrower": roles.borrower,
        "repaidAssets": repaid,
        "repaidShares": shares // 3,
        "seizedCollateral": seized,
    }
    assert balance(lending.share, liquidator) == share_before + seized
    assert balance(lending.loan, liquidator) == loan_before - repaid
    assert position(lending, roles.borrower) == (shares - shares // 3, collateral - seized)
    assert totals(lending) == (supplied, borrowed - repaid, total_shares - shares // 3)
    # Seized value within the incentive on what was repaid, rounded against the liquidator.
    value = Fraction(seized * DROPPED, ORACLE_SCALE)
    assert value <= Fraction(repaid * inc, WAD) < value + Fraction(inc, WAD) + 1
    assert seized > SHARE  # about 10,000 x 1.0638 / 9,000 shares


@pytest.mark.parametrize(
    ("lltv", "borrowed", "price", "take"),
    [
        (WAD // 2, 19_000 * DUSD, 9_000 * DUSD, SHARE // 2),  # incentive capped at 1.15
        (945 * WAD // 1000, 37_000 * DUSD, 9_700 * DUSD, SHARE),
        (98 * WAD // 100, 39_000 * DUSD, 9_900 * DUSD, 3 * SHARE // 2),  # thin margin: more to take
    ],
)
def test_incentive_follows_the_lltv(suite, roles, make_lending, liquidator, w3, lltv, borrowed, price, take):
    lending = make_lending(lltv=lltv)
    state = setup(suite, roles, lending, borrowed, price_for(price))
    inc = lending.market.functions.liquidationIncentive().call()
    assert inc == incentive(lltv)
    pin(w3, HOUR)
    now_state = project(state, HOUR)
    seized, repaid_shares, repaid = liquidation(now_state, price_for(price), inc, seized=take)
    receipt = liquidate(suite, lending, liquidator, roles.borrower, take, 0)
    event = one(lending, receipt, "Liquidated")
    assert (event["seizedCollateral"], event["repaidShares"], event["repaidAssets"]) == (seized, repaid_shares, repaid)
    exact = Fraction(price * take, SHARE) / Fraction(inc, WAD)
    assert exact <= repaid <= exact + 2
    assert call(lending, "healthFactor", roles.borrower) >= WAD


def test_liquidation_that_repays_all_the_debt(suite, roles, underwater, liquidator, w3):
    lending = underwater
    shares, collateral = position(lending, roles.borrower)
    state = totals(lending)
    pin(w3, HOUR)
    now_state = project(state, HOUR)
    seized, _, repaid = liquidation(now_state, DROPPED, incentive(LLTV), repaid_shares=shares)
    assert seized < collateral
    receipt = liquidate(suite, lending, liquidator, roles.borrower, 0, shares)
    assert one(lending, receipt, "Liquidated")["repaidAssets"] == repaid
    assert position(lending, roles.borrower) == (0, collateral - seized)
    assert totals(lending)[1:] == (0, 0)
    assert lending.market.events.BadDebtWrittenOff().process_receipt(receipt) == ()
    # What is left is the borrower's again.
    send_back = lending.market.functions.withdrawCollateral(collateral - seized, roles.borrower)
    suite.sender.transact(send_back, roles.borrower, "LendingMarket")
    assert balance(lending.share, roles.borrower) == collateral - seized


def test_liquidation_refusals(suite, roles, underwater, liquidator):
    lending = underwater
    shares, collateral = position(lending, roles.borrower)
    with reverts("MarketSelfLiquidation", borrower=roles.borrower):
        liquidate(suite, lending, roles.borrower, roles.borrower, SHARE, 0)
    with reverts("MarketInconsistentInput", assets=0, shares=0):
        liquidate(suite, lending, liquidator, roles.borrower, 0, 0)
    with reverts("MarketInconsistentInput", assets=1, shares=1):
        liquidate(suite, lending, liquidator, roles.borrower, 1, 1)
    with reverts("MarketRepayExceedsDebt", borrower=roles.borrower, shares=shares + 1, debtShares=shares):
        liquidate(suite, lending, liquidator, roles.borrower, 0, shares + 1)
    with reverts("MarketPositionHealthy", borrower=roles.outsider, debt=0, maxDebt=0):
        liquidate(suite, lending, liquidator, roles.outsider, SHARE, 0)
    assert position(lending, roles.borrower) == (shares, collateral)


def test_a_healthy_position_cannot_be_liquidated(suite, roles, lending, liquidator, w3):
    state = setup(suite, roles, lending, price=price_for(9_400 * DUSD))  # max debt 30,080 dUSD
    pin(w3, HOUR)
    _, borrowed, total_shares = project(state, HOUR)
    debt = to_assets_up(position(lending, roles.borrower)[0], borrowed, total_shares)
    limit = max_debt(BORROWER_SHARES, price_for(9_400 * DUSD))
    assert debt <= limit == 30_080 * DUSD
    with reverts("MarketPositionHealthy", borrower=roles.borrower, debt=debt, maxDebt=limit):
        call(lending, "liquidate", roles.borrower, SHARE, 0, sender=liquidator, pending=True)


def test_seizing_more_than_the_collateral(suite, roles, lending, liquidator, w3):
    crashed = price_for(5_000 * DUSD)  # 4 shares worth 20,000 dUSD against 30,000 of debt
    state = setup(suite, roles, lending, price=crashed)
    shares, collateral = position(lending, roles.borrower)
    with reverts("MarketSeizeExceedsCollateral", borrower=roles.borrower, seized=collateral + 1, collateral=collateral):
        liquidate(suite, lending, liquidator, roles.borrower, collateral + 1, 0)
    pin(w3, HOUR)
    seized, _, _ = liquidation(project(state, HOUR), crashed, incentive(LLTV), repaid_shares=shares)
    assert seized > collateral
    with reverts("MarketSeizeExceedsCollateral", borrower=roles.borrower, seized=seized, collateral=collateral):
        call(lending, "liquidate", roles.borrower, 0, shares, sender=liquidator, pending=True)


def test_liquidation_never_leaves_dust(suite, roles, underwater, liquidator, w3):
    lending = underwater
    shares, _ = position(lending, roles.borrower)
    state = totals(lending)
    pin(w3, HOUR)
    now_state = project(state, HOUR)
    _, borrowed, total_shares = now_state
    keep = to_shares_up(50 * DUSD, borrowed, total_shares)
    _, _, repaid = liquidation(now_state, DROPPED, incentive(LLTV), repaid_shares=shares - keep)
    left = to_assets_up(keep, borrowed - repaid, total_shares - (shares - keep))
    assert 0 < left < MIN_BORROW
    with reverts("MarketBelowMinBorrow", borrower=roles.borrower, debt=left, minBorrow=MIN_BORROW):
        call(lending, "liquidate", roles.borrower, 0, shares - keep, sender=liquidator, pending=True)


def test_a_liquidation_must_restore_health(suite, roles, underwater, liquidator, w3):
    lending = underwater
    shares, collateral = position(lending, roles.borrower)
    state = totals(lending)
    pin(w3, HOUR)
    now_state = project(state, HOUR)
    _, borrowed, total_shares = now_state
    seized, repaid_shares, repaid = liquidation(now_state, DROPPED, incentive(LLTV), seized=SHARE // 10)
    left = to_assets_up(shares - repaid_shares, borrowed - repaid, total_shares - repaid_shares)
    limit = max_debt(collateral - seized, DROPPED)
    assert left > limit
    with reverts("MarketStillUnhealthy", borrower=roles.borrower, debt=left, maxDebt=limit):
        call(lending, "liquidate", roles.borrower, SHARE // 10, 0, sender=liquidator, pending=True)


def test_a_price_that_reverts_stops_liquidation(suite, roles, underwater, liquidator):
    set_price(suite, underwater, 0, roles.admin)
    with reverts("MockPriceUnavailable"):
        liquidate(suite, underwater, liquidator, roles.borrower, SHARE, 0)
    set_price(suite, underwater, DROPPED, roles.admin)
    liquidate(suite, underwater, liquidator, roles.borrower, SHARE, 0)


def test_paused_share_transfers_stop_liquidation(suite, roles, underwater, liquidator):
    # Seized collateral leaves as a share transfer: while the pauser holds the asset's
    # transfers, an unhealthy position cannot be liquidated (nor collateral withdrawn), and
    # its interest keeps running. Borrowing and repaying move no shares and go on.
    lending = underwater
    suite.sender.transact(lending.share.functions.setTransfersPaused(True), roles.pauser, "ShareToken")
    with reverts("ShareTransfersArePaused", assetId=lending.asset_id):
        liquidate(suite, lending, liquidator, roles.borrower, SHARE, 0)
    with reverts("ShareTransfersArePaused", assetId=lending.asset_id):
        post(suite, lending, roles.borrower, 1)
    suite.sender.transact(lending.market.functions.repay(1_000 * DUSD, 0, roles.borrower), roles.borrower, "LM")
    suite.sender.transact(lending.share.functions.setTransfersPaused(False), roles.pauser, "ShareToken")
    liquidate(suite, lending, liquidator, roles.borrower, SHARE, 0)
