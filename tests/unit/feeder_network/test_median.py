"""The transmitter's median: per key and field, the lower median of the observers' integers."""

from __future__ import annotations

import logging

import pytest
from eth_utils import keccak

from compute_rwa import InvalidInputError
from compute_rwa.oracle.network import consensus, median_reports
from tests.unit.feeder_network.support import ASSET, EPOCH, report


def test_odd_count_takes_the_middle_value_of_each_field_independently():
    observations = [
        [report(utilization_bps=5_000, uptime_bps=9_000, gpu_hours_milli=30, energy_wh=900, avg_power_w=100)],
        [report(utilization_bps=5_300, uptime_bps=9_500, gpu_hours_milli=10, energy_wh=800, avg_power_w=300)],
        [report(utilization_bps=5_100, uptime_bps=10_000, gpu_hours_milli=20, energy_wh=700, avg_power_w=200)],
    ]
    (agreed,) = median_reports(observations)
    assert agreed == report(utilization_bps=5_100, uptime_bps=9_500, gpu_hours_milli=20, energy_wh=800, avg_power_w=200)


def test_even_count_takes_the_lower_median_so_values_are_observed_integers():
    observations = [
        [report(utilization_bps=u, energy_wh=e)] for u, e in ((4_000, 11), (4_001, 14), (4_003, 12), (4_002, 13))
    ]
    (agreed,) = median_reports(observations)
    assert agreed.utilization_bps == 4_001
    assert agreed.energy_wh == 12
    (pair,) = median_reports([[report(avg_power_w=301)], [report(avg_power_w=300)]])
    assert pair.avg_power_w == 300


def test_disagreeing_inventory_hash_drops_the_key_and_says_so(caplog):
    other = keccak(text="inventory:elsewhere")
    observations = [
        [report(), report(asset_id=8)],
        [report(), report(asset_id=8, inventory_hash=other)],
        [report(), report(asset_id=8)],
    ]
    result = consensus(observations)
    assert [r.key for r in result.reports] == [(ASSET, EPOCH)]
    assert "inventory hash" in result.dropped[(8, EPOCH)]
    with caplog.at_level(logging.WARNING, logger="compute_rwa.oracle.network"):
        agreed = median_reports(observations)
    assert [r.asset_id for r in agreed] == [ASSET]
    assert "asset 8 epoch 500 left out" in caplog.text


def test_min_observers_drops_keys_too_few_signers_saw():
    observations = [
        [report(asset_id=1), report(asset_id=2)],
        [report(asset_id=1), report(asset_id=2)],
        [report(asset_id=1)],
    ]
    result = consensus(observations, min_observers=3)
    assert [r.asset_id for r in result.reports] == [1]
    assert result.dropped == {(2, EPOCH): "2 observer(s), 3 needed"}
    assert [r.asset_id for r in median_reports(observations, min_observers=2)] == [1, 2]
    with pytest.raises(InvalidInputError, match="min_observers"):
        consensus(observations, min_observers=0)


def test_keys_come_out_by_epoch_then_asset_and_each_observer_counts_once():
    first = [report(asset_id=2, epoch=6), report(asset_id=1, epoch=6), report(asset_id=9, epoch=5)]
    # The second observer lists one key twice: only its first report counts.
    second = [*first, report(asset_id=1, epoch=6, utilization_bps=0)]
    agreed = median_reports([first, second], min_observers=2)
    assert [r.key for r in agreed] == [(9, 5), (1, 6), (2, 6)]
    assert all(r.utilization_bps == 5_000 for r in agreed)


def test_no_observations_no_reports():
    assert median_reports([]) == []
    assert median_reports([[], []]) == []
