"""Typed client for GPU leases: LeaseManager (open, extend, end, settle), LeaseTerms (price
lists, policies, lessee allow lists) and LeasePositions (the ERC-721 of each lease).

Amounts are ints in payment-token units; `token(asset_id)` gives the token's decimals and
formats them. Lists of leases come from `LeaseOpened` / `Transfer` events read in bounded
block ranges, then one batched JSON-RPC round trip per page of leases."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD
from web3.types import EventData, TxReceipt

from compute_rwa.deploy import Deployment
from compute_rwa.errors import DeploymentError, InvalidInputError
from compute_rwa.lease.models import (
    Capacity,
    ExtendResult,
    Lease,
    LeasePolicy,
    LeasePricing,
    OpenResult,
    PreemptResult,
    Quote,
    Readiness,
    ReadinessReason,
    ReportStatus,
    SettleResult,
    SlaCredit,
    TerminateResult,
    TokenInfo,
)
from compute_rwa.tx import Signer, TxSender, address_of, contract_at, guard

ZERO_ADDRESS = "0x" + "00" * 20
#: Default tolerance over the quote that `open` and `extend` accept (1%).
DEFAULT_SLIPPAGE_BPS = 100
#: Epochs one keeper transaction settles per lease at most. Settling costs about 60k gas a lease
#: plus 9k an epoch (18k with an SLA credit), so a full batch of 50 leases stays near 14M gas;
#: leases with a longer backlog are finished in further rounds.
DEFAULT_MAX_EPOCHS_EACH = 12


@dataclass(frozen=True)
class LeaseAddresses:
    """Where the lease contracts are: the manager, and optionally its terms and positions
    (read from the manager when omitted)."""

    manager: ChecksumAddress
    terms: ChecksumAddress | None = None
    positions: ChecksumAddress | None = None


class LeaseClient:
    """The lease contracts of one deployment on one chain.

    `from_block` bounds event scans from below (default: the manager's deployment block, found
    by bisecting `eth_getCode`, else 0); `log_chunk` is the block range of one `eth_getLogs`."""

    def __init__(
        self,
        w3: Web3,
        deployment_or_addresses: Deployment | LeaseAddresses | str,
        sender: TxSender | None = None,
        *,
        from_block: int | None = None,
        log_chunk: int = 10_000,
    ) -> None:
        self.w3 = w3
        self.sender = sender or TxSender(w3)
        self.addresses = _addresses(deployment_or_addresses)
        self.log_chunk = log_chunk
        self._from_block = from_block
        self._tokens: dict[str, TokenInfo] = {}
        self._asset_tokens: dict[int, TokenInfo] = {}

    # ----------------------------------------------------------------- contracts

    @cached_property
    def manager(self) -> Contract:
        return contract_at(self.w3, "LeaseManager", self.addresses.manager)

    @cached_property
    def terms(self) -> Contract:
        address = self.addresses.terms or self._call("terms")
        return contract_at(self.w3, "LeaseTerms", address)

    @cached_property
    def positions(self) -> Contract:
        address = self.addresses.positions or self._call("positions")
        return contract_at(self.w3, "LeasePositions", address)

    @cached_property
    def oracle(self) -> Contract:
        return contract_at(self.w3, "MetricsOracle", self._call("oracle"))

    @cached_property
    def registry(self) -> Contract:
        return contract_at(self.w3, "AssetRegistry", self._call("registry"))

    def _call(self, name: str, *args: Any) -> Any:
        return guard("LeaseManager", name, self.manager.functions[name](*args).call)

    def _terms_call(self, name: str, *args: Any) -> Any:
        return guard("LeaseTerms", name, self.terms.functions[name](*args).call)

    def _send(self, contract: Contract, label: str, signer: Signer, name: str, *args: Any) -> TxReceipt:
        return self.sender.transact(contract.functions[name](*args), signer, label)

    # ----------------------------------------------------------------- constants

    @cached_property
    def epoch_seconds(self) -> int:
        return int(self._call("epochSeconds"))

    @cached_property
    def genesis(self) -> int:
        return int(self._call("epochStart", 0))

    @cached_property
    def report_grace(self) -> int:
        return int(self._call("reportGrace"))

    @cached_property
    def max_batch(self) -> int:
        return int(self._call("MAX_BATCH"))

    @cached_property
    def from_block(self) -> int:
        return self._deployment_block() if self._from_block is None else self._from_block

    # ----------------------------------------------------------------- time

    def chain_time(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def current_epoch(self) -> int:
        return int(self._call("currentEpoch"))

    def epoch_start(self, epoch: int) -> int:
        return self.genesis + epoch * self.epoch_seconds

    def epoch_at(self, timestamp: int) -> int:
        return max(0, (timestamp - self.genesis) // self.epoch_seconds)

    # ----------------------------------------------------------------- tokens

    def token_info(self, address: str) -> TokenInfo:
        key = Web3.to_checksum_address(address)
        if key not in self._tokens:
            token = contract_at(self.w3, "MockStablecoin", key)
            try:
                symbol = str(token.functions.symbol().call())
            except Exception:  # symbol() is optional in ERC-20
                symbol = "tokens"
            decimals = int(guard("PaymentToken", "decimals", token.functions.decimals().call))
            self._tokens[key] = TokenInfo(key, symbol, decimals)
        return self._tokens[key]

    def token(self, asset_id: int) -> TokenInfo:
        """The asset's payment token (the share token's, before the asset's first price list)."""
        if asset_id not in self._asset_tokens:
            address = self._terms_call("paymentTokenOf", asset_id)
            if int(address, 16) == 0:
                share = guard("AssetRegistry", "shareTokenOf", self.registry.functions.shareTokenOf(asset_id).call)
                address = contract_at(self.w3, "ShareToken", share).functions.paymentToken().call()
            self._asset_tokens[asset_id] = self.token_info(address)
        return self._asset_tokens[asset_id]

    def format_amount(self, asset_id: int, amount: int, with_symbol: bool = True) -> str:
        return self.token(asset_id).format(amount, with_symbol)

    def parse_amount(self, asset_id: int, text: str, field: str = "amount") -> int:
        return self.token(asset_id).parse(text, field)

    def _erc20(self, address: str) -> Contract:
        return contract_at(self.w3, "MockStablecoin", address)

    def _approve_if_needed(self, asset_id: int, owner: Signer, amount: int) -> None:
        if amount == 0:
            return
        token = self._erc20(self.token(asset_id).address)
        allowance = int(token.functions.allowance(address_of(owner), self.manager.address).call())
        if allowance < amount:
            self.sender.transact(token.functions.approve(self.manager.address, amount), owner, "PaymentToken")

    # ----------------------------------------------------------------- terms reads

    def quote(self, asset_id: int, gpus: int, epochs: int) -> Quote:
        total, price = self._call("quote", asset_id, gpus, epochs)
        return Quote(asset_id, gpus, epochs, int(total), int(price))

    def pricing(self, asset_id: int) -> LeasePricing:
        return LeasePricing.from_abi(self._terms_call("pricingOf", asset_id))

    def policy(self, asset_id: int) -> LeasePolicy:
        return LeasePolicy.from_abi(self._terms_call("policyOf", asset_id))

    def is_configured(self, asset_id: int) -> bool:
        return bool(self._terms_call("isConfigured", asset_id))

    def is_lessee_allowed(self, asset_id: int, account: str) -> bool:
        return bool(self._terms_call("isLesseeAllowed", asset_id, Web3.to_checksum_address(account)))

    def lessee_allow_list_enabled(self, asset_id: int) -> bool:
        return bool(self._terms_call("lesseeAllowListEnabled", asset_id))

    def capacity(self, asset_id: int) -> Capacity:
        """Booked and total GPUs. The manager caches an asset's GPU count on its first lease (and
        answers 0 before); the registry's count is used until then."""
        booked, gpu_count = self._call("capacityOf", asset_id)
        if int(gpu_count) == 0:
            spec = guard("AssetRegistry", "assetSpec", self.registry.functions.assetSpec(asset_id).call)
            gpu_count = spec[1]
        return Capacity(int(booked), int(gpu_count))

    # ----------------------------------------------------------------- lease reads

    def lease_count(self) -> int:
        return int(self._call("leaseCount"))

    def owner_of(self, lease_id: int) -> ChecksumAddress:
        owner = guard("LeasePositions", "ownerOf", self.positions.functions.ownerOf(lease_id).call)
        return Web3.to_checksum_address(owner)

    def lease(self, lease_id: int) -> Lease:
        raw = self._call("lease", lease_id)
        return Lease.from_abi(lease_id, self.owner_of(lease_id), raw)

    def leases_by_id(self, lease_ids: Sequence[int]) -> list[Lease]:
        """Several leases, read in batched JSON-RPC round trips (views and owners)."""
        out: list[Lease] = []
        for start in range(0, len(lease_ids), 100):
            ids = list(lease_ids[start : start + 100])
            calls: list[ContractFunction] = [self.manager.functions.lease(i) for i in ids]
            calls += [self.positions.functions.ownerOf(i) for i in ids]
            results = self._batch(calls)
            views, owners = results[: len(ids)], results[len(ids) :]
            out += [
                Lease.from_abi(i, Web3.to_checksum_address(o), v) for i, v, o in zip(ids, views, owners, strict=True)
            ]
        return out

    def lease_ids(self, asset_id: int | None = None, lessee: str | None = None) -> list[int]:
        """Ids of leases opened (of an asset, or to a first recipient), from `LeaseOpened` events."""
        filters: dict[str, Any] = {}
        if asset_id is not None:
            filters["assetId"] = asset_id
        if lessee is not None:
            filters["lessee"] = Web3.to_checksum_address(lessee)
        return sorted({int(e["args"]["leaseId"]) for e in self._logs(self.manager, "LeaseOpened", filters)})

    def leases(self, asset_id: int | None = None, owner: str | None = None) -> list[Lease]:
        """Every lease (of an asset; held now by an owner), oldest first."""
        ids = self._owned_ids(owner) if owner is not None else self.lease_ids(asset_id)
        found = self.leases_by_id(ids)
        if asset_id is not None:
            found = [lease for lease in found if lease.asset_id == asset_id]
        return found

    def leases_of(self, owner: str) -> list[Lease]:
        """Leases whose position `owner` holds now (positions move with ERC-721 transfers)."""
        return self.leases(owner=owner)

    def _owned_ids(self, owner: str) -> list[int]:
        holder = Web3.to_checksum_address(owner)
        candidates = sorted({int(e["args"]["tokenId"]) for e in self._logs(self.positions, "Transfer", {"to": holder})})
        if not candidates:
            return []
        owners = self._batch([self.positions.functions.ownerOf(i) for i in candidates])
        return [i for i, o in zip(candidates, owners, strict=True) if Web3.to_checksum_address(o) == holder]

    def can_transfer(self, from_address: str, to: str, lease_id: int) -> bool:
        return bool(
            self._call("canTransfer", Web3.to_checksum_address(from_address), Web3.to_checksum_address(to), lease_id)
        )

    # ----------------------------------------------------------------- readiness

    def readiness(self, lease_id: int, *, now: int | None = None, scan: int = 168) -> Readiness:
        """Whether lease `lease_id` can be settled at `now` (default: the latest block's time),
        why not, and from when; `ready_epochs` counts settleable epochs up to `scan`."""
        return self._readiness(self.lease(lease_id), self.chain_time() if now is None else now, scan)

    def _readiness(self, lease: Lease, now: int, scan: int) -> Readiness:
        def result(reason: ReadinessReason, ready_at: int | None, report: ReportStatus | None, n: int) -> Readiness:
            return Readiness(
                lease.lease_id,
                lease.status,
                lease.next_epoch,
                lease.end_epoch,
                reason is ReadinessReason.READY,
                reason,
                ready_at,
                report,
                n,
                now,
            )

        if not lease.running:
            return result(ReadinessReason.CLOSED, None, None, 0)
        # Epochs that have ended by `now`, up to `scan` of them: their reports, in one batch.
        ended_end = min(lease.end_epoch, self.epoch_at(now))
        ended = list(range(lease.next_epoch, min(ended_end, lease.next_epoch + max(1, scan))))
        if not ended:
            return result(ReadinessReason.NOT_ENDED, self.epoch_start(lease.next_epoch + 1), None, 0)
        statuses = self._batch([self.oracle.functions.reportStatus(lease.asset_id, e) for e in ended])
        decisions = [self._decide(e, raw, now) for e, raw in zip(ended, statuses, strict=True)]
        reason, ready_at, report = decisions[0]
        ready = 0
        for decision in decisions:
            if decision[0] is not ReadinessReason.READY:
                break
            ready += 1
        return result(reason, ready_at, report, ready)

    def ready_now(self, leases: Sequence[Lease], now: int | None = None) -> list[int]:
        """Ids of the leases whose next epoch can be settled at `now` (one batched read of the
        oracle for all of them)."""
        at = self.chain_time() if now is None else now
        current = self.epoch_at(at)
        ended = [lease for lease in leases if lease.running and lease.next_epoch < min(lease.end_epoch, current)]
        statuses = self._batch([self.oracle.functions.reportStatus(x.asset_id, x.next_epoch) for x in ended])
        return [
            lease.lease_id
            for lease, raw in zip(ended, statuses, strict=True)
            if self._decide(lease.next_epoch, raw, at)[0] is ReadinessReason.READY
        ]

    def _decide(self, epoch: int, raw: Sequence[Any], now: int) -> tuple[ReadinessReason, int | None, ReportStatus]:
        """LeaseManager._measuredUptime for an ended epoch, evaluated at `now`."""
        status, _uptime, updated_at, final_at = ReportStatus(int(raw[0])), int(raw[1]), int(raw[2]), int(raw[3])
        if status in (ReportStatus.DISPUTABLE, ReportStatus.FINAL):
            # The oracle's own rule, at `now` rather than at the block an eth_call ran in.
            status = ReportStatus.FINAL if now > final_at else ReportStatus.DISPUTABLE
        deadline = self.epoch_start(epoch + 1) + self.report_grace
        if status >= ReportStatus.DISPUTABLE and updated_at <= deadline:
            if status is ReportStatus.FINAL:
                return ReadinessReason.READY, now, status
            if status is ReportStatus.CHALLENGED:
                return ReadinessReason.REPORT_CHALLENGED, None, status
            return ReadinessReason.REPORT_DISPUTABLE, final_at + 1, status
        if now <= deadline:
            return ReadinessReason.AWAITING_REPORT, deadline + 1, status
        return ReadinessReason.READY, now, status  # no usable report: counts as fully down

    # ----------------------------------------------------------------- lessee writes

    def open(
        self,
        asset_id: int,
        gpus: int,
        epochs: int,
        signer: Signer,
        *,
        start_epoch: int = 0,
        max_total: int | None = None,
        slippage_bps: int = DEFAULT_SLIPPAGE_BPS,
        recipient: str | None = None,
        release_first: Sequence[int] = (),
        predecessors: Sequence[int] = (),
        approve: bool = True,
    ) -> OpenResult:
        """Opens a lease paid by `signer` (approving the manager for `max_total` when needed).
        `max_total` defaults to the quote plus `slippage_bps`; `start_epoch` 0 is the next epoch."""
        if max_total is None:
            max_total = self.quote(asset_id, gpus, epochs).max_total(slippage_bps)
        if approve:
            self._approve_if_needed(asset_id, signer, max_total)
        to = Web3.to_checksum_address(recipient) if recipient else address_of(signer)
        request = (asset_id, gpus, start_epoch, epochs, max_total, to)
        receipt = self._send(
            self.manager, "LeaseManager", signer, "open", request, list(release_first), list(predecessors)
        )
        (event,) = self._events(receipt, "LeaseOpened")
        a = event["args"]
        return OpenResult(
            lease_id=int(a["leaseId"]),
            asset_id=int(a["assetId"]),
            recipient=Web3.to_checksum_address(a["lessee"]),
            gpus=int(a["gpus"]),
            start_epoch=int(a["startEpoch"]),
            end_epoch=int(a["endEpoch"]),
            price_per_gpu_hour=int(a["pricePerGpuHour"]),
            total=int(a["total"]),
            tx_hash=_hash(receipt),
        )

    def extension_quote(self, lease_id: int, epochs: int) -> Quote:
        """The cost of extending a lease by `epochs`: the point price at today's booking (the
        lease's GPUs are booked already), as `extend` computes it."""
        lease = self.lease(lease_id)
        booked, gpu_count = self.capacity(lease.asset_id)
        quote = self._terms_call(
            "quote", lease.asset_id, ZERO_ADDRESS, lease.gpus, epochs, self.epoch_seconds, booked, booked, gpu_count
        )
        return Quote(lease.asset_id, lease.gpus, epochs, int(quote[1]), int(quote[2]))

    def extend(
        self,
        lease_id: int,
        epochs: int,
        signer: Signer,
        *,
        max_cost: int | None = None,
        slippage_bps: int = DEFAULT_SLIPPAGE_BPS,
        approve: bool = True,
    ) -> ExtendResult:
        """Extends a lease by `epochs`, paid by `signer` (its owner or approved)."""
        if max_cost is None:
            max_cost = self.extension_quote(lease_id, epochs).max_total(slippage_bps)
        if approve:
            self._approve_if_needed(self.lease(lease_id).asset_id, signer, max_cost)
        receipt = self._send(self.manager, "LeaseManager", signer, "extend", lease_id, epochs, max_cost)
        (event,) = self._events(receipt, "LeaseExtended")
        a = event["args"]
        return ExtendResult(
            lease_id, int(a["epochs"]), int(a["newEndEpoch"]), int(a["pricePerGpuHour"]), int(a["cost"]), _hash(receipt)
        )

    def terminate(self, lease_id: int, signer: Signer) -> TerminateResult:
        """Ends a lease at the end of the current epoch; the refund (minus the fee) and anything
        claimable are paid to the position's owner in the same call."""
        receipt = self._send(self.manager, "LeaseManager", signer, "terminate", lease_id)
        (event,) = self._events(receipt, "LeaseTerminated")
        paid = sum(int(e["args"]["amount"]) for e in self._events(receipt, "LeaseClaimed"))
        a = event["args"]
        return TerminateResult(lease_id, int(a["endEpoch"]), int(a["refund"]), int(a["fee"]), paid, _hash(receipt))

    def claim(self, lease_id: int, signer: Signer) -> int:
        """Pays the position's owner what it is owed; returns the amount."""
        receipt = self._send(self.manager, "LeaseManager", signer, "claim", lease_id)
        return sum(int(e["args"]["amount"]) for e in self._events(receipt, "LeaseClaimed"))

    def transfer(self, lease_id: int, to: str, signer: Signer) -> TxReceipt:
        """Moves the position (and everything it is owed) to `to` (ERC-721 safeTransferFrom)."""
        safe_transfer = self.positions.get_function_by_signature("safeTransferFrom(address,address,uint256)")
        fn = safe_transfer(address_of(signer), Web3.to_checksum_address(to), lease_id)
        return self.sender.transact(fn, signer, "LeasePositions")

    # ----------------------------------------------------------------- settlement (anyone)

    def settle(self, lease_id: int, signer: Signer, max_epochs: int | None = None) -> SettleResult:
        """Settles up to `max_epochs` ready epochs (default: all that remain). Reverts with
        `LeaseNothingToSettle(leaseId, epoch, readyAt)` when none is ready."""
        limit = 2**256 - 1 if max_epochs is None else max_epochs
        receipt = self._send(self.manager, "LeaseManager", signer, "settle", lease_id, limit)
        (result,) = self._settle_results(receipt)
        return result

    def settle_many(
        self, lease_ids: Sequence[int], signer: Signer, max_epochs_each: int = DEFAULT_MAX_EPOCHS_EACH
    ) -> list[SettleResult]:
        """`settleMany` in batches of at most MAX_BATCH; leases with nothing ready are skipped
        (and absent from the result)."""
        out: list[SettleResult] = []
        for batch in _chunks(lease_ids, self.max_batch):
            receipt = self._send(self.manager, "LeaseManager", signer, "settleMany", batch, max_epochs_each)
            out += self._settle_results(receipt)
        return out

    def settle_ready(
        self,
        signer: Signer,
        asset_id: int | None = None,
        *,
        max_epochs_each: int = DEFAULT_MAX_EPOCHS_EACH,
        max_rounds: int = 100,
        on_batch: Callable[[list[SettleResult]], None] | None = None,
    ) -> list[SettleResult]:
        """Keeper: settles every lease (of an asset) with a settleable epoch, in `settleMany`
        batches of at most MAX_BATCH, until none is ready (leases with more than
        `max_epochs_each` ready epochs take several rounds). Leases not ready are not sent."""
        out: list[SettleResult] = []
        candidates = [lease for lease in self.leases(asset_id) if lease.running]
        for _ in range(max_rounds):
            now = self.chain_time()
            ready = self.ready_now(candidates, now)
            if not ready:
                break
            for batch in _chunks(ready, self.max_batch):
                results = self.settle_many(batch, signer, max_epochs_each)
                if on_batch is not None:
                    on_batch(results)
                out += results
            candidates = [lease for lease in self.leases_by_id(ready) if lease.running]
        return out

    def releasable(self, asset_id: int | None = None) -> list[int]:
        """Leases whose last epoch has begun and whose capacity is still booked."""
        now = self.chain_time()
        return [
            lease.lease_id
            for lease in self.leases(asset_id)
            if not lease.capacity_released and now >= self.epoch_start(lease.end_epoch)
        ]

    def release_capacity(self, lease_ids: Sequence[int], signer: Signer) -> list[TxReceipt]:
        """Gives the GPUs of ended leases back to their assets, in batches of MAX_BATCH."""
        return [
            self._send(self.manager, "LeaseManager", signer, "releaseCapacity", batch)
            for batch in _chunks(lease_ids, self.max_batch)
        ]

    # ----------------------------------------------------------------- operators

    def preemption_cost(self, lease_id: int, effective_epoch: int) -> tuple[int, int]:
        """(refund, compensation) a preemption at `effective_epoch` would cost now."""
        lease = self.lease(lease_id)
        new_end = max(effective_epoch, lease.start_epoch)
        if new_end >= lease.end_epoch or lease.end_epoch == lease.next_epoch:
            return 0, 0
        refund = lease.escrow * (lease.end_epoch - new_end) // (lease.end_epoch - lease.next_epoch)
        return refund, refund * lease.compensation_bps // 10_000

    def earliest_preemption(self, lease_id: int) -> int:
        """The first epoch a preemption may take effect: after the lease's whole notice."""
        return self.current_epoch() + 1 + self.lease(lease_id).notice_epochs

    def preempt(
        self, lease_id: int, signer: Signer, effective_epoch: int | None = None, *, approve: bool = True
    ) -> PreemptResult:
        """Operator: ends a lease at `effective_epoch` (default: the earliest the notice allows),
        paying compensation (approved first when needed)."""
        epoch = self.earliest_preemption(lease_id) if effective_epoch is None else effective_epoch
        if approve:
            _refund, compensation = self.preemption_cost(lease_id, epoch)
            self._approve_if_needed(self.lease(lease_id).asset_id, signer, compensation)
        receipt = self._send(self.manager, "LeaseManager", signer, "preempt", lease_id, epoch)
        (event,) = self._events(receipt, "LeasePreempted")
        a = event["args"]
        return PreemptResult(lease_id, int(a["endEpoch"]), int(a["refund"]), int(a["compensation"]), _hash(receipt))

    def set_pricing(self, asset_id: int, pricing: LeasePricing, signer: Signer) -> TxReceipt:
        receipt = self._send(self.terms, "LeaseTerms", signer, "setPricing", asset_id, pricing.to_abi())
        self._asset_tokens.pop(asset_id, None)
        return receipt

    def set_policy(self, asset_id: int, policy: LeasePolicy, signer: Signer) -> TxReceipt:
        return self._send(self.terms, "LeaseTerms", signer, "setPolicy", asset_id, policy.to_abi())

    def set_lessee_allow_list(self, asset_id: int, enabled: bool, signer: Signer) -> TxReceipt:
        """Compliance role: switches the asset's lessee allow list on or off."""
        return self._send(self.terms, "LeaseTerms", signer, "setLesseeAllowListEnabled", asset_id, enabled)

    def set_lessee_allowed(
        self, asset_id: int, accounts: Iterable[str], allowed: bool, signer: Signer
    ) -> list[TxReceipt]:
        """Compliance role: adds accounts to (or removes them from) the allow list, in batches."""
        checksummed = [Web3.to_checksum_address(a) for a in accounts]
        return [
            self._send(self.terms, "LeaseTerms", signer, "setLesseeAllowed", asset_id, batch, allowed)
            for batch in _chunks(checksummed, self.max_batch)
        ]

    # ----------------------------------------------------------------- plumbing

    def _events(self, receipt: TxReceipt, name: str) -> list[EventData]:
        return [
            e
            for e in self.manager.events[name]().process_receipt(receipt, errors=DISCARD)
            if e["address"] == self.manager.address
        ]

    def _settle_results(self, receipt: TxReceipt) -> list[SettleResult]:
        credits: dict[int, list[SlaCredit]] = {}
        for e in self._events(receipt, "SlaCredit"):
            a = e["args"]
            credit = SlaCredit(
                int(a["leaseId"]), int(a["epoch"]), int(a["uptimeBps"]), bool(a["reported"]), int(a["credit"])
            )
            credits.setdefault(credit.lease_id, []).append(credit)
        closed = {int(e["args"]["leaseId"]) for e in self._events(receipt, "LeaseClosed")}
        out = []
        for e in self._events(receipt, "LeaseSettled"):
            a = e["args"]
            lease_id = int(a["leaseId"])
            out.append(
                SettleResult(
                    lease_id=lease_id,
                    from_epoch=int(a["fromEpoch"]),
                    to_epoch=int(a["toEpoch"]),
                    released=int(a["released"]),
                    credited=int(a["credited"]),
                    credits=tuple(sorted(credits.get(lease_id, []), key=lambda c: c.epoch)),
                    closed=lease_id in closed,
                    tx_hash=_hash(receipt),
                )
            )
        return out

    def _logs(self, contract: Contract, name: str, filters: dict[str, Any]) -> list[EventData]:
        """`name` logs of `contract` from `from_block` to the latest block, `log_chunk` blocks
        per request."""
        latest = int(self.w3.eth.block_number)
        out: list[EventData] = []
        start = self.from_block
        while start <= latest:
            end = min(latest, start + self.log_chunk - 1)
            out += contract.events[name]().get_logs(from_block=start, to_block=end, argument_filters=filters or None)
            start = end + 1
        return out

    def _batch(self, calls: Sequence[ContractFunction]) -> list[Any]:
        """Contract reads in one JSON-RPC batch (one at a time where the node refuses batches)."""
        if not calls:
            return []
        try:
            with self.w3.batch_requests() as batch:
                for call in calls:
                    batch.add(call)
                return list(batch.execute())
        except Exception:  # a node without batches, or a reverted read: retry one by one
            return [guard("LeaseClient", call.fn_name, call.call) for call in calls]

    def _deployment_block(self) -> int:
        """The block that created the manager (bisecting eth_getCode), or 0 on nodes without the
        historical state to tell."""
        try:
            high = int(self.w3.eth.block_number)
            low = 0
            while low < high:
                mid = (low + high) // 2
                if self.w3.eth.get_code(self.manager.address, block_identifier=mid):
                    high = mid
                else:
                    low = mid + 1
            return low
        except Exception:  # pruned nodes refuse old state
            return 0


def _addresses(value: Deployment | LeaseAddresses | str) -> LeaseAddresses:
    if isinstance(value, LeaseAddresses):
        return value
    if isinstance(value, str):
        if not Web3.is_address(value):
            raise InvalidInputError("LeaseClient", "manager", f"not an address: {value!r}")
        return LeaseAddresses(Web3.to_checksum_address(value))
    if value.lease_manager is None:
        raise DeploymentError(f"deployment on chain {value.chain_id} has no LeaseManager (redeploy to add leasing)")
    return LeaseAddresses(value.lease_manager, value.lease_terms, value.lease_positions)


def _chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _hash(receipt: TxReceipt) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()
