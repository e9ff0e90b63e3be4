"""Deployment registry: one file per chain, each step recorded, resumed instead of redone."""

from __future__ import annotations

import json

import pytest

from compute_rwa import DeploymentError, DeployPlan, deploy_suite
from compute_rwa.deploy import Deployment
from compute_rwa.tx import TxSender


class _FailOnce(TxSender):
    """Fails the registry deployment once, as a crash or RPC outage would."""

    failed = False

    def deploy(self, name, signer, *args):
        if name == "AssetRegistry" and not self.failed:
            self.failed = True
            raise ConnectionError("RPC went away")
        return super().deploy(name, signer, *args)


def test_deployment_writes_the_registry_file(w3, roles, tmp_path):
    lines = []
    deployment = deploy_suite(w3, roles.admin, DeployPlan(), directory=tmp_path, echo=lines.append)
    data = json.loads((tmp_path / "31337.json").read_text())
    assert data["contracts"]["AssetRegistry"] == deployment.registry
    assert data["steps"]["complete"] is True
    assert Deployment.load(tmp_path / "31337.json") == deployment
    assert any("deploying AssetRegistry" in line for line in lines)


def test_interrupted_deployment_resumes_without_redeploying(w3, roles, tmp_path):
    sender = _FailOnce(w3)
    with pytest.raises(ConnectionError):
        deploy_suite(w3, roles.admin, DeployPlan(), sender=sender, directory=tmp_path, echo=lambda _: None)
    partial = json.loads((tmp_path / "31337.json").read_text())
    assert "AssetRegistry" not in partial["contracts"]
    implementation = partial["contracts"]["ShareTokenImplementation"]

    lines = []
    deployment = deploy_suite(w3, roles.admin, DeployPlan(), sender=sender, directory=tmp_path, echo=lines.append)
    assert deployment.share_token_implementation == implementation
    assert any("ShareTokenImplementation: already at" in line for line in lines)
    registry = w3.eth.contract(address=deployment.registry, abi=[])
    assert w3.eth.get_code(registry.address)


def test_registry_file_of_another_chain_is_refused(w3, roles, tmp_path):
    (tmp_path / "31337.json").write_text(json.dumps({"chain_id": 5, "contracts": {}, "steps": {}}))
    with pytest.raises(DeploymentError, match="records chain 5"):
        deploy_suite(w3, roles.admin, DeployPlan(), directory=tmp_path, echo=lambda _: None)


def test_existing_payment_token_is_used_not_deployed(w3, roles, tmp_path, tokens):
    deployment = deploy_suite(
        w3, roles.admin, DeployPlan(payment_token=tokens.dai18.address), directory=tmp_path, echo=lambda _: None
    )
    assert deployment.payment_token == tokens.dai18.address
