"""Sending transactions: from node-managed (unlocked) accounts or local eth-account keys, with
EIP-1559 fees under caps, waiting for confirmations, and turning reverts into
ContractRevertError with decoded values."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import rlp
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted
from web3.types import TxParams, TxReceipt

from compute_rwa.artifacts import decode_error, load_artifact
from compute_rwa.errors import ContractRevertError, DeploymentError, FeeCapExceededError, TransactionTimeoutError

#: A transaction sender: an address the node holds unlocked, or a local key.
Signer = ChecksumAddress | LocalAccount

T = TypeVar("T")


GWEI = 10**9


def address_of(signer: Signer) -> ChecksumAddress:
    return signer.address if isinstance(signer, LocalAccount) else signer


def create_address(sender: str, nonce: int) -> ChecksumAddress:
    """Where a contract deployed by `sender` with `nonce` lands (CREATE)."""
    return Web3.to_checksum_address(keccak(rlp.encode([bytes(HexBytes(sender)), nonce]))[12:])


@dataclass(frozen=True)
class FeeCaps:
    """Caps on EIP-1559 fees, in wei per gas; None leaves that fee to web3.py."""

    max_fee: int | None = None
    max_priority_fee: int | None = None

    @classmethod
    def from_gwei(cls, max_fee: Decimal | None = None, max_priority_fee: Decimal | None = None) -> FeeCaps:
        def wei(gwei: Decimal | None) -> int | None:
            return None if gwei is None else int(gwei * GWEI)

        return cls(wei(max_fee), wei(max_priority_fee))

    @property
    def active(self) -> bool:
        return self.max_fee is not None or self.max_priority_fee is not None


def gwei_text(wei: int) -> str:
    return f"{Decimal(wei) / GWEI:f} gwei"


def fee_fields(caps: FeeCaps, base_fee: int | None, suggested_priority: int, gas_price: int, what: str) -> TxParams:
    """The fee fields of a transaction under `caps`, given the latest block's base fee (None on a
    chain without EIP-1559), the node's suggested priority fee and its gas price. The max fee
    leaves room for the base fee to double, as web3.py does, but never exceeds the cap; a base
    fee already above the cap raises FeeCapExceededError."""
    if base_fee is None:
        if caps.max_fee is not None and gas_price > caps.max_fee:
            raise FeeCapExceededError(
                f"{what}: the gas price is {gwei_text(gas_price)}, above the cap of {gwei_text(caps.max_fee)} "
                "(--max-fee-gwei); nothing was sent"
            )
        return {"gasPrice": gas_price}  # type: ignore[typeddict-item]
    if caps.max_fee is not None and base_fee > caps.max_fee:
        raise FeeCapExceededError(
            f"{what}: the network's base fee is {gwei_text(base_fee)}, above the cap of {gwei_text(caps.max_fee)} "
            "(--max-fee-gwei); nothing was sent"
        )
    priority = suggested_priority if caps.max_priority_fee is None else min(suggested_priority, caps.max_priority_fee)
    max_fee = 2 * base_fee + priority
    if caps.max_fee is not None:
        max_fee = min(max_fee, caps.max_fee)
    return {"maxFeePerGas": max_fee, "maxPriorityFeePerGas": min(priority, max_fee)}  # type: ignore[typeddict-item]


@dataclass(frozen=True)
class SentDeployment:
    """A deployment transaction that was sent: where its contract will be once it is mined."""

    name: str
    tx_hash: HexBytes
    address: ChecksumAddress


@dataclass
class TxSender:
    """Sends contract transactions and deployments for one chain."""

    w3: Web3
    confirmations: int = 1
    timeout: float = 120.0
    poll_interval: float = 0.5
    fees: FeeCaps = field(default_factory=FeeCaps)

    def transact(self, fn: ContractFunction, signer: Signer, label: str, value: int = 0) -> TxReceipt:
        """Sends `fn` from `signer`, waits for its confirmations, raises on revert."""
        sender = address_of(signer)
        params: TxParams = {"from": sender, "value": value, **self.fee_params(f"{label}.{fn.fn_name}")}  # type: ignore[typeddict-item]
        tx_hash = guard(label, fn.fn_name, lambda: self._send(fn, signer, params))
        receipt = self.wait(tx_hash)
        if receipt["status"] != 1:
            # Replay the call at the block before to recover the revert data.
            guard(label, fn.fn_name, lambda: fn.call(params, block_identifier=receipt["blockNumber"] - 1))
            raise ContractRevertError(label, fn.fn_name, "Reverted", {"tx": tx_hash.hex()})
        return receipt

    def deploy(self, name: str, signer: Signer, *args: Any) -> Contract:
        """Deploys the compiled contract `name` with constructor `args`."""
        return self.finish_deployment(self.send_deployment(name, signer, *args))

    def send_deployment(self, name: str, signer: Signer, *args: Any) -> SentDeployment:
        """Sends the deployment of `name` without waiting for it; the result says where the
        contract will be, so that a caller can record it before waiting."""
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        constructor = factory.constructor(*args)
        me = address_of(signer)
        params: TxParams = {"from": me, **self.fee_params(f"{name}.constructor")}
        if isinstance(signer, LocalAccount):
            params["nonce"] = self.w3.eth.get_transaction_count(me, "pending")
            tx = guard(name, "constructor", lambda: constructor.build_transaction(params))
            tx_hash = guard(name, "constructor", lambda: self._sign_and_send(tx, signer))
            nonce = int(params["nonce"])
        else:
            tx_hash = guard(name, "constructor", lambda: constructor.transact(params))
            nonce = int(self.w3.eth.get_transaction(tx_hash)["nonce"])
        return SentDeployment(name, tx_hash, create_address(me, nonce))

    def finish_deployment(self, sent: SentDeployment) -> Contract:
        """Waits for a sent deployment's confirmations and returns its contract."""
        receipt = self.wait(sent.tx_hash)
        address = receipt.get("contractAddress")
        if receipt["status"] != 1 or address is None:
            raise DeploymentError(f"{sent.name}: deployment transaction {sent.tx_hash.hex()} failed")
        return self.w3.eth.contract(address=address, abi=load_artifact(sent.name).abi)

    def fee_params(self, what: str) -> TxParams:
        """EIP-1559 fee fields under this sender's caps (none without caps: web3.py decides)."""
        if not self.fees.active:
            return {}
        base_fee = self.w3.eth.get_block("latest").get("baseFeePerGas")
        if base_fee is None:
            return fee_fields(self.fees, None, 0, int(self.w3.eth.gas_price), what)
        return fee_fields(self.fees, int(base_fee), int(self.w3.eth.max_priority_fee), 0, what)

    def wait(self, tx_hash: HexBytes) -> TxReceipt:
        """The receipt of `tx_hash` once it has `confirmations` blocks (its own included)."""
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.timeout, poll_latency=0.05)
        except TimeExhausted:
            raise TransactionTimeoutError(f"{tx_hash.hex()}: not mined within {self.timeout:g} s") from None
        if self.confirmations > 1:
            target = receipt["blockNumber"] + self.confirmations - 1
            deadline = time.monotonic() + self.timeout
            while self.w3.eth.block_number < target:
                if time.monotonic() > deadline:
                    raise TransactionTimeoutError(
                        f"{tx_hash.hex()}: mined, but fewer than {self.confirmations} confirmations "
                        f"within {self.timeout:g} s"
                    )
                time.sleep(self.poll_interval)
        return receipt

    def _send(self, fn: ContractFunction, signer: Signer, params: TxParams) -> HexBytes:
        if isinstance(signer, LocalAccount):
            return self._sign_and_send(fn.build_transaction(params), signer)
        return fn.transact(params)

    def _sign_and_send(self, tx: TxParams, account: LocalAccount) -> HexBytes:
        tx = dict(tx)  # type: ignore[assignment]
        tx.setdefault("nonce", self.w3.eth.get_transaction_count(account.address, "pending"))
        tx.setdefault("chainId", self.w3.eth.chain_id)
        signed = account.sign_transaction(tx)  # type: ignore[arg-type]
        return self.w3.eth.send_raw_transaction(signed.raw_transaction)


def guard(label: str, function: str, action: Callable[[], T]) -> T:
    """Runs `action`; a revert becomes ContractRevertError naming the contract, function, error."""
    try:
        return action()
    except ContractCustomError as exc:
        name, args = decode_error(_revert_bytes(exc))
        raise ContractRevertError(label, function, name, args) from None
    except ContractLogicError as exc:
        data = _revert_bytes(exc)
        if data:
            name, args = decode_error(data)
            raise ContractRevertError(label, function, name, args) from None
        raise ContractRevertError(label, function, "Error", {"reason": str(exc.message or exc)}) from None


def _revert_bytes(exc: ContractLogicError) -> bytes:
    data: Any = exc.data
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str):
        return bytes(HexBytes(data)) if data.startswith("0x") else b""
    return bytes(data) if isinstance(data, bytes | bytearray) else b""


def contract_at(w3: Web3, name: str, address: str) -> Contract:
    """A web3 contract object for the compiled contract `name` at `address`."""
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(name).abi)
