"""brownie run scripts/deploy.py --network <id>: deploys the suite with brownie's first account.

A thin wrapper: the deployment logic lives once, in compute_rwa.deploy (web3.py)."""

from brownie import accounts, web3
from eth_account import Account

from compute_rwa.deploy import DeployPlan, deploy_suite


def main():
    deployer = accounts[0]
    # brownie's local accounts carry a key; node-unlocked ones are used by address.
    signer = Account.from_key(deployer.private_key) if hasattr(deployer, "private_key") else deployer.address
    return deploy_suite(web3, signer, DeployPlan())
