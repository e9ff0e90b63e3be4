"""Typed client for the deployed suite: assets, share tokens, revenue. The CLI, the demo, the
brownie scripts and the tests all go through it."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD as _DISCARD
from web3.types import TxReceipt

from compute_rwa.deploy import Deployment
from compute_rwa.models import AssetRegistration, AssetSpec, AssetStatus, RevenuePools
from compute_rwa.tx import Signer, TxSender, address_of, contract_at, guard


class SuiteClient:
    """One deployment of the suite on one chain."""

    def __init__(self, w3: Web3, deployment: Deployment, sender: TxSender | None = None) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.sender = sender or TxSender(w3)
        self._tokens: dict[int, Contract] = {}

    @cached_property
    def registry(self) -> Contract:
        return contract_at(self.w3, "AssetRegistry", self.deployment.registry)

    @cached_property
    def payment_token(self) -> Contract:
        return contract_at(self.w3, "MockStablecoin", self.deployment.payment_token)

    def erc20(self, address: str) -> Contract:
        return contract_at(self.w3, "MockStablecoin", address)

    def share_token(self, asset_id: int) -> Contract:
        if asset_id not in self._tokens:
            address = guard("AssetRegistry", "shareTokenOf", self.registry.functions.shareTokenOf(asset_id).call)
            self._tokens[asset_id] = contract_at(self.w3, "ShareToken", address)
        return self._tokens[asset_id]

    # ----------------------------------------------------------------- assets

    def register_asset(self, registration: AssetRegistration, operator: Signer) -> tuple[int, ChecksumAddress]:
        """Registers an asset; returns its id and share token."""
        receipt = self.sender.transact(
            self.registry.functions.registerAsset(registration.to_abi()), operator, "AssetRegistry"
        )
        (event,) = self.registry.events.AssetRegistered().process_receipt(receipt, errors=_DISCARD)
        return int(event["args"]["assetId"]), event["args"]["shareToken"]

    def asset(self, asset_id: int) -> AssetSpec:
        raw = guard("AssetRegistry", "assetSpec", self.registry.functions.assetSpec(asset_id).call)
        return AssetSpec.from_abi(asset_id, tuple(raw))

    def asset_count(self) -> int:
        return int(self.registry.functions.assetCount().call())

    def assets(self) -> list[AssetSpec]:
        return [self.asset(i) for i in range(1, self.asset_count() + 1)]

    def set_asset_status(self, asset_id: int, status: AssetStatus, signer: Signer) -> TxReceipt:
        return self.sender.transact(
            self.registry.functions.setAssetStatus(asset_id, int(status)), signer, "AssetRegistry"
        )

    def update_inventory(self, asset_id: int, inventory_hash: bytes, signer: Signer) -> TxReceipt:
        return self.sender.transact(
            self.registry.functions.updateInventory(asset_id, inventory_hash), signer, "AssetRegistry"
        )

    # ---------------------------------------------------------------- revenue

    def distribute(self, asset_id: int, amount: int, payer: Signer) -> TxReceipt:
        """Approves (if needed) and pays `amount` of the asset's payment token into its waterfall."""
        token = self.share_token(asset_id)
        payment = self.erc20(token.functions.paymentToken().call())
        owner = address_of(payer)
        if payment.functions.allowance(owner, token.address).call() < amount:
            self.sender.transact(payment.functions.approve(token.address, amount), payer, "PaymentToken")
        return self.sender.transact(token.functions.distribute(amount), payer, "ShareToken")

    def claimable(self, asset_id: int, holder: str) -> int:
        return int(self.share_token(asset_id).functions.claimableOf(holder).call())

    def claim(self, asset_id: int, holder: Signer) -> int:
        """Claims the holder's revenue from one asset; returns the amount paid."""
        token = self.share_token(asset_id)
        receipt = self.sender.transact(token.functions.claim(), holder, "ShareToken")
        return sum(
            int(e["args"]["amount"]) for e in token.events.RevenueClaimed().process_receipt(receipt, errors=_DISCARD)
        )

    def claim_many(self, asset_ids: Sequence[int], holder: Signer) -> dict[int, int]:
        """Claims from several assets in one transaction; returns the amount paid per asset."""
        receipt = self.sender.transact(self.registry.functions.claimMany(list(asset_ids)), holder, "AssetRegistry")
        paid = dict.fromkeys(asset_ids, 0)
        for asset_id in asset_ids:
            token = self.share_token(asset_id)
            for event in token.events.RevenueClaimed().process_receipt(receipt, errors=_DISCARD):
                if event["address"] == token.address:
                    paid[asset_id] += int(event["args"]["amount"])
        return paid

    def pools(self, asset_id: int) -> RevenuePools:
        return RevenuePools(*self.share_token(asset_id).functions.pools().call())

    def share_balance(self, asset_id: int, holder: str) -> int:
        return int(self.share_token(asset_id).functions.balanceOf(holder).call())

    def transfer_shares(self, asset_id: int, sender: Signer, to: str, amount: int) -> TxReceipt:
        return self.sender.transact(self.share_token(asset_id).functions.transfer(to, amount), sender, "ShareToken")
