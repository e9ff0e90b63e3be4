"""`make demo` end to end: it starts its own anvil, runs the story, and balances the books."""

from __future__ import annotations

from rich.console import Console

from compute_rwa.demo import run


def test_demo_runs_end_to_end_and_conserves_revenue(tmp_path):
    console = Console(record=True, width=140)
    totals = run(console, directory=tmp_path)
    text = console.export_text()
    assert totals["claimed"] + totals["reserves"] < totals["paid_in"]  # fees went to operator and treasury
    assert "Conservation" in text
    assert "On-chain metrics (MetricsOracle.getReport)" in text
    assert totals["reports"] == 44  # 22 hourly epochs x the two H800 nodes, each on-chain once
    assert totals["voided"] == 1  # the upheld challenge voided one report
    assert (tmp_path / "31337.json").exists()
