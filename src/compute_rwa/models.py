"""Typed values exchanged with the contracts, and their ABI encodings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_typing import ChecksumAddress

from compute_rwa.errors import InvalidInputError


class AssetStatus(IntEnum):
    """Mirror of the Solidity enum AssetStatus."""

    ACTIVE = 0
    MAINTENANCE = 1
    RETIRED = 2


class FeeKind(IntEnum):
    OPERATOR = 0
    PROTOCOL = 1
    RESERVE = 2


def to_bytes32(text: str, field: str = "text") -> bytes:
    """A short UTF-8 string as bytes32, right-padded with zeros (at most 32 bytes)."""
    raw = text.encode("utf-8")
    if not raw:
        raise InvalidInputError("bytes32", field, "must not be empty")
    if len(raw) > 32:
        raise InvalidInputError("bytes32", field, f"{len(raw)} bytes; at most 32 fit: {text!r}")
    return raw.ljust(32, b"\0")


def from_bytes32(raw: bytes) -> str:
    return bytes(raw).rstrip(b"\0").decode("utf-8", errors="replace")


@dataclass(frozen=True)
class AssetRegistration:
    """What an operator supplies to register an asset (mirror of the Solidity struct)."""

    gpu_model: str
    gpu_count: int
    rated_tflops: int
    rated_power_watts: int
    region: str
    operator: ChecksumAddress
    inventory_hash: bytes
    payment_token: ChecksumAddress
    owner: ChecksumAddress
    operator_fee_bps: int = 0
    reserve_bps: int = 0

    def to_abi(self) -> tuple[object, ...]:
        return (
            to_bytes32(self.gpu_model, "gpu_model"),
            self.gpu_count,
            self.rated_tflops,
            self.rated_power_watts,
            to_bytes32(self.region, "region"),
            self.operator,
            self.inventory_hash,
            self.payment_token,
            self.owner,
            self.operator_fee_bps,
            self.reserve_bps,
        )


@dataclass(frozen=True)
class AssetSpec:
    """An asset as the registry stores it."""

    asset_id: int
    share_token: ChecksumAddress
    gpu_count: int
    rated_power_watts: int
    status: AssetStatus
    operator: ChecksumAddress
    rated_tflops: int
    registered_at: int
    inventory_hash: bytes
    gpu_model: str
    region: str

    @classmethod
    def from_abi(cls, asset_id: int, raw: tuple[object, ...]) -> AssetSpec:
        token, gpus, power, status, operator, tflops, registered, inventory, model, region = raw
        return cls(
            asset_id=asset_id,
            share_token=token,  # type: ignore[arg-type]
            gpu_count=int(gpus),  # type: ignore[call-overload]
            rated_power_watts=int(power),  # type: ignore[call-overload]
            status=AssetStatus(int(status)),  # type: ignore[call-overload]
            operator=operator,  # type: ignore[arg-type]
            rated_tflops=int(tflops),  # type: ignore[call-overload]
            registered_at=int(registered),  # type: ignore[call-overload]
            inventory_hash=bytes(inventory),  # type: ignore[call-overload]
            gpu_model=from_bytes32(model),  # type: ignore[arg-type]
            region=from_bytes32(region),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class RevenuePools:
    """Balances a share token holds for its waterfall, in payment-token units."""

    operator_fees: int
    protocol_fees: int
    reserve: int
    dust_e18: int
