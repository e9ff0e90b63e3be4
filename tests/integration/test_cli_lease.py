"""`compute-rwa lease …` against the session chain: every command end to end from node-unlocked
accounts, --json output parsed and checked against the contracts, amounts given in whole
tokens, and a revert shown as its decoded error with exit status 2."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from click.testing import CliRunner, Result

from compute_rwa.cli import main, run
from compute_rwa.lease import LeaseClient
from tests.unit.lease_manager.conftest import (
    DISPUTE_WINDOW,
    POLICY,
    PRICE,
    configure_asset,
    epoch_end,
    report_uptime,
    warp_to,
)

FUNDS = 10**12


@pytest.fixture
def cli(suite, chain, tmp_path):
    """invoke(*args): runs `compute-rwa lease ARGS --rpc … --deployments …` in-process."""
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
        },
        "steps": {},
    }
    (tmp_path / f"{d.chain_id}.json").write_text(json.dumps(record))
    common = ["--rpc", chain.url, "--deployments", str(tmp_path)]

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, ["lease", *args, *common])

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
def client(suite) -> LeaseClient:
    return LeaseClient(suite.w3, suite.deployment, suite.sender)


@pytest.fixture
def leasable(suite, asset, oracle, roles) -> int:
    configure_asset(suite, asset, roles.operator)
    oracle.sync_assets([asset], roles.outsider)
    for account in (roles.lessee, roles.operator):
        suite.sender.transact(suite.payment_token.functions.mint(account, FUNDS), roles.admin, "Token")
    return asset


def balance(suite, account: str) -> int:
    return int(suite.payment_token.functions.balanceOf(account).call())


def test_lessee_quote_open_show_extend_terminate(cli, client, leasable, roles, suite):
    a = str(leasable)
    quote = parsed(cli("quote", a, "2", "10", "--json"))
    assert (quote["total"], quote["price_per_gpu_hour"], quote["epoch_charge"]) == (20 * PRICE, PRICE, 2 * PRICE)
    assert quote["total"] == client.quote(leasable, 2, 10).total
    assert quote["token"]["decimals"] == 6 and quote["capacity"] == {"booked": 0, "gpu_count": 8, "free": 8}
    assert quote["policy"]["notice_epochs"] == POLICY[3]
    assert "40 dUSD" in text(cli("quote", a, "2", "10"))

    before = balance(suite, roles.lessee)
    opened = parsed(cli("open", a, "2", "10", "--max-total", "45.5", "--from", roles.lessee, "--json"))
    lease_id = opened["lease_id"]
    assert (opened["total"], opened["recipient"], opened["start_epoch"]) == (
        20 * PRICE,
        roles.lessee,
        client.current_epoch() + 1,
    )
    assert balance(suite, roles.lessee) == before - 20 * PRICE
    # The whole-token maximum was approved; the quote was pulled.
    allowance = suite.payment_token.functions.allowance(roles.lessee, client.manager.address).call()
    assert allowance == 45_500_000 - 20 * PRICE

    shown = parsed(cli("show", str(lease_id), "--json"))
    assert (shown["status"], shown["escrow"], shown["owner"], shown["gpus"]) == ("active", 20 * PRICE, roles.lessee, 2)
    assert shown["readiness"]["reason"] == "not ended" and shown["readiness"]["can_settle"] is False
    assert shown["readiness"]["ready_at"] == epoch_end(client.manager, opened["start_epoch"])
    page = text(cli("show", str(lease_id)))
    assert f"Lease #{lease_id}" in page and "40 dUSD for 10 unsettled epoch(s)" in page and "not ended" in page

    extended = parsed(cli("extend", str(lease_id), "2", "--from", roles.lessee, "--json"))
    assert (extended["cost"], extended["end_epoch"]) == (4 * PRICE, opened["end_epoch"] + 2)
    assert "extended lease" in text(cli("extend", str(lease_id), "1", "--from", roles.lessee))

    listed = parsed(cli("show", "--owner", roles.lessee, "--json"))
    assert [x["lease_id"] for x in listed] == [lease_id]
    assert parsed(cli("show", "--owner", roles.outsider, "--json")) == []
    assert "1 lease(s)" in text(cli("show", "--asset", a))

    ended = parsed(cli("terminate", str(lease_id), "--from", roles.lessee, "--json"))
    escrow = 26 * PRICE  # nothing was used: the lease had not started
    assert (ended["refund"] + ended["fee"], ended["fee"], ended["paid"]) == (escrow, escrow // 10, ended["refund"])
    assert client.lease(lease_id).status.name == "CLOSED"
    assert parsed(cli("show", "--running", "--json")) == []


def test_keeper_settles_all_and_the_lessee_claims(cli, client, leasable, roles, oracle, oracle_setup, w3):
    first = client.open(leasable, 2, 2, roles.lessee)
    second = client.open(leasable, 1, 2, roles.lessee)
    s = first.start_epoch
    warp_to(w3, epoch_end(client.manager, s + 1))
    report_uptime(oracle, oracle_setup.keys, roles.outsider, leasable, [s, s + 1], [10_000, 4_950])
    warp_to(w3, int(w3.eth.get_block("latest")["timestamp"]) + DISPUTE_WINDOW + 1)

    assert "can be settled now" in text(cli("show", str(first.lease_id)))
    settled = parsed(cli("settle", "--all", "--from", roles.outsider, "--json"))

    assert sorted(r["lease_id"] for r in settled) == [first.lease_id, second.lease_id]
    by_id = {r["lease_id"]: r for r in settled}
    half = 2 * PRICE // 2  # uptime 49.5% against a 99% target: half the charge back
    assert by_id[first.lease_id]["credits"] == [
        {"lease_id": first.lease_id, "epoch": s + 1, "uptime_bps": 4_950, "reported": True, "credit": half}
    ]
    assert (by_id[first.lease_id]["released"], by_id[first.lease_id]["settled_epochs"]) == (4 * PRICE - half, 2)
    assert all(r["closed"] for r in settled)
    assert "no lease has a settleable epoch" in text(cli("settle", "--all", "--from", roles.outsider))

    claimed = parsed(cli("claim", str(first.lease_id), "--from", roles.lessee, "--json"))
    assert claimed == {"lease_id": first.lease_id, "owner": roles.lessee, "amount": half}
    assert "paid 1 dUSD" in text(cli("claim", str(second.lease_id), "--from", roles.lessee))


def test_settle_one_lease_prints_its_credits(cli, client, leasable, roles, oracle, oracle_setup, w3):
    opened = client.open(leasable, 1, 3, roles.lessee)
    s = opened.start_epoch
    warp_to(w3, epoch_end(client.manager, s))
    report_uptime(oracle, oracle_setup.keys, roles.outsider, leasable, [s], [0])
    warp_to(w3, int(w3.eth.get_block("latest")["timestamp"]) + DISPUTE_WINDOW + 1)
    page = text(cli("settle", str(opened.lease_id), "--max-epochs", "1", "--from", roles.outsider))
    assert f"lease #{opened.lease_id}: settled epochs {s}..{s}" in page
    assert f"epoch {s}: uptime 0.00%, credit 2 dUSD" in page
    # Nothing more is ready: the contract's revert surfaces with its decoded arguments.
    refused = cli("settle", str(opened.lease_id), "--from", roles.outsider)
    assert refused.exit_code != 0 and refused.exception.error_name == "LeaseNothingToSettle"


def test_operator_pricing_policy_preempt_and_release(cli, client, leasable, roles, w3):
    a = str(leasable)
    pricing = parsed(cli("pricing", a, "--json"))
    assert (pricing["base_price_per_gpu_hour"], pricing["dynamic"], pricing["price_now"]) == (PRICE, False, PRICE)
    changed = parsed(
        cli(
            "pricing",
            a,
            "--base-price",
            "2.5",
            "--dynamic",
            "--max-premium-bps",
            "2000",
            "--from",
            roles.operator,
            "--json",
        )
    )
    assert (changed["base_price_per_gpu_hour"], changed["dynamic"], changed["max_premium_bps"]) == (
        2_500_000,
        True,
        2_000,
    )
    assert changed["target_utilization_bps"] == 8_000  # kept
    assert "2.5 dUSD per GPU-hour" in text(cli("pricing", a))

    policy = parsed(cli("policy", a, "--notice-epochs", "3", "--from", roles.operator, "--json"))
    assert (policy["notice_epochs"], policy["uptime_target_bps"]) == (3, POLICY[0])
    assert "3 epoch(s) notice" in text(cli("policy", a))

    opened = client.open(leasable, 2, 10, roles.lessee)
    earliest = client.current_epoch() + 1 + 3
    preempted = parsed(cli("preempt", str(opened.lease_id), "--from", roles.operator, "--json"))
    refund = opened.total * (opened.end_epoch - earliest) // 10
    assert (preempted["end_epoch"], preempted["refund"], preempted["compensation"]) == (
        earliest,
        refund,
        refund * POLICY[2] // 10_000,
    )
    assert client.lease(opened.lease_id).claimable == preempted["refund"] + preempted["compensation"]

    assert parsed(cli("release", "--asset", a, "--from", roles.outsider, "--json")) == {"released": []}
    warp_to(w3, client.epoch_start(earliest))
    assert parsed(cli("release", "--asset", a, "--from", roles.outsider, "--json")) == {"released": [opened.lease_id]}
    assert client.capacity(leasable).booked == 0
    assert "no ended lease holds capacity" in text(cli("release", "--from", roles.outsider))


def test_allow_list_from_the_command_line(cli, leasable, roles):
    a = str(leasable)
    shown = parsed(cli("allow", a, "--enable", roles.lessee, "--from", roles.compliance, "--json"))
    assert shown == {"asset_id": leasable, "enabled": True, "allowed": {roles.lessee: True}}
    refused = cli("open", a, "1", "2", "--recipient", roles.outsider, "--from", roles.lessee)
    assert refused.exception.error_name == "LeaseLesseeNotAllowed"
    assert "allow list is on" in text(cli("allow", a))
    removed = parsed(cli("allow", a, roles.lessee, "--remove", "--from", roles.compliance, "--json"))
    assert removed["allowed"] == {roles.lessee: False}
    assert "allow list is off" in text(cli("allow", a, "--disable", "--from", roles.compliance))


def test_a_revert_is_a_decoded_error_with_exit_status_2(cli, leasable, roles, monkeypatch, capsys):
    args = ["compute-rwa", "lease", "open", str(leasable), "1", "2", "--max-total", "1", "--from", roles.lessee]
    monkeypatch.setattr(sys, "argv", [*args, *cli.common])
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"LeaseManager.open reverted with LeasePriceAboveMax(quote={2 * PRICE}, maxTotalPrice=1000000)" in err


def test_bad_input_is_a_usage_error(cli, leasable, roles):
    a = str(leasable)
    too_precise = cli("open", a, "1", "2", "--max-total", "0.0000001", "--from", roles.lessee)
    assert too_precise.exit_code == 2 and "more than 6 decimal places" in too_precise.output
    neither = cli("settle", "--from", roles.outsider)
    assert neither.exit_code == 2 and "give a LEASE_ID or --all" in neither.output
    both = cli("settle", "1", "--all", "--from", roles.outsider)
    assert both.exit_code == 2
    assert cli("show", "--owner", "0x12").exit_code == 2


def test_open_frees_ended_leases_first(cli, client, leasable, roles, w3):
    full = client.open(leasable, 8, 2, roles.lessee)
    warp_to(w3, client.epoch_start(full.end_epoch))  # ended, its GPUs still booked
    refused = cli("open", str(leasable), "1", "2", "--from", roles.lessee)
    assert refused.exception.error_name == "LeaseInsufficientCapacity"
    opened = parsed(cli("open", str(leasable), "1", "2", "--release-ended", "--from", roles.lessee, "--json"))
    assert client.lease(full.lease_id).capacity_released
    assert client.capacity(leasable).booked == 1 and opened["lease_id"] == full.lease_id + 1
    table = text(cli("show", "--asset", str(leasable)))
    assert "2 lease(s)" in table and f"{roles.lessee[:6]}…{roles.lessee[-4:]}" in table
