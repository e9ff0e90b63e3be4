"""The same bytecode deploys and runs the revenue flow on Ganache 7.9 (Shanghai) as on anvil."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from compute_rwa import AssetRegistration, DeployPlan, SuiteClient, deploy_suite
from compute_rwa.chain import LocalChain
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
