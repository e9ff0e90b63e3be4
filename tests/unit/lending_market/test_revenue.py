"""Revenue of posted shares: banked per borrower (collateral x the rise of revenuePerShareE18 /
1e18, floored) whenever its collateral changes, paid by claimRevenue out of the market's own
share-token claim, which covers every borrower."""

from __future__ import annotations

from tests.lending_support import DUSD, distribute
from tests.unit.lending_market.conftest import BORROWER_SHARES
from tests.unit.lending_market.support import (
    SHARE,
    ZERO,
    balance,
    earnings,
    give_shares,
    market_events,
    one,
    post,
    reverts,
    send,
)


def rps(lending) -> int:
    return int(lending.share.functions.revenuePerShareE18().call())


def pay(suite, roles, lending, amount):
    """Pays `amount` dUSD of revenue into the asset's waterfall (80% reaches holders)."""
    distribute(suite, lending.asset_id, amount, roles.lessee, roles.admin)


def claim(suite, lending, borrower, receiver=None):
    return send(suite, lending.market.functions.claimRevenue(receiver or borrower), borrower)


def test_revenue_of_posted_shares_reaches_the_borrower(suite, roles, lending):
    share, market = lending.share, lending.market
    pay(suite, roles, lending, 1_000 * DUSD)  # before posting: the borrower's, in the share token
    held = share.functions.claimableOf(roles.borrower).call()
    assert held == 400 * DUSD  # 4 of 8 shares, 80% of the payment
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    assert market.functions.revenueOf(roles.borrower).call() == 0
    start = rps(lending)
    assert earnings(lending, roles.borrower) == (0, start, False)

    pay(suite, roles, lending, 10_000 * DUSD)
    owed = BORROWER_SHARES * (rps(lending) - start) // 10**18
    assert owed == 4_000 * DUSD
    assert market.functions.revenueOf(roles.borrower).call() == owed
    assert share.functions.claimableOf(lending.address).call() == owed
    assert share.functions.claimableOf(roles.borrower).call() == held  # not moved by posting
    before = balance(lending.loan, roles.outsider)

    receipt = claim(suite, lending, roles.borrower, roles.outsider)

    assert one(lending, receipt, "RevenueBanked") == {"borrower": roles.borrower, "amount": owed}
    assert one(lending, receipt, "RevenueClaimed") == {
        "borrower": roles.borrower,
        "receiver": roles.outsider,
        "amount": owed,
    }
    claimed = [dict(e["args"]) for e in share.events.RevenueClaimed().process_receipt(receipt)]
    assert claimed == [{"holder": lending.address, "amount": owed}]  # the market's own claim
    assert balance(lending.loan, roles.outsider) == before + owed
    assert balance(lending.loan, lending.address) == 0
    assert earnings(lending, roles.borrower) == (0, rps(lending), False)
    assert market.functions.revenueOf(roles.borrower).call() == 0


def test_claim_refusals(suite, roles, lending):
    with reverts("MarketNothingToClaim", borrower=roles.outsider):
        claim(suite, lending, roles.outsider)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    with reverts("MarketNothingToClaim", borrower=roles.borrower):
        claim(suite, lending, roles.borrower)  # nothing paid since posting
    pay(suite, roles, lending, 1_000 * DUSD)
    with reverts("MarketZeroAddress"):
        claim(suite, lending, roles.borrower, ZERO)
    claim(suite, lending, roles.borrower)
    with reverts("MarketNothingToClaim", borrower=roles.borrower):
        claim(suite, lending, roles.borrower)


def test_revenue_is_banked_whenever_collateral_changes(suite, roles, lending):
    post(suite, lending, roles.borrower, SHARE)
    start = rps(lending)
    pay(suite, roles, lending, 3_333 * DUSD + 7)
    receipt = post(suite, lending, roles.borrower, 2 * SHARE)
    first = SHARE * (rps(lending) - start) // 10**18
    assert one(lending, receipt, "RevenueBanked") == {"borrower": roles.borrower, "amount": first}
    assert earnings(lending, roles.borrower) == (first, rps(lending), False)

    mark = rps(lending)
    pay(suite, roles, lending, 1_111 * DUSD + 3)
    receipt = send(suite, lending.market.functions.withdrawCollateral(SHARE, roles.borrower), roles.borrower)
    second = 3 * SHARE * (rps(lending) - mark) // 10**18
    assert one(lending, receipt, "RevenueBanked") == {"borrower": roles.borrower, "amount": second}

    mark = rps(lending)
    pay(suite, roles, lending, 2_000 * DUSD)
    third = 2 * SHARE * (rps(lending) - mark) // 10**18
    assert lending.market.functions.revenueOf(roles.borrower).call() == first + second + third
    receipt = claim(suite, lending, roles.borrower)
    assert one(lending, receipt, "RevenueClaimed")["amount"] == first + second + third


def test_the_markets_claim_covers_every_borrower(suite, roles, lending):
    """Two borrowers post and withdraw at different times; each is paid exactly its own
    accrual, and the market keeps no more than the rounding."""
    other = roles.lender
    give_shares(suite, lending, roles.holders[0], other, 3 * SHARE)
    model = {roles.borrower: [0, 0, 0], other: [0, 0, 0]}  # earned, snapshot, collateral

    def bank(who):
        earned, snapshot, collateral = model[who]
        now = rps(lending)
        model[who] = [earned + collateral * (now - snapshot) // 10**18, now, collateral]

    def move(who, shares):
        bank(who)
        model[who][2] += shares
        if shares > 0:
            post(suite, lending, who, shares)
        else:
            send(suite, lending.market.functions.withdrawCollateral(-shares, who), who)

    move(roles.borrower, 4 * SHARE)
    pay(suite, roles, lending, 10_000 * DUSD + 1)
    move(other, 3 * SHARE)
    pay(suite, roles, lending, 7_777 * DUSD + 77)
    move(roles.borrower, -SHARE)
    pay(suite, roles, lending, 5_000 * DUSD + 5)
    move(other, -2 * SHARE)
    pay(suite, roles, lending, 999 * DUSD)
    for who in model:
        bank(who)
        assert lending.market.functions.revenueOf(who).call() == model[who][0]
    market_total = lending.share.functions.claimableOf(lending.address).call()
    assert market_total >= model[roles.borrower][0] + model[other][0]

    paid = {}
    for who in (other, roles.borrower):
        before = balance(lending.loan, who)
        receipt = claim(suite, lending, who)
        paid[who] = balance(lending.loan, who) - before
        assert one(lending, receipt, "RevenueClaimed")["amount"] == model[who][0] == paid[who]
    assert lending.share.functions.claimableOf(lending.address).call() == 0
    assert 0 <= balance(lending.loan, lending.address) == market_total - sum(paid.values()) <= 2


def test_the_second_claim_needs_no_new_revenue(suite, roles, lending):
    # The first claim pulls everything the market's shares earned; the second pays from it.
    give_shares(suite, lending, roles.holders[0], roles.lender, SHARE)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    post(suite, lending, roles.lender, SHARE)
    pay(suite, roles, lending, 5_000 * DUSD)
    claim(suite, lending, roles.borrower)
    assert balance(lending.loan, lending.address) == 500 * DUSD  # the lender's 1 share of 8
    receipt = claim(suite, lending, roles.lender)
    assert [dict(e["args"]) for e in lending.share.events.RevenueClaimed().process_receipt(receipt)] == []
    assert one(lending, receipt, "RevenueClaimed")["amount"] == 500 * DUSD
    assert balance(lending.loan, lending.address) == 0
    assert market_events(lending, receipt, "RevenueBanked") == [{"borrower": roles.lender, "amount": 500 * DUSD}]
