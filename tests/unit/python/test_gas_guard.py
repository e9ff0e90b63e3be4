"""The gas guard of `make test`: a figure that rises past 1% of the committed one fails."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "run.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_run", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _results(claim=48_819, transfer=50_706, holders_1000=48_819):
    return {
        "gas": {"revenue_claim": claim, "share_transfer": transfer, "lease_open": None},
        "peers": {"oz_erc20_transfer": 34_101},
        "cold": {},
        "scaling": {"revenue_claim_by_holders": {"1": claim, "1000": holders_1000}},
    }


def test_unchanged_or_cheaper_figures_pass():
    bench = _bench_module()
    assert bench.compare_with_committed(_results(), _results()) == []
    assert bench.compare_with_committed(_results(claim=40_000, holders_1000=40_000), _results()) == []


def test_a_rise_within_one_percent_passes_and_beyond_fails():
    bench = _bench_module()
    assert bench.compare_with_committed(_results(transfer=51_200), _results()) == []
    problems = bench.compare_with_committed(_results(transfer=51_300), _results())
    assert problems == ["gas.share_transfer: 50,706 -> 51,300 (+1.2%)"]


def test_a_figure_that_is_no_longer_measured_fails():
    bench = _bench_module()
    current = _results()
    del current["gas"]["revenue_claim"]
    assert any("revenue_claim" in p for p in bench.compare_with_committed(current, _results()))
