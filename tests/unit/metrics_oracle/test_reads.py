"""Reads: getReport, latestReport, latestReportChecked (staleness, voided), metricAt,
trailingAverage's window, epochAt / epochStart, and the constants."""

from __future__ import annotations

import pytest

from compute_rwa.oracle.client import Metric
from tests.conftest import GENESIS_EPOCHS_AGO
from tests.helpers import reverts
from tests.unit.metrics_oracle.conftest import (
    CHALLENGE_BOND,
    DISPUTE_WINDOW,
    HOUR,
    MIN_BOND,
    RESOLUTION_TIMEOUT,
    SLASH,
    make_report,
    view,
)


def test_an_asset_without_reports(oracle, synced):
    assert view(oracle.contract, "latestEpoch", synced) == [False, 0]
    with reverts("OracleNoReport", assetId=synced):
        view(oracle.contract, "latestReport", synced)
    with reverts("OracleNoReport", assetId=synced):
        view(oracle.contract, "latestReportChecked", synced, 10**9)
    with reverts("OracleReportNotFound", assetId=synced, epoch=5):
        view(oracle.contract, "getReport", synced, 5)
    with reverts("OracleReportNotFound", assetId=synced, epoch=5):
        view(oracle.contract, "metricAt", synced, 5, int(Metric.UTILIZATION))
    assert oracle.trailing_average(synced, Metric.UTILIZATION, 168) == (0, 0)


def test_latest_report_checked_judges_the_age(oracle, synced, submit, warp):
    submit([make_report(synced, 7)])
    updated_at = oracle.report(synced, 7).updated_at
    now = warp(2 * HOUR)
    assert view(oracle.contract, "latestReportChecked", synced, now - updated_at)[0] == 7  # exactly maxAge: fresh
    with reverts("OracleReportStale", assetId=synced, updatedAt=updated_at, maxAge=now - updated_at - 1):
        view(oracle.contract, "latestReportChecked", synced, now - updated_at - 1)
    with reverts("OracleReportStale", assetId=synced, updatedAt=updated_at, maxAge=0):
        view(oracle.contract, "latestReportChecked", synced, 0)


def test_voided_reports_are_returned_raw_but_refused_by_checked_reads(oracle, synced, submit, void):
    submit([make_report(synced, 7, utilization_bps=5000), make_report(synced, 8, utilization_bps=7000)])
    void(synced, 8)

    raw = oracle.report(synced, 8)
    assert raw.voided is True
    assert raw.utilization_bps == 7000  # the values are kept, marked unusable
    assert oracle.latest_report(synced).voided is True
    with reverts("OracleReportVoided", assetId=synced, epoch=8):
        view(oracle.contract, "latestReportChecked", synced, 10**9)
    for metric in Metric:
        with reverts("OracleReportVoided", assetId=synced, epoch=8):
            view(oracle.contract, "metricAt", synced, 8, int(metric))
    # Trailing averages skip the voided epoch; the other stays readable.
    assert oracle.trailing_average(synced, Metric.UTILIZATION, 2) == (5000, 1)
    assert view(oracle.contract, "metricAt", synced, 7, int(Metric.UTILIZATION))[0] == 5000


def test_metric_at_reads_each_metric_and_the_acceptance_time(oracle, synced, submit):
    report = make_report(synced, 9, utilization_bps=7500, uptime_bps=9999, gpu_hours_milli=6000, energy_wh=4100)
    submit([report])
    updated_at = oracle.report(synced, 9).updated_at
    expected = {
        Metric.UTILIZATION: 7500,
        Metric.UPTIME: 9999,
        Metric.GPU_HOURS: 6000,
        Metric.ENERGY: 4100,
        Metric.AVG_POWER: 4000,
        Metric.EFFICIENCY: 7912 * 1000 * 7500 // 10_000 // 4000,
    }
    for metric, value in expected.items():
        assert view(oracle.contract, "metricAt", synced, 9, int(metric)) == [value, updated_at]


@pytest.mark.parametrize("window", [0, 169, 2**256 - 1])
def test_trailing_average_window_must_lie_within_the_ring(oracle, synced, submit, window):
    submit([make_report(synced, 1)])
    with reverts("OracleInvalidWindow", window=window, maxWindow=168):
        oracle.trailing_average(synced, Metric.UTILIZATION, window)


def test_trailing_average_near_epoch_zero(oracle, synced, submit):
    submit([make_report(synced, 0, utilization_bps=100), make_report(synced, 1, utilization_bps=300)])
    assert oracle.trailing_average(synced, Metric.UTILIZATION, 168) == (200, 2)
    assert oracle.trailing_average(synced, Metric.UTILIZATION, 1) == (300, 1)


def test_epoch_arithmetic(oracle):
    genesis = oracle.genesis
    assert view(oracle.contract, "epochSeconds") == HOUR
    assert (oracle.chain_time() - genesis) // HOUR == GENESIS_EPOCHS_AGO
    assert view(oracle.contract, "epochStart", 0) == genesis
    assert view(oracle.contract, "epochStart", 5) == genesis + 5 * HOUR
    assert view(oracle.contract, "epochAt", genesis) == 0
    assert view(oracle.contract, "epochAt", genesis + HOUR - 1) == 0
    assert view(oracle.contract, "epochAt", genesis + HOUR) == 1
    assert view(oracle.contract, "epochAt", genesis + 10 * HOUR + 7) == 10
    assert view(oracle.contract, "epochAt", oracle.chain_time()) == GENESIS_EPOCHS_AGO
    with reverts("OracleBeforeGenesis", timestamp=genesis - 1, genesis=genesis):
        view(oracle.contract, "epochAt", genesis - 1)


def test_constants_and_wiring(oracle, suite):
    c = oracle.contract
    assert [view(c, name) for name in ("RING_SIZE", "MAX_BATCH_SIZE", "MAX_SIGNERS", "POWER_MARGIN_BPS")] == [
        168,
        500,
        16,
        1000,
    ]
    assert view(c, "REPORT_BYTES") == 61
    assert view(c, "registry") == suite.registry.address
    assert view(c, "bondToken") == suite.payment_token.address
    assert view(c, "disputeParams") == [DISPUTE_WINDOW, RESOLUTION_TIMEOUT, CHALLENGE_BOND, SLASH, MIN_BOND]
    assert view(c, "paused") is False
    assert view(c, "supportsInterface", bytes.fromhex("01ffc9a7")) is True  # ERC-165
