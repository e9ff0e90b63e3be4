"""Deployment registry: one file per chain, each step recorded, and a deployment interrupted at
any transaction resumed without deploying any contract twice."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from eth_account import Account
from hexbytes import HexBytes

from compute_rwa import DeploymentError, DeployPlan, deploy_suite
from compute_rwa.deploy import Deployment, registry_path
from compute_rwa.tx import TxSender
from tests.deploy_checks import DEPLOYED, assert_complete, creations

#: Transactions of a default deployment: 8 contracts, 3 registry roles, the inventory listener,
#: 2 oracle roles, the lease manager and the payment token allowed.
TRANSACTIONS = 16


class CrashError(Exception):
    """The process died (or lost its RPC endpoint) while waiting for a transaction."""


@dataclass
class CrashAfter(TxSender):
    """Sends normally, but dies once its Nth transaction has been sent, before it is known to be
    confirmed: the transaction is mined, the caller never hears of it."""

    crash_after: int = 0
    sent: int = 0

    def wait(self, tx_hash: HexBytes):  # type: ignore[no-untyped-def]
        self.sent += 1
        if self.sent == self.crash_after:
            raise CrashError(f"died waiting for transaction {self.sent}")
        return super().wait(tx_hash)


def _quiet(_line: str) -> None:
    pass


def test_deployment_writes_the_registry_file(w3, roles, tmp_path):
    lines = []
    start = w3.eth.block_number
    deployment = deploy_suite(w3, roles.admin, DeployPlan(), directory=tmp_path, echo=lines.append)
    data = assert_complete(w3, tmp_path / "31337.json", roles.admin)
    assert data["contracts"]["AssetRegistry"] == deployment.registry
    assert Deployment.load(tmp_path / "31337.json") == deployment
    assert any("deploying AssetRegistry" in line for line in lines)
    assert len(creations(w3, roles.admin, start)) == len(DEPLOYED)
    assert w3.eth.block_number - start == TRANSACTIONS  # anvil mines one block per transaction


@pytest.mark.parametrize(
    ("signer_kind", "crash_after"),
    [
        ("unlocked", 1),  # the first deployment (the mock payment token)
        ("unlocked", 3),  # AssetRegistry
        ("unlocked", 6),  # LeaseManager, whose constructor creates LeasePositions
        ("unlocked", 8),  # the last deployment
        ("unlocked", 10),  # amid the configuration transactions
        ("unlocked", TRANSACTIONS),  # the very last transaction
        ("key", 4),  # a local key: MetricsOracle
        ("key", 12),
    ],
)
def test_deployment_interrupted_after_any_transaction_resumes_without_deploying_twice(
    w3, roles, tmp_path, signer_kind, crash_after
):
    if signer_kind == "key":
        deployer = Account.from_key(b"\x42" * 32)
        w3.eth.send_transaction({"from": roles.admin, "to": deployer.address, "value": 10**20})
        me = deployer.address
    else:
        deployer = me = roles.admin
    start = w3.eth.block_number
    with pytest.raises(CrashError):
        deploy_suite(
            w3, deployer, DeployPlan(), sender=CrashAfter(w3, crash_after=crash_after), directory=tmp_path, echo=_quiet
        )
    partial = json.loads((tmp_path / "31337.json").read_text())
    assert "complete" not in partial["steps"]
    if crash_after <= len(DEPLOYED):  # died waiting for a deployment: it is recorded as sent
        (step,) = partial["pending"]
        assert step == DEPLOYED[crash_after - 1]
        # Mined, never heard of. anvil answers eth_sendRawTransaction a moment before it stores
        # the block (1 CI run in ~10 read no code yet): wait for the receipt, as resuming does.
        w3.eth.wait_for_transaction_receipt(partial["pending"][step]["tx"], timeout=30)
        assert w3.eth.get_code(partial["pending"][step]["address"])

    lines: list[str] = []
    deployment = deploy_suite(w3, deployer, DeployPlan(), directory=tmp_path, echo=lines.append)

    created = creations(w3, me, start)
    assert len(created) == len(DEPLOYED), "a contract was deployed twice"
    data = assert_complete(w3, tmp_path / "31337.json", me)
    assert sorted(created) == sorted(data["contracts"][name] for name in DEPLOYED)
    assert deployment.registry == data["contracts"]["AssetRegistry"]
    skipped = [line for line in lines if ": already at " in line or "was sent before" in line]
    assert len(skipped) == min(crash_after, len(DEPLOYED))


def test_a_recorded_deployment_the_node_never_saw_is_sent_again(w3, roles, tmp_path):
    """A deployment recorded as sent whose transaction the node does not know (dropped from the
    mempool) is deployed anew."""
    path = tmp_path / "31337.json"
    never_mined = {"tx": "0x" + "ab" * 32, "address": Account.from_key(b"\x07" * 32).address}
    path.write_text(
        json.dumps({"chain_id": 31337, "contracts": {}, "steps": {}, "pending": {"PaymentToken": never_mined}})
    )
    start = w3.eth.block_number
    deploy_suite(w3, roles.admin, DeployPlan(), directory=tmp_path, echo=_quiet)
    assert len(creations(w3, roles.admin, start)) == len(DEPLOYED)
    assert_complete(w3, path, roles.admin)


def test_registry_file_of_another_chain_is_refused_naming_both(w3, roles, tmp_path):
    (tmp_path / "31337.json").write_text(json.dumps({"chain_id": 5, "contracts": {}, "steps": {}}))
    with pytest.raises(DeploymentError, match=r"records chain 5, but the node reports chain 31337"):
        deploy_suite(w3, roles.admin, DeployPlan(), directory=tmp_path, echo=_quiet)


def test_registry_path_takes_a_folder_or_one_file_and_checks_its_chain(tmp_path):
    assert registry_path(4242, tmp_path) == tmp_path / "4242.json"
    record = tmp_path / "sepolia.json"
    assert registry_path(11155111, record) == record  # not yet written: a deployment creates it
    record.write_text(json.dumps({"chain_id": 11155111, "contracts": {}, "steps": {}}))
    assert registry_path(11155111, record) == record
    with pytest.raises(DeploymentError, match=r"sepolia.json records chain 11155111, but the node reports chain 4242"):
        registry_path(4242, record)


def test_existing_payment_token_is_used_not_deployed(w3, roles, tmp_path, tokens):
    deployment = deploy_suite(
        w3, roles.admin, DeployPlan(payment_token=tokens.dai18.address), directory=tmp_path, echo=_quiet
    )
    assert deployment.payment_token == tokens.dai18.address
