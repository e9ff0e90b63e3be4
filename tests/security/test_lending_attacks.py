"""Attacks on the lending value of a share (security.md, Lending; mission.md items 4 and 5):
whoever can move the inputs of the valuation tries to borrow more than the hardware is worth.

- Donating revenue to oneself lifts the income leg, never the price above the hardware leg, so
  borrowing power stays bounded by depreciated hardware x LLTV.
- An operator who stops reporting during a slump does not keep the price up: missing epochs
  count as idle, and stale metrics stop the price altogether.
- A report voided by a dispute counts as idle too.
- A stale stored price, or none at all, stops borrowing and liquidation with the valuator's error.
"""

from __future__ import annotations

import pytest

from compute_rwa import ContractRevertError
from tests.lending_support import (
    DUSD,
    LLTV,
    MAX_PRICE_AGE,
    UTILIZATION_WINDOW,
    WAD,
    create_market,
    distribute,
    report_utilization,
    value_asset,
)
from tests.unit.metrics_oracle.conftest import CHALLENGE_BOND, view, warp_chain

SHARE = 10**18


def _preview(valued):
    status, price, legs = valued.valuator.functions.preview(valued.asset_id).call()
    return status, price, {"hardware": legs[0], "income": legs[1], "utilization": legs[3]}


def _update(suite, valued, caller):
    suite.sender.transact(valued.valuator.functions.update(valued.asset_id), caller, "ShareValuator")


@pytest.fixture
def valued(suite, oracle_setup, roles, asset):
    """The 8-GPU asset, valued on its income (small revenue, so income < hardware)."""
    return value_asset(suite, oracle_setup.client, oracle_setup.keys, roles, asset, weekly_revenue=200 * DUSD)


def test_donated_revenue_never_lifts_the_price_above_the_hardware_leg(suite, roles, valued):
    _, before, legs = _preview(valued)
    assert before == legs["income"] < legs["hardware"]  # priced on income
    # The attacker owns shares and pays the asset a fortune in revenue, to itself mostly.
    distribute(suite, valued.asset_id, 10_000_000 * DUSD, roles.outsider, roles.admin)
    _update(suite, valued, roles.outsider)
    status, after, legs = _preview(valued)
    assert status == 1
    assert legs["income"] > 100 * legs["hardware"]  # the income leg did move
    assert after == legs["hardware"]  # the price did not follow it past the hardware

    # Borrowing power is bounded by the hardware leg x LLTV.
    market = create_market(suite, valued.share.address, valued.feed.address, roles.admin)
    token = suite.payment_token
    suite.sender.transact(token.functions.mint(roles.lender, 10**9 * DUSD), roles.admin, "Token")
    suite.sender.transact(token.functions.approve(market.address, 2**256 - 1), roles.lender, "Token")
    suite.sender.transact(market.functions.deposit(10**9 * DUSD, roles.lender), roles.lender, "LendingMarket")
    holder = roles.holders[0]
    suite.sender.transact(valued.share.functions.approve(market.address, 8 * SHARE), holder, "ShareToken")
    suite.sender.transact(market.functions.supplyCollateral(8 * SHARE, holder), holder, "LendingMarket")
    cap = 8 * legs["hardware"] * LLTV // WAD
    assert market.functions.maxDebtOf(holder).call() == cap
    with pytest.raises(ContractRevertError) as refused:
        suite.sender.transact(market.functions.borrow(cap + 1, holder), holder, "LendingMarket")
    assert refused.value.error_name == "MarketInsufficientCollateral"


def test_withholding_reports_in_a_slump_lowers_the_price(suite, oracle_setup, roles, valued):
    _, before, legs = _preview(valued)
    assert legs["utilization"] == 8_000
    # Half the window passes with no report at all (the operator went quiet), then one report.
    warp_chain(suite.w3, UTILIZATION_WINDOW // 2 * 3600)
    report_utilization(oracle_setup.client, oracle_setup.keys, roles.outsider, valued.asset_id, 8_000, epochs=1)
    _update(suite, valued, roles.outsider)
    status, after, legs = _preview(valued)
    assert status == 1
    # 13 of 24 epochs reported at 80%: the other 11 count as idle.
    assert legs["utilization"] == 8_000 * 13 // UTILIZATION_WINDOW
    assert after < before


def test_silence_past_the_metrics_age_stops_the_price(suite, roles, valued):
    warp_chain(suite.w3, 7 * 3600)  # the newest report is now older than MAX_METRICS_AGE
    _update(suite, valued, roles.outsider)
    assert valued.valuator.functions.valuationOf(valued.asset_id).call()[3] == 4  # MetricsStale
    with pytest.raises(ContractRevertError) as refused:
        view(valued.feed, "price")
    assert refused.value.error_name == "ValuationUnavailable"
    assert refused.value.args_by_name == {"assetId": valued.asset_id, "status": 4}


def test_a_voided_report_counts_as_idle(suite, oracle_setup, roles, valued):
    oracle = oracle_setup.client
    latest = oracle.latest_epoch(valued.asset_id)
    assert latest is not None
    token = suite.payment_token
    suite.sender.transact(token.functions.mint(roles.lessee, CHALLENGE_BOND), roles.admin, "Token")
    suite.sender.transact(token.functions.approve(oracle.address, CHALLENGE_BOND), roles.lessee, "Token")
    oracle.challenge(valued.asset_id, latest, roles.lessee)
    oracle.resolve(valued.asset_id, latest, True, roles.admin)
    _update(suite, valued, roles.outsider)
    _, _, legs = _preview(valued)
    assert legs["utilization"] == 8_000 * (UTILIZATION_WINDOW - 1) // UTILIZATION_WINDOW


def test_a_stale_price_stops_borrowing_and_liquidation(suite, roles, valued):
    market = create_market(suite, valued.share.address, valued.feed.address, roles.admin)
    token = suite.payment_token
    holder = roles.holders[0]
    suite.sender.transact(token.functions.mint(roles.lender, 10**6 * DUSD), roles.admin, "Token")
    suite.sender.transact(token.functions.approve(market.address, 2**256 - 1), roles.lender, "Token")
    suite.sender.transact(market.functions.deposit(10**6 * DUSD, roles.lender), roles.lender, "LendingMarket")
    suite.sender.transact(valued.share.functions.approve(market.address, 8 * SHARE), holder, "ShareToken")
    suite.sender.transact(market.functions.supplyCollateral(8 * SHARE, holder), holder, "LendingMarket")
    suite.sender.transact(market.functions.borrow(1_000 * DUSD, holder), holder, "LendingMarket")
    warp_chain(suite.w3, MAX_PRICE_AGE + 1)
    for fn, sender in (
        (market.functions.borrow(1_000 * DUSD, holder), holder),
        (market.functions.liquidate(holder, 0, 1), roles.outsider),
        (market.functions.withdrawCollateral(SHARE, holder), holder),
    ):
        with pytest.raises(ContractRevertError) as refused:
            suite.sender.transact(fn, sender, "LendingMarket")
        assert refused.value.error_name == "ValuationStale", refused.value
    # Repaying never needs a price.
    suite.sender.transact(token.functions.approve(market.address, 2**256 - 1), holder, "Token")
    suite.sender.transact(token.functions.mint(holder, 10 * DUSD), roles.admin, "Token")
    debt_shares = market.functions.positionOf(holder).call()[0]
    suite.sender.transact(market.functions.repay(0, debt_shares, holder), holder, "LendingMarket")
    assert market.functions.debtOf(holder).call() == 0
