"""Typed access to a deployed MetricsOracle: configuration, submission, reads, bonds, disputes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.types import RPCEndpoint, TxReceipt

from compute_rwa.errors import ChainUnavailableError
from compute_rwa.oracle.reports import OracleDomain, Report, unpack_reports
from compute_rwa.tx import Signer, TxSender, contract_at, guard


class Metric(IntEnum):
    """Metric enum of IMetricsOracle (one Chainlink feed each)."""

    UTILIZATION = 0
    UPTIME = 1
    GPU_HOURS = 2
    ENERGY = 3
    AVG_POWER = 4
    EFFICIENCY = 5


@dataclass(frozen=True)
class OnchainReport:
    """A report as the oracle holds it (MetricsReport)."""

    asset_id: int
    epoch: int
    utilization_bps: int
    uptime_bps: int
    gpu_hours_milli: int
    energy_wh: int
    avg_power_w: int
    efficiency_gflops_per_w: int
    updated_at: int
    config_version: int
    signers: int
    voided: bool

    @classmethod
    def from_abi(cls, asset_id: int, raw: Sequence[Any]) -> OnchainReport:
        v = [int(x) for x in raw[:10]]
        return cls(asset_id, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], bool(raw[10]))


@dataclass(frozen=True)
class SignerConfig:
    version: int
    threshold: int
    signers: tuple[ChecksumAddress, ...]


class OracleClient:
    """One MetricsOracle on one chain."""

    def __init__(self, w3: Web3, address: str, sender: TxSender | None = None) -> None:
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self.sender = sender or TxSender(w3)

    @cached_property
    def contract(self) -> Contract:
        return contract_at(self.w3, "MetricsOracle", self.address)

    def _call(self, name: str, *args: Any) -> Any:
        return guard("MetricsOracle", name, self.contract.functions[name](*args).call)

    def _send(self, signer: Signer, name: str, *args: Any) -> TxReceipt:
        return self.sender.transact(self.contract.functions[name](*args), signer, "MetricsOracle")

    # ------------------------------------------------------------ configuration

    @cached_property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    @cached_property
    def epoch_seconds(self) -> int:
        return int(self._call("epochSeconds"))

    @cached_property
    def genesis(self) -> int:
        return int(self._call("genesis"))

    @cached_property
    def max_batch_size(self) -> int:
        return int(self._call("MAX_BATCH_SIZE"))

    @cached_property
    def ring_size(self) -> int:
        return int(self._call("RING_SIZE"))

    def signer_config(self) -> SignerConfig:
        version, threshold, signers = self._call("signerConfig")
        return SignerConfig(int(version), int(threshold), tuple(Web3.to_checksum_address(s) for s in signers))

    def domain(self, config_version: int | None = None) -> OracleDomain:
        version = self.signer_config().version if config_version is None else config_version
        return OracleDomain(self.chain_id, self.address, version)

    def epoch_start(self, epoch: int) -> int:
        return self.genesis + epoch * self.epoch_seconds

    def epoch_at(self, timestamp: int) -> int:
        return (timestamp - self.genesis) // self.epoch_seconds

    def chain_time(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def last_ended_epoch(self) -> int | None:
        """The newest epoch that has ended on the chain's clock (reports up to it are accepted)."""
        current = self.epoch_at(self.chain_time())
        return current - 1 if current > 0 else None

    def asset_cache(self, asset_id: int) -> tuple[bytes, int, int, int]:
        prefix, gpus, power, tflops = self._call("assetCache", asset_id)
        return bytes(prefix), int(gpus), int(power), int(tflops)

    def unsynced(self, asset_ids: Iterable[int]) -> list[int]:
        """The assets whose attestation the oracle has not loaded (one batched round trip)."""
        ids = list(asset_ids)
        answers = self._batch_view("assetCache(uint256)", ids)
        # assetCache returns (bytes20, uint32 gpuCount, ...): a zero GPU count means not synced.
        return [a for a, raw in zip(ids, answers, strict=True) if int.from_bytes(raw[32:64], "big") == 0]

    def _batch_view(self, signature: str, asset_ids: Sequence[int]) -> list[bytes]:
        """`signature(assetId)` for every id, as raw eth_calls in JSON-RPC batches of 500.

        The calldata is encoded here once per call (selector + one word): web3's contract
        wrapper re-derives the function ABI on every call, which costs more than the call itself
        when a feeder checks a thousand assets."""
        selector = keccak(text=signature)[:4]
        out: list[bytes] = []
        provider: Any = self.w3.provider
        for start in range(0, len(asset_ids), 500):
            calls = [
                (
                    RPCEndpoint("eth_call"),
                    [{"to": self.address, "data": "0x" + (selector + a.to_bytes(32, "big")).hex()}, "latest"],
                )
                for a in asset_ids[start : start + 500]
            ]
            # Raw JSON-RPC batch: web3's per-call result formatters cost more than the calls.
            responses = provider.make_batch_request(calls)
            if not isinstance(responses, list):
                raise ChainUnavailableError(f"batch eth_call refused: {responses}")
            for response in sorted(responses, key=lambda r: int(r["id"])):
                if "error" in response:
                    raise ChainUnavailableError(f"eth_call {signature} failed: {response['error']}")
                out.append(bytes.fromhex(str(response["result"]).removeprefix("0x")))
        return out

    # ------------------------------------------------------------ submission

    def sync_assets(self, asset_ids: Sequence[int], signer: Signer) -> TxReceipt:
        return self._send(signer, "syncAssets", list(asset_ids))

    def submit(self, packed_reports: bytes, signatures: bytes, signer: Signer) -> TxReceipt:
        return self._send(signer, "submitReports", packed_reports, signatures)

    def latest_epochs(self, asset_ids: Sequence[int]) -> dict[int, int | None]:
        """Newest epoch held per asset (None: none yet), in batched RPC round trips."""
        ids = list(asset_ids)
        out: dict[int, int | None] = {}
        for asset_id, raw in zip(ids, self._batch_view("latestEpoch(uint256)", ids), strict=True):
            exists = int.from_bytes(raw[:32], "big") != 0
            out[asset_id] = int.from_bytes(raw[32:64], "big") if exists else None
        return out

    def settled(self, reports: Iterable[Report]) -> set[tuple[int, int]]:
        """Keys of the reports the contract will never take again: held, or behind a newer epoch
        (epochs strictly increase, so such a report is done either way)."""
        reports = list(reports)
        latest = self.latest_epochs(sorted({r.asset_id for r in reports}))
        done = set()
        for r in reports:
            newest = latest[r.asset_id]
            if newest is not None and r.epoch <= newest:
                done.add(r.key)
        return done

    def decode_batch(self, tx_hash: bytes | str) -> list[Report]:
        """Reports a submitReports transaction carried (events carry only their hash)."""
        tx = self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        _fn, args = self.contract.decode_function_input(tx["input"])
        return unpack_reports(bytes(args["reports"]))

    # ------------------------------------------------------------ reads

    def latest_epoch(self, asset_id: int) -> int | None:
        exists, epoch = self._call("latestEpoch", asset_id)
        return int(epoch) if exists else None

    def report(self, asset_id: int, epoch: int) -> OnchainReport:
        return OnchainReport.from_abi(asset_id, self._call("getReport", asset_id, epoch))

    def latest_report(self, asset_id: int) -> OnchainReport | None:
        epoch = self.latest_epoch(asset_id)
        return None if epoch is None else self.report(asset_id, epoch)

    def trailing_average(self, asset_id: int, metric: Metric, window: int) -> tuple[int, int]:
        average, count = self._call("trailingAverage", asset_id, int(metric), window)
        return int(average), int(count)

    # ------------------------------------------------------------ signers, bonds, disputes

    def set_signers(self, signers: Sequence[str], threshold: int, admin: Signer) -> TxReceipt:
        return self._send(admin, "setSigners", list(signers), threshold)

    def bond_of(self, signer: str) -> tuple[int, int, int]:
        bond, locked, unlocks = self._call("bondOf", signer)
        return int(bond), int(locked), int(unlocks)

    def deposit_bond(self, signer: str, amount: int, payer: Signer) -> TxReceipt:
        return self._send(payer, "depositBond", signer, amount)

    def withdraw_bond(self, amount: int, to: str, signer: Signer) -> TxReceipt:
        return self._send(signer, "withdrawBond", amount, to)

    def challenge(self, asset_id: int, epoch: int, challenger: Signer) -> TxReceipt:
        return self._send(challenger, "challenge", asset_id, epoch)

    def resolve(self, asset_id: int, epoch: int, upheld: bool, arbiter: Signer) -> TxReceipt:
        return self._send(arbiter, "resolveChallenge", asset_id, epoch, upheld)
