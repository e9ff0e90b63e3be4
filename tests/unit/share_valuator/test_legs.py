"""The two legs of the valuation, checked exactly against the Python model: straight-line
hardware depreciation to salvage; income = revenue per share since the window start, annualized,
times trailing utilization (missing and voided epochs count as idle), over the cap rate; the
price is the lower leg, so donated revenue never lifts it above the hardware."""

from __future__ import annotations

import pytest

from tests.lending_support import DAY, DUSD, HOUR, YEAR, now_of
from tests.unit.metrics_oracle.conftest import view
from tests.unit.share_valuator.conftest import (
    Status,
    annual_income,
    expected_legs,
    hardware_value,
    income_value,
    logs,
    mine_at,
    utilization_bps,
)

LIFE = 4 * YEAR + 3  # odd, so that the division rounds


@pytest.mark.parametrize(
    ("purchase_value", "salvage_bps"), [(25_000 * DUSD + 1, 1_000), (999_999, 0), (10**30, 10_000)]
)
def test_hardware_depreciates_in_a_straight_line_to_salvage(
    w3, valuator, asset, configure, purchase_value, salvage_bps
):
    t0 = now_of(w3) + 1
    config, _ = configure(
        asset, t0, purchaseValue=purchase_value, purchasedAt=t0, usefulLife=LIFE, salvageBps=salvage_bps
    )
    salvage = purchase_value * salvage_bps // 10_000
    seen = []
    for age in (0, 1, 12_345_679, LIFE // 2, LIFE - 1, LIFE, LIFE + 1, 3 * LIFE):
        mine_at(w3, t0 + age)
        status, price, legs = view(valuator, "preview", asset)
        assert (status, price) == (Status.HISTORY_TOO_SHORT, 0)  # never updated: no checkpoint
        expected = salvage + (purchase_value - salvage) * (LIFE - age) // LIFE if age < LIFE else salvage
        assert legs[0] == expected == hardware_value(config, t0 + age), age
        seen.append(legs[0])
    assert seen[0] == purchase_value
    assert seen == sorted(seen, reverse=True)
    assert seen[-3:] == [salvage] * 3


def test_income_leg_with_gaps_and_a_voided_epoch(
    w3, payment_token, valuator, new_asset, configure, update, pay, report, void, epoch_now, roles
):
    unit = 10 ** payment_token.functions.decimals().call()
    asset = new_asset(payment_token)
    window = 2 * DAY
    t0 = now_of(w3) + 1
    # Hardware far above the income: the price is the income leg.
    config, _ = configure(
        asset, t0, purchaseValue=10**9 * unit, maxPrice=10**9 * unit, revenueWindow=window,
        utilizationWindow=12, capRateBps=1_500,
    )  # fmt: skip
    before = pay(asset, 1_234 * unit)  # before the window: not income
    start = t0 + 30
    receipt = update(asset, start)
    assert logs(valuator, receipt, "RevenueCheckpointed")[0]["revenuePerShareE18"] == before
    pay(asset, 3_000 * unit + 7)
    now_rps = pay(asset, 1_500 * unit, payer=roles.outsider)
    assert now_rps > before

    mine_at(w3, start + window + 3_333)
    latest = epoch_now() - 1
    reported = {latest - 13: 10_000, latest - 11: 9_000, latest - 9: 5_000, latest - 8: 7_000, latest - 4: 10_000}
    reported |= {latest - 1: 3_000, latest: 6_123}
    report(asset, reported)
    void(asset, latest - 8)
    valid = {e: u for e, u in reported.items() if e != latest - 8}
    utilization = utilization_bps(valid, latest, 12)
    # (9,000 + 5,000 + 10,000 + 3,000 + 6,123) / 5 x 5 / 12; the epoch 13 back is outside the window.
    assert utilization == 33_123 // 5 * 5 // 12 != utilization_bps(reported, latest, 12)

    when = now_of(w3) + 30
    receipt = update(asset, when)
    elapsed = when - start  # the window start is the first checkpoint, more than a window old
    annual = annual_income(now_rps - before, elapsed)
    income = income_value(annual, utilization, config)
    hardware = hardware_value(config, when)
    assert 0 < income < hardware
    assert logs(valuator, receipt, "ValuationUpdated") == [
        {
            "assetId": asset,
            "status": Status.OK,
            "price": income,
            "hardwareValue": hardware,
            "incomeValue": income,
            "utilizationBps": utilization,
            "round": 2,
        }
    ]
    status, price, legs = view(valuator, "preview", asset)  # at the update's block
    assert (status, price, list(legs)) == (Status.OK, income, [hardware, income, annual, utilization, elapsed])
    assert view(valuator, "priceOf", asset) == income


def test_voiding_every_report_in_the_window_makes_the_income_zero(
    w3, valuator, asset, valued, report, void, epoch_now, update
):
    v = valued(asset, revenue=2_000 * DUSD, utilization=None, utilizationWindow=3)
    mine_at(w3, v.updated_at + 2 * HOUR)
    latest = epoch_now() - 1
    report(asset, {latest - 5: 10_000, latest - 1: 9_000, latest: 9_000})
    void(asset, latest - 1)
    void(asset, latest)
    receipt = update(asset, now_of(w3) + 10)
    (event,) = logs(valuator, receipt, "ValuationUpdated")
    assert (event["status"], event["utilizationBps"], event["incomeValue"]) == (Status.ZERO, 0, 0)


@pytest.mark.parametrize(
    ("revenue", "lower"), [(20 * DUSD, "income"), (500 * DUSD, "income"), (2_000 * DUSD, "hardware")]
)
def test_the_price_is_the_lower_leg(valuator, asset, valued, revenue, lower):
    v = valued(asset, revenue=revenue)
    hardware, income, annual, utilization, elapsed = expected_legs(
        v, v.updated_at, v.share.functions.revenuePerShareE18().call()
    )
    (event,) = logs(valuator, v.receipt, "ValuationUpdated")
    assert (event["hardwareValue"], event["incomeValue"], event["utilizationBps"]) == (hardware, income, 8_000)
    assert (event["status"], event["price"]) == (Status.OK, min(hardware, income))
    assert event["price"] == (income if lower == "income" else hardware)
    assert list(view(valuator, "preview", asset)[2]) == [hardware, income, annual, utilization, elapsed]


def test_donated_revenue_raises_the_income_leg_but_not_the_price_above_hardware(
    w3, valuator, asset, valued, pay, update, roles
):
    v = valued(asset, revenue=200 * DUSD)
    (event,) = logs(valuator, v.receipt, "ValuationUpdated")
    assert event["price"] == event["incomeValue"] < event["hardwareValue"]
    before = event

    # A stranger (no shares) donates: the income leg rises and the price with it, up to the hardware.
    rps = pay(asset, 500 * DUSD, payer=roles.outsider)
    when = v.updated_at + 60
    receipt = update(asset, when)
    (event,) = logs(valuator, receipt, "ValuationUpdated")
    hardware, income, *_ = expected_legs(v, when, rps)
    assert (event["incomeValue"], event["hardwareValue"]) == (income, hardware)
    assert before["incomeValue"] < event["incomeValue"] == event["price"] < hardware

    rps = pay(asset, 10**9 * DUSD, payer=roles.outsider)
    receipt = update(asset, when + 60)
    (event,) = logs(valuator, receipt, "ValuationUpdated")
    hardware, income, *_ = expected_legs(v, when + 60, rps)
    assert event["incomeValue"] == income > 1_000 * hardware
    assert (event["status"], event["price"]) == (Status.OK, hardware)
    assert view(valuator, "priceOf", asset) == hardware_value(v.config, when + 60)


def test_ended_epochs_after_the_latest_report_count_as_idle(
    w3, valuator, oracle_contract, asset, valued, report, epoch_now, update
):
    """The window ends with the last ended epoch, reported or not: an operator who holds back
    the reports of a slump does not keep the last reported utilization."""
    v = valued(asset, revenue=2_000 * DUSD, utilization=8_000, maxMetricsAge=6 * HOUR)
    edge = oracle_contract.functions.epochStart(v.latest_epoch + 1).call() + 6 * HOUR
    receipt = update(asset, edge)  # six epochs later, none of them reported
    (event,) = logs(valuator, receipt, "ValuationUpdated")
    unreported = epoch_now() - 1 - v.latest_epoch
    assert unreported >= 6
    reported_in_window = sum(1 for e in v.utilizations if e > epoch_now() - 1 - 24)
    assert (event["status"], event["utilizationBps"]) == (Status.OK, 8_000 * reported_in_window // 24)
    assert event["utilizationBps"] < 8_000

    # Reporting a later epoch makes the skipped ones count as idle.
    skipped_to = epoch_now() - 1
    report(asset, {skipped_to: 8_000})
    receipt = update(asset, now_of(w3) + 30)
    (event,) = logs(valuator, receipt, "ValuationUpdated")
    valid = {**v.utilizations, skipped_to: 8_000}
    assert event["utilizationBps"] == utilization_bps(valid, skipped_to, 24) < 8_000
