"""The command line against the session's anvil: deploy with a key from the environment,
list assets as JSON, and clean errors for bad keys."""

from __future__ import annotations

import json

from click.testing import CliRunner
from eth_account import Account

from compute_rwa.cli import main
from compute_rwa.errors import DeploymentError

# anvil's first dev key (public knowledge; it holds only test ether on local chains)
ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def test_deploy_then_list_assets_as_json(chain, tmp_path, w3):
    runner = CliRunner()
    env = {"COMPUTE_RWA_PRIVATE_KEY": ANVIL_KEY_0}
    result = runner.invoke(
        main, ["deploy", "--rpc", chain.url, "--deployments", str(tmp_path), "--admin-delay", "0"], env=env
    )
    assert result.exit_code == 0, result.output
    assert ANVIL_KEY_0[2:] not in result.output
    record = json.loads((tmp_path / "31337.json").read_text())
    assert record["admin"] == Account.from_key(ANVIL_KEY_0).address

    listed = runner.invoke(main, ["assets", "--rpc", chain.url, "--deployments", str(tmp_path), "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == []


def test_deploy_with_a_malformed_key_fails_without_echoing_it(chain, tmp_path):
    secret = "not-a-key-but-still-secret"
    result = CliRunner().invoke(
        main, ["deploy", "--rpc", chain.url, "--deployments", str(tmp_path)], env={"COMPUTE_RWA_PRIVATE_KEY": secret}
    )
    assert result.exit_code != 0
    assert secret not in result.output
    assert "COMPUTE_RWA_PRIVATE_KEY" in str(result.exception)


def test_assets_without_a_recorded_deployment_is_a_deployment_error(chain, tmp_path):
    """Raised as DeploymentError, which `cli.run()` prints as `error: …` with exit code 2."""
    result = CliRunner().invoke(main, ["assets", "--rpc", chain.url, "--deployments", str(tmp_path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, DeploymentError)
    assert "no deployment recorded for chain 31337" in str(result.exception)


def test_telemetry_read_parses_a_real_nvidia_smi_capture_as_json():
    from pathlib import Path

    capture = (
        Path(__file__).resolve().parents[1]
        / "fixtures/telemetry/nvidia_smi/linux-x86_64__nvidia-h100-mig__590.48.01__query_gpu_load.csv"
    )
    result = CliRunner().invoke(main, ["telemetry", "read", str(capture), "--format", "nvidia-smi", "--json"])
    assert result.exit_code == 0, result.output
    (sample,) = json.loads(result.output)
    assert sample["utilization_bps"] is None  # MIG: unknown, not zero
    assert sample["power_mw"] == 433_780


def test_telemetry_read_reports_malformed_input_with_source_and_field(tmp_path):
    from compute_rwa import InvalidInputError

    bad = tmp_path / "scrape.prom"
    bad.write_text('DCGM_FI_DEV_GPU_UTIL{gpu="0"} 5\n')
    result = CliRunner().invoke(main, ["telemetry", "read", str(bad), "--format", "dcgm"])
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidInputError)
    assert result.exception.field == "DCGM_FI_DEV_GPU_UTIL.UUID"
    assert str(bad) in result.exception.source


def test_deploy_configures_the_oracle_signers(chain, tmp_path, w3):
    from compute_rwa.deploy import Deployment
    from compute_rwa.oracle.client import OracleClient

    signers = [Account.from_key(bytes([i]) * 32).address for i in (1, 2, 3)]
    args = ["deploy", "--rpc", chain.url, "--deployments", str(tmp_path), "--admin-delay", "0"]
    for signer in signers:
        args += ["--oracle-signer", signer]
    result = CliRunner().invoke(
        main, [*args, "--oracle-threshold", "2", "--epoch-seconds", "600"], env={"COMPUTE_RWA_PRIVATE_KEY": ANVIL_KEY_0}
    )
    assert result.exit_code == 0, result.output
    deployment = Deployment.load(tmp_path / "31337.json")
    assert deployment.oracle is not None
    oracle = OracleClient(w3, deployment.oracle)
    config = oracle.signer_config()
    assert (list(config.signers), config.threshold, oracle.epoch_seconds) == (signers, 2, 600)


def test_deploy_sets_up_leasing(chain, tmp_path, w3):
    from compute_rwa.deploy import Deployment
    from compute_rwa.tx import contract_at

    args = ["deploy", "--rpc", chain.url, "--deployments", str(tmp_path), "--admin-delay", "0"]
    result = CliRunner().invoke(
        main, [*args, "--lease-report-grace", "7200"], env={"COMPUTE_RWA_PRIVATE_KEY": ANVIL_KEY_0}
    )
    assert result.exit_code == 0, result.output
    deployment = Deployment.load(tmp_path / "31337.json")
    assert deployment.lease_manager is not None and deployment.lease_manager in result.output
    manager = contract_at(w3, "LeaseManager", deployment.lease_manager)
    registry = contract_at(w3, "AssetRegistry", deployment.registry)
    assert manager.functions.reportGrace().call() == 7200
    assert manager.functions.positions().call() == deployment.lease_positions
    assert manager.functions.terms().call() == deployment.lease_terms
    assert manager.functions.oracle().call() == deployment.oracle
    assert registry.functions.leaseManager().call() == deployment.lease_manager


def test_deploy_refuses_a_malformed_oracle_signer(chain, tmp_path):
    result = CliRunner().invoke(
        main, ["deploy", "--rpc", chain.url, "--deployments", str(tmp_path), "--oracle-signer", "0x1234"]
    )
    assert result.exit_code == 2 and "not an Ethereum address" in result.output
