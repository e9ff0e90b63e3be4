"""`compute-rwa asset …` and `compute-rwa revenue …` against the session chain: --json output
parsed and checked against the contracts, shares and revenue given in whole tokens, and every
failure a script must tell apart (wrong network, missing key, bad address, insufficient
balance, paused registry, a non-operator, the fee cap, the chain down) as `error: …` on stderr
with its documented exit status, through the same entry point as the installed command."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import pytest
from click.testing import CliRunner, Result

from compute_rwa.chain import free_port
from compute_rwa.cli import main, run
from compute_rwa.errors import ContractRevertError
from compute_rwa.fleet import inventory_hash
from compute_rwa.keys import KEY_ENV
from tests.conftest import fund

SHARE = 10**18
DUSD = 10**6


@pytest.fixture
def common(suite, chain, tmp_path) -> list[str]:
    """--rpc and --deployments for the suite the session deployed (its record, in tmp_path)."""
    d = suite.deployment
    record = {
        "chain_id": d.chain_id,
        "admin": d.admin,
        "contracts": {
            "AssetRegistry": d.registry,
            "ShareTokenImplementation": d.share_token_implementation,
            "PaymentToken": d.payment_token,
        },
        "steps": {},
    }
    (tmp_path / f"{d.chain_id}.json").write_text(json.dumps(record))
    return ["--rpc", chain.url, "--deployments", str(tmp_path)]


@pytest.fixture
def cli(common):
    """invoke(*args): `compute-rwa ARGS --rpc … --deployments …` in-process."""

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, [*args, *common])

    return invoke


@pytest.fixture
def exits(common, monkeypatch, capsys):
    """exits(*args) -> (status, stdout, stderr) of `compute-rwa ARGS …` through cli.run(), the
    installed entry point, so that the exit statuses are the real ones."""

    def call(*args: str, rpc: list[str] | None = None) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["compute-rwa", *args, *(common if rpc is None else rpc)])
        with pytest.raises(SystemExit) as exited:
            run()
        captured = capsys.readouterr()
        code = exited.value.code
        return (code if isinstance(code, int) else 1), captured.out, " ".join(captured.err.split())

    return call


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def parsed(result: Result) -> Any:
    return json.loads(ok(result))


def text(result: Result) -> str:
    return " ".join(ok(result).split())  # rich wraps at the terminal width


# --------------------------------------------------------------------- asset


def test_list_and_show_as_json(cli, suite, asset, roles):
    listed = parsed(cli("asset", "list", "--json"))
    spec = suite.asset(asset)
    assert listed == [
        {
            "asset_id": asset,
            "gpu_model": "NVIDIA H100 80GB HBM3",
            "gpu_count": 8,
            "rated_tflops": 7912,
            "rated_power_watts": 5600,
            "region": "us-east-1",
            "status": "active",
            "operator": roles.operator,
            "share_token": spec.share_token,
            "inventory_hash": "0x" + spec.inventory_hash.hex(),
            "registered_at": spec.registered_at,
        }
    ]
    assert "1 GPU asset(s) on chain 31337" in text(cli("asset", "list"))
    assert parsed(cli("asset", "list", "--status", "retired", "--json")) == []

    shown = parsed(cli("asset", "show", str(asset), "--json"))
    assert shown["total_shares"] == 8 * SHARE and shown["share_token_info"]["decimals"] == 18
    assert shown["payment_token"] == {"address": suite.deployment.payment_token, "symbol": "dUSD", "decimals": 6}
    assert shown["fee_rates"] == {"operator_fee_bps": 1000, "protocol_fee_bps": 500, "reserve_bps": 500}
    assert (shown["transfers_paused"], shown["registry_paused"]) == (False, False)
    page = text(cli("asset", "show", str(asset)))
    assert "8 × NVIDIA H100 80GB HBM3" in page and "operator 10.00%" in page


def test_register_from_a_gpu_list_then_status_and_inventory(cli, suite, roles, tmp_path):
    gpus = tmp_path / "gpus.txt"
    gpus.write_text(
        "# nvidia-smi -L on node-7\n"
        "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0a1b2c3d-0000-0000-0000-000000000000)\n"
        "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-0a1b2c3d-0000-0000-0000-000000000001)\n"
        "GPU-0a1b2c3d-0000-0000-0000-000000000002\n"
        "\n"
    )
    ids = [f"GPU-0a1b2c3d-0000-0000-0000-00000000000{i}" for i in range(3)]
    registered = parsed(
        cli(
            *("asset", "register", "--model", "H100", "--region", "eu-west-1", "--inventory-file", str(gpus)),
            *("--owner", roles.holders[1], "--operator-fee-bps", "1000", "--reserve-bps", "250"),
            *("--from", roles.operator, "--json"),
        )
    )
    asset_id = registered["asset_id"]
    assert registered["inventory_hash"] == "0x" + inventory_hash(ids).hex()
    assert (registered["gpu_count"], registered["rated_tflops"], registered["rated_power_watts"]) == (3, 3 * 989, 2100)
    assert (registered["owner"], registered["operator"], registered["total_shares"]) == (
        roles.holders[1],
        roles.operator,
        3 * SHARE,
    )
    assert [a["asset_id"] for a in parsed(cli("asset", "list", "--json"))] == [asset_id]
    assert suite.share_balance(asset_id, roles.holders[1]) == 3 * SHARE
    assert suite.share_token(asset_id).functions.feeRates().call() == [1000, 500, 250]

    # A model without a datasheet needs its ratings; a hash can be given directly.
    page = text(
        cli(
            *("asset", "register", "--model", "AMD MI300X", "--gpus", "8", "--tflops", "10456"),
            *("--power-watts", "6000", "--region", "us-east-1", "--inventory-hash", "0x" + "ab" * 32),
            *("--from", roles.operator),
        )
    )
    assert f"registered asset {asset_id + 1}: 8 × AMD MI300X in us-east-1" in page

    changed = parsed(cli("asset", "status", str(asset_id), "maintenance", "--from", roles.operator, "--json"))
    assert changed == {"asset_id": asset_id, "previous": "active", "status": "maintenance"}
    assert suite.asset(asset_id).status.name == "MAINTENANCE"
    assert [a["asset_id"] for a in parsed(cli("asset", "list", "--status", "maintenance", "--json"))] == [asset_id]
    assert "maintenance → active" in text(cli("asset", "status", str(asset_id), "active", "--from", roles.operator))

    moved = parsed(cli("asset", "inventory", str(asset_id), "0x" + "cd" * 32, "--from", roles.operator, "--json"))
    assert moved == {
        "asset_id": asset_id,
        "previous": "0x" + inventory_hash(ids).hex(),
        "inventory_hash": "0x" + "cd" * 32,
    }
    feeder = tmp_path / "inventory.json"  # the oracle feeder's file: the asset's own entry is hashed
    feeder.write_text(json.dumps([{"asset_id": 99, "gpu_uuids": ["GPU-x"]}, {"asset_id": asset_id, "gpu_uuids": ids}]))
    cli("asset", "inventory", str(asset_id), "--inventory-file", str(feeder), "--from", roles.operator)
    assert suite.asset(asset_id).inventory_hash == inventory_hash(ids)


def test_register_refuses_bad_input_before_sending(cli, roles, tmp_path):
    gpus = tmp_path / "gpus.txt"
    gpus.write_text("GPU-1\nGPU-2\n")
    base = ["asset", "register", "--region", "eu", "--from", roles.operator]
    mismatch = cli(*base, "--model", "H100", "--gpus", "8", "--inventory-file", str(gpus))
    assert mismatch.exit_code == 2 and "lists 2 GPU(s)" in mismatch.output
    both = cli(*base, "--model", "H100", "--inventory-file", str(gpus), "--inventory-hash", "0x" + "ab" * 32)
    assert both.exit_code == 2 and "one of them" in both.output
    unknown = cli(*base, "--model", "Z9000", "--gpus", "2", "--inventory-hash", "0x" + "ab" * 32)
    assert unknown.exit_code == 2 and "give --tflops and --power-watts" in unknown.output
    short_hash = cli(*base, "--model", "H100", "--gpus", "2", "--inventory-hash", "0x1234")
    assert short_hash.exit_code == 2 and "not a 32-byte hex hash" in short_hash.output
    long_region = cli(*base[:2], "--region", "r" * 33, *base[4:], "--model", "H100", "--inventory-file", str(gpus))
    assert long_region.exit_code == 2 and "at most 32 fit" in long_region.output


def test_transfer_shares_and_balance(cli, suite, asset, roles):
    a, seller, buyer = str(asset), roles.holders[0], roles.holders[1]
    moved = parsed(cli("asset", "transfer", a, buyer, "1.5", "--from", seller, "--json"))
    assert moved == {
        "asset_id": asset,
        "from": seller,
        "to": buyer,
        "amount": 15 * SHARE // 10,
        "balance": 65 * SHARE // 10,
        "share_token": {"address": suite.share_token(asset).address, "symbol": f"GPU{asset}", "decimals": 18},
    }
    held = parsed(cli("asset", "balance", a, buyer, "--json"))
    assert (held["shares"], held["total_shares"], held["claimable"]) == (15 * SHARE // 10, 8 * SHARE, 0)
    assert held["payment_token"]["decimals"] == 6
    assert "holds 1.5 of 8 share(s) of asset" in text(cli("asset", "balance", a, buyer))
    assert "18.75%" in text(cli("asset", "balance", a, buyer))
    too_fine = cli("asset", "transfer", a, buyer, "0.0000000000000000001", "--from", seller)
    assert too_fine.exit_code == 2 and "more than 18 decimal places" in too_fine.output


# --------------------------------------------------------------------- revenue


@pytest.fixture
def payer(suite, roles) -> str:
    fund(suite, suite.payment_token, roles.lessee, 10_000 * DUSD, roles.admin)
    return roles.lessee


def test_distribute_claimable_claim_and_pools(cli, suite, asset, make_registration, roles, payer):
    second, _ = suite.register_asset(make_registration(owner=roles.holders[0]), roles.operator)
    owner = roles.holders[0]
    paid = parsed(cli("revenue", "distribute", str(asset), "1000", "--from", payer, "--json"))
    assert paid == {
        "asset_id": asset,
        "payer": payer,
        "amount": 1_000 * DUSD,
        "operator_fee": 100 * DUSD,
        "protocol_fee": 50 * DUSD,
        "to_reserve": 50 * DUSD,
        "to_holders": 800 * DUSD,
        "token": {"address": suite.deployment.payment_token, "symbol": "dUSD", "decimals": 6},
    }
    assert "distributed 250.5 dUSD to asset" in text(
        cli("revenue", "distribute", str(second), "250.5", "--from", payer)
    )

    owed = parsed(cli("revenue", "claimable", owner, "--json"))
    assert [(r["asset_id"], r["shares"], r["claimable"]) for r in owed] == [
        (asset, 8 * SHARE, 800 * DUSD),
        (second, 8 * SHARE, 200_400_000),
    ]
    assert all(r["holder"] == owner and r["token"]["decimals"] == 6 for r in owed)
    assert [r["asset_id"] for r in parsed(cli("revenue", "claimable", owner, "--asset", str(second), "--json"))] == [
        second
    ]
    assert "total: 1,000.4 dUSD" in text(cli("revenue", "claimable", owner))

    pools = parsed(cli("revenue", "pools", str(asset), "--json"))
    held = suite.pools(asset)
    assert (
        (pools["operator_fees"], pools["protocol_fees"], pools["reserve"])
        == (
            held.operator_fees,
            held.protocol_fees,
            held.reserve,
        )
        == (100 * DUSD, 50 * DUSD, 50 * DUSD)
    )
    assert pools["revenue_per_share_e18"] == 100 * DUSD  # 800 dUSD over 8 shares
    assert pools["fee_rates"]["reserve_bps"] == 500 and pools["token"]["symbol"] == "dUSD"
    assert "100 dUSD since registration" in text(cli("revenue", "pools", str(asset)))

    before = suite.payment_token.functions.balanceOf(owner).call()
    one = parsed(cli("revenue", "claim", str(asset), "--from", owner, "--json"))
    assert [(r["asset_id"], r["amount"]) for r in one] == [(asset, 800 * DUSD)]
    # Several ids: one claimMany transaction; the repeated id is claimed once.
    cli("revenue", "distribute", str(asset), "10", "--from", payer)
    many = parsed(cli("revenue", "claim", str(asset), str(second), str(asset), "--from", owner, "--json"))
    assert [(r["asset_id"], r["amount"]) for r in many] == [(asset, 8 * DUSD), (second, 200_400_000)]
    assert suite.payment_token.functions.balanceOf(owner).call() == before + 800 * DUSD + 8 * DUSD + 200_400_000
    block = suite.w3.eth.get_block("latest", full_transactions=True)
    assert block["transactions"][-1]["to"] == suite.registry.address  # claimMany, not two claims
    assert "claimed 0 dUSD from asset" in text(cli("revenue", "claim", str(second), "--from", owner))


def test_old_top_level_commands_still_work_but_are_hidden(cli, asset, roles):
    assert [a["asset_id"] for a in parsed(cli("assets", "--json"))] == [asset]
    assert ok(cli("claimable", roles.holders[0])).split() == [str(asset), "0"]
    listing = ok(CliRunner().invoke(main, ["--help"])).split("Commands:")[1]
    commands = {line.split()[0] for line in listing.splitlines() if line.startswith("  ") and line[2] != " "}
    assert {"asset", "revenue"} <= commands and not {"assets", "claimable"} & commands


# --------------------------------------------------------------------- errors and exit codes


def test_wrong_network_is_exit_2(exits, chain, tmp_path):
    code, _, err = exits("asset", "list", rpc=["--network", "no-such-network"])
    assert code == 2 and err.startswith("error: 'no-such-network' is neither an http(s) URL nor a network id")

    other = tmp_path / "other.json"  # a record of mainnet given for the local chain
    other.write_text(json.dumps({"chain_id": 1, "contracts": {}}))
    code, _, err = exits("asset", "list", rpc=["--rpc", chain.url, "--deployments", str(other)])
    assert code == 2 and f"error: {other} records chain 1, but the node reports chain 31337" in err

    empty = tmp_path / "nothing-here"
    code, _, err = exits("revenue", "pools", "1", rpc=["--rpc", chain.url, "--deployments", str(empty)])
    assert code == 2 and "error: no deployment recorded for chain 31337" in err


def test_chain_unavailable_is_exit_3(exits):
    started = time.monotonic()
    code, _, err = exits("asset", "list", rpc=["--rpc", f"http://127.0.0.1:{free_port()}"])
    assert code == 3 and err.startswith("error: chain unavailable")
    assert time.monotonic() - started < 30


def test_missing_key_is_exit_2(exits, asset, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    code, _, err = exits("revenue", "claim", str(asset))
    assert code == 2 and f"error: environment: field '{KEY_ENV}': not set: no signing key" in err
    assert "--keystore" in err


def test_bad_address_is_exit_2(exits, asset, roles):
    code, _, err = exits("revenue", "claimable", "0x12")
    assert code == 2 and "Invalid value for 'HOLDER': not an address: '0x12'" in err
    code, _, err = exits("asset", "transfer", str(asset), "alice", "1", "--from", roles.holders[0])
    assert code == 2 and "Invalid value for 'TO': not an address: 'alice'" in err
    code, _, err = exits("revenue", "claim", str(asset), "--from", "0xnope")
    assert code == 2 and "Invalid value for '--from': not an address: '0xnope'" in err


def test_insufficient_balance_is_exit_2_and_sends_nothing(exits, suite, asset, roles, payer):
    nonce = suite.w3.eth.get_transaction_count(roles.outsider)
    code, _, err = exits("revenue", "distribute", str(asset), "1000", "--from", roles.outsider)
    assert code == 2
    assert f"error: payer {roles.outsider}: field 'AMOUNT': holds 0 dUSD, less than the 1,000 dUSD to pay" in err
    assert suite.w3.eth.get_transaction_count(roles.outsider) == nonce
    # Past the check (a balance spent in between), the token's own revert comes back decoded.
    with pytest.raises(ContractRevertError) as reverted:
        suite.distribute(asset, 1_000 * DUSD, roles.outsider)
    assert reverted.value.error_name == "ERC20InsufficientBalance"
    # More shares than held: the share token's revert, decoded.
    code, _, err = exits("asset", "transfer", str(asset), roles.holders[1], "9", "--from", roles.holders[0])
    assert code == 2 and "error: ShareToken.transfer reverted with ERC20InsufficientBalance(" in err
    assert f"balance={8 * SHARE}, needed={9 * SHARE}" in err


def test_paused_registry_refuses_revenue_but_not_claims(exits, cli, suite, asset, roles, payer):
    cli("revenue", "distribute", str(asset), "100", "--from", payer)
    suite.sender.transact(suite.registry.functions.pause(), roles.pauser, "AssetRegistry")
    assert parsed(cli("asset", "show", str(asset), "--json"))["registry_paused"] is True
    code, _, err = exits("revenue", "distribute", str(asset), "100", "--from", payer)
    assert code == 2 and err == "error: ShareToken.distribute reverted with ShareRevenuePaused()"
    code, out, _ = exits("revenue", "claim", str(asset), "--from", roles.holders[0], "--json")
    assert code == 0 and json.loads(out)[0]["amount"] == 80 * DUSD


def test_operator_actions_by_a_non_operator_are_exit_2(exits, asset, roles):
    for caller in (roles.second_operator, roles.outsider):  # another asset's operator; anyone
        code, _, err = exits("asset", "status", str(asset), "retired", "--from", caller)
        assert code == 2
        assert f"AssetRegistry.setAssetStatus reverted with RegistryUnauthorizedAssetOperator(assetId={asset}, " in err
        assert f"caller='{caller}')" in err
    code, _, err = exits("asset", "inventory", str(asset), "0x" + "11" * 32, "--from", roles.outsider)
    assert code == 2 and "RegistryUnauthorizedAssetOperator" in err
    code, _, err = exits("asset", "show", "99")
    assert code == 2 and err == "error: AssetRegistry.assetSpec reverted with RegistryUnknownAsset(assetId=99)"


def test_fee_cap_is_exit_4_and_bad_amounts_exit_2(exits, asset, payer):
    code, _, err = exits("revenue", "distribute", str(asset), "1", "--from", payer, "--max-fee-gwei", "0")
    assert code == 4 and "above the cap of 0 gwei (--max-fee-gwei); nothing was sent" in err
    code, _, err = exits("revenue", "distribute", str(asset), "lots", "--from", payer)
    assert code == 2 and "Invalid value for 'AMOUNT': not a number: 'lots'" in err
    code, _, err = exits("revenue", "distribute", str(asset), "0", "--from", payer)
    assert code == 2 and "must be above zero" in err
