"""The revenue checkpoint ring: it keeps the newest 32 checkpoints, wraps, and the window start
is the newest checkpoint held at or before now − revenueWindow (seen through the income leg:
its window length and annualized revenue)."""

from __future__ import annotations

from tests.lending_support import DUSD, HOUR, now_of
from tests.unit.metrics_oracle.conftest import view
from tests.unit.share_valuator.conftest import (
    CHECKPOINTS,
    Status,
    annual_income,
    at,
    hardware_value,
    income_value,
    logs,
    send,
    window_start,
)

WRITES = 40  # more than CHECKPOINTS: the ring wraps


def test_the_ring_keeps_the_newest_32_and_finds_the_window_start(
    suite, w3, valuator, synced, roles, configure, update, pay, report, epoch_now
):
    asset = synced
    t0 = now_of(w3) + 1
    # A checkpoint at most every hour; utilization: the latest epoch alone.
    config, _ = configure(asset, t0, revenueWindow=8 * HOUR, utilizationWindow=1)
    checkpoints: list[tuple[int, int]] = []
    when = t0 + 60
    for i in range(WRITES):
        rps = pay(asset, (i + 1) * DUSD)
        receipt = update(asset, when)
        assert logs(valuator, receipt, "RevenueCheckpointed") == [
            {"assetId": asset, "timestamp": when, "revenuePerShareE18": rps}
        ]
        checkpoints.append((when, rps))
        assert view(valuator, "latestCheckpoint", asset) == [min(i + 1, CHECKPOINTS), when, rps]
        when += HOUR + (i % 3) * 700  # irregular gaps, none shorter than the spacing

    now_rps = pay(asset, 77 * DUSD)
    report(asset, {epoch_now() - 1: 6_000})
    now = now_of(w3) + 10
    oldest_held = WRITES - CHECKPOINTS
    # Cutoffs (now − window) on, just before and just after checkpoints across the ring; the
    # window is set by reconfiguring, which keeps the ring, and read through preview.
    cutoffs = [
        checkpoints[oldest_held][0],  # the oldest held, exactly
        checkpoints[oldest_held][0] + 1,
        checkpoints[oldest_held + 1][0] - 1,
        checkpoints[oldest_held + 1][0],
        checkpoints[20][0] - 1,
        checkpoints[20][0],
        checkpoints[33][0] + 699,
        checkpoints[-1][0] - 1,
        checkpoints[-1][0],
        now - 8,  # the shortest window: the newest checkpoint
    ]
    for cutoff in cutoffs:
        at(w3, now)
        send(suite, valuator.functions.configure(asset, (*config[:6], now - cutoff, *config[7:])), roles.admin)
        start = window_start(checkpoints, cutoff)
        assert start is not None
        elapsed = now - start[0]
        annual = annual_income(now_rps - start[1], elapsed)
        income = income_value(annual, 6_000, config)
        hardware = hardware_value(config, now)
        status, price, legs = view(valuator, "preview", asset)
        assert (status, price) == (Status.OK, min(income, hardware)), cutoff
        assert list(legs) == [hardware, income, annual, 6_000, elapsed], cutoff

    # The checkpoints the ring overwrote are gone: a cutoff before the oldest held finds none,
    # although older checkpoints were written.
    for cutoff in (checkpoints[oldest_held][0] - 1, checkpoints[oldest_held - 1][0], checkpoints[0][0]):
        assert window_start(checkpoints, cutoff) is None
        at(w3, now)
        send(suite, valuator.functions.configure(asset, (*config[:6], now - cutoff, *config[7:])), roles.admin)
        status, price, legs = view(valuator, "preview", asset)
        assert (status, price, list(legs[2:])) == (Status.HISTORY_TOO_SHORT, 0, [0, 0, 0]), cutoff

    # The ring goes on wrapping from where it was.
    send(suite, valuator.functions.configure(asset, config), roles.admin)
    receipt = update(asset, now + HOUR)
    assert logs(valuator, receipt, "RevenueCheckpointed")[0]["timestamp"] == now + HOUR
    assert view(valuator, "latestCheckpoint", asset) == [CHECKPOINTS, now + HOUR, now_rps]
