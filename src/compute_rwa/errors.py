"""Exceptions of compute_rwa: one root class, specific subclasses that also inherit the builtin
they resemble (as web3.py does), each naming the source and the field at fault."""

from __future__ import annotations

from typing import Any


class ComputeRwaError(Exception):
    """Root of every error raised by compute_rwa."""


class ArtifactNotFoundError(ComputeRwaError, FileNotFoundError):
    """A compiled contract artifact is missing (run `make build`)."""


class ToolchainError(ComputeRwaError, RuntimeError):
    """A local tool (anvil, ganache, node) is missing or failed to start."""


class ChainStartError(ToolchainError):
    """A local chain did not start or did not answer JSON-RPC in time."""


class InvalidInputError(ComputeRwaError, ValueError):
    """Input data is malformed; the message names the source and the field."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        super().__init__(f"{source}: field {field!r}: {problem}")


class DeploymentError(ComputeRwaError, RuntimeError):
    """A deployment could not be completed or its registry file is inconsistent."""


class NetworkError(ComputeRwaError, ValueError):
    """A network id is unknown, its host cannot be formed, or the node is another chain than the
    network configuration says."""


class FeeCapExceededError(ComputeRwaError, ValueError):
    """The network's base fee is above the caller's fee cap; nothing was sent."""


class TransactionTimeoutError(ComputeRwaError, TimeoutError):
    """A sent transaction was not mined, or not confirmed enough times, in time. It may still be
    mined: look it up before sending it again (deployments resume on their own)."""


class ChainUnavailableError(ComputeRwaError, ConnectionError):
    """The JSON-RPC endpoint did not answer after retries; nothing was lost, try again later."""


class QuorumError(ComputeRwaError, RuntimeError):
    """Not enough oracle signers agreed to sign a batch; the message says who refused and why."""


class ContractRevertError(ComputeRwaError, RuntimeError):
    """A contract call reverted; `error_name` and `args` are the decoded custom error."""

    def __init__(self, contract: str, function: str, error_name: str, args: dict[str, Any]) -> None:
        self.contract = contract
        self.function = function
        self.error_name = error_name
        self.args_by_name = args
        rendered = ", ".join(f"{k}={_render(v)}" for k, v in args.items())
        super().__init__(f"{contract}.{function} reverted with {error_name}({rendered})")


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value) if isinstance(value, str) else str(value)
