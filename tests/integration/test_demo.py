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
    # Leasing: four leases, settled against the replayed day's uptime.
    assert totals["leases"] == 4
    # 22 + 7 (terminated after epoch 31) + 24 + 9 (reclaimed from epoch 34) lease-epochs.
    assert totals["lease_epochs_settled"] == 22 + 7 + 24 + 9
    assert totals["sla_credits_measured"] > 0  # real downtime in the trace, below the 99.90% SLA
    assert totals["sla_credits_unreported"] == 2  # the two hours past the trace, no-report rule
    assert "Lease conservation" in text
    assert "LeaseInsufficientCapacity" in text
    # Lending: a loan against shares, made unhealthy by the idle hours, liquidated by the keeper.
    assert "status HistoryTooShort" in text  # the first valuation update only checkpoints revenue
    assert "status Ok" in text
    assert totals["loans"] == 1 and totals["liquidations"] == 1
    assert 0 < totals["seized_shares_milli"] <= 4_000
    assert "liquidated" in text
    # The dashboard, written at the end from the running chain: the page and its four charts.
    dashboard = tmp_path / "dashboard"
    assert "Dashboard written to" in text
    assert (dashboard / "index.html").stat().st_size > 0
    assert totals["report_charts"] == 4
    for chart in ("metrics", "revenue_per_share", "leases", "loan_health"):
        assert (dashboard / f"{chart}.png").read_bytes().startswith(b"\x89PNG")
