"""Checks shared by the deployment tests: how many contracts an account created on chain, and
whether a registry file describes a complete, configured deployment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from web3 import Web3

from compute_rwa.tx import contract_at

#: Contracts deploy_suite creates with a transaction of its own (LeasePositions is created by
#: the LeaseManager's constructor) when no payment token is given.
DEPLOYED = (
    "PaymentToken",
    "ShareTokenImplementation",
    "AssetRegistry",
    "MetricsOracle",
    "LeaseTerms",
    "LeaseManager",
    "ShareValuator",
    "MarketFactory",
)


def creations(w3: Web3, sender: str, after_block: int) -> list[str]:
    """Addresses of the contracts that `sender` created with transactions mined after `after_block`."""
    created = []
    for number in range(after_block + 1, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] == sender and tx["to"] is None:  # type: ignore[index]
                receipt = w3.eth.get_transaction_receipt(tx["hash"])  # type: ignore[index]
                created.append(receipt["contractAddress"])
    return created


def assert_complete(w3: Web3, path: Path, admin: str) -> dict[str, Any]:
    """The registry at `path` lists every contract (each with code), nothing pending, and the
    suite is configured: roles granted, lease manager and payment token set."""
    data: dict[str, Any] = json.loads(path.read_text())
    assert data["steps"]["complete"] is True
    assert "pending" not in data
    assert set(data["contracts"]) == {*DEPLOYED, "LeasePositions"}
    for name, address in data["contracts"].items():
        assert w3.eth.get_code(address), name
    registry = contract_at(w3, "AssetRegistry", data["contracts"]["AssetRegistry"])
    for role in ("OPERATOR_ROLE", "COMPLIANCE_ROLE", "PAUSER_ROLE"):
        assert registry.functions.hasRole(registry.functions[role]().call(), admin).call(), role
    assert registry.functions.leaseManager().call() == data["contracts"]["LeaseManager"]
    assert registry.functions.inventoryListener().call() == data["contracts"]["MetricsOracle"]
    assert registry.functions.isPaymentTokenAllowed(data["contracts"]["PaymentToken"]).call()
    return data
