"""Interest: the kinked curve below, at and above the kink, three-term compounding, one accrual
per interval at the utilization it began with, InterestAccrued, and the views that show
interest accrued to now (debtOf rounds up, maxDebtOf down)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from tests.lending_support import DUSD, RATE_MODEL, YEAR
from tests.unit.lending_market.conftest import BORROWER_SHARES
from tests.unit.lending_market.support import (
    LLTV,
    ORACLE_SCALE,
    WAD,
    block_time,
    borrow,
    borrow_rate,
    call,
    compounded,
    deposit,
    interest,
    market_events,
    max_debt,
    one,
    pin,
    position,
    post,
    price_for,
    project,
    reverts,
    send,
    send_pinned,
    to_assets_up,
    totals,
    utilization,
)

DAY = 86_400
BASE, SLOPE1, SLOPE2, KINK = RATE_MODEL
RICH = price_for(40_000 * DUSD)  # 4 shares then carry up to 128,000 dUSD of debt


@pytest.fixture
def rich(suite, roles, make_lending):
    """A market whose collateral can borrow all of its 100,000 dUSD supply."""
    lending = make_lending(price=RICH)
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    return lending


def accrue_after(suite, roles, lending, w3, seconds):
    pin(w3, seconds)
    receipt = send(suite, lending.market.functions.accrueInterest(), roles.outsider)
    return receipt


def test_curve_model():
    # The model itself, from the curve's definition: 4%/year at the kink, +100%/year above.
    assert borrow_rate(RATE_MODEL, 0) == BASE == 0
    assert borrow_rate(RATE_MODEL, KINK) == SLOPE1 == 4 * WAD // 100 // YEAR
    assert borrow_rate(RATE_MODEL, WAD) == SLOPE1 + SLOPE2
    assert borrow_rate(RATE_MODEL, WAD // 5) == SLOPE1 * (WAD // 5) // KINK  # a quarter of the way
    assert borrow_rate(RATE_MODEL, 9 * WAD // 10) == SLOPE1 + SLOPE2 // 2
    # e^x - 1 ~ x + x^2/2 + x^3/6, never above it.
    x = Fraction(SLOPE1 * YEAR, WAD)
    assert compounded(SLOPE1, YEAR) <= (x + x**2 / 2 + x**3 / 6) * WAD


@pytest.mark.parametrize(
    ("borrowed", "above"),
    [(20_000, False), (50_000, False), (80_000, False), (90_000, True), (100_000, True)],
)
def test_interest_on_the_kinked_curve(suite, roles, rich, w3, borrowed, above):
    lending = rich
    borrow(suite, lending, roles.borrower, borrowed * DUSD)
    state = totals(lending)
    util = utilization(state[1], state[0])
    assert util == borrowed * WAD // 100_000
    rate = borrow_rate(RATE_MODEL, util)
    assert lending.market.functions.borrowRate().call() == [rate, util]
    if above:
        assert rate == SLOPE1 + SLOPE2 * (util - KINK) // (WAD - KINK)
    else:
        assert rate == SLOPE1 * util // KINK

    receipt = accrue_after(suite, roles, lending, w3, 30 * DAY)

    accrued = state[1] * compounded(rate, 30 * DAY) // WAD
    assert one(lending, receipt, "InterestAccrued") == {
        "borrowRate": rate,
        "interest": accrued,
        "totalBorrowAssets": state[1] + accrued,
        "totalSupplyAssets": state[0] + accrued,
    }
    assert totals(lending) == (state[0] + accrued, state[1] + accrued, state[2])
    # The lenders earn it all; idle cash does not move.
    assert lending.market.functions.totalAssets().call() == state[0] + accrued
    assert lending.market.functions.liquidity().call() == state[0] - state[1]
    # Against the annual rate, loosely: 30 days at rate x (1 + small).
    apr = Fraction(rate * YEAR, WAD)
    assert Fraction(accrued, state[1]) >= apr * 30 / 365


def test_each_interval_uses_the_utilization_it_began_with(suite, roles, rich, w3):
    lending = rich
    borrow(suite, lending, roles.borrower, 85_000 * DUSD)
    state = totals(lending)
    accrued = []
    for days in (10, 100, 1):
        receipt = accrue_after(suite, roles, lending, w3, days * DAY)
        expected, rate = interest(RATE_MODEL, state[0], state[1], days * DAY)
        event = one(lending, receipt, "InterestAccrued")
        assert (event["borrowRate"], event["interest"]) == (rate, expected)
        state = project(state, days * DAY)
        accrued.append(rate)
    assert totals(lending) == state
    # Interest raises borrowed and supplied alike: utilization, hence the rate, creeps up.
    assert accrued[0] < accrued[1] < accrued[2]


def test_one_long_accrual_is_not_split(suite, roles, rich, w3):
    # Ten days in one accrual (three Taylor terms of the whole interval) versus the model.
    lending = rich
    borrow(suite, lending, roles.borrower, 60_000 * DUSD)
    state = totals(lending)
    receipt = accrue_after(suite, roles, lending, w3, 10 * DAY)
    assert one(lending, receipt, "InterestAccrued")["interest"] == project(state, 10 * DAY)[1] - state[1]


def test_no_interest_without_borrowers(suite, roles, lending, w3):
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    receipt = accrue_after(suite, roles, lending, w3, 365 * DAY)
    assert market_events(lending, receipt, "InterestAccrued") == []
    assert totals(lending) == (100_000 * DUSD, 0, 0)
    # The idle year was still accounted: a borrower now pays only from now on.
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    pin(w3, 1)
    borrow(suite, lending, roles.borrower, 10_000 * DUSD)
    receipt = accrue_after(suite, roles, lending, w3, DAY)
    expected, _ = interest(RATE_MODEL, 100_000 * DUSD, 10_000 * DUSD, DAY)
    assert one(lending, receipt, "InterestAccrued")["interest"] == expected


def test_views_show_interest_accrued_to_now(suite, roles, rich, w3):
    lending = rich
    borrow(suite, lending, roles.borrower, 60_000 * DUSD)
    state = totals(lending)
    mine = position(lending, roles.borrower)[0]
    pin(w3, 90 * DAY)
    w3.provider.make_request("evm_mine", [])  # a block at the pinned time, no accrual stored
    supplied, borrowed, shares = project(state, 90 * DAY)

    assert totals(lending) == (supplied, borrowed, shares)
    assert lending.market.functions.totals().call()[3] == w3.eth.get_block("latest")["timestamp"]
    assert lending.market.functions.totalAssets().call() == supplied
    assert lending.market.functions.liquidity().call() == state[0] - state[1]
    util = utilization(borrowed, supplied)
    assert lending.market.functions.borrowRate().call() == [borrow_rate(RATE_MODEL, util), util]

    debt = call(lending, "debtOf", roles.borrower)
    assert debt == to_assets_up(mine, borrowed, shares)
    exact = Fraction(mine * (borrowed + 1), shares + 10**6)
    assert exact <= debt < exact + 1  # rounded up
    limit = call(lending, "maxDebtOf", roles.borrower)
    assert limit == max_debt(BORROWER_SHARES, RICH, LLTV)
    assert Fraction(BORROWER_SHARES * RICH, ORACLE_SCALE) * Fraction(LLTV, WAD) - 1 < limit  # rounded down
    assert call(lending, "healthFactor", roles.borrower) == limit * WAD // debt

    # Accruing stores exactly what the views showed.
    pin(w3, 1)
    receipt = send(suite, lending.market.functions.accrueInterest(), roles.outsider)
    assert one(lending, receipt, "InterestAccrued")["totalBorrowAssets"] == project(state, 90 * DAY + 1)[1]


def test_interest_below_a_unit_waits_instead_of_being_dropped(suite, roles, lending, w3):
    # An accrual that would earn less than a unit keeps the clock where it was, so frequent
    # accruals cannot round lenders' interest away (Morpho Blue moves the clock anyway). Here
    # 100 dUSD at 0.1% utilization earns about 0.00016 units a second: an hour earns nothing,
    # and the accrual that finally earns a unit counts every second since the last one.
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    receipt = borrow(suite, lending, roles.borrower, 100 * DUSD)
    state = totals(lending)
    since = block_time(w3, receipt)
    earned = []
    for _ in range(3):
        receipt = accrue_after(suite, roles, lending, w3, 3600)
        events = market_events(lending, receipt, "InterestAccrued")
        expected = interest(RATE_MODEL, state[0], state[1], block_time(w3, receipt) - since)[0]
        if expected == 0:
            assert events == [] and totals(lending) == state
        else:
            assert [e["interest"] for e in events] == [expected]
            earned.append(expected)
            break
    assert earned, "three hours of interest at this rate is at least a unit"


def test_a_change_to_the_totals_moves_the_clock_even_when_nothing_accrues(suite, roles, lending, w3):
    # Found by the forge lending campaign (tests/invariant/lending): the clock used to stay where
    # it was whenever the interest rounded to zero, for borrows too. The borrow checked health
    # with nothing accrued; the views then charged the held-back seconds at the new totals'
    # rate, so a borrow to the limit was liquidatable in its own block. A borrow now drops the
    # fraction of a unit and starts the clock, so its block shows exactly the debt it checked.
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    since = block_time(w3, borrow(suite, lending, roles.borrower, 100 * DUSD))
    state = totals(lending)
    receipt = accrue_after(suite, roles, lending, w3, 600)
    assert market_events(lending, receipt, "InterestAccrued") == [] and totals(lending) == state
    at = pin(w3, 1)
    assert interest(RATE_MODEL, state[0], state[1], at - since)[0] == 0
    price = int(lending.oracle.functions.price().call())
    shares, collateral = position(lending, roles.borrower)
    headroom = max_debt(collateral, price) - to_assets_up(shares, state[1], state[2])
    receipt = send_pinned(suite, lending.market.functions.borrow(headroom, roles.borrower), roles.borrower)
    assert market_events(lending, receipt, "InterestAccrued") == [] and block_time(w3, receipt) == at
    debt, limit = call(lending, "debtOf", roles.borrower), call(lending, "maxDebtOf", roles.borrower)
    assert debt <= limit and call(lending, "healthFactor", roles.borrower) >= WAD
    with reverts("MarketPositionHealthy", borrower=roles.borrower, debt=debt, maxDebt=limit):
        call(lending, "liquidate", roles.borrower, 0, shares, sender=roles.lender)
    # From here interest runs at the new totals, from the borrow's second on.
    later = totals(lending)
    receipt = accrue_after(suite, roles, lending, w3, 3600)
    assert one(lending, receipt, "InterestAccrued")["interest"] == interest(RATE_MODEL, later[0], later[1], 3600)[0]
