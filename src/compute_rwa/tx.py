"""Sending transactions: from node-managed (unlocked) accounts or local eth-account keys,
waiting for confirmations, and turning reverts into ContractRevertError with decoded values."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.types import TxParams, TxReceipt

from compute_rwa.artifacts import decode_error, load_artifact
from compute_rwa.errors import ContractRevertError, DeploymentError

#: A transaction sender: an address the node holds unlocked, or a local key.
Signer = ChecksumAddress | LocalAccount

T = TypeVar("T")


def address_of(signer: Signer) -> ChecksumAddress:
    return signer.address if isinstance(signer, LocalAccount) else signer


@dataclass
class TxSender:
    """Sends contract transactions and deployments for one chain."""

    w3: Web3
    confirmations: int = 1
    timeout: float = 120.0
    poll_interval: float = 0.5

    def transact(self, fn: ContractFunction, signer: Signer, label: str, value: int = 0) -> TxReceipt:
        """Sends `fn` from `signer`, waits for its confirmations, raises on revert."""
        sender = address_of(signer)
        params: TxParams = {"from": sender, "value": value}  # type: ignore[typeddict-item]
        tx_hash = guard(label, fn.fn_name, lambda: self._send(fn, signer, params))
        receipt = self.wait(tx_hash)
        if receipt["status"] != 1:
            # Replay the call at the block before to recover the revert data.
            guard(label, fn.fn_name, lambda: fn.call(params, block_identifier=receipt["blockNumber"] - 1))
            raise ContractRevertError(label, fn.fn_name, "Reverted", {"tx": tx_hash.hex()})
        return receipt

    def deploy(self, name: str, signer: Signer, *args: Any) -> Contract:
        """Deploys the compiled contract `name` with constructor `args`."""
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        constructor = factory.constructor(*args)
        params: TxParams = {"from": address_of(signer)}
        if isinstance(signer, LocalAccount):
            tx = constructor.build_transaction(params)
            tx_hash = guard(name, "constructor", lambda: self._sign_and_send(tx, signer))
        else:
            tx_hash = guard(name, "constructor", lambda: constructor.transact(params))
        receipt = self.wait(tx_hash)
        address = receipt.get("contractAddress")
        if receipt["status"] != 1 or address is None:
            raise DeploymentError(f"{name}: deployment transaction {tx_hash.hex()} failed")
        return self.w3.eth.contract(address=address, abi=artifact.abi)

    def wait(self, tx_hash: HexBytes) -> TxReceipt:
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.timeout, poll_latency=0.05)
        if self.confirmations > 1:
            target = receipt["blockNumber"] + self.confirmations - 1
            deadline = time.monotonic() + self.timeout
            while self.w3.eth.block_number < target:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{tx_hash.hex()}: fewer than {self.confirmations} confirmations")
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
