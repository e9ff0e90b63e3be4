"""submitReports happy paths: one report, batches of several assets and epochs, the ring of
RING_SIZE epochs wrapping around, the latest and trailing reads, efficiency derived on-chain."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from compute_rwa.oracle.client import Metric
from compute_rwa.oracle.reports import pack_reports
from tests.helpers import reverts
from tests.unit.metrics_oracle.conftest import RATED_TFLOPS, events, make_report, view

RING_SIZE = 168


def test_single_report_is_stored_with_its_stamp(oracle, synced, last_epoch, submit, w3):
    report = make_report(synced, last_epoch)
    receipt = submit([report])

    block_time = w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    held = oracle.report(synced, last_epoch)
    assert (held.epoch, held.utilization_bps, held.uptime_bps, held.gpu_hours_milli) == (last_epoch, 8000, 9900, 6400)
    assert (held.energy_wh, held.avg_power_w) == (4000, 4000)
    assert held.efficiency_gflops_per_w == 7912 * 1000 * 8000 // 10_000 // 4000 == 1582
    assert (held.updated_at, held.config_version, held.signers, held.voided) == (block_time, 1, 0b111, False)
    assert oracle.latest_epoch(synced) == last_epoch
    assert oracle.latest_report(synced) == held
    (accepted,) = events(oracle.contract, receipt, "ReportsAccepted")
    assert accepted == {
        "configVersion": 1,
        "signers": 0b111,
        "reportsHash": keccak(pack_reports([report])),
    }
    assert oracle.decode_batch(receipt["transactionHash"]) == [report]


@pytest.mark.parametrize(
    ("positions", "bitmap"),
    [((4, 1, 3), 0b11010), ((2, 0, 1), 0b00111), ((0, 1, 2, 3, 4), 0b11111)],
)
def test_signer_bitmap_names_the_signers_by_position_in_any_order(oracle, synced, keys, submit, positions, bitmap):
    receipt = submit([make_report(synced, 10)], [keys[i] for i in positions])
    assert oracle.report(synced, 10).signers == bitmap
    assert events(oracle.contract, receipt, "ReportsAccepted")[0]["signers"] == bitmap


def test_batch_of_many_assets_crosses_the_shared_latest_words(oracle, synced, register_assets, submit):
    # Ids 1..11 span two latest-epoch words (eight lanes each); interleave them so that the
    # loop keeps switching words and must write each back.
    ids = [synced, *register_assets(10)]
    assert ids == list(range(1, 12))
    order = [1, 9, 2, 10, 3, 11, 4, 5, 6, 7, 8]
    submit([make_report(a, 100 + a, utilization_bps=a * 100) for a in order])
    for a in ids:
        assert oracle.latest_epoch(a) == 100 + a
        assert oracle.report(a, 100 + a).utilization_bps == a * 100

    # The next batch, in reverse order, builds on every lane.
    submit([make_report(a, 200, gpu_hours_milli=a) for a in reversed(ids)])
    assert oracle.latest_epochs(ids) == dict.fromkeys(ids, 200)
    assert [oracle.report(a, 200).gpu_hours_milli for a in ids] == ids
    assert oracle.report(9, 109).utilization_bps == 900  # earlier epochs stay held


def test_several_epochs_of_one_asset_in_one_batch_and_across_batches(oracle, synced, submit):
    submit([make_report(synced, e, uptime_bps=9000 + e) for e in (10, 11, 15)])
    assert oracle.latest_epoch(synced) == 15
    submit([make_report(synced, e, uptime_bps=9000 + e) for e in (16, 40)])
    assert oracle.latest_epoch(synced) == 40
    for e in (10, 11, 15, 16, 40):
        assert oracle.report(synced, e).uptime_bps == 9000 + e
    for gap in (12, 39):
        with reverts("OracleReportNotFound", assetId=synced, epoch=gap):
            oracle.report(synced, gap)


def test_ring_wraps_around_after_ring_size_epochs(oracle, synced, submit):
    assert oracle.ring_size == RING_SIZE
    # Epochs 0..169 in one batch: 168 and 169 reuse the slots of 0 and 1.
    submit([make_report(synced, e, utilization_bps=10 * e) for e in range(RING_SIZE + 2)])
    for rotated in (0, 1):
        with reverts("OracleReportNotFound", assetId=synced, epoch=rotated):
            oracle.report(synced, rotated)
    assert oracle.report(synced, 2).utilization_bps == 20
    assert oracle.report(synced, RING_SIZE).utilization_bps == 10 * RING_SIZE
    assert oracle.report(synced, RING_SIZE + 1).utilization_bps == 10 * (RING_SIZE + 1)
    # The full window holds epochs 2..169.
    assert oracle.trailing_average(synced, Metric.UTILIZATION, RING_SIZE) == (10 * (2 + 169) // 2, RING_SIZE)

    # Jump ahead: 300 and 301 take the slots of 132 and 133; the window 134..301 holds 134..169
    # from before (a stale slot of another epoch is never read as this one).
    submit([make_report(synced, e, utilization_bps=10 * e) for e in (300, 301)])
    with reverts("OracleReportNotFound", assetId=synced, epoch=132):
        oracle.report(synced, 132)
    with reverts("OracleReportNotFound", assetId=synced, epoch=300 - RING_SIZE):
        oracle.report(synced, 300 - RING_SIZE)
    held = [*range(134, 170), 300, 301]
    assert oracle.trailing_average(synced, Metric.UTILIZATION, RING_SIZE) == (
        sum(10 * e for e in held) // len(held),
        len(held),
    )


def test_latest_and_trailing_reads(oracle, synced, submit):
    submit(
        [
            make_report(synced, 100, utilization_bps=6000, gpu_hours_milli=4800, energy_wh=3000, avg_power_w=3000),
            make_report(synced, 101, utilization_bps=7000, gpu_hours_milli=5600, energy_wh=3500, avg_power_w=3500),
            make_report(synced, 103, utilization_bps=9001, gpu_hours_milli=7200, energy_wh=5000, avg_power_w=5000),
        ]
    )
    assert oracle.latest_report(synced).epoch == 103
    # Window 4 covers 100..103 (102 missing), window 2 covers 102..103.
    assert oracle.trailing_average(synced, Metric.UTILIZATION, 4) == ((6000 + 7000 + 9001) // 3, 3)
    assert oracle.trailing_average(synced, Metric.UTILIZATION, 2) == (9001, 1)
    assert oracle.trailing_average(synced, Metric.UTILIZATION, 1) == (9001, 1)
    assert oracle.trailing_average(synced, Metric.GPU_HOURS, 3) == ((5600 + 7200) // 2, 2)
    assert oracle.trailing_average(synced, Metric.ENERGY, 168) == ((3000 + 3500 + 5000) // 3, 3)
    assert oracle.trailing_average(synced, Metric.AVG_POWER, 168) == ((3000 + 3500 + 5000) // 3, 3)
    assert oracle.trailing_average(synced, Metric.UPTIME, 168) == (9900, 3)
    efficiencies = [
        make_report(synced, 0, utilization_bps=u, avg_power_w=p).efficiency_gflops_per_w(RATED_TFLOPS)
        for u, p in ((6000, 3000), (7000, 3500), (9001, 5000))
    ]
    assert oracle.trailing_average(synced, Metric.EFFICIENCY, 168) == (sum(efficiencies) // 3, 3)


@pytest.mark.parametrize(
    ("utilization", "power", "expected"),
    [
        (8000, 4000, 1582),  # 7,912 x 1,000 x 0.8 / 4,000 = 1,582.4
        (10_000, 6160, 1284),  # flat out at the power bound: 7,912,000 / 6,160 = 1,284.4
        (10_000, 1, 7_912_000),
        (0, 4000, 0),
        (1, 5600, 0),  # rounds down
        (5000, 0, 0),  # no power reported: no efficiency
    ],
)
def test_efficiency_is_derived_on_chain(oracle, synced, submit, utilization, power, expected):
    report = make_report(synced, 50, utilization_bps=utilization, avg_power_w=power, energy_wh=min(power, 6160))
    submit([report])
    assert report.efficiency_gflops_per_w(RATED_TFLOPS) == expected
    assert oracle.report(synced, 50).efficiency_gflops_per_w == expected
    value, _ = view(oracle.contract, "metricAt", synced, 50, int(Metric.EFFICIENCY))
    assert value == expected
