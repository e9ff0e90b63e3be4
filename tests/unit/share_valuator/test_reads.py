"""ShareValuator views: priceOf (checked: Ok, not stale), okValuationOf (Ok, whatever its age),
valuationOf (unchecked), configOf, feedOf, latestCheckpoint, the constants and addresses."""

from __future__ import annotations

import pytest

from tests.helpers import reverts
from tests.lending_support import DAY, DUSD, YEAR
from tests.unit.metrics_oracle.conftest import view
from tests.unit.share_valuator.conftest import (
    CHECKPOINTS,
    CHECKPOINTS_PER_WINDOW,
    FIELDS,
    MAX_REVENUE_WINDOW,
    MAX_USEFUL_LIFE,
    ZERO,
    Status,
    logs,
    mine_at,
)


@pytest.mark.parametrize("max_age", [1, DAY, 30 * DAY])
def test_price_is_usable_until_exactly_max_price_age(w3, valuator, asset, valued, max_age):
    v = valued(asset, revenue=2_000 * DUSD, maxPriceAge=max_age)
    (event,) = logs(valuator, v.receipt, "ValuationUpdated")
    price = event["price"]
    stored = [price, v.updated_at, max_age, Status.OK, 2]
    assert list(view(valuator, "valuationOf", asset)) == stored

    assert view(valuator, "priceOf", asset) == price  # in the update's block
    mine_at(w3, v.updated_at + max_age)
    assert view(valuator, "priceOf", asset) == price
    mine_at(w3, v.updated_at + max_age + 1)
    with reverts("ValuationStale", assetId=asset, updatedAt=v.updated_at, maxAge=max_age):
        view(valuator, "priceOf", asset)
    # okValuationOf and valuationOf answer whatever the age.
    mine_at(w3, v.updated_at + 10 * YEAR)
    assert list(view(valuator, "okValuationOf", asset)) == stored
    assert list(view(valuator, "valuationOf", asset)) == stored


def test_reads_of_an_unconfigured_asset(valuator, asset):
    for asset_id in (asset, asset + 1):
        assert list(view(valuator, "valuationOf", asset_id)) == [0, 0, 0, Status.NONE, 0]
        assert tuple(view(valuator, "configOf", asset_id)) == (0,) * len(FIELDS)
        assert view(valuator, "feedOf", asset_id) == ZERO
        assert view(valuator, "latestCheckpoint", asset_id) == [0, 0, 0]
        for name in ("priceOf", "okValuationOf"):
            with reverts("ValuationUnavailable", assetId=asset_id, status=Status.NONE):
                view(valuator, name, asset_id)


def test_a_configured_asset_never_updated_is_unavailable(valuator, asset, configure):
    configure(asset)
    for name in ("priceOf", "okValuationOf"):
        with reverts("ValuationUnavailable", assetId=asset, status=Status.NONE):
            view(valuator, name, asset)


def test_valuation_of_answers_every_status_unchecked(valuator, asset, valued):
    v = valued(asset, revenue=0)
    assert list(view(valuator, "valuationOf", asset)) == [0, v.updated_at, DAY, Status.ZERO, 2]


def test_each_asset_has_its_own_valuation(valuator, asset, new_asset, valued):
    other = new_asset()
    v = valued(asset, revenue=2_000 * DUSD)
    assert view(valuator, "feedOf", other) == ZERO
    assert list(view(valuator, "valuationOf", other)) == [0, 0, 0, Status.NONE, 0]
    w = valued(other, revenue=500 * DUSD)
    assert w.feed.address != v.feed.address
    assert view(valuator, "priceOf", other) < view(valuator, "valuationOf", asset)[0]


def test_constants_and_addresses(suite, valuator):
    assert valuator.functions.CHECKPOINTS().call() == CHECKPOINTS
    assert valuator.functions.CHECKPOINTS_PER_WINDOW().call() == CHECKPOINTS_PER_WINDOW
    assert valuator.functions.YEAR().call() == YEAR
    assert valuator.functions.MAX_USEFUL_LIFE().call() == MAX_USEFUL_LIFE
    assert valuator.functions.MAX_REVENUE_WINDOW().call() == MAX_REVENUE_WINDOW
    assert valuator.functions.registry().call() == suite.registry.address
    assert valuator.functions.oracle().call() == suite.deployment.oracle
    assert valuator.functions.sequencerFeed().call() == [ZERO, 0]
