"""`compute-rwa oracle …` against the session chain: the daemon's one-shot round with the
simulator source and keystore-held signers, then status, show, and the clean error for an
inventory file that does not hash to the registry's attestation."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from eth_account import Account

from compute_rwa.cli import main
from compute_rwa.fleet import GPU_MODELS, GpuNode
from compute_rwa.oracle.inventory import write_inventory_file
from compute_rwa.oracle.outbox import Outbox
from compute_rwa.telemetry import AssetInventory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def operator_files(suite, oracle_setup, roles, tmp_path):
    """A deployment record, a registered node's inventory file, and the signers' keystores."""
    deployment = suite.deployment
    record = {
        "chain_id": deployment.chain_id,
        "admin": deployment.admin,
        "contracts": {
            "AssetRegistry": deployment.registry,
            "ShareTokenImplementation": deployment.share_token_implementation,
            "PaymentToken": deployment.payment_token,
            "MetricsOracle": deployment.oracle,
        },
        "steps": {},
    }
    (tmp_path / f"{deployment.chain_id}.json").write_text(json.dumps(record))
    node = GpuNode("cli-oracle-node", GPU_MODELS["H100"], 8, "us-east-1")
    registration = node.registration(
        operator=roles.operator, owner=roles.holders[0], payment_token=deployment.payment_token
    )
    asset_id, _ = suite.register_asset(registration, roles.operator)
    inventory = tmp_path / "inventory.json"
    write_inventory_file(inventory, [AssetInventory(asset_id, node.gpu_uuids, registration.rated_tflops)])
    keystores = []
    for i, key in enumerate(oracle_setup.keys[:3]):
        path = tmp_path / f"signer-{i}.json"
        path.write_text(json.dumps(Account.encrypt(key.key, PASSWORD, kdf="pbkdf2", iterations=1000)))
        keystores += ["--signer-keystore", str(path)]
    return tmp_path, asset_id, inventory, keystores


def test_run_once_measures_signs_and_lands_the_last_epoch(chain, roles, oracle, operator_files):
    folder, asset_id, inventory, keystores = operator_files
    outbox = folder / "feeder.sqlite"
    common = ["--rpc", chain.url, "--deployments", str(folder)]
    result = CliRunner().invoke(
        main,
        [
            "oracle",
            "run",
            "--once",
            *common,
            "--inventory",
            str(inventory),
            "--outbox",
            str(outbox),
            "--from",
            roles.admin,
            "--source",
            "simulator",
            *keystores,
        ],
        env={"COMPUTE_RWA_KEYSTORE_PASSWORD": PASSWORD},
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert Outbox(outbox).counts()["done"] == 1
    landed = oracle.latest_report(asset_id)
    assert landed is not None and not landed.voided
    # One live sample per GPU in a whole epoch: the rest are missing, so uptime is low, not 100%.
    assert landed.uptime_bps < 500

    status = CliRunner().invoke(main, ["oracle", "status", *common, "--outbox", str(outbox)])
    assert status.exit_code == 0, status.output
    text = " ".join(status.output.split())  # rich wraps at the terminal width
    assert "3 of 5 signers" in text and "'done': 1" in text

    shown = CliRunner().invoke(main, ["oracle", "show", str(asset_id), *common, "--json"])
    assert shown.exit_code == 0, shown.output
    (report,) = json.loads(shown.output)
    assert report["epoch"] == landed.epoch and report["uptime_bps"] == landed.uptime_bps


def test_challenge_and_arbiter_verdict_from_the_command_line(chain, suite, roles, oracle, operator_files):
    folder, asset_id, inventory, keystores = operator_files
    common = ["--rpc", chain.url, "--deployments", str(folder)]
    outbox = str(folder / "feeder.sqlite")
    ran = CliRunner().invoke(
        main,
        [
            "oracle",
            "run",
            "--once",
            *common,
            "--inventory",
            str(inventory),
            "--outbox",
            outbox,
            "--from",
            roles.admin,
            "--source",
            "simulator",
            *keystores,
        ],
        env={"COMPUTE_RWA_KEYSTORE_PASSWORD": PASSWORD},
    )
    assert ran.exit_code == 0, ran.output
    epoch = oracle.latest_epoch(asset_id)
    suite.sender.transact(suite.payment_token.functions.mint(roles.outsider, 10**9), roles.admin, "USD")

    challenged = CliRunner().invoke(
        main, ["oracle", "challenge", str(asset_id), str(epoch), *common, "--from", roles.outsider]
    )
    assert challenged.exit_code == 0, challenged.output
    upheld = CliRunner().invoke(
        main, ["oracle", "resolve", str(asset_id), str(epoch), "--uphold", *common, "--from", roles.admin]
    )
    assert upheld.exit_code == 0, upheld.output
    assert oracle.report(asset_id, epoch).voided
    refused = CliRunner().invoke(
        main, ["oracle", "resolve", str(asset_id), str(epoch), "--reject", *common, "--from", roles.admin]
    )
    assert refused.exit_code != 0 and refused.exception.error_name == "OracleNoOpenChallenge"


def test_an_inventory_that_does_not_match_the_registry_is_refused_at_start(chain, roles, operator_files):
    folder, asset_id, inventory, keystores = operator_files
    entries = json.loads(inventory.read_text())
    entries[0]["gpu_uuids"][0] = "GPU-not-the-attested-one"
    inventory.write_text(json.dumps(entries))
    result = CliRunner().invoke(
        main,
        [
            "oracle",
            "run",
            "--once",
            "--rpc",
            chain.url,
            "--deployments",
            str(folder),
            "--inventory",
            str(inventory),
            "--outbox",
            str(folder / "x.sqlite"),
            "--from",
            roles.admin,
            "--source",
            "simulator",
            *keystores,
        ],
        env={"COMPUTE_RWA_KEYSTORE_PASSWORD": PASSWORD},
    )
    assert result.exit_code != 0
    assert result.exception.field == "gpu_uuids"
    assert f"asset {asset_id}" in result.exception.source
