"""ShareValuator.configure: admin only, known assets, every parameter bound (at it and just
beyond), the event, the reset of the stored valuation and the price feed created once."""

from __future__ import annotations

import pytest

from compute_rwa.tx import contract_at
from tests.helpers import b32, reverts
from tests.lending_support import DAY, now_of, valuation_config
from tests.unit.metrics_oracle.conftest import view
from tests.unit.share_valuator.conftest import (
    FIELDS,
    MAX_REVENUE_WINDOW,
    MAX_USEFUL_LIFE,
    RING_SIZE,
    ZERO,
    Status,
    logs,
    mine_at,
    send,
)

EMPTY_CONFIG = (0,) * len(FIELDS)
EMPTY_VALUATION = [0, 0, 0, Status.NONE, 0]


def test_configure_stores_the_config_and_creates_the_feed(suite, w3, valuator, asset, roles):
    config = valuation_config(now_of(w3))
    assert tuple(view(valuator, "configOf", asset)) == EMPTY_CONFIG
    assert view(valuator, "feedOf", asset) == ZERO

    receipt = send(suite, valuator.functions.configure(asset, config), roles.admin)

    assert logs(valuator, receipt, "ValuationConfigured") == [{"assetId": asset, "config": config}]
    (created,) = logs(valuator, receipt, "PriceFeedCreated")
    assert created["assetId"] == asset
    assert view(valuator, "feedOf", asset) == created["feed"]
    assert tuple(view(valuator, "configOf", asset)) == config
    assert list(view(valuator, "valuationOf", asset)) == EMPTY_VALUATION
    assert view(valuator, "latestCheckpoint", asset) == [0, 0, 0]
    feed = contract_at(w3, "SharePriceFeed", created["feed"])
    assert feed.functions.valuator().call() == valuator.address
    assert feed.functions.assetId().call() == asset


def test_reconfiguring_resets_the_valuation_keeps_the_round_checkpoints_and_feed(
    suite, valuator, asset, roles, valued, configure, update
):
    ok = valued(asset, revenue=2_000 * 10**6)
    assert list(view(valuator, "valuationOf", asset))[3:] == [Status.OK, 2]
    checkpoint = view(valuator, "latestCheckpoint", asset)

    config, receipt = configure(asset, capRateBps=1_000)

    assert logs(valuator, receipt, "ValuationConfigured") == [{"assetId": asset, "config": config}]
    assert logs(valuator, receipt, "PriceFeedCreated") == []
    assert view(valuator, "feedOf", asset) == ok.feed.address
    assert tuple(view(valuator, "configOf", asset)) == config
    # Status None, price and times cleared, round kept; the revenue checkpoints stay.
    assert list(view(valuator, "valuationOf", asset)) == [0, 0, 0, Status.NONE, 2]
    assert view(valuator, "latestCheckpoint", asset) == checkpoint
    with reverts("ValuationUnavailable", assetId=asset, status=Status.NONE):
        view(valuator, "priceOf", asset)

    receipt = update(asset)
    (event,) = logs(valuator, receipt, "ValuationUpdated")
    assert (event["status"], event["round"]) == (Status.OK, 3)


def test_only_the_admin_configures(suite, w3, valuator, asset, roles):
    config = valuation_config(now_of(w3))
    for caller in (roles.operator, roles.compliance, roles.pauser, roles.treasury, roles.outsider, roles.holders[0]):
        with reverts("ValuationUnauthorized", caller=caller):
            send(suite, valuator.functions.configure(asset, config), caller)
    assert tuple(view(valuator, "configOf", asset)) == EMPTY_CONFIG


def test_the_admin_is_the_registry_admin_and_follows_its_transfer(suite, w3, valuator, asset, roles):
    registry = suite.registry
    suite.sender.transact(registry.functions.beginDefaultAdminTransfer(roles.outsider), roles.admin, "R")
    mine_at(w3, now_of(w3) + 3_602)  # past the registry's admin transfer delay
    suite.sender.transact(registry.functions.acceptDefaultAdminTransfer(), roles.outsider, "R")

    with reverts("ValuationUnauthorized", caller=roles.admin):
        send(suite, valuator.functions.configure(asset, valuation_config(now_of(w3))), roles.admin)
    with reverts("ValuationUnauthorized", caller=roles.admin):
        send(suite, valuator.functions.setSequencerFeed(roles.treasury, 60), roles.admin)
    config = valuation_config(now_of(w3))
    send(suite, valuator.functions.configure(asset, config), roles.outsider)
    assert tuple(view(valuator, "configOf", asset)) == config


def test_unknown_assets_are_refused(suite, w3, valuator, asset, roles):
    # The registry's own revert comes first: ValuationUnknownAsset is never reached (see report).
    with reverts("RegistryUnknownAsset", assetId=asset + 1):
        send(suite, valuator.functions.configure(asset + 1, valuation_config(now_of(w3))), roles.admin)


# (field, accepted at the bound, refused just beyond it).
BOUNDS = [
    ("purchaseValue", 1, 0),
    ("usefulLife", 1, 0),
    ("usefulLife", MAX_USEFUL_LIFE, MAX_USEFUL_LIFE + 1),
    ("salvageBps", 10_000, 10_001),
    ("capRateBps", 1, 0),
    ("capRateBps", 10_000, 10_001),
    ("utilizationWindow", 1, 0),
    ("utilizationWindow", RING_SIZE, RING_SIZE + 1),
    ("revenueWindow", 8, 7),
    ("revenueWindow", MAX_REVENUE_WINDOW, MAX_REVENUE_WINDOW + 1),
    ("maxMetricsAge", 1, 0),
    ("maxPriceAge", 1, 0),
    ("minPrice", 1, 0),
]


@pytest.mark.parametrize(("field", "good", "bad"), BOUNDS, ids=[f"{f}-{g}" for f, g, _ in BOUNDS])
def test_each_parameter_bound(suite, w3, valuator, asset, roles, field, good, bad):
    now = now_of(w3)
    fields = {field: bad}
    if field == "minPrice":
        fields["maxPrice"] = 10
    with reverts("ValuationBadParameter", field=b32(field), value=bad):
        send(suite, valuator.functions.configure(asset, valuation_config(now, **fields)), roles.admin)
    assert tuple(view(valuator, "configOf", asset)) == EMPTY_CONFIG
    assert view(valuator, "feedOf", asset) == ZERO

    config = valuation_config(now, **{field: good})
    send(suite, valuator.functions.configure(asset, config), roles.admin)
    assert tuple(view(valuator, "configOf", asset)) == config


def test_salvage_may_be_zero(suite, w3, valuator, asset, roles):
    config = valuation_config(now_of(w3), salvageBps=0)
    send(suite, valuator.functions.configure(asset, config), roles.admin)
    assert tuple(view(valuator, "configOf", asset)) == config


def test_max_price_may_equal_but_not_undercut_min_price(suite, w3, valuator, asset, roles):
    now = now_of(w3)
    with reverts("ValuationBadParameter", field=b32("maxPrice"), value=499):
        send(suite, valuator.functions.configure(asset, valuation_config(now, minPrice=500, maxPrice=499)), roles.admin)
    config = valuation_config(now, minPrice=500, maxPrice=500)
    send(suite, valuator.functions.configure(asset, config), roles.admin)
    assert tuple(view(valuator, "configOf", asset)) == config


def test_purchase_time_may_be_now_but_not_later(suite, w3, valuator, asset, roles, configure):
    when = now_of(w3) + 100
    with reverts("ValuationBadParameter", field=b32("purchasedAt"), value=when + 1):
        configure(asset, when, purchasedAt=when + 1)
    config, _ = configure(asset, when + 1, purchasedAt=when + 1)
    assert tuple(view(valuator, "configOf", asset)) == config
    # A purchase long ago is fine too (the hardware leg is then the salvage value).
    config, _ = configure(asset, purchasedAt=0, usefulLife=DAY)
    assert tuple(view(valuator, "configOf", asset)) == config
