"""The integrator examples (examples/*.py) run as scripts, `python examples/NAME.py --rpc URL
--deployment FILE …`, against the session chain with the suite deployed and the state each one
needs prepared here; then the chain shows what they did. Variants run their main() in-process."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from compute_rwa.oracle.client import Metric
from compute_rwa.tx import contract_at
from tests.conftest import ROOT, fund, inventory_hash
from tests.lending_support import DUSD, factory_of, share_token_of, value_asset
from tests.unit.lease_manager.conftest import configure_asset, manager_contracts
from tests.unit.metrics_oracle.conftest import make_report, submit_batch, warp_chain

EXAMPLES = ROOT / "examples"
SHARE = 10**18


@pytest.fixture
def deployment_file(suite, tmp_path) -> Path:
    """The suite's deployments registry, as `deploy_suite` writes it."""
    d = suite.deployment
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
    path = tmp_path / f"{d.chain_id}.json"
    path.write_text(json.dumps({"chain_id": d.chain_id, "admin": d.admin, "contracts": contracts, "steps": {}}))
    return path


@pytest.fixture
def run_example(chain, deployment_file) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(name: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            str(EXAMPLES / f"{name}.py"),
            "--rpc",
            chain.url,
            "--deployment",
            str(deployment_file),
        ]
        return subprocess.run([*command, *args], capture_output=True, text=True, timeout=180, cwd=ROOT)

    return run


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_every_example_explains_itself_and_is_tested():
    """Each example has a docstring saying what an integrator learns, and a test here."""
    tested = {"read_metric_feed", "lend_against_shares", "buy_lease_position", "claim_revenue"}
    assert {p.stem for p in EXAMPLES.glob("*.py")} == tested
    for name in tested:
        doc = load_example(name).__doc__ or ""
        assert "What an integrator learns here" in doc and f"python examples/{name}.py" in doc


def test_read_metric_feed_reads_latest_round_scale_history_and_refuses_stale(
    suite, asset, oracle, oracle_setup, roles, run_example, chain, deployment_file, w3, capsys
):
    oracle.sync_assets([asset], roles.outsider)
    latest = oracle.last_ended_epoch()
    assert latest is not None
    # Four ended epochs reported, one left out: its round reverts.
    epochs = [latest - 4, latest - 3, latest - 1, latest]
    reports = [make_report(asset, e, utilization_bps=7_000 + 500 * i) for i, e in enumerate(epochs)]
    submit_batch(oracle, reports, oracle_setup.keys[:3], roles.outsider)
    feed = suite.sender.deploy("MetricFeed", roles.admin, oracle.address, asset, int(Metric.UTILIZATION))

    out = succeeded(run_example("read_metric_feed", "--feed", feed.address, "--history", "4"))

    assert f"latest round {latest + 1}: answer 8500 = 0.85" in out
    assert f"asset {asset}, utilization: 0.85 busy" in out
    assert f"round {latest} (epoch {latest - 1}): 0.8," in out
    assert f"round {latest - 1}: reverts with OracleReportNotFound(assetId={asset}, epoch={latest - 2})" in out
    assert f"round {latest - 3} (epoch {latest - 4}): 0.7," in out
    assert "usable: 0.85 busy" in out

    # Four hours later the same answer fails a three-hour staleness check.
    warp_chain(w3, 4 * 3600)
    main = load_example("read_metric_feed").main
    assert main(["--rpc", chain.url, "--deployment", str(deployment_file), "--feed", feed.address]) == 1
    out = capsys.readouterr().out
    assert "REFUSED: stale: updated" in out and "more than --max-age 10800 s" in out
    assert "reverts: OracleReportStale(" in out


def test_lend_against_shares_creates_a_market_lends_and_borrows(suite, asset, oracle, oracle_setup, roles, run_example):
    valued = value_asset(suite, oracle, oracle_setup.keys, roles, asset)
    share = share_token_of(suite, asset)
    suite.sender.transact(share.functions.transfer(roles.borrower, 4 * SHARE), roles.holders[0], "ShareToken")
    fund(suite, suite.payment_token, roles.lender, 50_000 * DUSD, roles.admin)
    price = valued.feed.functions.price().call()

    out = succeeded(
        run_example(
            "lend_against_shares",
            *("--asset", str(asset), "--lender", roles.lender, "--borrower", roles.borrower),
            *("--supply", "50000", "--collateral", "4", "--borrow", "10000"),
        )
    )

    markets = factory_of(suite).functions.marketsOf(share.address).call()
    assert len(markets) == 1
    market = contract_at(suite.w3, "LendingMarket", markets[0])
    assert market.functions.debtOf(roles.borrower).call() >= 10_000 * DUSD
    assert market.functions.positionOf(roles.borrower).call()[1] == 4 * SHARE
    assert market.functions.totalAssets().call() >= 50_000 * DUSD
    assert f"price() = {price}" in out and "borrowed 10,000 dUSD" in out
    assert f"Morpho Blue MarketParams: ({suite.deployment.payment_token}, {share.address}" in out


def test_buy_lease_position_opens_within_the_ceiling_and_transfers_the_position(
    suite, asset, oracle, roles, run_example
):
    configure_asset(suite, asset, roles.operator)
    oracle.sync_assets([asset], roles.outsider)
    fund(suite, suite.payment_token, roles.lessee, 1_000 * DUSD, roles.admin)
    manager, _terms, positions = manager_contracts(suite)
    buyer = roles.holders[2]

    out = succeeded(
        run_example(
            "buy_lease_position",
            *("--asset", str(asset), "--gpus", "2", "--hours", "24", "--lessee", roles.lessee, "--buyer", buyer),
        )
    )

    assert manager.functions.leaseCount().call() == 1
    assert positions.functions.ownerOf(1).call() == buyer
    assert "quote: 2 GPUs x 24 h at 2 dUSD per GPU-hour = 96 dUSD; ceiling 96.96 dUSD" in out
    assert "escrowed 96 dUSD" in out
    assert "GPU lease #1: Right to use 2 GPUs of compute-rwa asset" in out and "price per GPU-hour: 2000000" in out
    assert f"position 1 now owned by {buyer}" in out
    # Only the quoted total was pulled, not the ceiling.
    assert suite.payment_token.functions.balanceOf(roles.lessee).call() == 1_000 * DUSD - 96 * DUSD


def test_buy_lease_position_refuses_a_buyer_the_asset_does_not_allow(
    suite, asset, oracle, roles, chain, deployment_file, capsys
):
    configure_asset(suite, asset, roles.operator)
    oracle.sync_assets([asset], roles.outsider)
    fund(suite, suite.payment_token, roles.lessee, 1_000 * DUSD, roles.admin)
    _manager, terms, positions = manager_contracts(suite)
    suite.sender.transact(terms.functions.setLesseeAllowListEnabled(asset, True), roles.compliance, "T")
    suite.sender.transact(terms.functions.setLesseeAllowed(asset, [roles.lessee], True), roles.compliance, "T")

    main = load_example("buy_lease_position").main
    args = ["--rpc", chain.url, "--deployment", str(deployment_file), "--asset", str(asset)]
    assert main([*args, "--lessee", roles.lessee, "--buyer", roles.outsider]) == 1

    assert "REFUSED: asset" in capsys.readouterr().out
    assert positions.functions.ownerOf(1).call() == roles.lessee


def test_claim_revenue_claims_one_asset_then_the_rest_with_claim_many(
    suite, asset, make_registration, roles, run_example
):
    holder = roles.holders[0]
    second, _ = suite.register_asset(make_registration(inventory_hash=inventory_hash("node-2")), roles.operator)
    third, _ = suite.register_asset(make_registration(inventory_hash=inventory_hash("node-3")), roles.operator)
    fund(suite, suite.payment_token, roles.lessee, 10_000 * DUSD, roles.admin)
    for asset_id, amount in ((asset, 1_000), (third, 3_000)):
        suite.distribute(asset_id, amount * DUSD, roles.lessee)
    owed = {a: suite.claimable(a, holder) for a in (asset, second, third)}
    assert owed[asset] == 800 * DUSD and owed[second] == 0 and owed[third] == 2_400 * DUSD
    before = suite.payment_token.functions.balanceOf(holder).call()

    out = succeeded(run_example("claim_revenue", "--holder", holder))

    assert suite.payment_token.functions.balanceOf(holder).call() - before == 3_200 * DUSD
    assert all(suite.claimable(a, holder) == 0 for a in (asset, second, third))
    assert f"asset {second}: claimable 0 dUSD" in out
    assert f"claim() on asset {asset}: RevenueClaimed 800 dUSD" in out
    assert f"claimMany: asset {third} paid 2,400 dUSD" in out
