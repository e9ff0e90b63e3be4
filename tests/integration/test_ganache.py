"""The same bytecode deploys and runs the revenue flow and leasing on Ganache 7.9 (Shanghai) as on
anvil."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from compute_rwa import AssetRegistration, DeployPlan, SuiteClient, deploy_suite
from compute_rwa.chain import LocalChain
from compute_rwa.lease import LeaseClient, LeasePricing
from compute_rwa.tx import TxSender


@pytest.fixture(scope="module")
def ganache():
    with LocalChain("ganache") as chain:
        yield chain


@pytest.fixture(autouse=True)
def isolation():
    """Each test here runs on its own Ganache; the anvil snapshot is not needed."""
    yield


@pytest.mark.ganache
def test_revenue_flow_runs_on_ganache(ganache, tmp_path):
    w3 = ganache.web3()
    assert w3.eth.chain_id == 1337
    admin, operator, holder, buyer, lessee = w3.eth.accounts[:5]
    deployment = deploy_suite(
        w3, admin, DeployPlan(operators=(operator,)), sender=TxSender(w3), directory=tmp_path, echo=lambda _: None
    )
    assert (tmp_path / "1337.json").exists()
    suite = SuiteClient(w3, deployment)
    registration = AssetRegistration(
        gpu_model="NVIDIA A100-SXM4-80GB",
        gpu_count=8,
        rated_tflops=2496,
        rated_power_watts=3200,
        region="cn-hangzhou",
        operator=operator,
        inventory_hash=keccak(text="ganache-node"),
        payment_token=deployment.payment_token,
        owner=holder,
        operator_fee_bps=1000,
        reserve_bps=500,
    )
    asset_id, _ = suite.register_asset(registration, operator)
    suite.transfer_shares(asset_id, holder, buyer, 2 * 10**18)
    suite.sender.transact(suite.payment_token.functions.mint(lessee, 10**12), admin, "USD")
    suite.distribute(asset_id, 1_000 * 10**6, lessee)
    assert suite.claim(asset_id, holder) == 600 * 10**6
    assert suite.claim_many([asset_id], buyer) == {asset_id: 200 * 10**6}

    # Leasing: an ERC-721 position minted, escrow in the share token, a termination whose fee runs
    # through the waterfall (OpenZeppelin 5.0.2's ERC-721 and Solady's Base64 on Shanghai).
    leases = LeaseClient(w3, deployment, suite.sender)
    leases.set_pricing(asset_id, LeasePricing(base_price_per_gpu_hour=2 * 10**6), operator)
    opened = leases.open(asset_id, 2, 10, lessee)
    assert opened.total == 2 * 2 * 10**6 * 10
    assert leases.owner_of(opened.lease_id) == lessee
    assert leases.positions.functions.tokenURI(opened.lease_id).call().startswith("data:application/json;base64,")
    share = suite.share_token(asset_id).address
    assert suite.payment_token.functions.balanceOf(share).call() >= opened.total
    ended = leases.terminate(opened.lease_id, lessee)  # before it starts: all ten epochs unused
    assert (ended.refund, ended.fee) == (36 * 10**6, 4 * 10**6)  # the default policy's 10% fee
    assert leases.capacity(asset_id).booked == 2  # given back when its (empty) term begins


@pytest.mark.ganache
def test_cli_deploys_on_ganache_with_a_keystore_fee_caps_and_confirmations(ganache, tmp_path):
    import json

    from click.testing import CliRunner
    from eth_account import Account

    from compute_rwa.cli import main
    from tests.deploy_checks import DEPLOYED, assert_complete, creations

    w3 = ganache.web3()
    deployer = Account.create()
    keystore = tmp_path / "deployer.json"
    keystore.write_text(json.dumps(Account.encrypt(deployer.key, "ganache-pw", kdf="pbkdf2")))
    w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": deployer.address, "value": 10**21})
    start = w3.eth.block_number
    args = ["deploy", "--rpc", ganache.url, "--keystore", str(keystore), "--deployments", str(tmp_path / "d")]
    args += ["--admin-delay", "0", "--confirmations", "1", "--max-fee-gwei", "20", "--max-priority-fee-gwei", "1"]
    result = CliRunner().invoke(main, args, env={"COMPUTE_RWA_KEYSTORE_PASSWORD": "ganache-pw"})
    assert result.exit_code == 0, result.output
    assert_complete(w3, tmp_path / "d" / "1337.json", deployer.address)
    assert len(creations(w3, deployer.address, start)) == len(DEPLOYED)
    for number in range(start + 1, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            assert tx["type"] == 2 and tx["maxFeePerGas"] <= 20 * 10**9 and tx["maxPriorityFeePerGas"] <= 10**9
