"""SharePriceFeed: Morpho's IOracle.price() (1e36 scale: priceOf × 1e18 for an 18-decimal share,
whatever the payment token's decimals) and Chainlink's AggregatorV3Interface (one round per
update, stale rounds answered, rounds that are not Ok refused)."""

from __future__ import annotations

import pytest

from tests.helpers import reverts
from tests.lending_support import DUSD, now_of
from tests.unit.metrics_oracle.conftest import view
from tests.unit.share_valuator.conftest import Status, logs, mine_at


@pytest.fixture
def feed_asset(payment_token, new_asset, valued):
    """An asset paying in each payment-token shape (6 and 18 decimals, no return value), valued Ok."""
    unit = 10 ** payment_token.functions.decimals().call()
    return valued(new_asset(payment_token), 2_000 * unit, purchaseValue=25_000 * unit, maxPrice=10**6 * unit)


def test_price_and_metadata(valuator, payment_token, feed_asset):
    v = feed_asset
    decimals = payment_token.functions.decimals().call()
    price = view(valuator, "priceOf", v.asset_id)
    assert price == logs(valuator, v.receipt, "ValuationUpdated")[0]["price"] > 0
    assert view(v.feed, "price") == price * 10**18
    # One share unit (1e-18 share) priced in payment-token units, scaled by 1e36.
    assert view(v.feed, "price") * 10**18 // 10**36 == price
    assert v.feed.functions.decimals().call() == decimals
    assert v.feed.functions.description().call() == f"compute-rwa GPU share #{v.asset_id} value"
    assert v.feed.functions.version().call() == 1
    assert v.feed.functions.valuator().call() == valuator.address
    assert v.feed.functions.assetId().call() == v.asset_id


def test_prices_scale_with_the_payment_token(valuator, tokens, new_asset, valued):
    six = valued(new_asset(tokens.usdc6), 300 * 10**6)
    p6 = view(six.feed, "price")
    assert p6 == view(valuator, "priceOf", six.asset_id) * 10**18
    eighteen = valued(new_asset(tokens.dai18), 300 * 10**18, purchaseValue=25_000 * 10**18, maxPrice=10**24)
    p18 = view(eighteen.feed, "price")
    assert p18 == view(valuator, "priceOf", eighteen.asset_id) * 10**18
    assert six.feed.functions.decimals().call() == 6
    assert eighteen.feed.functions.decimals().call() == 18
    # The same revenue in whole tokens: the 18-decimal answer is 1e12 times larger, up to the
    # 6-decimal figures' rounding (a few units, magnified by annualizing).
    assert p6 * 10**12 <= p18
    assert (p18 - p6 * 10**12) * 10**8 < p18


def test_one_round_per_update_answered_even_when_stale(w3, valuator, feed_asset, update):
    v = feed_asset
    price = view(valuator, "priceOf", v.asset_id)
    first = [2, price, v.updated_at, v.updated_at, 2]
    assert view(v.feed, "latestRoundData") == first
    assert view(v.feed, "getRoundData", 2) == first

    # A new update is a new round; only the latest is held.
    when = v.updated_at + 30
    receipt = update(v.asset_id, when)
    (event,) = logs(valuator, receipt, "ValuationUpdated")
    assert event["status"] == Status.OK
    latest = [3, event["price"], when, when, 3]
    assert view(v.feed, "latestRoundData") == latest
    assert view(v.feed, "getRoundData", 3) == latest
    for round_id in (0, 1, 2, 4, 2**32 + 3, 2**80 - 1):
        with reverts("FeedUnknownRound", roundId=round_id):
            view(v.feed, "getRoundData", round_id)

    # Stale: the round is still answered with its real updatedAt; price() refuses.
    max_age = v.config[8]
    mine_at(w3, when + max_age + 1)
    assert view(v.feed, "latestRoundData") == latest
    assert view(v.feed, "getRoundData", 3) == latest
    with reverts("ValuationStale", assetId=v.asset_id, updatedAt=when, maxAge=max_age):
        view(v.feed, "price")


def test_rounds_that_are_not_ok_are_refused(w3, valuator, asset, valued, configure, update):
    v = valued(asset, revenue=2_000 * DUSD)
    configure(v.asset_id)  # resets the valuation: status None, round 2 kept
    for name, args in (("latestRoundData", ()), ("getRoundData", (2,)), ("getRoundData", (3,)), ("price", ())):
        with reverts("ValuationUnavailable", assetId=asset, status=Status.NONE):
            view(v.feed, name, *args)

    config, _ = configure(asset, now_of(w3) + 1, minPrice=10**6 * DUSD, purchasedAt=v.config[1])
    receipt = update(asset, now_of(w3) + 1)
    (event,) = logs(valuator, receipt, "ValuationUpdated")
    assert (event["status"], event["round"]) == (Status.OUT_OF_BOUNDS, 3)
    for name, args in (("latestRoundData", ()), ("getRoundData", (3,)), ("price", ())):
        with reverts("ValuationOutOfBounds", assetId=asset, price=event["price"], minPrice=10**6 * DUSD):
            view(v.feed, name, *args)


def test_a_zero_valuation_is_refused_by_the_feed(asset, valued):
    v = valued(asset, revenue=0)
    for name, args in (("latestRoundData", ()), ("getRoundData", (2,)), ("price", ())):
        with reverts("ValuationZero", assetId=asset):
            view(v.feed, name, *args)
