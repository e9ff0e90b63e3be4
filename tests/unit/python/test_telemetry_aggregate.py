"""Epoch aggregation: exact integer units, missing samples are down, unattested GPUs reported."""

from __future__ import annotations

import pytest

from compute_rwa import InvalidInputError
from compute_rwa.fleet import inventory_hash
from compute_rwa.telemetry import AssetInventory, GpuSample, aggregate_epoch
from compute_rwa.telemetry.traces import PowerModel, TraceReplay, read_duty_cycle_trace

GENESIS = 1_800_000_000
HOUR = 3600


def _samples(uuid, *, util_bps=5_000, power_mw=400_000, every=60, skip=(), epoch=0, healthy=True):
    start = GENESIS + epoch * HOUR
    return [
        GpuSample(start + slot * every + 5, uuid, util_bps, power_mw, healthy=healthy)
        for slot in range(HOUR // every)
        if slot not in skip
    ]


def _aggregate(samples, inventories, **kw):
    return aggregate_epoch(
        samples,
        epoch=kw.get("epoch", 0),
        genesis=GENESIS,
        epoch_seconds=HOUR,
        sample_interval=60,
        inventories=inventories,
    )


NODE = AssetInventory(asset_id=1, gpu_uuids=("GPU-a", "GPU-b"), rated_tflops=1978)


def test_full_epoch_at_half_load_in_contract_units():
    result = _aggregate(_samples("GPU-a") + _samples("GPU-b"), [NODE])
    m = result.metrics[1]
    assert m.uptime_bps == 10_000
    assert m.utilization_bps == 5_000
    assert m.gpu_hours_milli == 1_000  # two GPUs half busy for an hour: one GPU-hour
    assert m.energy_wh == 800  # 2 x 400 W for an hour
    assert m.avg_power_w == 800
    assert m.efficiency_gflops_per_w == 1978 * 1000 * 5_000 // 10_000 // 800
    assert m.inventory_hash == inventory_hash(["GPU-a", "GPU-b"])
    assert (m.samples_expected, m.samples_healthy) == (120, 120)


def test_missing_samples_count_as_down_not_idle():
    result = _aggregate(_samples("GPU-a", skip=range(30)) + _samples("GPU-b"), [NODE])
    m = result.metrics[1]
    assert m.uptime_bps == 7_500
    assert m.utilization_bps == 5_000  # the missing half-hour is not read as 0% utilization
    assert m.gpu_hours_milli == 750


def test_a_gpu_that_never_reports_is_down_all_epoch():
    m = _aggregate(_samples("GPU-a"), [NODE]).metrics[1]
    assert m.uptime_bps == 5_000
    assert m.avg_power_w == 400


def test_unhealthy_samples_are_down():
    m = _aggregate(_samples("GPU-a") + _samples("GPU-b", healthy=False), [NODE]).metrics[1]
    assert m.uptime_bps == 5_000


def test_unknown_utilization_is_left_out_of_the_mean():
    mig = _samples("GPU-a", util_bps=None)
    m = _aggregate(mig + _samples("GPU-b", util_bps=8_000), [NODE]).metrics[1]
    assert m.utilization_bps == 8_000
    assert m.uptime_bps == 10_000


def test_gpus_outside_the_inventory_are_reported_not_counted():
    result = _aggregate(_samples("GPU-a") + _samples("GPU-b") + _samples("GPU-intruder"), [NODE])
    assert result.unattested_gpus["GPU-intruder"] == 60
    assert result.metrics[1].energy_wh == 800


def test_duplicates_and_samples_outside_the_epoch_are_ignored_and_counted():
    extra = _samples("GPU-a")[:10]
    late = _samples("GPU-a", epoch=1)[:3]
    result = _aggregate(_samples("GPU-a") + _samples("GPU-b") + extra + late, [NODE])
    assert result.duplicates == 10
    assert result.outside_epoch == 3
    assert result.metrics[1].uptime_bps == 10_000


def test_an_interval_that_does_not_divide_the_epoch_is_refused():
    with pytest.raises(InvalidInputError, match="sample_interval"):
        aggregate_epoch([], epoch=0, genesis=0, epoch_seconds=HOUR, sample_interval=7, inventories=[NODE])


def test_a_gpu_in_two_inventories_is_refused():
    other = AssetInventory(asset_id=2, gpu_uuids=("GPU-b",), rated_tflops=989)
    with pytest.raises(InvalidInputError) as info:
        _aggregate([], [NODE, other])
    assert info.value.field == "GPU-b"


def test_replayed_alibaba_trace_gives_bounded_metrics_with_real_gaps():
    rows = read_duty_cycle_trace()
    pods = sorted({row.pod for row in rows})
    assert len(pods) == 16
    uuids = [f"GPU-trace-{i:02d}" for i in range(16)]
    replay = TraceReplay(rows, uuids, start_at=GENESIS, power_model=PowerModel(idle_w=70, max_w=700))
    nodes = [
        AssetInventory(asset_id=1, gpu_uuids=tuple(uuids[:8]), rated_tflops=7912),
        AssetInventory(asset_id=2, gpu_uuids=tuple(uuids[8:]), rated_tflops=7912),
    ]
    uptimes = []
    for epoch in range(22):
        result = aggregate_epoch(
            replay.samples(), epoch=epoch, genesis=GENESIS, epoch_seconds=HOUR, sample_interval=60, inventories=nodes
        )
        for m in result.metrics.values():
            assert 0 <= m.utilization_bps <= 10_000
            assert 0 <= m.uptime_bps <= 10_000
            assert m.gpu_hours_milli <= 8 * 1000
            assert m.energy_wh <= 8 * 700
            uptimes.append(m.uptime_bps)
    # The trace has real gaps (pods missing samples): some epochs are not fully up.
    assert min(uptimes) < 10_000
    assert max(uptimes) > 9_000
