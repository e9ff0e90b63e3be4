"""KinkedIrm: our kinked curve as a Morpho Blue IIrm, equal to LendingMarket's own rate at every
utilization (the two markets of the benchmark charge the same interest)."""

from __future__ import annotations

import pytest

from tests.lending_support import RATE_MODEL, WAD, create_market, share_token_of

BASE, SLOPE1, SLOPE2, KINK = RATE_MODEL


def expected_rate(borrowed: int, supplied: int) -> int:
    """LendingMath.borrowRate over LendingMath.utilization, in Python integers."""
    u = 0 if supplied == 0 else borrowed * WAD // supplied
    if u <= KINK:
        return BASE + SLOPE1 * u // KINK
    return BASE + SLOPE1 + SLOPE2 * (u - KINK) // (WAD - KINK)


@pytest.fixture
def irm(suite, roles):
    return suite.sender.deploy("KinkedIrm", roles.admin, RATE_MODEL)


@pytest.mark.parametrize(
    ("borrowed", "supplied"),
    [(0, 0), (0, 10**12), (1, 10**12), (4 * 10**11, 10**12), (8 * 10**11, 10**12), (8 * 10**11 + 1, 10**12),
     (95 * 10**10, 10**12), (10**12, 10**12), (10**30, 10**30 + 7)],
)  # fmt: skip
def test_the_rate_is_the_kinked_curve_of_utilization(irm, roles, borrowed, supplied):
    params = (roles.admin, roles.admin, roles.admin, irm.address, 8 * WAD // 10)
    market = (supplied, supplied, borrowed, borrowed, 0, 0)
    assert irm.functions.borrowRateView(params, market).call() == expected_rate(borrowed, supplied)
    assert irm.functions.borrowRate(params, market).call() == expected_rate(borrowed, supplied)


def test_the_curve_is_readable(irm):
    assert tuple(irm.functions.rateModel().call()) == RATE_MODEL


def test_the_rate_matches_a_lending_market_with_the_same_curve(suite, roles, irm, asset):
    """A LendingMarket with RATE_MODEL reports the rate KinkedIrm gives for its totals."""
    oracle = suite.sender.deploy("MockPriceOracle", roles.admin, 20_000 * 10**6 * 10**18)
    share = share_token_of(suite, asset)
    market = create_market(suite, share.address, oracle.address, roles.admin)
    token = suite.payment_token
    suite.sender.transact(token.functions.mint(roles.lender, 10**12), roles.admin, "Token")
    suite.sender.transact(token.functions.approve(market.address, 2**256 - 1), roles.lender, "Token")
    suite.sender.transact(market.functions.deposit(10**11, roles.lender), roles.lender, "LendingMarket")
    holder = roles.holders[0]
    suite.sender.transact(share.functions.approve(market.address, 8 * 10**18), holder, "ShareToken")
    suite.sender.transact(market.functions.supplyCollateral(8 * 10**18, holder), holder, "LendingMarket")
    suite.sender.transact(market.functions.borrow(9 * 10**10, holder), holder, "LendingMarket")
    rate, utilization = market.functions.borrowRate().call()
    supplied, borrowed, _, _ = market.functions.totals().call()
    params = (token.address, share.address, oracle.address, irm.address, 8 * WAD // 10)
    morpho_market = (supplied, supplied, borrowed, borrowed, 0, 0)
    assert rate == irm.functions.borrowRateView(params, morpho_market).call() == expected_rate(borrowed, supplied)
    assert utilization > KINK  # above the kink: the steep slope
