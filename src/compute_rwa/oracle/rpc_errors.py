"""What a refusal says: contract reverts (`describe_revert`, the report a revert names) and
JSON-RPC node errors (a broadcast already known, a nonce used, an unsupported method, a gas estimate
above the block gas limit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from web3.exceptions import Web3RPCError

from compute_rwa.errors import ContractRevertError
from compute_rwa.oracle.reports import Report

#: Node messages (lower case fragments, geth, Nethermind, Erigon, Besu, anvil) for a broadcast of a
#: transaction the pool already holds, and for one whose nonce is already used.
_ALREADY_KNOWN = ("already known", "already imported", "alreadyknown", "known transaction", "already in the pool")
_NONCE_USED = ("nonce too low", "nonce is too low", "oldnonce", "nonce too small", "nonce has already been used")
_UNDERPRICED = ("underpriced", "fee too low", "feetoolow", "replacement transaction")
#: A gas estimate refused because the call needs more gas than the node's cap (the block gas limit):
#: geth, Erigon and anvil say "gas required exceeds allowance", Besu "exceeds block gas limit".
_ABOVE_GAS_CAP = ("gas required exceeds allowance", "exceeds block gas limit")


def describe_revert(err: ContractRevertError) -> str:
    """`Error(arg=value, ...)` with bytes32 labels (the oracle's `field`, `reason`) as text."""
    args = ", ".join(f"{k}={_render(v)}" for k, v in err.args_by_name.items())
    return f"{err.error_name}({args})"


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        text = value.rstrip(b"\0")
        if text and len(value) == 32 and all(32 <= c < 127 for c in text):
            return text.decode()
        return "0x" + value.hex()
    return str(value)


def culprit(err: ContractRevertError, batch: Sequence[Report]) -> Report | None:
    """The report a revert names: its assetId, and its epoch (every per-report error of the oracle
    carries both; OracleAssetNotSynced names only the asset, whose first report is then taken)."""
    asset_id = err.args_by_name.get("assetId")
    epoch = err.args_by_name.get("epoch")
    if asset_id is None:
        return None
    for report in batch:
        if report.asset_id == asset_id and (epoch is None or report.epoch == epoch):
            return report
    return None


def classify(exc: Web3RPCError) -> str | None:
    message = _rpc_message(exc)
    for status, fragments in (
        ("already known", _ALREADY_KNOWN),
        ("nonce used", _NONCE_USED),
        ("underpriced", _UNDERPRICED),
    ):
        if any(f in message for f in fragments):
            return status
    return None


def above_gas_cap(exc: Web3RPCError) -> bool:
    """Whether a gas estimate failed because the call needs more gas than a block holds (not
    because it reverts): a smaller batch may fit."""
    message = _rpc_message(exc)
    return any(f in message for f in _ABOVE_GAS_CAP)


def unsupported(exc: Web3RPCError) -> bool:
    """Whether the node refused a method as unknown or unsupported (not the request as wrong)."""
    rpc = exc.rpc_response or {}
    error = rpc.get("error") if isinstance(rpc, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    message = _rpc_message(exc)
    return code in (-32601, -32004) or any(
        f in message for f in ("method not found", "not supported", "does not exist", "not available", "unsupported")
    )


def _rpc_message(exc: Web3RPCError) -> str:
    rpc = exc.rpc_response or {}
    error = rpc.get("error") if isinstance(rpc, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"]).lower()
    return str(exc).lower()


def rpc_value(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return value
