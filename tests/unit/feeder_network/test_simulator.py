"""The simulated fleet: deterministic for a seed, faults where they were injected, values in range."""

from __future__ import annotations

import pytest

from compute_rwa import InvalidInputError
from compute_rwa.telemetry import AssetInventory, aggregate_epoch
from compute_rwa.telemetry.samples import TelemetrySource
from compute_rwa.telemetry.simulator import DEFAULT_POWER, Fault, FaultKind, SimulatedFleet
from compute_rwa.telemetry.traces import PowerModel

GPUS = ("GPU-0", "GPU-1", "GPU-2", "GPU-3")
START = 1_800_057_600  # midnight UTC
HOUR = 3600


def fleet(**kw):
    kw.setdefault("start_at", START)
    return SimulatedFleet(GPUS, **kw)


def test_same_seed_same_samples_other_seed_other_samples():
    day = (START, START + 24 * HOUR)
    assert list(fleet(seed=7).samples_between(*day)) == list(fleet(seed=7).samples_between(*day))
    assert list(fleet(seed=7).samples_between(*day)) != list(fleet(seed=8).samples_between(*day))


def test_poll_yields_one_sample_per_gpu_and_advances_the_clock():
    sim = fleet(sample_interval=30)
    source: TelemetrySource = sim
    polls = [list(source.poll()) for _ in range(10)]
    for slot, samples in enumerate(polls):
        assert [s.gpu_uuid for s in samples] == list(GPUS)
        assert {s.timestamp for s in samples} == {START + 30 * slot}
    assert [s for p in polls for s in p] == list(fleet(sample_interval=30).samples_between(START, START + 300))
    assert sim.now == START + 300
    assert source.name == "simulator"


def test_samples_between_is_start_inclusive_end_exclusive():
    samples = list(fleet().samples_between(START + 60, START + 180))
    assert sorted({s.timestamp for s in samples}) == [START + 60, START + 120]
    assert len(list(fleet().samples_between(START + 61, START + 120))) == 0


def test_values_are_in_range_and_in_exact_units():
    power = PowerModel(idle_w=100, max_w=400)
    samples = list(fleet(seed=3, power_model=power, noise_bps=3_000).samples_between(START, START + 24 * HOUR))
    assert len(samples) == len(GPUS) * 24 * 60
    for s in samples:
        assert isinstance(s.utilization_bps, int) and 0 <= s.utilization_bps <= 10_000
        assert isinstance(s.power_mw, int) and s.power_mw == power.power_mw(s.utilization_bps)
        assert 100_000 <= s.power_mw <= 400_000
        assert s.healthy and s.source == "simulator"
    assert {0, 10_000} & {s.utilization_bps for s in samples}  # heavy noise reaches the clamps


def test_utilization_follows_the_daily_cycle():
    quiet = fleet(noise_bps=0, gpu_spread_bps=0, peak_hour_utc=15.0)

    def mean(hour):
        samples = list(quiet.samples_between(START + hour * HOUR, START + (hour + 1) * HOUR))
        return sum(s.utilization_bps for s in samples) / len(samples)

    assert mean(15) > mean(9) > mean(3)
    assert mean(15) == pytest.approx(5_500 + 2_500, abs=30)
    assert mean(3) == pytest.approx(5_500 - 2_500, abs=30)


def test_a_missing_gpu_leaves_a_gap_only_in_its_window():
    window = Fault("GPU-1", START + 1800, START + 2 * HOUR, FaultKind.MISSING)
    samples = list(fleet(faults=[window]).samples_between(START, START + 3 * HOUR))
    gpu1 = [s.timestamp for s in samples if s.gpu_uuid == "GPU-1"]
    assert all(not window.start <= t < window.end for t in gpu1)
    assert len(gpu1) == 3 * 60 - 90
    assert sum(s.gpu_uuid == "GPU-2" for s in samples) == 3 * 60
    node = AssetInventory(1, GPUS, rated_tflops=4_000)
    first = aggregate_epoch(
        samples, epoch=0, genesis=START, epoch_seconds=HOUR, sample_interval=60, inventories=[node]
    ).metrics[1]
    assert first.uptime_bps == 10_000 * (4 * 60 - 30) // (4 * 60)  # one GPU of four down half the hour


def test_an_unhealthy_gpu_reports_no_readings_and_counts_as_down():
    window = Fault("GPU-0", START, START + HOUR, FaultKind.UNHEALTHY)
    samples = list(fleet(faults=[window]).samples_between(START, START + HOUR))
    sick = [s for s in samples if s.gpu_uuid == "GPU-0"]
    assert len(sick) == 60
    assert all(not s.healthy and s.utilization_bps is None and s.power_mw is None for s in sick)
    metrics = aggregate_epoch(
        samples,
        epoch=0,
        genesis=START,
        epoch_seconds=HOUR,
        sample_interval=60,
        inventories=[AssetInventory(1, GPUS, rated_tflops=4_000)],
    ).metrics[1]
    assert metrics.uptime_bps == 7_500


def test_missing_wins_over_unhealthy_when_windows_overlap():
    faults = [Fault("GPU-0", START, START + 600, FaultKind.UNHEALTHY), Fault("GPU-0", START, START + 300)]
    sim = fleet(faults=faults)
    assert sim.sample("GPU-0", 0) is None
    unhealthy, healthy = sim.sample("GPU-0", 5), sim.sample("GPU-0", 10)
    assert unhealthy is not None and not unhealthy.healthy
    assert healthy is not None and healthy.healthy


def test_live_mode_returns_the_current_slot_once():
    now = [START + 10.0]
    live = fleet(live=True, clock=lambda: now[0])
    assert [s.timestamp for s in live.poll()] == [START] * 4
    assert live.poll() == []
    now[0] = START + 59.9
    assert live.poll() == []
    now[0] = START + 185
    assert {s.timestamp for s in live.poll()} == {START + 180}  # a live source cannot back-fill


def test_default_start_is_the_clock_rounded_down_to_the_interval():
    sim = SimulatedFleet(GPUS, sample_interval=60, clock=lambda: START + 125.5)
    assert sim.start_at == START + 120
    assert sim.power_model == DEFAULT_POWER


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"gpu_uuids": ()}, "gpu_uuids"),
        ({"gpu_uuids": ("a", "a")}, "gpu_uuids"),
        ({"sample_interval": 0}, "sample_interval"),
        ({"noise_bps": -1}, "noise_bps"),
        ({"peak_hour_utc": 24}, "peak_hour_utc"),
        ({"faults": [Fault("GPU-9", START, START + 1)]}, "faults"),
        ({"faults": [Fault("GPU-0", START, START)]}, "faults"),
    ],
)
def test_bad_parameters_name_the_field(kwargs, field):
    uuids = kwargs.pop("gpu_uuids", GPUS)
    with pytest.raises(InvalidInputError) as info:
        SimulatedFleet(uuids, start_at=START, **kwargs)
    assert info.value.field == field
