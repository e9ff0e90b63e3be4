"""MetricFeed: one (asset, metric) of the oracle behind Chainlink's AggregatorV3Interface.
A round is an epoch (roundId = epoch + 1); voided reports are never answered."""

from __future__ import annotations

import pytest

from compute_rwa.oracle.client import Metric
from tests.helpers import reverts
from tests.unit.metrics_oracle.conftest import RATED_TFLOPS, make_report, view

DECIMALS = {
    Metric.UTILIZATION: 4,
    Metric.UPTIME: 4,
    Metric.GPU_HOURS: 3,
    Metric.ENERGY: 0,
    Metric.AVG_POWER: 0,
    Metric.EFFICIENCY: 0,
}
NAMES = {
    Metric.UTILIZATION: "utilization",
    Metric.UPTIME: "uptime",
    Metric.GPU_HOURS: "GPU-hours",
    Metric.ENERGY: "energy Wh",
    Metric.AVG_POWER: "average power W",
    Metric.EFFICIENCY: "efficiency GFLOPS/W",
}


@pytest.fixture
def feed_of(suite, oracle, roles):
    def deploy(asset_id, metric=Metric.UTILIZATION):
        return suite.sender.deploy("MetricFeed", roles.admin, oracle.address, asset_id, int(metric))

    return deploy


@pytest.mark.parametrize("metric", list(Metric))
def test_feed_metadata(feed_of, oracle, synced, metric):
    feed = feed_of(synced, metric)
    assert view(feed, "decimals") == DECIMALS[metric]
    assert view(feed, "description") == f"compute-rwa asset {synced} {NAMES[metric]}"
    assert view(feed, "version") == 1
    assert (view(feed, "oracle"), view(feed, "assetId"), view(feed, "metric")) == (oracle.address, synced, metric)


@pytest.mark.parametrize("metric", list(Metric))
def test_latest_round_is_the_latest_epoch(feed_of, oracle, synced, submit, metric):
    report = make_report(synced, 41, utilization_bps=7321, uptime_bps=9876, gpu_hours_milli=5555, energy_wh=4321)
    submit([make_report(synced, 40), report])
    updated_at = oracle.report(synced, 41).updated_at
    expected = {
        Metric.UTILIZATION: 7321,
        Metric.UPTIME: 9876,
        Metric.GPU_HOURS: 5555,
        Metric.ENERGY: 4321,
        Metric.AVG_POWER: 4000,
        Metric.EFFICIENCY: report.efficiency_gflops_per_w(RATED_TFLOPS),
    }[metric]
    feed = feed_of(synced, metric)
    round_data = [42, expected, oracle.epoch_start(41), updated_at, 42]
    assert view(feed, "latestRoundData") == round_data
    assert view(feed, "getRoundData", 42) == round_data


def test_rounds_by_id(feed_of, oracle, synced, submit):
    submit([make_report(synced, 0, utilization_bps=100), make_report(synced, 2, utilization_bps=300)])
    feed = feed_of(synced)
    assert view(feed, "getRoundData", 1)[:3] == [1, 100, oracle.epoch_start(0)]
    assert view(feed, "getRoundData", 3)[:3] == [3, 300, oracle.epoch_start(2)]
    with reverts("FeedUnknownRound", roundId=0):
        view(feed, "getRoundData", 0)
    with reverts("OracleReportNotFound", assetId=synced, epoch=1):
        view(feed, "getRoundData", 2)
    with reverts("OracleReportNotFound", assetId=synced, epoch=2**80 - 2):
        view(feed, "getRoundData", 2**80 - 1)


def test_no_report_no_answer(feed_of, synced):
    feed = feed_of(synced)
    with reverts("FeedNoValidReport", assetId=synced):
        view(feed, "latestRoundData")


def test_latest_round_falls_back_past_voided_reports(feed_of, oracle, synced, submit, void):
    submit([make_report(synced, e, utilization_bps=1000 + e) for e in (10, 11, 13)])
    feed = feed_of(synced)
    void(synced, 13)
    void(synced, 11)
    # 13 voided, 12 missing, 11 voided: the newest valid round is epoch 10's, with its own time.
    assert view(feed, "latestRoundData") == [
        11,
        1010,
        oracle.epoch_start(10),
        oracle.report(synced, 10).updated_at,
        11,
    ]
    with reverts("OracleReportVoided", assetId=synced, epoch=13):
        view(feed, "getRoundData", 14)

    void(synced, 10)
    with reverts("FeedNoValidReport", assetId=synced):
        view(feed, "latestRoundData")


def test_latest_round_looks_back_at_most_one_ring(feed_of, oracle, synced, submit, void):
    # Epoch 0 is held, then 200 is reported and voided: 0 lies outside the ring's window.
    submit([make_report(synced, 0), make_report(synced, 200)])
    void(synced, 200)
    assert oracle.report(synced, 0).voided is False
    with reverts("FeedNoValidReport", assetId=synced):
        view(feed_of(synced), "latestRoundData")
