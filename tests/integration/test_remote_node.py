"""Deploying to a node that behaves like a remote one: anvil started apart with its own chain id
(4242) and a block every second (no automine), reached only by URL or by a brownie network id,
driven through the `compute-rwa` command as a user runs it (a separate process, its own HOME
holding brownie's network list and an encrypted keystore).

The deployment runs with 2 confirmations and EIP-1559 caps, is killed while a deployment is in
flight and resumed; the errors a deployer meets (wrong password, missing key, unknown network,
another chain, fees above the cap, no node) end with their exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from eth_account import Account
from web3 import Web3

from compute_rwa.chain import LocalChain, free_port
from compute_rwa.tx import GWEI
from tests.deploy_checks import DEPLOYED, assert_complete, creations

CHAIN_ID = 4242
PASSWORD = "remote-node-test"
#: The deployment's caps: the max fee above anvil's base fee (1 gwei at most, falling), the tip
#: below the 1 gwei anvil suggests, so that the cap decides it.
MAX_FEE_GWEI = "2"
MAX_PRIORITY_FEE_GWEI = "0.5"


@dataclass(frozen=True)
class Remote:
    url: str
    w3: Web3
    home: Path  # HOME of the command: .brownie/network-config.yaml and .brownie/accounts/
    deployer: str


@pytest.fixture(autouse=True)
def isolation():
    """These tests run on their own node; the session anvil's snapshots are not needed."""
    yield


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    with LocalChain("anvil", chain_id=CHAIN_ID, block_time=1) as node:
        w3 = Web3(Web3.HTTPProvider(node.url))
        home = tmp_path_factory.mktemp("home")
        brownie = home / ".brownie"
        (brownie / "accounts").mkdir(parents=True)
        lab = [
            {"name": "Lab node", "id": "lab-4242", "chainid": CHAIN_ID, "host": node.url},
            {"name": "Lab node, said to be mainnet", "id": "lab-says-mainnet", "chainid": 1, "host": node.url},
        ]
        (brownie / "network-config.yaml").write_text(
            yaml.safe_dump({"development": [], "live": [{"name": "Lab", "networks": lab}]})
        )
        deployer = Account.create()
        (brownie / "accounts" / "deployer.json").write_text(json.dumps(Account.encrypt(deployer.key, PASSWORD)))
        funding = w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": deployer.address, "value": 10**21})
        w3.eth.wait_for_transaction_receipt(funding, timeout=30)
        yield Remote(node.url, w3, home, deployer.address)


def _env(remote: Remote, password: str | None = PASSWORD) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPUTE_RWA_")}
    env.update(HOME=str(remote.home), PYTHONUNBUFFERED="1", NO_COLOR="1", COLUMNS="200")
    if password is not None:
        env["COMPUTE_RWA_KEYSTORE_PASSWORD"] = password
    return env


def cli(remote: Remote, *args: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "compute_rwa.cli", *args],
        env=_env(remote, password),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def _deploy_args(deployments: Path, *extra: str) -> list[str]:
    return ["deploy", "--deployments", str(deployments), "--admin-delay", "0", *extra]


@dataclass(frozen=True)
class Deployed:
    registry: Path
    start_block: int
    killed_output: str
    resumed: subprocess.CompletedProcess[str]
    end_block: int  # the node's block as the resumed command returned


@pytest.fixture(scope="module")
def deployed(remote: Remote, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    """The suite deployed by network id and keystore name, with 2 confirmations and fee caps;
    the first run is killed once the MetricsOracle deployment is sent, the second resumes it."""
    folder = tmp_path_factory.mktemp("deployments")
    registry = folder / f"{CHAIN_ID}.json"
    args = _deploy_args(
        folder,
        "--network",
        "lab-4242",
        "--keystore",
        "deployer",
        "--confirmations",
        "2",
        "--max-fee-gwei",
        MAX_FEE_GWEI,
        "--max-priority-fee-gwei",
        MAX_PRIORITY_FEE_GWEI,
    )
    start = remote.w3.eth.block_number
    first = subprocess.Popen(
        [sys.executable, "-m", "compute_rwa.cli", *args],
        env=_env(remote),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and first.poll() is None:
            if registry.exists() and "MetricsOracle" in json.loads(registry.read_text()).get("pending", {}):
                break
            time.sleep(0.02)
        else:
            pytest.fail("the deployment never sent the MetricsOracle deployment")
    finally:
        os.kill(first.pid, signal.SIGKILL)
        killed_output = first.communicate(timeout=30)[0]
    resumed = cli(remote, *args)
    end_block = remote.w3.eth.block_number
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    return Deployed(registry, start, killed_output, resumed, end_block)


def test_deploy_by_network_id_with_a_keystore_confirmations_and_fee_caps(remote, deployed):
    assert "lab-4242 (http://127.0.0.1" in deployed.resumed.stdout
    assert (
        "2 confirmation(s) per transaction; fees max fee 2 gwei, max priority fee 0.5 gwei" in deployed.resumed.stdout
    )
    assert PASSWORD not in deployed.resumed.stdout + deployed.killed_output
    assert_complete(remote.w3, deployed.registry, remote.deployer)
    record = json.loads(deployed.registry.read_text())
    assert record["chain_id"] == CHAIN_ID and record["admin"] == remote.deployer
    w3 = remote.w3
    sent = [
        tx
        for number in range(deployed.start_block + 1, w3.eth.block_number + 1)
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]
        if tx["from"] == remote.deployer
    ]
    assert len(sent) == 16
    for tx in sent:  # EIP-1559 transactions within the caps
        assert tx["type"] == 2
        assert tx["maxFeePerGas"] <= int(Decimal(MAX_FEE_GWEI) * GWEI)
        assert tx["maxPriorityFeePerGas"] == int(Decimal(MAX_PRIORITY_FEE_GWEI) * GWEI)
    # The last transaction had its second block before the command reported success.
    last = w3.eth.get_transaction_receipt(sent[-1]["hash"])["blockNumber"]
    assert deployed.end_block >= last + 1


def test_killed_deployment_resumes_without_deploying_any_contract_twice(remote, deployed):
    assert "deploying MetricsOracle" in deployed.killed_output
    assert "MetricsOracle: its deployment 0x" in deployed.resumed.stdout  # adopted, not redeployed
    for name in ("PaymentToken", "ShareTokenImplementation", "AssetRegistry"):
        assert f"{name}: already at" in deployed.resumed.stdout
    created = creations(remote.w3, remote.deployer, deployed.start_block)
    record = json.loads(deployed.registry.read_text())
    assert sorted(created) == sorted(record["contracts"][name] for name in DEPLOYED)


def test_deployed_suite_is_read_back_by_url_and_by_network_id(remote, deployed):
    for target in (["--rpc", remote.url], ["--network", "lab-4242"]):
        listed = cli(remote, "assets", *target, "--deployments", str(deployed.registry.parent), "--json")
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout) == []


def test_rerunning_a_complete_deployment_sends_nothing(remote, deployed):
    nonce = remote.w3.eth.get_transaction_count(remote.deployer)
    again = cli(remote, *_deploy_args(deployed.registry.parent, "--rpc", remote.url, "--keystore", "deployer"))
    assert again.returncode == 0, again.stderr
    assert remote.w3.eth.get_transaction_count(remote.deployer) == nonce


def test_registry_of_this_chain_against_another_chain_is_refused(remote, deployed, chain):
    """The 4242 registry used against the session's anvil (chain 31337)."""
    for args in (
        ["assets", "--rpc", chain.url, "--deployments", str(deployed.registry)],
        _deploy_args(deployed.registry, "--rpc", chain.url, "--keystore", "deployer"),
    ):
        refused = cli(remote, *args)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"records chain {CHAIN_ID}, but the node reports chain 31337" in refused.stderr


def test_network_whose_configured_chain_differs_from_the_node_is_refused(remote, tmp_path):
    refused = cli(remote, *_deploy_args(tmp_path, "--network", "lab-says-mainnet", "--keystore", "deployer"))
    assert refused.returncode == 2
    assert "network lab-says-mainnet is chain 1 in brownie's configuration" in refused.stderr
    assert f"reports chain {CHAIN_ID}" in refused.stderr
    assert not list(tmp_path.iterdir())


def test_unknown_network_and_unreachable_node_exit_with_their_codes(remote, tmp_path):
    unknown = cli(remote, *_deploy_args(tmp_path, "--network", "no-such-net", "--keystore", "deployer"))
    assert unknown.returncode == 2 and "'no-such-net' is neither an http(s) URL nor a network id" in unknown.stderr
    down = cli(remote, *_deploy_args(tmp_path, "--rpc", f"http://127.0.0.1:{free_port()}", "--keystore", "deployer"))
    assert down.returncode == 3 and "chain unavailable" in down.stderr


def test_wrong_password_and_missing_keys_exit_2_and_send_nothing(remote, tmp_path):
    nonce = remote.w3.eth.get_transaction_count(remote.deployer)
    args = _deploy_args(tmp_path, "--rpc", remote.url)
    wrong = cli(remote, *args, "--keystore", "deployer", password="not-the-password")
    assert wrong.returncode == 2 and "does not decrypt this keystore" in wrong.stderr
    assert "not-the-password" not in wrong.stdout + wrong.stderr
    no_such = cli(remote, *args, "--keystore", "nobody")
    assert no_such.returncode == 2 and "no account of that name in" in no_such.stderr
    no_key = cli(remote, *args)
    assert no_key.returncode == 2 and "no signing key; pass --keystore PATH|NAME" in no_key.stderr
    assert remote.w3.eth.get_transaction_count(remote.deployer) == nonce


def test_base_fee_above_the_cap_exits_4_and_sends_nothing(remote, tmp_path):
    base_fee = remote.w3.eth.get_block("latest")["baseFeePerGas"]
    cap = Decimal(base_fee) / 10 / GWEI  # the base fee falls by 12.5% a block at most
    nonce = remote.w3.eth.get_transaction_count(remote.deployer)
    refused = cli(
        remote,
        *_deploy_args(tmp_path, "--rpc", remote.url, "--keystore", "deployer", "--max-fee-gwei", f"{cap:f}"),
    )
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert "MockStablecoin.constructor: the network's base fee is" in refused.stderr
    assert "(--max-fee-gwei); nothing was sent" in refused.stderr
    assert remote.w3.eth.get_transaction_count(remote.deployer) == nonce
