"""`compute-rwa market …` and `compute-rwa valuation …` against the session chain, end to end
from node-unlocked accounts: a market on a valued asset is created, lent into and borrowed
from; the asset's utilization falls, and `market keep --once` refreshes the valuation and
liquidates the position it made unhealthy. --json output is parsed and checked against the
contracts; amounts are given in whole tokens; bad input and reverts exit non-zero with a clear
message."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from click.testing import CliRunner, Result

from compute_rwa.cli import main, run
from compute_rwa.market import MarketClient, ValuationClient
from compute_rwa.market.models import WAD
from tests.conftest import inventory_hash
from tests.lending_support import DAY, DUSD, HOUR, distribute, now_of, report_utilization, share_token_of, value_asset
from tests.unit.metrics_oracle.conftest import warp_chain

SHARE = 10**18
FUNDS = 10**7 * DUSD


@pytest.fixture
def cli(suite, chain, tmp_path):
    """invoke(*args): runs `compute-rwa ARGS --rpc … --deployments …` in-process."""
    d = suite.deployment
    record = {
        "chain_id": d.chain_id,
        "admin": d.admin,
        "contracts": {
            "AssetRegistry": d.registry,
            "ShareTokenImplementation": d.share_token_implementation,
            "PaymentToken": d.payment_token,
            "MetricsOracle": d.oracle,
            "LeaseTerms": d.lease_terms,
            "LeaseManager": d.lease_manager,
            "LeasePositions": d.lease_positions,
            "ShareValuator": d.valuator,
            "MarketFactory": d.market_factory,
        },
        "steps": {},
    }
    (tmp_path / f"{d.chain_id}.json").write_text(json.dumps(record))
    common = ["--rpc", chain.url, "--deployments", str(tmp_path)]

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, [*args, *common])

    invoke.common = common  # type: ignore[attr-defined]
    return invoke


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def parsed(result: Result) -> Any:
    return json.loads(ok(result))


def text(result: Result) -> str:
    return " ".join(ok(result).split())  # rich wraps at the terminal width


@pytest.fixture
def valued(suite, asset, oracle, oracle_setup, roles) -> int:
    """`asset` valued Ok (tests/lending_support.py), 4 of its shares with the borrower, dUSD
    with the lender and the keeper (outsider)."""
    value_asset(suite, oracle, oracle_setup.keys, roles, asset)
    share = share_token_of(suite, asset)
    suite.sender.transact(share.functions.transfer(roles.borrower, 4 * SHARE), roles.holders[0], "ShareToken")
    for account in (roles.lender, roles.outsider):
        suite.sender.transact(suite.payment_token.functions.mint(account, FUNDS), roles.admin, "Token")
    return asset


def create_market(cli, asset_id: int, admin: str, *extra: str) -> str:
    created = parsed(cli("market", "create", str(asset_id), "--min-borrow", "100", *extra, "--from", admin, "--json"))
    return str(created["market"])


def test_lend_borrow_then_a_utilization_drop_is_liquidated_by_the_keeper(
    cli, suite, valued, oracle, oracle_setup, roles, w3
):
    a = str(valued)
    shown = parsed(cli("valuation", "show", a, "--json"))
    assert shown["status"] == "ok" and shown["usable"] and shown["config"]["purchase_value"] == "25000"
    price_before = shown["price"]

    market = create_market(cli, valued, roles.admin)
    info = parsed(cli("market", "show", market, "--json"))
    assert info["config"]["oracle"] == shown["feed"] and info["asset_id"] == valued
    assert (info["config"]["lltv"], info["config"]["min_borrow"], info["share_price"]) == (
        8 * WAD // 10,
        100 * DUSD,
        price_before,
    )
    assert market in [m["address"] for m in parsed(cli("market", "show", "--json"))]

    supplied = parsed(cli("market", "supply", market, "100,000", "--from", roles.lender, "--json"))
    assert (supplied["assets"], supplied["owner"]) == (100_000 * DUSD, roles.lender)
    posted = parsed(cli("market", "supply-collateral", market, "2", "--from", roles.borrower, "--json"))
    assert (posted["assets"], posted["borrower"]) == (2 * SHARE, roles.borrower)

    (position,) = parsed(cli("market", "positions", market, "--json"))
    limit = position["max_debt"]
    assert limit == 2 * price_before * 8 // 10 and position["health_factor"] is None  # no debt yet
    loan = limit * 95 // 100 // DUSD  # whole dUSD, 95% of the limit
    borrowed = parsed(cli("market", "borrow", market, str(loan), "--from", roles.borrower, "--json"))
    assert (borrowed["assets"], borrowed["receiver"]) == (loan * DUSD, roles.borrower)
    (position,) = parsed(cli("market", "positions", market, "--json"))
    assert position["debt"] >= loan * DUSD and not position["liquidatable"]
    assert position["health_factor"] == MarketClient(w3, market).health_factor(roles.borrower) > WAD
    assert "1 position(s)" in text(cli("market", "positions", market))

    assert "repaid 1,000 dUSD" in text(cli("market", "repay", market, "1000", "--from", roles.borrower))
    assert parsed(cli("market", "positions", market, "--unhealthy", "--json")) == []

    # A day later the asset ran at 44% utilization: the income leg (and the price) fall ~10%,
    # below the position's limit. The stored valuation is stale by then; the keeper refreshes it.
    warp_chain(w3, DAY + HOUR)
    report_utilization(oracle, oracle_setup.keys, roles.outsider, valued, utilization_bps=4_400)
    stale = parsed(cli("valuation", "show", a, "--json"))
    assert stale["stale"] and not stale["usable"] and stale["preview_price"] < price_before * 95 // 100

    report = parsed(cli("market", "keep", "--once", "--from", roles.outsider, "--json"))
    assert report["ok"] and (report["positions_checked"], report["unhealthy"]) == (1, 1)
    (refreshed,) = report["valuations"]
    assert (refreshed["asset_id"], refreshed["status"], refreshed["round"]) == (valued, "ok", shown["round"] + 1)
    # The keeper's update ran a few seconds after the preview: the income leg is annualized over
    # the seconds elapsed, so the two agree to well within a basis point, not to the unit.
    assert abs(refreshed["price"] - stale["preview_price"]) * 10_000 <= stale["preview_price"]
    (done,) = report["liquidations"]
    assert (done["borrower"], done["mode"], done["bad_debt_assets"]) == (roles.borrower, "restore health", 0)
    assert done["repaid_assets"] > 0 and done["seized_collateral"] > 0

    (after,) = parsed(cli("market", "positions", market, "--json"))
    assert not after["liquidatable"] and after["health_factor"] >= WAD and after["debt"] >= 100 * DUSD
    seized = share_token_of(suite, valued).functions.balanceOf(roles.outsider).call()
    assert seized == done["seized_collateral"] == 2 * SHARE - after["collateral"]
    quiet = parsed(cli("market", "keep", market, "--once", "--from", roles.outsider, "--json"))
    assert quiet["ok"] and quiet["liquidations"] == [] and quiet["valuations"] == []  # fresh: not refreshed
    assert "1 position(s) with debt, 0 unhealthy, 0 liquidated" in text(
        cli("market", "keep", "--once", "--from", roles.outsider)
    )

    # The borrower closes out; the lender takes everything back with interest.
    closed = parsed(cli("market", "repay", market, "--all", "--from", roles.borrower, "--json"))
    assert closed["assets"] >= after["debt"]
    assert "withdrew" in text(cli("market", "withdraw-collateral", market, "all", "--from", roles.borrower))
    out = parsed(cli("market", "withdraw", market, "--all", "--from", roles.lender, "--json"))
    assert out["assets"] > 100_000 * DUSD  # interest


def test_valuation_configure_update_and_show(cli, suite, make_registration, roles):
    asset_id, _ = suite.register_asset(make_registration(inventory_hash=inventory_hash("node-9")), roles.operator)
    a = str(asset_id)
    missing = cli("valuation", "configure", a, "--salvage-pct", "5", "--from", roles.admin)
    assert missing.exit_code == 2 and "give --purchase-value" in missing.output
    bought = now_of(suite.w3) - 30 * DAY
    configured = parsed(
        cli(
            "valuation",
            "configure",
            a,
            "--purchase-value",
            "30000",
            "--purchased-at",
            str(bought),
            "--useful-life-years",
            "5",
            "--cap-rate-pct",
            "15.5",
            "--from",
            roles.admin,
            "--json",
        )  # fmt: skip
    )
    assert (configured["purchase_value"], configured["useful_life_years"], configured["cap_rate_pct"]) == (
        "30000",
        "5",
        "15.5",
    )
    raw = ValuationClient(suite.w3, suite.deployment).valuator.functions.configOf(asset_id).call()
    assert (raw[0], raw[1], raw[2], raw[4], raw[3]) == (30_000 * DUSD, bought, 5 * 365 * DAY, 1_550, 1_000)
    changed = parsed(
        cli(
            "valuation",
            "configure",
            a,
            "--salvage-pct",
            "5",
            "--purchased-at",
            "2020-01-01",
            "--from",
            roles.admin,
            "--json",
        )
    )
    assert (changed["salvage_pct"], changed["purchase_value"], changed["cap_rate_pct"]) == ("5", "30000", "15.5")
    assert changed["purchased_at"] == 1_577_836_800  # the ISO date, UTC

    (updated,) = parsed(cli("valuation", "update", a, "--from", roles.outsider, "--json"))
    assert (updated["status"], updated["round"], updated["usable"]) == ("history too short", 1, False)
    page = text(cli("valuation", "show", a))
    assert f"Valuation of asset {asset_id}" in page and "history too short" in page and "30000 dUSD" in page

    refused = cli("valuation", "configure", a, "--salvage-pct", "5", "--from", roles.outsider)
    assert refused.exit_code != 0 and refused.exception.error_name == "ValuationUnauthorized"
    bad = cli("valuation", "configure", a, "--salvage-pct", "100.5", "--from", roles.admin)
    assert bad.exit_code == 2 and "--salvage-pct" in bad.output

    fresh, _ = suite.register_asset(make_registration(inventory_hash=inventory_hash("node-10")), roles.operator)
    bought_now = parsed(
        cli("valuation", "configure", str(fresh), "--purchase-value", "28000", "--from", roles.admin, "--json")
    )
    assert now_of(suite.w3) - 5 <= bought_now["purchased_at"] <= now_of(suite.w3)  # first configuration: bought now


def test_borrower_revenue_auto_repay_harvest_claim_and_a_manual_liquidation(cli, suite, valued, roles, w3):
    price_oracle = suite.sender.deploy("MockPriceOracle", roles.admin, 20_000 * DUSD * 10**18)
    market = create_market(cli, valued, roles.admin, "--oracle", price_oracle.address, "--lltv", "80%")
    ok(cli("market", "supply", market, "100000", "--from", roles.lender))
    ok(cli("market", "supply-collateral", market, "2", "--from", roles.borrower))
    ok(cli("market", "borrow", market, "30000", "--from", roles.borrower))

    assert parsed(cli("market", "auto-repay", market, "--on", "--from", roles.borrower, "--json"))["auto_repay"]
    distribute(suite, valued, 10_000 * DUSD, roles.lessee, roles.admin)  # the 2 posted shares earn 2,000
    (position,) = parsed(cli("market", "positions", market, "--json"))
    assert (position["earned_revenue"], position["auto_repay"]) == (2_000 * DUSD, True)
    harvested = parsed(cli("market", "harvest", market, roles.borrower, "--from", roles.outsider, "--json"))
    assert harvested["amount"] == 2_000 * DUSD
    ok(cli("market", "auto-repay", market, "--off", "--from", roles.borrower))
    distribute(suite, valued, 10_000 * DUSD, roles.lessee, roles.admin)
    claimed = parsed(cli("market", "claim-revenue", market, "--from", roles.borrower, "--json"))
    assert claimed["amount"] == 2_000 * DUSD

    # 28,000 dUSD of debt against 2 shares at 17,000: limit 27,200.
    suite.sender.transact(price_oracle.functions.setPrice(17_000 * DUSD * 10**18), roles.admin, "MockPriceOracle")
    (unhealthy,) = parsed(cli("market", "positions", market, "--unhealthy", "--json"))
    assert unhealthy["borrower"] == roles.borrower
    plan = parsed(cli("market", "liquidate", market, roles.borrower, "--dry-run", "--json"))
    assert plan["mode"] == "restore health" and plan["health_factor_after"] >= WAD
    page = text(cli("market", "liquidate", market, roles.borrower, "--from", roles.outsider))
    assert f"liquidated {roles.borrower} (restore health)" in page
    assert MarketClient(w3, market).health_factor(roles.borrower) >= WAD

    info = text(cli("market", "show", market, "--lender", roles.lender))
    assert "80.00%; liquidation incentive 6.38%" in info and "lender " + roles.lender in info


def test_bad_input_and_reverts_exit_non_zero_with_a_clear_message(cli, suite, valued, roles, monkeypatch, capsys):
    market = create_market(cli, valued, roles.admin)
    ok(cli("market", "supply", market, "50000", "--from", roles.lender))
    ok(cli("market", "supply-collateral", market, "1", "--from", roles.borrower))

    bad_address = cli("market", "supply", "0x12", "100", "--from", roles.lender)
    assert bad_address.exit_code == 2 and "not an address: '0x12'" in bad_address.output
    no_code = cli("market", "positions", "0x" + "de" * 20)
    assert no_code.exit_code == 2 and "no contract at" in no_code.output
    assert cli("market", "positions", market, "0xnope").exit_code == 2
    too_precise = cli("market", "borrow", market, "0.0000001", "--from", roles.borrower)
    assert too_precise.exit_code == 2 and "more than 6 decimal places" in too_precise.output
    zero = cli("market", "supply-collateral", market, "0", "--from", roles.borrower)
    assert zero.exit_code == 2 and "must be above zero" in zero.output
    assert cli("market", "create", "--from", roles.admin).exit_code == 2  # ASSET_ID or --share-token
    too_high = cli("market", "create", str(valued), "--lltv", "0.99", "--from", roles.admin)
    assert too_high.exit_code == 2 and "at most 0.98" in too_high.output
    neither = cli("market", "repay", market, "--from", roles.borrower)
    assert neither.exit_code == 2 and "give an AMOUNT or --all" in neither.output

    # Borrowing far above the collateral's limit: the decoded revert, in dUSD, exit status 2.
    args = ["compute-rwa", "market", "borrow", market, "40000", "--from", roles.borrower]
    monkeypatch.setattr(sys, "argv", [*args, *cli.common])
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "LendingMarket.borrow reverted with MarketInsufficientCollateral(" in err
    assert "the debt 40,000 dUSD would exceed the collateral's limit" in err

    refused = cli("market", "withdraw-collateral", market, "2", "--from", roles.borrower)
    assert refused.exit_code != 0 and refused.exception.field == "collateral"
    healthy = cli("market", "liquidate", market, roles.borrower, "--from", roles.outsider)
    assert healthy.exit_code != 0 and "no debt" in str(healthy.exception)


def test_keep_once_exits_2_when_the_price_is_unavailable(cli, suite, valued, roles, w3):
    market = create_market(cli, valued, roles.admin)
    ok(cli("market", "supply", market, "50000", "--from", roles.lender))
    ok(cli("market", "supply-collateral", market, "1", "--from", roles.borrower))
    ok(cli("market", "borrow", market, "1000", "--from", roles.borrower))
    warp_chain(w3, 2 * DAY)  # metrics and valuation both stale: an update stores "metrics stale"
    result = cli("market", "keep", "--once", "--from", roles.outsider, "--json")
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert [f["stage"] for f in report["failures"]] == ["valuation", "price"]
    assert report["valuations"][0]["status"] == "metrics stale"
    assert MarketClient(w3, market).position(roles.borrower).health_factor is None


def test_keep_loops_for_the_rounds_asked(cli, valued, roles):
    market = create_market(cli, valued, roles.admin)
    result = cli("market", "keep", market, "--rounds", "2", "--interval", "0.1", "--from", roles.outsider, "--json")
    lines = [json.loads(line) for line in ok(result).splitlines()]
    assert len(lines) == 2 and all(r["ok"] and r["markets"] == 1 for r in lines)
    page = text(cli("market", "keep", market, "--rounds", "1", "--from", roles.outsider))
    assert "keeping 1 market(s) every 60 s" in page and "0 liquidated" in page
