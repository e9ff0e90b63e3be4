"""Typed values of the lending contracts (LendingMarket, MarketFactory, ShareValuator), the
contract's fixed-point arithmetic replicated exactly, and the liquidation planner.

Amounts are ints in token units throughout: loan amounts in the loan token's units, collateral
in share units (18 decimals), prices as the market oracle answers them (`IOracle.price()`:
collateral units x price / 1e36 = loan units), rates per second in WAD."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum, IntEnum
from typing import Any

from eth_typing import ChecksumAddress

from compute_rwa.errors import ComputeRwaError, InvalidInputError
from compute_rwa.lease.models import TokenInfo, decimal_to_units

WAD = 10**18
#: Morpho's scale of `IOracle.price()`.
ORACLE_PRICE_SCALE = 10**36
#: Virtual debt shares and assets of LendingMath (Morpho's SharesMathLib).
VIRTUAL_SHARES = 10**6
VIRTUAL_ASSETS = 1
BPS = 10_000
YEAR = 365 * 24 * 3600
#: healthFactor of a position without debt.
MAX_UINT256 = 2**256 - 1
#: Health buffer a planned liquidation leaves (1%): interest accrues between planning and the
#: block that executes it, and the planner targets debt <= 99% of the limit.
DEFAULT_LIQUIDATION_MARGIN_BPS = 100


# --------------------------------------------------------------------- LendingMath, exactly


def mul_div_down(x: int, y: int, d: int) -> int:
    return x * y // d


def mul_div_up(x: int, y: int, d: int) -> int:
    return -(-x * y // d)


def to_shares_down(assets: int, total_assets: int, total_shares: int) -> int:
    return mul_div_down(assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS)


def to_shares_up(assets: int, total_assets: int, total_shares: int) -> int:
    return mul_div_up(assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS)


def to_assets_down(shares: int, total_assets: int, total_shares: int) -> int:
    return mul_div_down(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES)


def to_assets_up(shares: int, total_assets: int, total_shares: int) -> int:
    return mul_div_up(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES)


def max_debt_of(collateral: int, price: int, lltv: int) -> int:
    """Collateral value x LLTV, both rounded down (LendingMarket._maxDebt)."""
    return mul_div_down(collateral, price, ORACLE_PRICE_SCALE) * lltv // WAD


def liquidation_incentive(lltv: int, cursor: int = 3 * WAD // 10, max_factor: int = 115 * WAD // 100) -> int:
    """Morpho's incentive factor: min(1.15, 1 / (1 - 0.3 x (1 - lltv))), in WAD."""
    factor = WAD * WAD // (WAD - cursor * (WAD - lltv) // WAD)
    return min(factor, max_factor)


# --------------------------------------------------------------------- market configuration


@dataclass(frozen=True)
class RateModel:
    """A kinked borrow-rate curve (LendingMath.RateModel): rates per second in WAD, kink a WAD
    utilization."""

    base_rate: int
    slope1: int
    slope2: int
    kink: int

    @classmethod
    def from_annual_bps(cls, base_bps: int, slope1_bps: int, slope2_bps: int, kink_bps: int) -> RateModel:
        """From yearly rates in basis points (4% = 400) and the kink in basis points of utilization."""
        for field, value in (
            ("base_bps", base_bps),
            ("slope1_bps", slope1_bps),
            ("slope2_bps", slope2_bps),
            ("kink_bps", kink_bps),
        ):
            if value < 0:
                raise InvalidInputError("RateModel", field, f"must not be negative: {value}")
        if not 0 < kink_bps < BPS:
            raise InvalidInputError("RateModel", "kink_bps", f"must be between 1 and 9,999: {kink_bps}")
        per_second = [bps * WAD // BPS // YEAR for bps in (base_bps, slope1_bps, slope2_bps)]
        return cls(per_second[0], per_second[1], per_second[2], kink_bps * WAD // BPS)

    def to_abi(self) -> tuple[int, int, int, int]:
        return (self.base_rate, self.slope1, self.slope2, self.kink)

    @classmethod
    def from_abi(cls, raw: Sequence[Any]) -> RateModel:
        return cls(int(raw[0]), int(raw[1]), int(raw[2]), int(raw[3]))

    def rate(self, utilization: int) -> int:
        """Per-second rate at `utilization` (WAD), as LendingMath.borrowRate."""
        if utilization <= self.kink:
            return self.base_rate + self.slope1 * utilization // self.kink
        return self.base_rate + self.slope1 + self.slope2 * (utilization - self.kink) // (WAD - self.kink)

    def annual_bps(self) -> tuple[int, int, int, int]:
        """(base, slope1, slope2, kink) in basis points a year, rounded to the nearest."""
        return (
            round(self.base_rate * YEAR * BPS / WAD),
            round(self.slope1 * YEAR * BPS / WAD),
            round(self.slope2 * YEAR * BPS / WAD),
            round(self.kink * BPS / WAD),
        )


@dataclass(frozen=True)
class MarketConfig:
    """What defines an isolated market (ILendingMarket.MarketConfig), fixed at creation."""

    share_token: ChecksumAddress
    loan_token: ChecksumAddress
    oracle: ChecksumAddress
    #: Liquidation loan-to-value in WAD (0.8e18 = 80%).
    lltv: int
    rate_model: RateModel
    #: Smallest debt a position may carry, loan-token units.
    min_borrow: int

    def to_abi(self) -> tuple[str, str, str, int, tuple[int, int, int, int], int]:
        return (self.share_token, self.loan_token, self.oracle, self.lltv, self.rate_model.to_abi(), self.min_borrow)

    @classmethod
    def from_abi(cls, raw: Sequence[Any]) -> MarketConfig:
        return cls(raw[0], raw[1], raw[2], int(raw[3]), RateModel.from_abi(raw[4]), int(raw[5]))

    @property
    def lltv_bps(self) -> int:
        return self.lltv * BPS // WAD

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["rate_model"] = dict(self.rate_model.__dict__)
        return data


@dataclass(frozen=True)
class CreatedMarket:
    """A market created by the factory (`MarketCreated`)."""

    market: ChecksumAddress
    share_token: ChecksumAddress
    loan_token: ChecksumAddress
    oracle: ChecksumAddress
    lltv: int
    min_borrow: int
    creator: ChecksumAddress
    tx_hash: str


@dataclass(frozen=True)
class MarketInfo:
    """A market's configuration and state now (interest accrued to the latest block)."""

    address: ChecksumAddress
    name: str
    symbol: str
    config: MarketConfig
    #: The collateral: the GPU asset's share token, and the asset's id.
    collateral_token: TokenInfo
    asset_id: int
    loan_token: TokenInfo
    #: Collateral paid per unit of repaid value in a liquidation (WAD; 1.0638e18 at LLTV 80%).
    liquidation_incentive: int
    total_supply_assets: int
    total_borrow_assets: int
    total_borrow_shares: int
    #: Lenders' vault shares in circulation (ERC-4626 totalSupply).
    vault_shares: int
    liquidity: int
    #: Borrow rate per second (WAD) and utilization (WAD).
    borrow_rate: int
    utilization: int
    #: The oracle's price now, or None with the reason when it refuses to answer.
    price: int | None
    price_error: str | None

    @property
    def lltv(self) -> int:
        return self.config.lltv

    @property
    def min_borrow(self) -> int:
        return self.config.min_borrow

    @property
    def borrow_apr_bps(self) -> int:
        """Borrow rate now, simple yearly, in basis points."""
        return self.borrow_rate * YEAR * BPS // WAD

    @property
    def supply_apr_bps(self) -> int:
        """What lenders earn now, simple yearly: the borrow rate times utilization."""
        return self.borrow_rate * self.utilization // WAD * YEAR * BPS // WAD

    @property
    def share_price(self) -> int | None:
        """Price of one whole share (10**collateral decimals units) in loan-token units."""
        if self.price is None:
            return None
        unit: int = 10**self.collateral_token.decimals
        return self.price * unit // ORACLE_PRICE_SCALE

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "name": self.name,
            "symbol": self.symbol,
            "asset_id": self.asset_id,
            "config": self.config.to_json(),
            "collateral_token": _token_json(self.collateral_token),
            "loan_token": _token_json(self.loan_token),
            "liquidation_incentive": self.liquidation_incentive,
            "total_supply_assets": self.total_supply_assets,
            "total_borrow_assets": self.total_borrow_assets,
            "total_borrow_shares": self.total_borrow_shares,
            "vault_shares": self.vault_shares,
            "liquidity": self.liquidity,
            "borrow_rate": self.borrow_rate,
            "utilization": self.utilization,
            "borrow_apr_bps": self.borrow_apr_bps,
            "supply_apr_bps": self.supply_apr_bps,
            "price": self.price,
            "share_price": self.share_price,
            "price_error": self.price_error,
        }


def _token_json(token: TokenInfo) -> dict[str, Any]:
    return {"address": token.address, "symbol": token.symbol, "decimals": token.decimals}


@dataclass(frozen=True)
class MarketPosition:
    """One borrower's position now: collateral (share units), debt (loan units, interest accrued,
    rounded up), the debt limit at the oracle's price and the health factor (limit / debt, WAD).

    `max_debt` and `health_factor` are None when the oracle refuses to answer; `health_factor` is
    2**256 - 1 for a position without debt (the contract's answer)."""

    market: ChecksumAddress
    borrower: ChecksumAddress
    collateral: int
    borrow_shares: int
    debt: int
    max_debt: int | None
    health_factor: int | None
    #: Revenue the posted collateral earned, not yet claimed or applied (payment-token units).
    earned_revenue: int
    auto_repay: bool

    @property
    def liquidatable(self) -> bool:
        """Debt above the limit (healthFactor < 1e18): anyone may liquidate."""
        return self.max_debt is not None and self.debt > self.max_debt

    @property
    def has_debt(self) -> bool:
        return self.borrow_shares != 0

    @property
    def empty(self) -> bool:
        return self.collateral == 0 and self.borrow_shares == 0 and self.earned_revenue == 0

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        # JSON readers take 2**256 - 1 badly: no debt reads as null, with `liquidatable` beside it.
        data["health_factor"] = None if self.health_factor in (None, MAX_UINT256) else self.health_factor
        data["liquidatable"] = self.liquidatable
        data["price_known"] = self.max_debt is not None
        return data


@dataclass(frozen=True)
class LenderPosition:
    """A lender's vault shares, what they are worth, and what can be withdrawn now."""

    market: ChecksumAddress
    owner: ChecksumAddress
    shares: int
    assets: int
    max_withdraw: int
    max_redeem: int


# --------------------------------------------------------------------- transaction results


@dataclass(frozen=True)
class VaultResult:
    """A lender's deposit, withdrawal or redemption (ERC-4626 `Deposit` / `Withdraw`)."""

    action: str
    owner: ChecksumAddress
    receiver: ChecksumAddress
    assets: int
    shares: int
    tx_hash: str


@dataclass(frozen=True)
class CollateralResult:
    """Collateral posted (`CollateralSupplied`) or taken back (`CollateralWithdrawn`)."""

    action: str
    borrower: ChecksumAddress
    assets: int
    tx_hash: str


@dataclass(frozen=True)
class BorrowResult:
    """A loan (`Borrowed`)."""

    borrower: ChecksumAddress
    receiver: ChecksumAddress
    assets: int
    shares: int
    tx_hash: str


@dataclass(frozen=True)
class RepayResult:
    """A repayment (`Repaid`)."""

    payer: ChecksumAddress
    borrower: ChecksumAddress
    assets: int
    shares: int
    tx_hash: str


@dataclass(frozen=True)
class RevenueResult:
    """Revenue on posted collateral claimed (`RevenueClaimed`) or applied to debt (`harvest`:
    `RevenueRepaid`)."""

    action: str
    borrower: ChecksumAddress
    amount: int
    tx_hash: str


# --------------------------------------------------------------------- valuation


class ValuationStatus(IntEnum):
    """Mirror of the Solidity enum ValuationStatus."""

    NONE = 0
    OK = 1
    HISTORY_TOO_SHORT = 2
    NO_METRICS = 3
    METRICS_STALE = 4
    ZERO = 5
    OUT_OF_BOUNDS = 6

    @property
    def label(self) -> str:
        """ "ok", "history too short", … ("not valued" for NONE)."""
        return "not valued" if self is ValuationStatus.NONE else self.name.lower().replace("_", " ")


_DAY = Decimal(86_400)
_HOUR = Decimal(3_600)
_YEAR = Decimal(YEAR)


@dataclass(frozen=True)
class ValuationConfig:
    """An asset's valuation parameters in human units (IShareValuator.ValuationConfig):
    amounts in whole payment tokens per whole share, durations in years, days or hours,
    rates in percent. `to_abi(decimals)` scales them for the chain and refuses what the
    contract would refuse, naming the field."""

    #: Hardware value of one share when bought (whole payment tokens).
    purchase_value: Decimal
    #: When the hardware was bought (unix seconds); depreciation starts there.
    purchased_at: int
    useful_life_years: Decimal = Decimal(4)
    #: Value left at the end of the useful life, percent of the purchase value.
    salvage_pct: Decimal = Decimal(10)
    #: Yearly capitalization rate of income, percent: income value = yearly income / rate.
    cap_rate_pct: Decimal = Decimal(20)
    #: Oracle epochs of trailing utilization.
    utilization_window_epochs: int = 24
    revenue_window_days: Decimal = Decimal(7)
    max_metrics_age_hours: Decimal = Decimal(6)
    max_price_age_hours: Decimal = Decimal(24)
    #: Lowest acceptable price per share (whole tokens); None: one smallest unit.
    min_price: Decimal | None = None
    max_price: Decimal = Decimal(1_000_000)

    def to_abi(self, decimals: int) -> tuple[int, int, int, int, int, int, int, int, int, int, int]:
        """The struct's fields in order, in token units and seconds."""
        purchase = _units(self.purchase_value, decimals, "purchase_value")
        if purchase == 0:
            _bad("purchase_value", "must be above zero")
        if self.purchased_at < 0:
            _bad("purchased_at", f"must be a unix time: {self.purchased_at}")
        life = _seconds(self.useful_life_years, _YEAR, "useful_life_years")
        if not 0 < life <= 20 * YEAR:
            _bad("useful_life_years", f"must be above 0 and at most 20: {self.useful_life_years}")
        salvage = _bps(self.salvage_pct, "salvage_pct")
        cap_rate = _bps(self.cap_rate_pct, "cap_rate_pct")
        if cap_rate == 0:
            _bad("cap_rate_pct", "must be above zero")
        if not 0 < self.utilization_window_epochs < 2**16:
            _bad("utilization_window_epochs", f"must be at least 1: {self.utilization_window_epochs}")
        window = _seconds(self.revenue_window_days, _DAY, "revenue_window_days")
        if not 8 <= window <= YEAR:
            _bad("revenue_window_days", f"must be between 8 seconds and 365 days: {self.revenue_window_days}")
        metrics_age = _seconds(self.max_metrics_age_hours, _HOUR, "max_metrics_age_hours")
        price_age = _seconds(self.max_price_age_hours, _HOUR, "max_price_age_hours")
        for field, value in (("max_metrics_age_hours", metrics_age), ("max_price_age_hours", price_age)):
            if not 0 < value < 2**40:
                _bad(field, "must be above zero")
        low = 1 if self.min_price is None else _units(self.min_price, decimals, "min_price")
        if low == 0:
            _bad("min_price", "must be at least one token unit")
        high = _units(self.max_price, decimals, "max_price")
        if high < low:
            _bad("max_price", f"must not be below min_price: {self.max_price}")
        for field, value in (("purchase_value", purchase), ("min_price", low), ("max_price", high)):
            if value >= 2**128:
                _bad(field, "too large")
        return (purchase, self.purchased_at, life, salvage, cap_rate, self.utilization_window_epochs, window,
                metrics_age, price_age, low, high)  # fmt: skip

    @classmethod
    def from_abi(cls, raw: Sequence[Any], decimals: int) -> ValuationConfig:
        v = [int(x) for x in raw]
        unit = Decimal(10) ** decimals
        return cls(
            purchase_value=_normal(Decimal(v[0]) / unit),
            purchased_at=v[1],
            useful_life_years=_normal(Decimal(v[2]) / _YEAR),
            salvage_pct=_normal(Decimal(v[3]) / 100),
            cap_rate_pct=_normal(Decimal(v[4]) / 100),
            utilization_window_epochs=v[5],
            revenue_window_days=_normal(Decimal(v[6]) / _DAY),
            max_metrics_age_hours=_normal(Decimal(v[7]) / _HOUR),
            max_price_age_hours=_normal(Decimal(v[8]) / _HOUR),
            min_price=_normal(Decimal(v[9]) / unit),
            max_price=_normal(Decimal(v[10]) / unit),
        )

    def to_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.__dict__.items()}


def _bad(field: str, problem: str) -> None:
    raise InvalidInputError("ValuationConfig", field, problem)


def _units(value: Decimal, decimals: int, field: str) -> int:
    # Exact (Decimal.scaleb would round to 28 digits) and bounded: a huge value is refused, not
    # an Overflow.
    return decimal_to_units(value, decimals, field, source="ValuationConfig")


def _seconds(value: Decimal, unit: Decimal, field: str) -> int:
    if not value.is_finite() or value < 0:
        _bad(field, f"must be a non-negative number: {value}")
    if not value.is_zero() and value.adjusted() > 12:  # a million million years or days or hours
        _bad(field, f"too large: {value}")
    return int((value * unit).to_integral_value())


def _bps(percent: Decimal, field: str) -> int:
    if not percent.is_finite() or not 0 <= percent <= 100:
        _bad(field, f"must be a percentage from 0 to 100: {percent}")
    bps = percent * 100
    if bps != bps.to_integral_value():
        _bad(field, f"{percent} is finer than a basis point (0.01)")
    return int(bps)


def _normal(value: Decimal) -> Decimal:
    """Without trailing zeros or exponent notation: Decimal("4.000") -> Decimal("4")."""
    text = format(value.normalize(), "f")
    return Decimal(text)


@dataclass(frozen=True)
class ValuationLegs:
    """What one valuation computed, leg by leg (payment-token units per whole share). A view
    built from a `ValuationUpdated` event lacks the yearly income and the window (None)."""

    hardware_value: int
    income_value: int
    utilization_bps: int
    annual_income: int | None = None
    window_seconds: int | None = None


@dataclass(frozen=True)
class ValuationView:
    """An asset's stored valuation (status, price per whole share, when, round), its legs, and
    its price feed. From `ValuationClient.show` the legs are those `preview` computes now, and
    `preview_status` / `preview_price` say what an update would store; from `update`, the legs
    are the stored valuation's own."""

    asset_id: int
    status: ValuationStatus
    price: int
    updated_at: int
    max_age: int
    round: int
    legs: ValuationLegs | None
    feed: ChecksumAddress | None
    #: Chain time the view was read at.
    now: int
    preview_status: ValuationStatus | None = None
    preview_price: int | None = None

    @property
    def status_name(self) -> str:
        return self.status.label

    @property
    def stale(self) -> bool:
        return self.now > self.updated_at + self.max_age

    @property
    def usable(self) -> bool:
        """Whether lending reads it now: Ok and not stale (the sequencer check aside)."""
        return self.status is ValuationStatus.OK and not self.stale

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["status"] = self.status_name
        data["legs"] = None if self.legs is None else dict(self.legs.__dict__)
        data["preview_status"] = None if self.preview_status is None else self.preview_status.label
        data["stale"] = self.stale
        data["usable"] = self.usable
        return data


@dataclass(frozen=True)
class ValuationPreview:
    """What `update` would compute now, without storing it."""

    asset_id: int
    status: ValuationStatus
    price: int
    legs: ValuationLegs


# --------------------------------------------------------------------- liquidation


class LiquidationPlanError(ComputeRwaError, ValueError):
    """No liquidation of the position satisfies the contract's rules (or it is not
    liquidatable); the message says why."""

    def __init__(self, borrower: str, problem: str) -> None:
        self.borrower = borrower
        self.problem = problem
        super().__init__(f"liquidation of {borrower}: {problem}")


class LiquidationMode(str, Enum):
    """How a planned liquidation leaves the position."""

    #: Repays part of the debt: the rest stays, healthy with the margin, at least minBorrow.
    RESTORE_HEALTH = "restore health"
    #: Repays the whole debt; the position keeps what collateral is left.
    FULL_REPAY = "full repay"
    #: Seizes every share of collateral; the debt it does not cover is written off (bad debt).
    SEIZE_ALL = "seize all"
    #: The borrower's own revenue (auto-repay) heals the position: `harvest`, no liquidation.
    HARVEST = "harvest"


@dataclass(frozen=True)
class LendingState:
    """Everything `liquidate` reads of a market and a position (interest accrued)."""

    collateral: int
    borrow_shares: int
    total_borrow_assets: int
    total_borrow_shares: int
    price: int
    lltv: int
    incentive: int
    min_borrow: int
    earned_revenue: int = 0
    auto_repay: bool = False

    @property
    def debt(self) -> int:
        return to_assets_up(self.borrow_shares, self.total_borrow_assets, self.total_borrow_shares)

    @property
    def max_debt(self) -> int:
        return max_debt_of(self.collateral, self.price, self.lltv)

    def with_interest(self, bps: int) -> LendingState:
        """The same position after the market's borrow assets grew by `bps` (interest)."""
        grown = self.total_borrow_assets + mul_div_up(self.total_borrow_assets, bps, BPS)
        return replace(self, total_borrow_assets=grown)

    def after_revenue(self) -> LendingState:
        """The state once `liquidate` applied an opted-in borrower's revenue
        (LendingMarket._applyRevenue)."""
        if not self.auto_repay or self.earned_revenue == 0 or self.borrow_shares == 0:
            return self
        tba, tbs = self.total_borrow_assets, self.total_borrow_shares
        debt = self.debt
        earned = self.earned_revenue
        if earned >= debt:
            assets, shares = debt, self.borrow_shares
        else:
            if debt - earned >= self.min_borrow:
                assets = earned
            else:
                assets = debt - self.min_borrow if debt > self.min_borrow else 0
            shares = to_shares_down(assets, tba, tbs)
        if assets == 0:
            return self
        return replace(
            self,
            borrow_shares=self.borrow_shares - shares,
            total_borrow_shares=tbs - shares,
            total_borrow_assets=tba - assets if tba > assets else 0,
            earned_revenue=earned - assets,
        )


@dataclass(frozen=True)
class LiquidationOutcome:
    """What `liquidate(borrower, seizedAssets, repaidShares)` does to a state, computed as the
    contract computes it; `error` names the custom error it would revert with instead."""

    error: str | None
    seized: int = 0
    repaid_assets: int = 0
    repaid_shares: int = 0
    collateral_after: int = 0
    borrow_shares_after: int = 0
    debt_after: int = 0
    max_debt_after: int = 0
    bad_debt_assets: int = 0
    bad_debt_shares: int = 0


def simulate_liquidation(state: LendingState, seized_assets: int, repaid_shares: int) -> LiquidationOutcome:
    """LendingMarket.liquidate on `state`, exactly (auto-repay revenue applied first)."""
    if (seized_assets == 0) == (repaid_shares == 0):
        return LiquidationOutcome("MarketInconsistentInput")
    s = state.after_revenue()
    tba, tbs, price, incentive = s.total_borrow_assets, s.total_borrow_shares, s.price, s.incentive
    if s.debt <= s.max_debt:
        return LiquidationOutcome("MarketPositionHealthy")
    if seized_assets != 0:
        quoted = mul_div_up(seized_assets, price, ORACLE_PRICE_SCALE)
        repaid_shares = to_shares_up(mul_div_up(quoted, WAD, incentive), tba, tbs)
    else:
        repaid_value = to_assets_down(repaid_shares, tba, tbs) * incentive // WAD
        seized_assets = mul_div_down(repaid_value, ORACLE_PRICE_SCALE, price)
    repaid_assets = to_assets_up(repaid_shares, tba, tbs)
    if repaid_shares > s.borrow_shares:
        return LiquidationOutcome("MarketRepayExceedsDebt")
    if seized_assets > s.collateral:
        return LiquidationOutcome("MarketSeizeExceedsCollateral")
    shares_after = s.borrow_shares - repaid_shares
    collateral_after = s.collateral - seized_assets
    tbs -= repaid_shares
    tba = tba - repaid_assets if tba > repaid_assets else 0
    bad_assets = bad_shares = debt_after = max_after = 0
    if shares_after != 0:
        if collateral_after == 0:
            bad_shares = shares_after
            bad_assets = min(tba, to_assets_up(bad_shares, tba, tbs))
            shares_after = 0
        else:
            debt_after = to_assets_up(shares_after, tba, tbs)
            max_after = max_debt_of(collateral_after, price, s.lltv)
            if debt_after < s.min_borrow:
                return LiquidationOutcome("MarketBelowMinBorrow")
            if debt_after > max_after:
                return LiquidationOutcome("MarketStillUnhealthy")
    else:
        max_after = max_debt_of(collateral_after, price, s.lltv)
    return LiquidationOutcome(
        None,
        seized=seized_assets,
        repaid_assets=repaid_assets,
        repaid_shares=repaid_shares,
        collateral_after=collateral_after,
        borrow_shares_after=shares_after,
        debt_after=debt_after,
        max_debt_after=max_after,
        bad_debt_assets=bad_assets,
        bad_debt_shares=bad_shares,
    )


@dataclass(frozen=True)
class LiquidationPlan:
    """A liquidation that satisfies the contract's rules, planned on the state read now and
    checked against the same state with `margin_bps / 2` more interest accrued.

    Call `liquidate(borrower, seized_assets_arg, repaid_shares_arg)` (exactly one is non-zero);
    `max_repaid_assets` is what the liquidator should approve (and hold)."""

    borrower: ChecksumAddress
    mode: LiquidationMode
    seized_assets_arg: int
    repaid_shares_arg: int
    #: Expected effects (on the state read now).
    seized: int
    repaid_assets: int
    repaid_shares: int
    bad_debt_assets: int
    collateral_after: int
    debt_after: int
    max_debt_after: int
    #: Loan tokens the liquidation may pull at most, interest margin included.
    max_repaid_assets: int
    margin_bps: int

    @property
    def call_args(self) -> tuple[int, int]:
        return (self.seized_assets_arg, self.repaid_shares_arg)

    @property
    def health_factor_after(self) -> int | None:
        """max debt / debt after, WAD; None when no debt is left."""
        if self.debt_after == 0:
            return None
        return self.max_debt_after * WAD // self.debt_after

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["mode"] = self.mode.value
        data["health_factor_after"] = self.health_factor_after
        return data


def plan_liquidation(
    position: MarketPosition,
    price: int,
    incentive: int,
    *,
    lltv: int,
    min_borrow: int,
    total_borrow_assets: int,
    total_borrow_shares: int,
    margin_bps: int = DEFAULT_LIQUIDATION_MARGIN_BPS,
) -> LiquidationPlan:
    """The smallest liquidation that the contract accepts and that leaves the position
    healthy (debt at most (1 - margin) x the new limit, and at least minBorrow); else the full
    repayment of the debt, when the collateral covers it with the incentive; else (underwater:
    debt x incentive above the collateral's value) the seizure of all collateral, whose
    uncovered debt the contract writes off as bad debt. An opted-in borrower whose revenue heals
    the position gets a HARVEST plan (liquidate would revert `MarketPositionHealthy`).

    Totals are the market's, accrued to when `position` was read; every plan is re-checked on the
    same state with `margin_bps / 2` more interest, so that it still holds a little later."""
    if not 0 <= margin_bps < BPS:
        raise InvalidInputError("plan_liquidation", "margin_bps", f"must be from 0 to 9,999: {margin_bps}")
    if price <= 0:
        raise InvalidInputError("plan_liquidation", "price", f"must be positive: {price}")
    borrower = position.borrower
    state = LendingState(
        collateral=position.collateral,
        borrow_shares=position.borrow_shares,
        total_borrow_assets=total_borrow_assets,
        total_borrow_shares=total_borrow_shares,
        price=price,
        lltv=lltv,
        incentive=incentive,
        min_borrow=min_borrow,
        earned_revenue=position.earned_revenue,
        auto_repay=position.auto_repay,
    )
    if state.borrow_shares == 0:
        raise LiquidationPlanError(borrower, "the position has no debt")
    if state.debt <= state.max_debt:
        raise LiquidationPlanError(borrower, f"healthy: debt {state.debt} within the limit {state.max_debt}")
    stressed = state.with_interest(max(1, margin_bps // 2))
    # What liquidate sees once an opted-in borrower's revenue is applied.
    base = state.after_revenue()
    if base.debt <= base.max_debt:  # liquidate would revert MarketPositionHealthy; harvest never does
        return _plan(borrower, LiquidationMode.HARVEST, 0, 0, LiquidationOutcome(None), 0, margin_bps)

    def check(seized_arg: int, shares_arg: int, mode: LiquidationMode, stress: bool = True) -> LiquidationPlan | None:
        now = simulate_liquidation(state, seized_arg, shares_arg)
        later = simulate_liquidation(stressed, seized_arg, shares_arg) if stress else now
        if now.error is not None or later.error is not None:
            return None
        if mode is LiquidationMode.RESTORE_HEALTH:
            for outcome in (now, later):
                if outcome.borrow_shares_after == 0 or outcome.collateral_after == 0:
                    return None  # not a partial liquidation any more
            if now.debt_after * BPS > now.max_debt_after * (BPS - margin_bps):
                return None
        if mode is LiquidationMode.FULL_REPAY and (now.borrow_shares_after or now.bad_debt_shares):
            return None
        if mode is LiquidationMode.SEIZE_ALL and now.collateral_after:
            return None
        most = max(now.repaid_assets, later.repaid_assets)
        if not stress:  # interest may raise the repayment a little: approve the margin anyway
            most += mul_div_up(most, max(1, margin_bps // 2), BPS)
        return _plan(borrower, mode, seized_arg, shares_arg, now, most, margin_bps)

    # Underwater: the collateral cannot pay the debt with the incentive; take it all.
    underwater = base.debt * base.incentive > mul_div_down(base.collateral, base.price, ORACLE_PRICE_SCALE) * WAD
    if not underwater:
        shares = _restoring_shares(base, margin_bps)
        if shares is not None and shares < base.borrow_shares:
            for _ in range(40):
                plan = check(0, shares, LiquidationMode.RESTORE_HEALTH)
                if plan is not None:
                    return plan
                shares += max(1, shares // 2_000)
                if shares >= base.borrow_shares:
                    break
    candidates = [
        (base.collateral, 0, LiquidationMode.SEIZE_ALL),
        (0, base.borrow_shares, LiquidationMode.FULL_REPAY),
    ]
    if not underwater:
        candidates.reverse()
    # At the boundary (debt x incentive = collateral value, to the unit) rounding can defeat both
    # under the interest stress: then take one that holds on the state read now; should interest
    # defeat it by the time it is mined, the next round sees an underwater position.
    for stress in (True, False):
        for seized_arg, shares_arg, mode in candidates:
            plan = check(seized_arg, shares_arg, mode, stress)
            if plan is not None:
                return plan
    raise LiquidationPlanError(
        borrower,
        f"no liquidation satisfies the market's rules (debt {base.debt}, collateral {base.collateral}, "
        f"limit {base.max_debt}, minBorrow {base.min_borrow})",
    )


def _restoring_shares(s: LendingState, margin_bps: int) -> int | None:
    """Debt shares whose repayment brings debt to (1 - margin) x the new limit, in real
    numbers: x = (D - L'V) / (1 - L'I) assets, with L' = LLTV x (1 - margin)."""
    value = Decimal(s.collateral) * Decimal(s.price) / Decimal(ORACLE_PRICE_SCALE)
    lltv = Decimal(s.lltv) / WAD * (BPS - margin_bps) / BPS
    incentive = Decimal(s.incentive) / WAD
    denominator = 1 - lltv * incentive
    if denominator <= 0:
        return None
    assets = (Decimal(s.debt) - lltv * value) / denominator
    if assets <= 0:
        return None
    units = int(assets.to_integral_value(rounding="ROUND_CEILING"))
    return max(1, to_shares_up(units, s.total_borrow_assets, s.total_borrow_shares))


def _plan(
    borrower: ChecksumAddress,
    mode: LiquidationMode,
    seized_arg: int,
    shares_arg: int,
    outcome: LiquidationOutcome,
    max_repaid: int,
    margin_bps: int,
) -> LiquidationPlan:
    return LiquidationPlan(
        borrower=borrower,
        mode=mode,
        seized_assets_arg=seized_arg,
        repaid_shares_arg=shares_arg,
        seized=outcome.seized,
        repaid_assets=outcome.repaid_assets,
        repaid_shares=outcome.repaid_shares,
        bad_debt_assets=outcome.bad_debt_assets,
        collateral_after=outcome.collateral_after,
        debt_after=outcome.debt_after,
        max_debt_after=outcome.max_debt_after,
        max_repaid_assets=max_repaid,
        margin_bps=margin_bps,
    )


@dataclass(frozen=True)
class LiquidationResult:
    """A liquidation done (`Liquidated`, `BadDebtWrittenOff`), or a harvest in its place."""

    market: ChecksumAddress
    borrower: ChecksumAddress
    mode: LiquidationMode
    repaid_assets: int
    repaid_shares: int
    seized_collateral: int
    bad_debt_assets: int
    bad_debt_shares: int
    #: The position afterwards (read in the block after the transaction).
    collateral_after: int
    debt_after: int
    health_factor_after: int | None
    tx_hash: str

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["mode"] = self.mode.value
        if self.health_factor_after == MAX_UINT256:
            data["health_factor_after"] = None
        return data


# --------------------------------------------------------------------- keeper


@dataclass(frozen=True)
class KeeperFailure:
    """Something the keeper could not do this round; it goes on with the rest."""

    stage: str
    market: ChecksumAddress | None
    subject: str
    error: str
    error_name: str | None = None


@dataclass(frozen=True)
class KeeperReport:
    """One keeper round: valuations updated, positions checked, liquidations and harvests done,
    failures."""

    chain_time: int
    valuations: tuple[ValuationView, ...]
    markets: int
    positions_checked: int
    unhealthy: int
    liquidations: tuple[LiquidationResult, ...]
    failures: tuple[KeeperFailure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_time": self.chain_time,
            "valuations": [v.to_json() for v in self.valuations],
            "markets": self.markets,
            "positions_checked": self.positions_checked,
            "unhealthy": self.unhealthy,
            "liquidations": [r.to_json() for r in self.liquidations],
            "failures": [dict(f.__dict__) for f in self.failures],
            "ok": self.ok,
        }
