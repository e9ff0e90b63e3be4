"""The market on the valuator's real SharePriceFeed (value_asset): borrowing stops exactly at
the valued collateral x LLTV, and when a slump in utilization lowers the valuation the
position is liquidated at the feed's new price, exact against the model."""

from __future__ import annotations

from tests.lending_support import DUSD, report_utilization, value_asset
from tests.unit.lending_market.conftest import BORROWER_SHARES
from tests.unit.lending_market.support import (
    LLTV,
    SHARE,
    accrue,
    borrow,
    call,
    deposit,
    incentive,
    liquidate,
    liquidation,
    max_debt,
    one,
    pin,
    post,
    project,
    reverts,
    send,
)
from tests.unit.metrics_oracle.conftest import warp_chain


def test_borrowing_and_liquidation_on_the_valuators_price(
    suite, roles, asset, oracle_setup, make_lending, liquidator, w3
):
    valued = value_asset(suite, oracle_setup.client, oracle_setup.keys, roles, asset)
    lending = make_lending(oracle=valued.feed)
    price = valued.feed.functions.price().call()
    assert price == valued.valuator.functions.priceOf(asset).call() * 10**18  # per share, scaled
    deposit(suite, lending, roles.lender, 1_000_000 * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    limit = max_debt(BORROWER_SHARES, price)
    assert call(lending, "maxDebtOf", roles.borrower) == limit > 0
    with reverts("MarketInsufficientCollateral", borrower=roles.borrower, debt=limit + 1, maxDebt=limit):
        borrow(suite, lending, roles.borrower, limit + 1)
    borrow(suite, lending, roles.borrower, limit)

    # Five idle hours: the utilization-scaled income leg, hence the price, falls.
    warp_chain(w3, 5 * 3600)
    report_utilization(oracle_setup.client, oracle_setup.keys, roles.outsider, asset, utilization_bps=0, epochs=5)
    send(suite, valued.valuator.functions.update(asset), roles.outsider)
    fallen = valued.feed.functions.price().call()
    assert fallen < price
    assert call(lending, "healthFactor", roles.borrower) < 10**18

    state = accrue(suite, lending, roles.outsider)
    pin(w3, 60)
    seized, repaid_shares, repaid = liquidation(project(state, 60), fallen, incentive(LLTV), seized=SHARE)
    receipt = liquidate(suite, lending, liquidator, roles.borrower, SHARE, 0)
    event = one(lending, receipt, "Liquidated")
    assert (event["seizedCollateral"], event["repaidShares"], event["repaidAssets"]) == (seized, repaid_shares, repaid)
    assert call(lending, "healthFactor", roles.borrower) >= 10**18
