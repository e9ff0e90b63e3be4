"""Oracle reports in the exact byte layout MetricsOracle verifies, and their EIP-712 signatures.

Layout (contracts/libraries/ReportPacking.sol): 61 bytes per report, big-endian, no padding:
assetId uint64 | epoch uint32 | inventoryHash bytes32 | utilizationBps uint16 | uptimeBps
uint16 | gpuHoursMilli uint32 | energyWh uint40 | avgPowerW uint32. Signers sign the EIP-712
struct `MetricsBatch(uint24 configVersion,bytes reports)` under the domain
{name "compute-rwa MetricsOracle", version "1", chainId, verifyingContract}; a signature is
65 bytes r | s | v, and a batch's signatures are concatenated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from compute_rwa.errors import InvalidInputError
from compute_rwa.telemetry.aggregate import EpochMetrics

REPORT_BYTES = 61
SIGNATURE_BYTES = 65
DOMAIN_NAME = "compute-rwa MetricsOracle"
DOMAIN_VERSION = "1"
BPS = 10_000

#: (field, bytes) in calldata order; the contract reads them at these offsets.
_LAYOUT: tuple[tuple[str, int], ...] = (
    ("asset_id", 8),
    ("epoch", 4),
    ("inventory_hash", 32),
    ("utilization_bps", 2),
    ("uptime_bps", 2),
    ("gpu_hours_milli", 4),
    ("energy_wh", 5),
    ("avg_power_w", 4),
)


@dataclass(frozen=True)
class Report:
    """One asset's report for one epoch, in contract units (see MetricsReport's NatSpec)."""

    asset_id: int
    epoch: int
    inventory_hash: bytes
    utilization_bps: int
    uptime_bps: int
    gpu_hours_milli: int
    energy_wh: int
    avg_power_w: int

    def __post_init__(self) -> None:
        if len(self.inventory_hash) != 32:
            raise InvalidInputError("report", "inventory_hash", f"{len(self.inventory_hash)} bytes, expected 32")
        for name, size in _LAYOUT:
            if name == "inventory_hash":
                continue
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value < 1 << (8 * size):
                raise InvalidInputError(f"report {self.asset_id}/{self.epoch}", name, f"{value!r} not a uint{8 * size}")

    @property
    def key(self) -> tuple[int, int]:
        return (self.asset_id, self.epoch)

    @classmethod
    def from_metrics(cls, m: EpochMetrics) -> Report:
        return cls(
            asset_id=m.asset_id,
            epoch=m.epoch,
            inventory_hash=m.inventory_hash,
            utilization_bps=m.utilization_bps,
            uptime_bps=m.uptime_bps,
            gpu_hours_milli=m.gpu_hours_milli,
            energy_wh=m.energy_wh,
            avg_power_w=m.avg_power_w,
        )

    def pack(self) -> bytes:
        out = bytearray()
        for name, size in _LAYOUT:
            value = getattr(self, name)
            out += value if isinstance(value, bytes) else value.to_bytes(size, "big")
        return bytes(out)

    @classmethod
    def unpack(cls, data: bytes) -> Report:
        if len(data) != REPORT_BYTES:
            raise InvalidInputError("report bytes", "length", f"{len(data)}, expected {REPORT_BYTES}")
        values: dict[str, Any] = {}
        offset = 0
        for name, size in _LAYOUT:
            chunk = data[offset : offset + size]
            values[name] = bytes(chunk) if name == "inventory_hash" else int.from_bytes(chunk, "big")
            offset += size
        return cls(**values)

    def efficiency_gflops_per_w(self, rated_tflops: int) -> int:
        """What the contract derives: rated TFLOPS x 1,000 x utilization / 10,000 / power."""
        if self.avg_power_w == 0:
            return 0
        return rated_tflops * 1000 * self.utilization_bps // BPS // self.avg_power_w


def pack_reports(reports: Iterable[Report]) -> bytes:
    return b"".join(r.pack() for r in reports)


def unpack_reports(data: bytes) -> list[Report]:
    if not data or len(data) % REPORT_BYTES:
        raise InvalidInputError("reports bytes", "length", f"{len(data)} is not a positive multiple of {REPORT_BYTES}")
    return [Report.unpack(data[i : i + REPORT_BYTES]) for i in range(0, len(data), REPORT_BYTES)]


@dataclass(frozen=True)
class OracleDomain:
    """Where signatures are valid: one chain, one oracle contract, one signer configuration."""

    chain_id: int
    oracle: ChecksumAddress
    config_version: int

    def typed_data(self, packed_reports: bytes) -> dict[str, Any]:
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "MetricsBatch": [
                    {"name": "configVersion", "type": "uint24"},
                    {"name": "reports", "type": "bytes"},
                ],
            },
            "primaryType": "MetricsBatch",
            "domain": {
                "name": DOMAIN_NAME,
                "version": DOMAIN_VERSION,
                "chainId": self.chain_id,
                "verifyingContract": self.oracle,
            },
            "message": {"configVersion": self.config_version, "reports": packed_reports},
        }

    def digest(self, packed_reports: bytes) -> bytes:
        signable = encode_typed_data(full_message=self.typed_data(packed_reports))
        return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_batch(domain: OracleDomain, packed_reports: bytes, signer: LocalAccount) -> bytes:
    """A 65-byte r | s | v signature of the batch by `signer` (eth-account, EIP-712)."""
    signed = signer.sign_message(encode_typed_data(full_message=domain.typed_data(packed_reports)))
    return signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])


def recover_signer(domain: OracleDomain, packed_reports: bytes, signature: bytes) -> ChecksumAddress:
    if len(signature) != SIGNATURE_BYTES:
        raise InvalidInputError("signature", "length", f"{len(signature)}, expected {SIGNATURE_BYTES}")
    message = encode_typed_data(full_message=domain.typed_data(packed_reports))
    return to_checksum_address(Account.recover_message(message, signature=signature))


def join_signatures(signatures: Sequence[bytes]) -> bytes:
    for s in signatures:
        if len(s) != SIGNATURE_BYTES:
            raise InvalidInputError("signature", "length", f"{len(s)}, expected {SIGNATURE_BYTES}")
    return b"".join(signatures)
