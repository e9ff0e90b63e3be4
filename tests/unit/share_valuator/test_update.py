"""ShareValuator.update: anyone may call it; the revenue checkpoint and its spacing; every status
it stores, with the event, the round and what readers then answer."""

from __future__ import annotations

import pytest

from tests.helpers import reverts
from tests.lending_support import DAY, DUSD, HOUR, MAX_PRICE_AGE, now_of
from tests.unit.metrics_oracle.conftest import view
from tests.unit.share_valuator.conftest import Status, at, expected_legs, hardware_value, logs, mine_at, send


def test_anyone_may_update_and_the_first_update_checkpoints(suite, w3, valuator, asset, roles, configure, update, pay):
    t0 = now_of(w3) + 1
    config, _ = configure(asset, t0)
    rps = pay(asset, 1_000 * DUSD)  # paid before the first checkpoint: part of its value
    assert rps > 0

    receipt = update(asset, t0 + 30, sender=roles.holders[1])

    assert logs(valuator, receipt, "RevenueCheckpointed") == [
        {"assetId": asset, "timestamp": t0 + 30, "revenuePerShareE18": rps}
    ]
    assert logs(valuator, receipt, "ValuationUpdated") == [
        {
            "assetId": asset,
            "status": Status.HISTORY_TOO_SHORT,
            "price": 0,
            "hardwareValue": hardware_value(config, t0 + 30),
            "incomeValue": 0,
            "utilizationBps": 0,
            "round": 1,
        }
    ]
    assert list(view(valuator, "valuationOf", asset)) == [0, t0 + 30, MAX_PRICE_AGE, Status.HISTORY_TOO_SHORT, 1]
    assert view(valuator, "latestCheckpoint", asset) == [1, t0 + 30, rps]

    for caller, round_ in ((roles.operator, 2), (roles.admin, 3), (roles.outsider, 4)):
        receipt = update(asset, sender=caller)
        assert logs(valuator, receipt, "ValuationUpdated")[0]["round"] == round_
    assert view(valuator, "valuationOf", asset)[4] == 4


def test_update_returns_what_it_stores(suite, w3, valuator, asset, roles, valued):
    v = valued(asset, revenue=2_000 * DUSD)
    when = mine_at(w3, v.updated_at + 100)
    returned = valuator.functions.update(asset).call({"from": roles.outsider})
    assert list(returned) == [view(valuator, "preview", asset)[1], when, MAX_PRICE_AGE, Status.OK, 3]
    at(w3, when)
    send(suite, valuator.functions.update(asset), roles.outsider)
    assert list(view(valuator, "valuationOf", asset)) == list(returned)


@pytest.mark.parametrize(("window", "spacing"), [(8 * HOUR, HOUR), (8 * HOUR + 7, HOUR), (8, 1)])
def test_a_checkpoint_is_written_at_most_every_window_over_eight(
    w3, valuator, asset, configure, update, pay, window, spacing
):
    configure(asset, revenueWindow=window)
    first = pay(asset, 10 * DUSD)
    t0 = now_of(w3) + 30
    update(asset, t0)
    second = pay(asset, 10 * DUSD, when=t0)

    if spacing > 1:
        receipt = update(asset, t0 + spacing - 1)
        assert logs(valuator, receipt, "RevenueCheckpointed") == []
        assert view(valuator, "latestCheckpoint", asset) == [1, t0, first]
    receipt = update(asset, t0 + spacing)
    assert logs(valuator, receipt, "RevenueCheckpointed") == [
        {"assetId": asset, "timestamp": t0 + spacing, "revenuePerShareE18": second}
    ]
    assert view(valuator, "latestCheckpoint", asset) == [2, t0 + spacing, second]
    # A second update in the same second (or within the spacing) writes nothing.
    receipt = update(asset, t0 + spacing)
    assert logs(valuator, receipt, "RevenueCheckpointed") == []
    assert view(valuator, "latestCheckpoint", asset)[0] == 2


def test_update_and_preview_need_a_configuration(suite, valuator, asset, roles):
    for asset_id in (asset, asset + 1):
        with reverts("ValuationNotConfigured", assetId=asset_id):
            send(suite, valuator.functions.update(asset_id), roles.outsider)
        with reverts("ValuationNotConfigured", assetId=asset_id):
            view(valuator, "preview", asset_id)


def test_history_too_short_until_a_checkpoint_is_a_window_old(
    w3, valuator, synced, configure, update, pay, report, epoch_now
):
    t0 = now_of(w3) + 1
    config, _ = configure(synced, t0, revenueWindow=8 * HOUR)
    update(synced, t0)
    pay(synced, 500 * DUSD)
    at(w3, t0 + 8 * HOUR - 10)
    latest = epoch_now() - 1
    report(synced, {latest: 8_000})

    mine_at(w3, t0 + 8 * HOUR - 1)
    status, price, legs = view(valuator, "preview", synced)
    assert (status, price) == (Status.HISTORY_TOO_SHORT, 0)
    assert list(legs) == [hardware_value(config, t0 + 8 * HOUR - 1), 0, 0, 0, 0]
    receipt = update(synced, t0 + 8 * HOUR - 1)
    assert logs(valuator, receipt, "ValuationUpdated")[0]["status"] == Status.HISTORY_TOO_SHORT
    with reverts("ValuationUnavailable", assetId=synced, status=Status.HISTORY_TOO_SHORT):
        view(valuator, "priceOf", synced)

    receipt = update(synced, t0 + 8 * HOUR)
    (event,) = logs(valuator, receipt, "ValuationUpdated")
    assert (event["status"], event["round"]) == (Status.OK, 3)
    assert view(valuator, "priceOf", synced) == event["price"] > 0


def test_no_metrics_before_any_report(valuator, asset, valued):
    v = valued(asset, revenue=2_000 * DUSD, utilization=None)
    rps = v.share.functions.revenuePerShareE18().call()
    hardware, _, annual, _, elapsed = expected_legs(v, v.updated_at, rps)
    (event,) = logs(valuator, v.receipt, "ValuationUpdated")
    assert (event["status"], event["price"], event["incomeValue"], event["utilizationBps"]) == (
        Status.NO_METRICS, 0, 0, 0
    )  # fmt: skip
    assert event["hardwareValue"] == hardware
    # The revenue leg was found; only the metrics were missing.
    assert list(view(valuator, "preview", asset)[2]) == [hardware, 0, annual, 0, elapsed]
    with reverts("ValuationUnavailable", assetId=asset, status=Status.NO_METRICS):
        view(valuator, "priceOf", asset)
    with reverts("ValuationUnavailable", assetId=asset, status=Status.NO_METRICS):
        view(valuator, "okValuationOf", asset)


def test_metrics_go_stale_one_second_after_max_metrics_age(w3, valuator, oracle_contract, asset, valued, update):
    v = valued(asset, revenue=2_000 * DUSD, maxMetricsAge=6 * HOUR)
    edge = oracle_contract.functions.epochStart(v.latest_epoch + 1).call() + 6 * HOUR

    receipt = update(asset, edge)
    assert logs(valuator, receipt, "ValuationUpdated")[0]["status"] == Status.OK
    receipt = update(asset, edge + 1)
    (event,) = logs(valuator, receipt, "ValuationUpdated")
    assert (event["status"], event["price"], event["incomeValue"], event["utilizationBps"]) == (
        Status.METRICS_STALE, 0, 0, 0
    )  # fmt: skip
    assert list(view(valuator, "valuationOf", asset)) == [0, edge + 1, MAX_PRICE_AGE, Status.METRICS_STALE, 4]
    with reverts("ValuationUnavailable", assetId=asset, status=Status.METRICS_STALE):
        view(valuator, "priceOf", asset)


@pytest.mark.parametrize(
    ("case", "revenue", "utilization", "fields"),
    [
        ("no revenue", 0, 8_000, {}),
        ("idle hardware", 2_000 * DUSD, 0, {}),
        ("hardware past its life, no salvage", 2_000 * DUSD, 8_000, {"purchasedAt": 0, "salvageBps": 0}),
    ],
)
def test_a_zero_price_is_stored_as_zero(valuator, asset, valued, case, revenue, utilization, fields):
    v = valued(asset, revenue=revenue, utilization=utilization, **fields)
    (event,) = logs(valuator, v.receipt, "ValuationUpdated")
    assert (event["status"], event["price"]) == (Status.ZERO, 0)
    assert list(view(valuator, "valuationOf", asset)) == [0, v.updated_at, MAX_PRICE_AGE, Status.ZERO, 2]
    for name in ("priceOf", "okValuationOf"):
        with reverts("ValuationZero", assetId=asset):
            view(valuator, name, asset)


def test_prices_outside_the_bounds_are_stored_out_of_bounds(w3, valuator, asset, valued, configure, update):
    v = valued(asset, revenue=2_000 * DUSD)
    when = v.updated_at + 60
    mine_at(w3, when)
    status, price, _ = view(valuator, "preview", asset)
    assert status == Status.OK

    for min_price, max_price, status in (
        (price, price, Status.OK),
        (price + 1, price + 1, Status.OUT_OF_BOUNDS),
        (1, price - 1, Status.OUT_OF_BOUNDS),
    ):
        configure(asset, when, minPrice=min_price, maxPrice=max_price, purchasedAt=v.config[1])
        receipt = update(asset, when)
        (event,) = logs(valuator, receipt, "ValuationUpdated")
        assert (event["status"], event["price"]) == (status, price)
        assert list(view(valuator, "valuationOf", asset))[:4] == [price, when, MAX_PRICE_AGE, status]
        if status == Status.OK:
            assert view(valuator, "priceOf", asset) == price
            continue
        for name in ("priceOf", "okValuationOf"):
            with reverts("ValuationOutOfBounds", assetId=asset, price=price, minPrice=min_price, maxPrice=max_price):
                view(valuator, name, asset)


def test_rounds_count_every_update_whatever_its_status(w3, valuator, asset, valued, update):
    v = valued(asset, revenue=2_000 * DUSD, maxPriceAge=DAY)
    statuses = []
    for when in (v.updated_at + 1, v.updated_at + 2 * DAY, v.updated_at + 2 * DAY + 1):
        receipt = update(asset, when)
        (event,) = logs(valuator, receipt, "ValuationUpdated")
        statuses.append((event["round"], event["status"]))
    assert statuses == [(3, Status.OK), (4, Status.METRICS_STALE), (5, Status.METRICS_STALE)]
