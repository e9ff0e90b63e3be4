"""borrow: tokens out, debt shares in, and each refusal with its arguments (liquidity first,
then the minimum debt, then collateral); a price that reverts stops borrowing."""

from __future__ import annotations

from tests.lending_support import DUSD, MIN_BORROW
from tests.unit.lending_market.conftest import BORROWER_SHARES, SHARE_VALUE
from tests.unit.lending_market.support import (
    LLTV,
    SHARE,
    ZERO,
    balance,
    borrow,
    call,
    deposit,
    market_events,
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

PRICE = price_for(SHARE_VALUE * DUSD)
MAX_DEBT = 32_000 * DUSD  # 4 shares x 10,000 dUSD x 0.8


def test_borrow_sends_tokens_and_records_debt_shares(suite, roles, lending):
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    before = balance(lending.loan, roles.outsider)
    assert call(lending, "borrow", 20_000 * DUSD, roles.outsider, sender=roles.borrower) == 20_000 * DUSD * 10**6

    receipt = borrow(suite, lending, roles.borrower, 20_000 * DUSD, receiver=roles.outsider)
    shares = to_shares_up(20_000 * DUSD, 0, 0)
    assert shares == 20_000 * DUSD * 10**6  # a million debt shares per unit at first
    assert one(lending, receipt, "Borrowed") == {
        "borrower": roles.borrower,
        "receiver": roles.outsider,
        "assets": 20_000 * DUSD,
        "shares": shares,
    }
    assert market_events(lending, receipt, "InterestAccrued") == []  # nothing was borrowed before
    assert balance(lending.loan, roles.outsider) == before + 20_000 * DUSD
    assert balance(lending.loan, lending.address) == 80_000 * DUSD
    assert position(lending, roles.borrower) == (shares, BORROWER_SHARES)
    assert position(lending, roles.outsider) == (0, 0)
    assert totals(lending) == (100_000 * DUSD, 20_000 * DUSD, shares)
    assert lending.market.functions.liquidity().call() == 80_000 * DUSD
    assert call(lending, "debtOf", roles.borrower) == 20_000 * DUSD
    assert call(lending, "healthFactor", roles.borrower) == MAX_DEBT * 10**18 // (20_000 * DUSD)


def test_borrow_up_to_collateral_value_times_lltv(suite, roles, lending):
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    assert max_debt(BORROWER_SHARES, PRICE, LLTV) == MAX_DEBT
    assert call(lending, "maxDebtOf", roles.borrower) == MAX_DEBT
    with reverts("MarketInsufficientCollateral", borrower=roles.borrower, debt=MAX_DEBT + 1, maxDebt=MAX_DEBT):
        borrow(suite, lending, roles.borrower, MAX_DEBT + 1)
    borrow(suite, lending, roles.borrower, MAX_DEBT)
    assert call(lending, "healthFactor", roles.borrower) == 10**18


def test_a_further_borrow_counts_the_interest_accrued(suite, roles, lending, w3):
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    receipt = borrow(suite, lending, roles.borrower, MAX_DEBT - 1_000 * DUSD)
    state = totals(lending)

    at = pin(w3, 30 * 86_400)
    supplied, borrowed, shares = project(state, 30 * 86_400)
    assert borrowed > state[1]
    new_shares = to_shares_up(1_000 * DUSD, borrowed, shares)
    mine = position(lending, roles.borrower)[0] + new_shares
    debt = to_assets_up(mine, borrowed + 1_000 * DUSD, shares + new_shares)
    assert debt > MAX_DEBT
    with reverts("MarketInsufficientCollateral", borrower=roles.borrower, debt=debt, maxDebt=MAX_DEBT):
        call(lending, "borrow", 1_000 * DUSD, roles.borrower, sender=roles.borrower, pending=True)

    # Less, so that the interest fits: the shares are priced on the accrued totals.
    room = MAX_DEBT - to_assets_up(position(lending, roles.borrower)[0], borrowed, shares) - 1
    receipt = borrow(suite, lending, roles.borrower, room)
    assert w3.eth.get_block(receipt["blockNumber"])["timestamp"] == at
    assert one(lending, receipt, "InterestAccrued")["interest"] == borrowed - state[1]
    assert one(lending, receipt, "Borrowed")["shares"] == to_shares_up(room, borrowed, shares)
    assert totals(lending) == (supplied, borrowed + room, shares + to_shares_up(room, borrowed, shares))


def test_borrow_below_the_minimum_debt(suite, roles, lending):
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    with reverts("MarketBelowMinBorrow", borrower=roles.borrower, debt=MIN_BORROW - 1, minBorrow=MIN_BORROW):
        borrow(suite, lending, roles.borrower, MIN_BORROW - 1)
    borrow(suite, lending, roles.borrower, MIN_BORROW)
    # Once above the minimum, small top-ups are fine.
    borrow(suite, lending, roles.borrower, 1)
    assert position(lending, roles.borrower)[0] == to_shares_up(MIN_BORROW, 0, 0) + 10**6


def test_borrow_beyond_liquidity(suite, roles, lending):
    deposit(suite, lending, roles.lender, 10_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    with reverts("MarketInsufficientLiquidity", requested=10_000 * DUSD + 1, available=10_000 * DUSD):
        borrow(suite, lending, roles.borrower, 10_000 * DUSD + 1)
    borrow(suite, lending, roles.borrower, 6_000 * DUSD)
    with reverts("MarketInsufficientLiquidity", requested=5_000 * DUSD, available=4_000 * DUSD):
        borrow(suite, lending, roles.borrower, 5_000 * DUSD)
    # Liquidity is checked before collateral: even an account without collateral learns of it.
    with reverts("MarketInsufficientLiquidity", requested=40_000 * DUSD, available=4_000 * DUSD):
        borrow(suite, lending, roles.outsider, 40_000 * DUSD)
    borrow(suite, lending, roles.borrower, 4_000 * DUSD)
    assert lending.market.functions.liquidity().call() == 0
    assert balance(lending.loan, lending.address) == 0


def test_borrow_refusals(suite, roles, lending):
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    with reverts("MarketZeroAmount"):
        borrow(suite, lending, roles.borrower, 0)
    with reverts("MarketZeroAddress"):
        borrow(suite, lending, roles.borrower, MIN_BORROW, receiver=ZERO)
    with reverts("MarketInsufficientCollateral", borrower=roles.outsider, debt=MIN_BORROW, maxDebt=0):
        borrow(suite, lending, roles.outsider, MIN_BORROW)
    assert totals(lending) == (100_000 * DUSD, 0, 0)


def test_a_price_that_reverts_stops_borrowing(suite, roles, lending):
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, 1_000 * DUSD)
    set_price(suite, lending, 0, roles.admin)
    with reverts("MockPriceUnavailable"):
        borrow(suite, lending, roles.borrower, 1_000 * DUSD)
    with reverts("MockPriceUnavailable"):
        call(lending, "maxDebtOf", roles.borrower)
    with reverts("MockPriceUnavailable"):
        call(lending, "healthFactor", roles.borrower)
    # Reads that need no price still answer; without debt the health factor needs none either.
    assert call(lending, "debtOf", roles.borrower) >= 1_000 * DUSD
    assert call(lending, "healthFactor", roles.outsider) == 2**256 - 1
    set_price(suite, lending, PRICE, roles.admin)
    borrow(suite, lending, roles.borrower, 1_000 * DUSD)


def test_borrowing_raises_the_price_of_a_share_only_by_interest(suite, roles, lending):
    # Two borrowers: the second's shares are priced on the first's accrued debt.
    deposit(suite, lending, roles.lender, 100_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    suite.sender.transact(lending.share.functions.transfer(roles.lender, SHARE), roles.holders[0], "ShareToken")
    suite.sender.transact(lending.share.functions.approve(lending.address, SHARE), roles.lender, "ShareToken")
    post(suite, lending, roles.lender, SHARE)
    borrow(suite, lending, roles.borrower, 10_000 * DUSD)
    borrow(suite, lending, roles.lender, 1_000 * DUSD)
    first, second = position(lending, roles.borrower)[0], position(lending, roles.lender)[0]
    assert second * 10 <= first  # the later borrower pays for no interest accrued before it came
    supplied, borrowed, shares = totals(lending)
    assert to_assets_up(second, borrowed, shares) in (1_000 * DUSD, 1_000 * DUSD + 1)
    assert supplied == 100_000 * DUSD + (borrowed - 11_000 * DUSD)
