"""Typed values of the lease contracts (LeaseManager, LeaseTerms, LeasePositions), their ABI
encodings, and token-amount formatting. Amounts are ints in payment-token units throughout."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum, IntEnum
from typing import Any, NamedTuple

from eth_typing import ChecksumAddress

from compute_rwa.errors import InvalidInputError

BPS = 10_000


class LeaseStatus(IntEnum):
    """Mirror of the Solidity enum LeaseStatus."""

    NONE = 0
    ACTIVE = 1
    TERMINATED = 2
    PREEMPTED = 3
    CLOSED = 4


class ReportStatus(IntEnum):
    """Mirror of the Solidity enum ReportStatus (`MetricsOracle.reportStatus`)."""

    MISSING = 0
    VOIDED = 1
    DISPUTABLE = 2
    CHALLENGED = 3
    FINAL = 4


class ReadinessReason(str, Enum):
    """Why a lease's next epoch can or cannot be settled now (the contract's settlement rule)."""

    READY = "ready"
    #: The epoch has not ended yet (or the lease has not started).
    NOT_ENDED = "not ended"
    #: A report was accepted in time but its dispute window is still open.
    REPORT_DISPUTABLE = "report disputable"
    #: The report is under an open challenge: it waits for the arbiter (no time is known).
    REPORT_CHALLENGED = "report challenged"
    #: No usable report (missing, voided or late) and the report grace has not passed yet.
    AWAITING_REPORT = "awaiting report within grace"
    #: Every epoch is settled.
    CLOSED = "closed"


@dataclass(frozen=True)
class LeasePricing:
    """An asset's price list (ILeaseTerms.LeasePricing)."""

    base_price_per_gpu_hour: int
    dynamic: bool = False
    target_utilization_bps: int = 8_000
    max_premium_bps: int = 0

    def to_abi(self) -> tuple[int, bool, int, int]:
        return (self.base_price_per_gpu_hour, self.dynamic, self.target_utilization_bps, self.max_premium_bps)

    @classmethod
    def from_abi(cls, raw: Sequence[Any]) -> LeasePricing:
        return cls(int(raw[0]), bool(raw[1]), int(raw[2]), int(raw[3]))

    def price_at(self, booked: int, gpu_count: int) -> int:
        """Point price per GPU-hour at `booked` of `gpu_count` GPUs (LeaseMath.meanPrice with
        booked0 == booked1), for display; quotes come from the chain."""
        if not self.dynamic or self.max_premium_bps == 0 or gpu_count == 0:
            return self.base_price_per_gpu_hour
        kink = self.target_utilization_bps * gpu_count
        span = BPS * gpu_count - kink
        above = max(0, booked * BPS - kink)
        if span == 0 or above == 0:
            return self.base_price_per_gpu_hour
        return self.base_price_per_gpu_hour + -(
            -self.base_price_per_gpu_hour * self.max_premium_bps * above // (BPS * span)
        )


@dataclass(frozen=True)
class LeasePolicy:
    """An asset's lease policy (ILeaseTerms.LeasePolicy), copied into each lease it opens."""

    uptime_target_bps: int = 9_900
    termination_fee_bps: int = 1_000
    compensation_bps: int = 1_000
    notice_epochs: int = 24
    min_epochs: int = 1
    max_epochs: int = 8_760

    def to_abi(self) -> tuple[int, int, int, int, int, int]:
        return (
            self.uptime_target_bps,
            self.termination_fee_bps,
            self.compensation_bps,
            self.notice_epochs,
            self.min_epochs,
            self.max_epochs,
        )

    @classmethod
    def from_abi(cls, raw: Sequence[Any]) -> LeasePolicy:
        return cls(*(int(x) for x in raw[:6]))


@dataclass(frozen=True)
class Quote:
    """What a lease of `gpus` GPUs for `epochs` epochs costs now (LeaseManager.quote)."""

    asset_id: int
    gpus: int
    epochs: int
    total: int
    price_per_gpu_hour: int

    @property
    def epoch_charge(self) -> int:
        """Charge of one epoch: total = epochs x floor(gpus x price x epochSeconds / 3600)."""
        return self.total // self.epochs

    def max_total(self, slippage_bps: int) -> int:
        """The quote plus `slippage_bps` of it (rounded up): a `maxTotalPrice` for `open`."""
        if slippage_bps < 0:
            raise InvalidInputError("quote", "slippage_bps", f"must not be negative: {slippage_bps}")
        return self.total + -(-self.total * slippage_bps // BPS)


class Capacity(NamedTuple):
    """Booked and total GPUs of an asset."""

    booked: int
    gpu_count: int

    @property
    def free(self) -> int:
        return max(0, self.gpu_count - self.booked)


@dataclass(frozen=True)
class Lease:
    """A lease position's terms and state (ILeaseManager.LeaseView) with its id and owner."""

    lease_id: int
    owner: ChecksumAddress
    asset_id: int
    gpus: int
    start_epoch: int
    end_epoch: int
    next_epoch: int
    price_per_gpu_hour: int
    uptime_target_bps: int
    termination_fee_bps: int
    compensation_bps: int
    notice_epochs: int
    status: LeaseStatus
    capacity_released: bool
    handed_over: int
    escrow: int
    claimable: int

    @classmethod
    def from_abi(cls, lease_id: int, owner: ChecksumAddress, raw: Sequence[Any]) -> Lease:
        v = [int(x) for x in raw]
        return cls(
            lease_id=lease_id,
            owner=owner,
            asset_id=v[0],
            gpus=v[1],
            start_epoch=v[2],
            end_epoch=v[3],
            next_epoch=v[4],
            price_per_gpu_hour=v[5],
            uptime_target_bps=v[6],
            termination_fee_bps=v[7],
            compensation_bps=v[8],
            notice_epochs=v[9],
            status=LeaseStatus(v[10]),
            capacity_released=bool(raw[11]),
            handed_over=v[12],
            escrow=v[13],
            claimable=v[14],
        )

    @property
    def epochs(self) -> int:
        """Length in epochs (as shortened by termination or preemption)."""
        return self.end_epoch - self.start_epoch

    @property
    def unsettled_epochs(self) -> int:
        return self.end_epoch - self.next_epoch

    @property
    def running(self) -> bool:
        """Not closed: epochs remain to settle."""
        return self.status in (LeaseStatus.ACTIVE, LeaseStatus.TERMINATED, LeaseStatus.PREEMPTED)

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["status"] = self.status.name.lower()
        return data


@dataclass(frozen=True)
class SlaCredit:
    """An epoch that delivered less than the SLA (the `SlaCredit` event)."""

    lease_id: int
    epoch: int
    uptime_bps: int
    #: False under the no-report rule (no usable report: counted fully down).
    reported: bool
    credit: int


@dataclass(frozen=True)
class SettleResult:
    """What one settlement did to one lease (`LeaseSettled`, `SlaCredit`, `LeaseClosed` events)."""

    lease_id: int
    from_epoch: int
    to_epoch: int
    released: int
    credited: int
    credits: tuple[SlaCredit, ...]
    closed: bool
    tx_hash: str

    @property
    def settled_epochs(self) -> int:
        return self.to_epoch - self.from_epoch

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["settled_epochs"] = self.settled_epochs
        data["credits"] = [c.__dict__ for c in self.credits]
        return data


@dataclass(frozen=True)
class Readiness:
    """Whether a lease's next epoch can be settled, and if not why and from when.

    Computed from the oracle's `reportStatus` exactly as `LeaseManager` decides, at the time
    `now` (the latest block's timestamp unless given)."""

    lease_id: int
    status: LeaseStatus
    next_epoch: int
    end_epoch: int
    can_settle: bool
    reason: ReadinessReason
    #: From when the next epoch may be settled: `now` when it can be now; None while a challenge
    #: waits for the arbiter or when the lease is closed. For a not-ended epoch this is its end,
    #: a lower bound: the report then still needs its dispute window (or the grace to pass).
    ready_at: int | None
    #: The oracle's status of the next epoch's report (None when not asked: not ended, closed).
    report_status: ReportStatus | None
    #: Consecutive epochs from `next_epoch` that can be settled now (scanned up to a limit).
    ready_epochs: int
    now: int

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["status"] = self.status.name.lower()
        data["reason"] = self.reason.value
        data["report_status"] = None if self.report_status is None else self.report_status.name.lower()
        return data


@dataclass(frozen=True)
class OpenResult:
    """A lease opened (`LeaseOpened`)."""

    lease_id: int
    asset_id: int
    recipient: ChecksumAddress
    gpus: int
    start_epoch: int
    end_epoch: int
    price_per_gpu_hour: int
    total: int
    tx_hash: str


@dataclass(frozen=True)
class ExtendResult:
    """A lease extended (`LeaseExtended`)."""

    lease_id: int
    epochs: int
    end_epoch: int
    price_per_gpu_hour: int
    cost: int
    tx_hash: str


@dataclass(frozen=True)
class TerminateResult:
    """A lease ended early by its owner (`LeaseTerminated`, `LeaseClaimed`)."""

    lease_id: int
    end_epoch: int
    refund: int
    fee: int
    #: Paid to the owner in the same call: the refund plus anything already claimable.
    paid: int
    tx_hash: str


@dataclass(frozen=True)
class PreemptResult:
    """A lease preempted by the operator (`LeasePreempted`); refund and compensation are
    claimable by the position."""

    lease_id: int
    end_epoch: int
    refund: int
    compensation: int
    tx_hash: str


@dataclass(frozen=True)
class TokenInfo:
    """An ERC-20 payment token: address, symbol and decimals."""

    address: ChecksumAddress
    symbol: str
    decimals: int

    def format(self, amount: int, with_symbol: bool = True) -> str:
        text = format_units(amount, self.decimals)
        return f"{text} {self.symbol}" if with_symbol else text

    def parse(self, text: str, field: str = "amount") -> int:
        return parse_units(text, self.decimals, field)


def format_units(amount: int, decimals: int) -> str:
    """`amount` token units as a decimal string without trailing zeros: 2_500_000, 6 -> "2.5"."""
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**decimals)
    if decimals == 0 or frac == 0:
        return f"{sign}{whole:,}"
    digits = str(frac).rjust(decimals, "0").rstrip("0")
    return f"{sign}{whole:,}.{digits}"


#: The largest token amount there is (an ERC-20 balance is a uint256).
UINT256_MAX = (1 << 256) - 1


def parse_decimal(text: str, field: str = "amount", source: str = "amount") -> Decimal:
    """`text` ("2.5", "1,000", "1_000", "1e3") as a finite, non-negative Decimal below 10^78
    (no uint256 amount is larger in any unit); ASCII digits only."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        if not cleaned.isascii():  # Decimal would take other scripts' digits ("١٢")
            raise InvalidOperation
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidInputError(source, field, f"not a number: {text!r:.80}") from None
    if not value.is_finite() or value < 0:
        raise InvalidInputError(source, field, f"must be a non-negative number: {text!r:.80}")
    if not value.is_zero() and value.adjusted() >= 78:
        raise InvalidInputError(source, field, f"too large: {text!r:.80}")
    return value


def decimal_to_units(
    value: Decimal, decimals: int, field: str = "amount", source: str = "amount", shown: str | None = None
) -> int:
    """`value` x 10^`decimals` exactly, as an integer up to UINT256_MAX: more fractional digits
    than `decimals`, or a result above uint256, is refused (never rounded, never clipped).
    `shown` is how messages quote the value (default: the Decimal)."""
    shown = str(value) if shown is None else shown
    if not value.is_finite() or value < 0:
        raise InvalidInputError(source, field, f"must be a non-negative number: {shown}")
    if value.is_zero():
        return 0
    if value.adjusted() + decimals >= 78:  # at least 10^78 > 2^256
        raise InvalidInputError(source, field, f"too large: {shown} (above uint256 in units of 10^-{decimals})")
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    shift = exponent + decimals
    if shift >= 0:
        units: int = int("".join(map(str, digits))) * 10**shift
    else:  # at most 78 digits are kept (checked above); the dropped ones must all be zero
        kept, dropped = digits[:shift], digits[shift:]
        if any(dropped):
            raise InvalidInputError(source, field, f"{shown} has more than {decimals} decimal places")
        units = int("".join(map(str, kept)) or "0")
    if units > UINT256_MAX:
        raise InvalidInputError(source, field, f"too large: {shown} (above uint256 in units of 10^-{decimals})")
    return units


def parse_units(text: str, decimals: int, field: str = "amount") -> int:
    """A decimal amount in whole tokens ("2.5", "1,000") as token units, exactly; refuses
    negative amounts, more fractional digits than the token has, and amounts above uint256."""
    return decimal_to_units(parse_decimal(text, field), decimals, field, shown=f"{text!r:.80}")
