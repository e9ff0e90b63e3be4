"""Reference model of LeaseManager (with the share token's waterfall and the oracle's report
ring) for tests/stateful/test_lease_campaign.py, and a raw JSON-RPC client with deterministic
block times.

The model is plain Python integers: every operation takes the timestamp of the block its
transaction lands in and either returns (after changing the model) or raises `Revert` with the
custom error and arguments the contract must revert with. Callers roll the model back on a
revert (`World.clone`), so an operation may fail half-way as the contract does.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import (
    event_abi_to_log_topic,
    function_abi_to_4byte_selector,
    get_abi_input_types,
    get_abi_output_types,
    to_checksum_address,
)
from web3 import Web3

from compute_rwa.artifacts import decode_error
from tests.stateful.rpc import BatchRpc

BPS = 10_000
PRECISION = 10**18
MAX_UINT = 2**256 - 1
MAX_LEASE_EPOCHS = 87_600
# LeaseStatus
NONE, ACTIVE, TERMINATED, PREEMPTED, CLOSED = 0, 1, 2, 3, 4
# ReportStatus
MISSING, VOIDED, DISPUTABLE, CHALLENGED, FINAL = 0, 1, 2, 3, 4
# The ready marker of `_measuredUptime` (type(uint256).max).
READY = MAX_UINT


class Revert(Exception):  # noqa: N818 (a predicted revert, not a failure)
    """The custom error (name, arguments by name) a transaction must revert with."""

    def __init__(self, name: str, **args: Any) -> None:
        super().__init__(name, args)
        self.error = (name, args)


# ------------------------------------------------------------------ arithmetic (the contracts')


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def mean_price(base: int, dynamic: bool, target: int, premium: int, count: int, booked0: int, booked1: int) -> int:
    """LeaseMath.meanPrice."""
    if not dynamic or premium == 0:
        return base
    kink = target * count
    span = BPS * count - kink
    if span == 0:
        return base
    x0, x1 = booked0 * BPS, booked1 * BPS
    above0, above1 = max(0, x0 - kink), max(0, x1 - kink)
    if above1 == 0:
        return base
    if x1 == x0:
        return base + ceil_div(base * premium * above1, BPS * span)
    return base + ceil_div(base * premium * (above1 * above1 - above0 * above0), 2 * BPS * span * (x1 - x0))


def epoch_charge(gpus: int, price: int, epoch_seconds: int) -> int:
    return gpus * price * epoch_seconds // 3600


def sla_credit(charge: int, uptime: int, target: int) -> int:
    return 0 if uptime >= target else ceil_div(charge * (target - uptime), target)


def split(amount: int, operator_bps: int, protocol_bps: int, reserve_bps: int) -> tuple[int, int, int, int]:
    """RevenueMath.split: operator fee, protocol fee, reserve, holders."""
    op, prot, res = amount * operator_bps // BPS, amount * protocol_bps // BPS, amount * reserve_bps // BPS
    return op, prot, res, amount - op - prot - res


# ------------------------------------------------------------------ model


@dataclass
class LeaseM:
    id: int
    asset: int
    gpus: int
    start: int
    end: int
    next: int
    price: int
    target: int
    fee_bps: int
    comp_bps: int
    notice: int
    owner: str
    status: int = ACTIVE
    released: bool = False
    handed: int = 0
    escrow: int = 0
    claimable: int = 0
    # What happened to the money, for the per-lease checks.
    paid: int = 0
    charged: int = 0
    credited: int = 0

    def view(self) -> tuple[Any, ...]:
        """LeaseView, field by field."""
        return (
            self.asset,
            self.gpus,
            self.start,
            self.end,
            self.next,
            self.price,
            self.target,
            self.fee_bps,
            self.comp_bps,
            self.notice,
            self.status,
            self.released,
            self.handed,
            self.escrow,
            self.claimable,
        )


@dataclass
class ReportM:
    epoch: int
    uptime: int
    updated_at: int
    voided: bool = False


@dataclass
class AssetM:
    id: int
    token: str
    share: str
    gpu_count: int
    operator: str
    pricing: tuple[int, bool, int, int]  # base, dynamic, target utilization, max premium
    policy: tuple[int, int, int, int, int, int]  # uptime, fee, compensation, notice, min, max
    fee_rates: tuple[int, int, int]  # operator, protocol, reserve
    supply: int
    booked: int = 0
    status: int = 0  # registry AssetStatus: 0 Active, 1 Maintenance
    cached: bool = False  # the manager reads the GPU count on the asset's first lease
    # oracle: ring slot -> report, latest reported epoch, challenge status per epoch
    ring: dict[int, ReportM] = field(default_factory=dict)
    latest: int | None = None
    challenges: dict[int, str] = field(default_factory=dict)
    # share token waterfall
    operator_fees: int = 0
    protocol_fees: int = 0
    reserve: int = 0
    rps: int = 0
    dust: int = 0
    holders_in: int = 0
    holders_claimed: int = 0
    # lease ledger
    paid: int = 0
    compensation: int = 0
    released: int = 0
    credited: int = 0
    refunded: int = 0
    paid_out: int = 0

    def receive(self, amount: int) -> None:
        """ShareToken.receiveLeaseRevenue: the waterfall (one holder owns the whole supply)."""
        op, prot, res, hold = split(amount, *self.fee_rates)
        self.operator_fees += op
        self.protocol_fees += prot
        self.reserve += res
        total = hold * PRECISION + self.dust
        self.rps += total // self.supply
        self.dust = total % self.supply
        self.holders_in += hold
        self.released += amount

    def holder_claimable(self) -> int:
        return self.rps * self.supply // PRECISION - self.holders_claimed


class World:
    """LeaseManager's state and rules, with what it reads from the oracle and share tokens."""

    def __init__(self, genesis: int, epoch_seconds: int, grace: int, window: int, ring_size: int, admin: str) -> None:
        self.genesis, self.epoch_seconds, self.grace = genesis, epoch_seconds, grace
        self.window, self.ring_size, self.admin = window, ring_size, admin
        self.assets: dict[int, AssetM] = {}
        self.leases: dict[int, LeaseM] = {}
        self.count = 0
        self.paused = False  # the registry's pause
        #: Approved spender of each position (ERC-721 approve; cleared by a transfer).
        self.approved: dict[int, str] = {}
        #: Payment-token balance changes of accounts: (token, account) -> delta.
        self.balances: dict[tuple[str, str], int] = {}

    def clone(self) -> World:
        return copy.deepcopy(self)

    # ---------------------------------------------------------------- time

    def epoch(self, t: int) -> int:
        return 0 if t < self.genesis else (t - self.genesis) // self.epoch_seconds

    def epoch_start(self, e: int) -> int:
        return self.genesis + e * self.epoch_seconds

    def _pay(self, token: str, account: str, amount: int) -> None:
        self.balances[(token, account)] = self.balances.get((token, account), 0) + amount

    # ---------------------------------------------------------------- oracle

    def held(self, a: AssetM, e: int) -> ReportM | None:
        r = a.ring.get(e % self.ring_size)
        return r if r is not None and r.epoch == e else None

    def store_report(self, asset: int, epoch: int, uptime: int, t: int) -> None:
        a = self.assets[asset]
        assert epoch < self.epoch(t) and (a.latest is None or epoch > a.latest), (asset, epoch, a.latest)
        a.ring[epoch % self.ring_size] = ReportM(epoch, uptime, t)
        a.latest = epoch

    def report_status(self, asset: int, e: int, t: int) -> tuple[int, int, int, int]:
        """MetricsOracle.reportStatus: status, uptime, updatedAt, finalAt."""
        r = self.held(self.assets[asset], e)
        if r is None:
            return MISSING, 0, 0, 0
        final_at = r.updated_at + self.window
        if r.voided:
            return VOIDED, 0, r.updated_at, final_at
        if self.assets[asset].challenges.get(e) == "open":
            return CHALLENGED, r.uptime, r.updated_at, final_at
        return (FINAL if t > final_at else DISPUTABLE), r.uptime, r.updated_at, final_at

    def measured(self, asset: int, e: int, t: int) -> tuple[int, int, bool]:
        """_measuredUptime: (readyAt, uptime, reported); readyAt READY when it settles now."""
        epoch_end = self.genesis + (e + 1) * self.epoch_seconds
        if t < epoch_end:
            return epoch_end, 0, False
        status, uptime, updated_at, final_at = self.report_status(asset, e, t)
        deadline = epoch_end + self.grace
        if status >= DISPUTABLE and updated_at <= deadline:
            if status == FINAL:
                return READY, uptime, True
            return (0 if status == CHALLENGED else final_at + 1), 0, False
        if t <= deadline:
            return deadline + 1, 0, False
        return READY, 0, False

    # ---------------------------------------------------------------- checks

    def _lease(self, lease_id: int) -> LeaseM:
        lease = self.leases.get(lease_id)
        if lease is None:
            raise Revert("LeaseUnknown", leaseId=lease_id)
        return lease

    def _authorized(self, lease: LeaseM, sender: str) -> None:
        if sender not in (lease.owner, self.approved.get(lease.id)):
            raise Revert("LeaseNotOwner", leaseId=lease.id, caller=sender)

    def _operator(self, a: AssetM, sender: str) -> None:
        if sender not in (a.operator, self.admin):
            raise Revert("LeaseUnauthorizedOperator", assetId=a.id, caller=sender)

    def _open_for_business(self, asset: int) -> None:
        if self.paused:
            raise Revert("LeasePaused")
        status = self.assets[asset].status
        if status != 0:
            raise Revert("LeaseAssetNotActive", assetId=asset, status=status)

    def transfer(self, lease_id: int, to: str) -> None:
        self.leases[lease_id].owner = to
        self.approved.pop(lease_id, None)

    def quote(self, asset: int, gpus: int, epochs: int, booked0: int, booked1: int) -> tuple[int, int]:
        a = self.assets[asset]
        price = mean_price(*a.pricing, a.gpu_count, booked0, booked1)
        return epoch_charge(gpus, price, self.epoch_seconds) * epochs, price

    # ---------------------------------------------------------------- capacity

    def release(self, lease_id: int, asset: int, t: int) -> None:
        """_releaseCapacity."""
        lease = self.leases.get(lease_id)
        if lease is None or lease.asset != asset:
            raise Revert("LeaseUnknown", leaseId=lease_id)
        if lease.released:
            raise Revert("LeaseCapacityAlreadyReleased", leaseId=lease_id)
        releasable_at = self.epoch_start(lease.end)
        if t < releasable_at:
            raise Revert("LeaseCapacityInUse", leaseId=lease_id, releasableAt=releasable_at)
        lease.released = True
        self.assets[asset].booked -= lease.gpus - lease.handed

    def release_many(self, ids: list[int], t: int) -> None:
        for i in ids:
            self.release(i, self._lease(i).asset, t)

    # ---------------------------------------------------------------- lessees

    def open(
        self,
        sender: str,
        request: tuple[int, int, int, int, int, str],
        release_first: list[int],
        predecessors: list[int],
        t: int,
    ) -> int:
        asset, gpus, start_req, epochs, max_total, recipient = request
        a = self.assets[asset]
        self._open_for_business(asset)
        if gpus == 0:
            raise Revert("LeaseZeroGpus")
        earliest = self.epoch(t) + 1
        start = earliest if start_req == 0 else start_req
        if start < earliest:
            raise Revert("LeaseInvalidStart", startEpoch=start, earliest=earliest)
        if start > earliest + MAX_LEASE_EPOCHS:
            raise Revert("LeaseStartTooLate", startEpoch=start, latest=earliest + MAX_LEASE_EPOCHS)
        lease_id = self.count + 1
        for r in release_first:
            self.release(r, asset, t)
        taken = 0
        for p in predecessors:
            if taken >= gpus:
                break
            prev = self.leases.get(p)
            available = 0 if prev is None else prev.gpus - prev.handed
            if prev is None or prev.asset != asset or prev.released or prev.end > start or available == 0:
                raise Revert(
                    "LeaseInvalidPredecessor",
                    predecessorId=p,
                    endEpoch=0 if prev is None else prev.end,
                    startEpoch=start,
                )
            take = min(available, gpus - taken)
            prev.handed += take
            taken += take
        from_free = gpus - taken
        if a.booked + from_free > a.gpu_count:
            raise Revert(
                "LeaseInsufficientCapacity", assetId=asset, requested=from_free, available=a.gpu_count - a.booked
            )
        total, price = self.quote(asset, gpus, epochs, a.booked, min(a.booked + gpus, a.gpu_count))
        uptime, fee, comp, notice, min_epochs, max_epochs = a.policy
        if epochs < min_epochs or epochs > max_epochs:
            raise Revert("LeaseInvalidDuration", epochs=epochs, minEpochs=min_epochs, maxEpochs=max_epochs)
        if total > max_total:
            raise Revert("LeasePriceAboveMax", quote=total, maxTotalPrice=max_total)
        a.booked += from_free
        a.cached = True
        self.count = lease_id
        self.leases[lease_id] = LeaseM(
            lease_id, asset, gpus, start, start + epochs, start, price, uptime, fee, comp, notice, recipient,
            escrow=total, paid=total,
        )  # fmt: skip
        a.paid += total
        self._pay(a.token, sender, -total)
        return lease_id

    def extend(self, sender: str, lease_id: int, epochs: int, max_cost: int, t: int) -> int:
        lease = self._lease(lease_id)
        self._authorized(lease, sender)
        if lease.status != ACTIVE:
            raise Revert("LeaseNotRunning", leaseId=lease_id, status=lease.status)
        self._open_for_business(lease.asset)
        current = self.epoch(t)
        if lease.end <= current or lease.released:
            raise Revert("LeaseAlreadyEnded", leaseId=lease_id, endEpoch=lease.end, currentEpoch=current)
        if lease.handed:
            raise Revert("LeaseCapacityPromised", leaseId=lease_id, handedOver=lease.handed)
        a = self.assets[lease.asset]
        cost, _ = self.quote(lease.asset, lease.gpus, epochs, a.booked, a.booked)
        _, _, _, _, min_epochs, max_epochs = a.policy
        length = lease.end - lease.start
        if epochs < min_epochs or length + epochs > max_epochs:
            raise Revert(
                "LeaseInvalidDuration", epochs=epochs, minEpochs=min_epochs, maxEpochs=max(0, max_epochs - length)
            )
        if cost > max_cost:
            raise Revert("LeasePriceAboveMax", quote=cost, maxTotalPrice=max_cost)
        lease.end += epochs
        lease.escrow += cost
        lease.paid += cost
        a.paid += cost
        self._pay(a.token, sender, -cost)
        return cost

    def _shorten(self, lease: LeaseM, new_end: int, status: int) -> int:
        if new_end >= lease.end:
            raise Revert("LeaseNothingToEnd", leaseId=lease.id, endEpoch=lease.end)
        assert lease.next <= new_end
        unused = lease.escrow * (lease.end - new_end) // (lease.end - lease.next)
        lease.escrow -= unused
        lease.end = new_end
        lease.status = CLOSED if lease.next == new_end else status
        return unused

    def terminate(self, sender: str, lease_id: int, t: int) -> tuple[int, int]:
        lease = self._lease(lease_id)
        self._authorized(lease, sender)
        if lease.status not in (ACTIVE, PREEMPTED):
            raise Revert("LeaseNotRunning", leaseId=lease_id, status=lease.status)
        new_end = max(self.epoch(t) + 1, lease.start)
        unused = self._shorten(lease, new_end, TERMINATED)
        fee = unused * lease.fee_bps // BPS
        refund = unused - fee
        a = self.assets[lease.asset]
        owed = lease.claimable + refund
        lease.claimable = 0
        a.refunded += refund
        if fee:
            a.receive(fee)
        a.paid_out += owed
        self._pay(a.token, lease.owner, owed)
        return refund, fee

    def claim(self, sender: str, lease_id: int) -> int:
        lease = self._lease(lease_id)
        self._authorized(lease, sender)
        amount = lease.claimable
        if amount == 0:
            raise Revert("LeaseNothingToClaim", leaseId=lease_id)
        lease.claimable = 0
        a = self.assets[lease.asset]
        a.paid_out += amount
        self._pay(a.token, lease.owner, amount)
        return amount

    # ---------------------------------------------------------------- anyone

    def settle(self, lease_id: int, max_epochs: int, t: int, strict: bool = True) -> int:
        lease = self._lease(lease_id)
        if lease.status == CLOSED:
            if strict:
                raise Revert("LeaseNotRunning", leaseId=lease_id, status=CLOSED)
            return 0
        epoch, end = lease.next, lease.end
        limit = end if end - epoch < max_epochs else epoch + max_epochs
        escrow, released, credited, ready_at = lease.escrow, 0, 0, 0
        charged = 0
        while epoch < limit:
            ready_at, uptime, _ = self.measured(lease.asset, epoch, t)
            if ready_at != READY:
                break
            charge = escrow // (end - epoch)
            credit = sla_credit(charge, uptime, lease.target)
            credited += credit
            charged += charge
            escrow -= charge
            released += charge - credit
            epoch += 1
        settled = epoch - lease.next
        if settled == 0:
            if strict:
                raise Revert("LeaseNothingToSettle", leaseId=lease_id, epoch=epoch, readyAt=ready_at)
            return 0
        lease.next, lease.escrow = epoch, escrow
        lease.charged += charged
        lease.credited += credited
        lease.claimable += credited
        a = self.assets[lease.asset]
        a.credited += credited
        if epoch == end:
            lease.status = CLOSED
            if not lease.released:
                self.release(lease_id, lease.asset, t)
        if released:
            a.receive(released)
        return settled

    def settle_many(self, ids: list[int], max_each: int, t: int) -> list[int]:
        return [self.settle(i, max_each, t, strict=False) for i in ids]

    # ---------------------------------------------------------------- operators

    def preempt(self, sender: str, lease_id: int, effective: int, t: int) -> tuple[int, int]:
        lease = self._lease(lease_id)
        a = self.assets[lease.asset]
        self._operator(a, sender)
        if lease.status != ACTIVE:
            raise Revert("LeaseNotRunning", leaseId=lease_id, status=lease.status)
        earliest = self.epoch(t) + 1 + lease.notice
        if effective < earliest:
            raise Revert("LeaseNoticeTooShort", leaseId=lease_id, effectiveEpoch=effective, earliest=earliest)
        refund = self._shorten(lease, max(effective, lease.start), PREEMPTED)
        compensation = refund * lease.comp_bps // BPS
        lease.claimable += refund + compensation
        a.refunded += refund
        a.compensation += compensation
        self._pay(a.token, sender, -compensation)
        return refund, compensation

    # ---------------------------------------------------------------- capacity views

    def booked_by_leases(self, asset: int) -> int:
        return sum(x.gpus - x.handed for x in self.leases.values() if x.asset == asset and not x.released)

    def peak_use(self, asset: int, first: int, last: int) -> tuple[int, int]:
        """The most GPUs leases of the asset cover in one epoch of [first, last], and that epoch."""
        use = [0] * (last - first + 1)
        for x in self.leases.values():
            if x.asset != asset:
                continue
            for e in range(max(x.start, first), min(x.end, last + 1)):
                use[e - first] += x.gpus
        peak = max(use)
        return peak, first + use.index(peak)


# ------------------------------------------------------------------ JSON-RPC


def _checksummed(value: Any) -> Any:
    """Decoded ABI values with addresses checksummed (eth-abi gives them in lower case)."""
    if isinstance(value, tuple | list):
        return type(value)(_checksummed(v) for v in value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    return value


@dataclass
class Tx:
    status: int
    timestamp: int
    block: int
    events: list[tuple[str, str, dict[str, Any]]]  # (contract address, event name, arguments)
    error: tuple[str, dict[str, Any]] | None  # the custom error of a reverted transaction


class Chain(BatchRpc):
    """Raw JSON-RPC against the local node over one keep-alive connection: calls (batched),
    transactions with a fixed gas limit (no estimate: a reverting one is mined too), their
    events decoded, and a reverted one's custom error read back from the node's trace."""

    def __init__(self, w3: Web3, *contracts: Any, gas: int = 25_000_000) -> None:
        super().__init__(w3, timeout=120)
        self.gas = gas
        self.functions: dict[tuple[str, str], tuple[bytes, list[str], list[str]]] = {}
        self.events: dict[bytes, tuple[str, list[dict[str, Any]]]] = {}
        for c in contracts:
            self.add(c)

    def add(self, contract: Any) -> None:
        for item in contract.abi:
            if item.get("type") == "function":
                self.functions[(contract.address, item["name"])] = (
                    function_abi_to_4byte_selector(item),
                    get_abi_input_types(item),
                    get_abi_output_types(item),
                )
            elif item.get("type") == "event":
                self.events[event_abi_to_log_topic(item)] = (item["name"], item["inputs"])

    def now(self) -> int:
        return int(self.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def warp_to(self, timestamp: int) -> int:
        """The next block at exactly `timestamp` (mined empty); returns it."""
        self.rpc("evm_setNextBlockTimestamp", [timestamp])
        self.rpc("evm_mine", [])
        now = self.now()
        assert now == timestamp, (now, timestamp)
        return now

    def data(self, contract: Any, name: str, args: tuple[Any, ...]) -> str:
        selector, inputs, _ = self.functions[(contract.address, name)]
        return "0x" + (selector + abi_encode(inputs, list(args))).hex()

    def _decode(self, contract: Any, name: str, response: dict[str, Any]) -> Any:
        if "error" in response:
            data = response["error"].get("data") or "0x"
            return ("revert", *decode_error(bytes.fromhex(data.removeprefix("0x"))))
        _, _, outputs = self.functions[(contract.address, name)]
        values = _checksummed(abi_decode(outputs, bytes.fromhex(response["result"].removeprefix("0x"))))
        return values[0] if len(values) == 1 else values

    def calls(self, calls: list[tuple[Any, str, tuple[Any, ...]]]) -> list[Any]:
        queries = [("eth_call", [{"to": c.address, "data": self.data(c, n, a)}, "latest"]) for c, n, a in calls]
        answers = self.post(queries) if queries else []
        return [self._decode(c, n, r) for (c, n, _), r in zip(calls, answers, strict=True)]

    def call(self, contract: Any, name: str, *args: Any) -> Any:
        (result,) = self.calls([(contract, name, args)])
        return result

    def decode_log(self, log: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
        topics = [bytes.fromhex(t.removeprefix("0x")) for t in log["topics"]]
        if not topics or topics[0] not in self.events:
            return None
        name, inputs = self.events[topics[0]]
        indexed = [i for i in inputs if i.get("indexed")]
        plain = [i for i in inputs if not i.get("indexed")]
        if len(indexed) != len(topics) - 1:
            return None  # same signature, other indexing (not one of ours)
        values: dict[str, Any] = {}
        for item, topic in zip(indexed, topics[1:], strict=True):
            (values[item["name"]],) = abi_decode([item["type"]], topic)
        decoded = abi_decode([i["type"] for i in plain], bytes.fromhex(log["data"].removeprefix("0x")))
        values.update({i["name"]: v for i, v in zip(plain, decoded, strict=True)})
        values = {k: _checksummed(v) for k, v in values.items()}
        return to_checksum_address(log["address"]), name, values

    def send(self, sender: str, contract: Any, name: str, *args: Any) -> Tx:
        tx = {"from": sender, "to": contract.address, "data": self.data(contract, name, args), "gas": hex(self.gas)}
        tx_hash = self.rpc("eth_sendTransaction", [tx])
        deadline = time.monotonic() + 60
        while (receipt := self.rpc("eth_getTransactionReceipt", [tx_hash])) is None:
            assert time.monotonic() < deadline, f"{name}: transaction {tx_hash} not mined"
            time.sleep(0.002)
        status = int(receipt["status"], 16)
        error = None
        if status == 0:
            trace = self.rpc(
                "debug_traceTransaction",
                [tx_hash, {"disableStorage": True, "disableStack": True, "disableMemory": True}],
            )
            error = decode_error(bytes.fromhex(trace["returnValue"].removeprefix("0x")))
        events = [e for e in (self.decode_log(log) for log in receipt["logs"]) if e is not None]
        stamp = receipt.get("blockTimestamp")
        if not isinstance(stamp, str):
            stamp = self.rpc("eth_getBlockByNumber", [receipt["blockNumber"], False])["timestamp"]
        return Tx(status, int(stamp, 16), int(receipt["blockNumber"], 16), events, error)

    def logs(self, addresses: list[str], from_block: int) -> list[tuple[str, str, dict[str, Any]]]:
        raw = self.rpc("eth_getLogs", [{"fromBlock": hex(from_block), "toBlock": "latest", "address": addresses}])
        return [e for e in (self.decode_log(log) for log in raw) if e is not None]
