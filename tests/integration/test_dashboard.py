"""`compute-rwa report`: a small world on the session's anvil (two assets with a day and a half
of oracle reports and revenue, three leases settled against the reports with SLA credits, a
lending market with two borrowers), the dashboard written from it, then opened in headless
Chromium: no console errors, every section and chart rendered, a screenshot that is not blank.

The browser test needs Debian's `chromium` and `chromium-driver` (.ci/run installs them) and
is skipped, saying so, where they are absent."""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image
from web3 import Web3

from compute_rwa import AssetRegistration
from compute_rwa.cli import main, run
from compute_rwa.deploy import Deployment
from compute_rwa.lease import LeaseClient, LeaseStatus
from compute_rwa.market import MarketClient, ValuationClient, ValuationStatus
from compute_rwa.models import AssetStatus
from compute_rwa.report import HTML_NAME, RevenueSource, ShareAccumulator, collect, write_report
from tests.conftest import inventory_hash
from tests.lending_support import DAY, DUSD, HOUR, create_market, distribute, now_of, valuation_config, valuator_of
from tests.unit.lease_manager.conftest import configure_asset, warp_to
from tests.unit.metrics_oracle.conftest import make_report, submit_batch, warp_chain

SHARE = 10**18
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHARTS = ("metrics", "revenue_per_share", "leases", "loan_health")


@dataclass(frozen=True)
class World:
    deployment: Deployment
    record: Path
    assets: tuple[int, int]
    leases: tuple[int, int, int]
    borrowers: tuple[str, str]


@pytest.fixture(scope="module")
def world(w3, suite, oracle_setup, roles, tmp_path_factory) -> Iterator[World]:
    """The world, built once for this module and rolled back after it."""
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        yield _build(w3, suite, oracle_setup, roles, tmp_path_factory.mktemp("dashboard-deployment"))
    finally:
        w3.provider.make_request("evm_revert", [snapshot])


def _build(w3: Web3, suite: Any, setup: Any, roles: Any, directory: Path) -> World:
    oracle, keys, sender = setup.client, setup.keys[:3], suite.sender
    assets = tuple(
        suite.register_asset(_registration(suite, roles, model, region), roles.operator)[0]
        for model, region in (("NVIDIA H100 80GB HBM3", "us-east-1"), ("NVIDIA H200 141GB", "eu-west-1"))
    )
    a, b = assets
    oracle.sync_assets([a, b], roles.outsider)
    # Asset a is valued on 12 hours of revenue and 12 epochs of utilization (first checkpoint now).
    valuator = valuator_of(suite)
    config = valuation_config(now_of(w3), revenueWindow=12 * HOUR, utilizationWindow=12)
    sender.transact(valuator.functions.configure(a, config), roles.admin, "ShareValuator")
    sender.transact(valuator.functions.update(a), roles.outsider, "ShareValuator")
    for asset in assets:
        configure_asset(suite, asset, roles.operator)  # 2 dUSD per GPU-hour, 99% SLA

    # Five minutes into an epoch, so that every step below lands at the same place in its epoch.
    start = oracle.epoch_at(now_of(w3)) + 1
    warp_to(w3, oracle.epoch_start(start) + 300)
    _report(oracle, keys, roles.outsider, assets, range(start - 24, start))
    leases = LeaseClient(w3, suite.deployment, sender)
    sender.transact(suite.payment_token.functions.mint(roles.lessee, 10**6 * DUSD), roles.admin, "Token")
    opened = (
        leases.open(a, 2, 6, roles.lessee).lease_id,
        leases.open(b, 4, 24, roles.lessee).lease_id,
        leases.open(a, 1, 24, roles.lessee).lease_id,
    )
    for hour in range(6):  # revenue every two hours
        warp_chain(w3, 2 * HOUR)
        distribute(suite, a, (600 + 90 * hour) * DUSD, roles.lessee, roles.admin)
        distribute(suite, b, (900 - 40 * hour) * DUSD, roles.lessee, roles.admin)
    leases.terminate(opened[1], roles.lessee)  # its last epoch is the current one, start + 12
    _report(oracle, keys, roles.outsider, assets, range(start, start + 12))
    warp_chain(w3, DAY + 600)  # past the dispute window: the reports so far are final
    _report(oracle, keys, roles.outsider, assets, range(start + 12, start + 36))
    # The first lease closes; the others settle up to start + 11 (the next report is disputable).
    leases.settle_ready(roles.outsider)
    assert ValuationClient(w3, suite.deployment, sender).update(a, roles.outsider).status is ValuationStatus.OK

    lending = create_market(suite, suite.share_token(a).address, valuator.functions.feedOf(a).call(), roles.admin)
    market = MarketClient(w3, lending.address, sender)
    sender.transact(suite.payment_token.functions.mint(roles.lender, 10**6 * DUSD), roles.admin, "Token")
    market.supply(200_000 * DUSD, roles.lender)
    borrowers = (roles.borrower, roles.holders[1])
    for borrower, shares, part in zip(borrowers, (4, 2), (50, 96), strict=True):
        suite.transfer_shares(a, roles.holders[0], borrower, shares * SHARE)
        market.supply_collateral(shares * SHARE, borrower)
        limit = market.position(borrower).max_debt
        assert limit is not None
        market.borrow(limit * part // 100, borrower)

    record = directory / f"{suite.deployment.chain_id}.json"
    record.write_text(json.dumps(_record(suite.deployment)))
    return World(suite.deployment, record, (a, b), opened, borrowers)


def _registration(suite: Any, roles: Any, model: str, region: str) -> AssetRegistration:
    """An 8-GPU node like the `asset` fixture's (its reports fit `make_report`), all shares with
    holders[0]."""
    return AssetRegistration(
        gpu_model=model,
        gpu_count=8,
        rated_tflops=7912,
        rated_power_watts=5600,
        region=region,
        operator=roles.operator,
        inventory_hash=inventory_hash("node-1"),
        payment_token=suite.deployment.payment_token,
        owner=roles.holders[0],
        operator_fee_bps=1000,
        reserve_bps=500,
    )


def _report(oracle: Any, keys: Any, transmitter: str, assets: tuple[int, ...], epochs: range) -> None:
    """A day-shaped load per asset; asset 1 of the pair loses a GPU in two epochs (uptime below
    the 99% SLA, so settled leases get credits)."""
    reports = []
    for index, asset in enumerate(assets):
        for epoch in epochs:
            hour = (epoch + 5 * index) % 24
            busy = 2_000 + 6_000 * min(hour, 24 - hour) // 12  # a daily peak
            uptime = 8_750 if (epoch + index) % 9 == 0 else 10_000
            power = 1_500 + busy * 4_000 // 10_000
            reports.append(
                make_report(
                    asset,
                    epoch,
                    utilization_bps=busy,
                    uptime_bps=uptime,
                    gpu_hours_milli=8 * uptime // 10,
                    energy_wh=power,
                    avg_power_w=power,
                )
            )
    submit_batch(oracle, reports, keys, transmitter)


def _record(d: Deployment) -> dict[str, Any]:
    """The deployment as `deployments/<chainId>.json` records it."""
    contracts = {
        "AssetRegistry": d.registry,
        "ShareTokenImplementation": d.share_token_implementation,
        "PaymentToken": d.payment_token,
        "MetricsOracle": d.oracle,
        "LeaseTerms": d.lease_terms,
        "LeaseManager": d.lease_manager,
        "LeasePositions": d.lease_positions,
        "ShareValuator": d.valuator,
        "MarketFactory": d.market_factory,
    }
    return {"chain_id": d.chain_id, "admin": d.admin, "contracts": contracts, "steps": {}}


# --------------------------------------------------------------------- data and command line


def test_report_command_writes_the_page_and_charts_and_prints_a_json_summary(world, chain, tmp_path):
    out = tmp_path / "dash"
    args = ["report", "--rpc", chain.url, "--deployment", str(world.record), "--out", str(out), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    summary = json.loads(result.output)
    assert summary["html"] == str(out / HTML_NAME)
    assert summary["charts"] == [str(out / f"{name}.png") for name in CHARTS]
    counts = summary["counts"]
    assert counts["assets"] == 2 and counts["leases"] == 3 and counts["markets"] == 1 and counts["positions"] == 2
    assert counts["reports"] == 2 * (24 + 12 + 24) and counts["voided_reports"] == 0
    assert counts["revenue_events"] > 12  # 12 direct payments, and the settled lease epochs
    assert summary["notes"] == []
    page = (out / HTML_NAME).read_text()
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for name in CHARTS:
        assert (out / f"{name}.png").read_bytes().startswith(b"\x89PNG")


def test_collected_data_matches_the_chain(world, w3, suite):
    dashboard = collect(w3, world.deployment)
    assert dashboard.notes == ()
    a, b = world.assets
    fleet = {row.spec.asset_id: row for row in dashboard.fleet}
    for asset in (a, b):
        token = suite.share_token(asset)
        assert fleet[asset].revenue_per_share == token.functions.revenuePerShareE18().call()
        points = [p for p in dashboard.revenue if p.asset_id == asset]
        assert points[-1].revenue_per_share == fleet[asset].revenue_per_share
        assert {p.source for p in points} == {RevenueSource.DIRECT, RevenueSource.LEASES}
        # The replayed accumulator is the token's own after every block with one accrual (a keeper's
        # settleMany pays several lease epochs in one transaction: the chain has only their sum).
        blocks = Counter(p.block for p in points)
        for point in points:
            if blocks[point.block] == 1:
                held = token.functions.revenuePerShareE18().call(block_identifier=point.block)
                assert point.revenue_per_share == held
    assert fleet[a].valuation is not None and fleet[a].valuation.usable and fleet[b].valuation is None

    leases = {row.lease.lease_id: row for row in dashboard.leases}
    first, terminated, running = (leases[i] for i in world.leases)
    assert first.lease.status is LeaseStatus.CLOSED
    assert terminated.lease.status is LeaseStatus.TERMINATED and running.lease.status is LeaseStatus.ACTIVE
    assert terminated.lease.next_epoch == running.lease.next_epoch == terminated.lease.end_epoch - 1
    assert sum(row.credited_epochs for row in leases.values()) > 0
    assert all(row.credits > 0 for row in leases.values() if row.credited_epochs)

    (market,) = dashboard.markets
    healths = {p.borrower: p.health_factor for p in market.positions}
    assert set(healths) == set(world.borrowers)
    assert all(h is not None and h >= 10**18 for h in healths.values())
    metrics = {m.asset_id: m for m in dashboard.metrics}
    assert [p.epoch for p in metrics[a].points] == sorted(p.epoch for p in metrics[a].points)


def test_missing_deployment_record_exits_2_with_a_clear_message(chain, tmp_path, monkeypatch, capsys):
    missing = tmp_path / "nowhere.json"
    argv = ["compute-rwa", "report", "--rpc", chain.url, "--deployment", str(missing), "--out", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"error: no deployment recorded for chain 31337 at {missing}" in err


def test_reserve_releases_and_burns_are_replayed_like_the_token(world, w3, suite, roles):
    asset, _ = suite.register_asset(_registration(suite, roles, "NVIDIA A100-SXM4-80GB", "ap-east-1"), roles.operator)
    token, sender = suite.share_token(asset), suite.sender
    distribute(suite, asset, 1_001 * DUSD + 7, roles.lessee, roles.admin)
    suite.set_asset_status(asset, AssetStatus.RETIRED, roles.operator)
    sender.transact(token.functions.burn(3 * SHARE), roles.holders[0], "ShareToken")  # 5 shares left
    distribute(suite, asset, 333 * DUSD + 1, roles.lessee, roles.admin)
    sender.transact(token.functions.releaseReserve(suite.pools(asset).reserve), roles.operator, "ShareToken")

    dashboard = collect(w3, world.deployment)
    points = [p for p in dashboard.revenue if p.asset_id == asset]
    assert [p.source for p in points] == [RevenueSource.DIRECT, RevenueSource.DIRECT, RevenueSource.RESERVE]
    assert [p.revenue_per_share for p in points] == [
        token.functions.revenuePerShareE18().call(block_identifier=p.block) for p in points
    ]
    assert dashboard.notes == ()
    replay = ShareAccumulator(8 * SHARE)
    replay.accrue(points[0].to_holders)
    replay.burn(3 * SHARE)
    assert replay.accrue(points[1].to_holders) == points[1].revenue_per_share


def test_a_model_name_with_markup_is_escaped(world, w3, suite, roles, tmp_path):
    model = "<img src=x onerror=alert(1)> $_$"  # markup for the page, broken mathtext for matplotlib
    asset, _ = suite.register_asset(_registration(suite, roles, model, "r&d"), roles.operator)
    distribute(suite, asset, 100 * DUSD, roles.lessee, roles.admin)  # so that it has a line in a chart
    page = write_report(collect(w3, world.deployment), tmp_path).html.read_text()
    assert "&lt;img src=x onerror=alert(1)&gt; $_$" in page and "<img src=x" not in page
    assert "r&amp;d" in page
    assert f"#{asset}" in page


# --------------------------------------------------------------------- in a browser


@pytest.fixture
def browser(tmp_path, monkeypatch) -> Iterator[Any]:
    """Headless Chromium through chromedriver (both from Debian), stopped afterwards."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("headless Chromium needs `chromium` and `chromedriver` (Debian: chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not try to download anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER, log_output=str(tmp_path / "driver.log")))
    try:
        yield driver
    finally:
        driver.quit()


def test_dashboard_renders_in_headless_chromium_without_errors(world, w3, browser, tmp_path):
    files = write_report(collect(w3, world.deployment), tmp_path / "dash")
    browser.get(files.html.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.title.startswith("compute-rwa dashboard")

    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(name.startswith("data:") for name in resources), resources

    def rows(table: str) -> int:
        return int(browser.execute_script(f"return document.querySelectorAll('#{table} tbody tr').length"))

    assert rows("fleet-table") == 2
    assert rows("lease-table") == 3
    assert rows("market-table") == 1 and rows("position-table") == 2
    for section in ("fleet", "metrics", "revenue", "leases", "loans"):
        assert browser.execute_script(f"return document.getElementById('{section}') !== null")
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.closest('figure').id, i.complete, i.naturalWidth])"
    )
    assert [figure for figure, _, _ in images] == ["chart-metrics", "chart-revenue", "chart-leases", "chart-loans"]
    assert all(complete and width > 0 for _, complete, width in images), images

    height = int(browser.execute_script("return document.documentElement.scrollHeight"))
    browser.set_window_size(1280, height)
    shot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(shot))
    with Image.open(shot) as image:
        assert image.size[0] >= 1200 and image.size[1] >= height * 0.9
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24)
    assert colours is not None and len(colours) > 200  # tables, text and charts, not a blank page
