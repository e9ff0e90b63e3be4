"""Reverts of the lending contracts as specific exceptions.

Every exception here is a `ContractRevertError` (so `error_name` and `args_by_name` carry the
decoded custom error, and code that catches ContractRevertError keeps working) with `source`
(the contract or feed at fault), `field` (what was wrong) and a sentence in token units."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.abi import function_signature_to_4byte_selector

from compute_rwa.artifacts import load_artifact
from compute_rwa.errors import ArtifactNotFoundError, ContractRevertError
from compute_rwa.lease.models import TokenInfo


class LendingError(ContractRevertError):
    """A lending market, the factory, the valuator or a price feed refused a call."""

    #: What was at fault (a parameter name, "collateral", "price", …).
    field: str = ""

    def __init__(self, base: ContractRevertError, hint: str, field: str | None = None) -> None:
        super().__init__(base.contract, base.function, base.error_name, base.args_by_name)
        self.source = base.contract
        if field is not None:
            self.field = field
        self.hint = hint
        self.args = (f"{base}: {hint}" if hint else str(base),)


class InsufficientCollateralError(LendingError):
    """The debt would exceed the collateral's limit (value x LLTV), or more collateral was asked
    for than the position holds."""

    field = "collateral"


class InsufficientLiquidityError(LendingError):
    """The market has fewer idle loan tokens than a borrow or a withdrawal needs."""

    field = "liquidity"


class InsufficientFundsError(LendingError):
    """The caller holds (or approved) fewer tokens than the call moves."""

    field = "balance"


class BelowMinBorrowError(LendingError):
    """The debt left would be above zero but below the market's minBorrow."""

    field = "minBorrow"


class RepayExceedsDebtError(LendingError):
    """A repayment or liquidation of more debt than the position has."""

    field = "debt"


class PositionHealthyError(LendingError):
    """A liquidation of a position that is not liquidatable."""

    field = "healthFactor"


class StillUnhealthyError(LendingError):
    """A liquidation that would leave the position unhealthy (or too small to be healthy)."""

    field = "healthFactor"


class PriceUnavailableError(LendingError):
    """The price feed refused to answer: valuation not Ok, stale, out of bounds, sequencer down."""

    field = "price"


class MarketParameterError(LendingError):
    """A market configuration the contract refuses; `field` names the parameter."""


class ValuationParameterError(LendingError):
    """A valuation configuration the valuator refuses; `field` names the parameter."""


class ValuationNotConfiguredError(LendingError):
    """The asset is unknown to the registry or has no valuation configured."""

    field = "assetId"


class UnauthorizedError(LendingError):
    """The caller lacks the role the call needs (the registry's admin for the valuator)."""

    field = "caller"


class AutoRepayError(LendingError):
    """Auto-repay is off for the borrower, or the market's loan token is not the revenue's."""

    field = "autoRepay"


class NothingToClaimError(LendingError):
    """The borrower's collateral earned nothing to claim."""

    field = "revenue"


Amount = Callable[[int], str]


def lending_error(
    exc: ContractRevertError,
    *,
    loan: TokenInfo | None = None,
    collateral: TokenInfo | None = None,
    moved: TokenInfo | None = None,
) -> ContractRevertError:
    """`exc` as the specific exception for its custom error (unchanged when there is none).
    Amounts are written in `loan` (debt, liquidity), `collateral` (shares) and `moved` (the token
    the call transfers) units where given."""
    if exc.error_name == "UnknownError":
        exc = _decode_extra(exc)
    rule = _RULES.get(exc.error_name)
    if rule is None:
        return exc
    cls, hint = rule
    a = exc.args_by_name
    fmt = _Formats(loan, collateral, moved)
    field = None
    if exc.error_name in ("MarketInvalidParameter", "ValuationBadParameter"):
        field = _bytes32_text(a.get("field"))
    try:
        text = hint(a, fmt)
    except (KeyError, TypeError, ValueError):  # arguments not as expected: keep the raw error
        text = ""
    return cls(exc, text, field)


class _Formats:
    def __init__(self, loan: TokenInfo | None, collateral: TokenInfo | None, moved: TokenInfo | None) -> None:
        self.loan = _formatter(loan)
        self.collateral = _formatter(collateral)
        self.moved = _formatter(moved)


def _formatter(token: TokenInfo | None) -> Amount:
    if token is None:
        return lambda amount: f"{amount} units"
    return token.format


def _bytes32_text(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).rstrip(b"\0").decode("utf-8", "replace")
    return str(value)


_Hint = Callable[[dict[str, Any], _Formats], str]

_RULES: dict[str, tuple[type[LendingError], _Hint]] = {
    "MarketInsufficientCollateral": (
        InsufficientCollateralError,
        lambda a, f: f"the debt {f.loan(a['debt'])} would exceed the collateral's limit {f.loan(a['maxDebt'])}",
    ),
    "MarketWithdrawExceedsCollateral": (
        InsufficientCollateralError,
        lambda a, f: f"asked for {f.collateral(a['assets'])}, the position holds {f.collateral(a['collateral'])}",
    ),
    "MarketSeizeExceedsCollateral": (
        InsufficientCollateralError,
        lambda a, f: f"seizing {f.collateral(a['seized'])}, the position holds {f.collateral(a['collateral'])}",
    ),
    "MarketInsufficientLiquidity": (
        InsufficientLiquidityError,
        lambda a, f: f"asked for {f.loan(a['requested'])}, the market has {f.loan(a['available'])} available",
    ),
    "ERC4626ExceededMaxWithdraw": (
        InsufficientLiquidityError,
        lambda a, f: f"asked for {f.loan(a['assets'])}, at most {f.loan(a['max'])} can be withdrawn now",
    ),
    "ERC4626ExceededMaxRedeem": (
        InsufficientLiquidityError,
        lambda a, f: f"redeeming {a['shares']} vault shares, at most {a['max']} can be redeemed now",
    ),
    "MarketBelowMinBorrow": (
        BelowMinBorrowError,
        lambda a, f: f"the debt left, {f.loan(a['debt'])}, is below the market's minimum {f.loan(a['minBorrow'])} "
        "(repay all of it, or leave at least the minimum)",
    ),
    "MarketRepayExceedsDebt": (
        RepayExceedsDebtError,
        lambda a, f: f"{a['shares']} debt shares asked, the position owes {a['debtShares']}",
    ),
    "MarketPositionHealthy": (
        PositionHealthyError,
        lambda a, f: f"the position is healthy: debt {f.loan(a['debt'])} within its limit {f.loan(a['maxDebt'])}",
    ),
    "MarketStillUnhealthy": (
        StillUnhealthyError,
        lambda a, f: f"afterwards the debt {f.loan(a['debt'])} would still exceed the limit {f.loan(a['maxDebt'])}",
    ),
    "MarketSelfLiquidation": (PositionHealthyError, lambda a, f: "a borrower may not liquidate itself"),
    "MarketInvalidParameter": (
        MarketParameterError,
        lambda a, f: f"market parameter {_bytes32_text(a['field'])!r} = {a['value']} is not accepted",
    ),
    "MarketZeroAmount": (MarketParameterError, lambda a, f: "the amount must be above zero"),
    "MarketZeroAddress": (MarketParameterError, lambda a, f: "an address is zero"),
    "MarketInconsistentInput": (
        MarketParameterError,
        lambda a, f: "give exactly one of the two amounts (the other zero)",
    ),
    "MarketAutoRepayOff": (AutoRepayError, lambda a, f: f"{a['borrower']} has not opted in to auto-repay"),
    "MarketAutoRepayUnsupported": (
        AutoRepayError,
        lambda a, f: f"revenue is paid in {a['paymentToken']}, the market lends {a['loanToken']}",
    ),
    "MarketNothingToClaim": (NothingToClaimError, lambda a, f: f"{a['borrower']}'s collateral earned nothing yet"),
    "MarketFeeOnTransfer": (
        InsufficientFundsError,
        lambda a, f: f"the token delivered {a['received']} of {a['expected']} units (fee on transfer)",
    ),
    "ERC20InsufficientBalance": (
        InsufficientFundsError,
        lambda a, f: f"{a['sender']} holds {f.moved(a['balance'])}, the call needs {f.moved(a['needed'])}",
    ),
    "ERC20InsufficientAllowance": (
        InsufficientFundsError,
        lambda a, f: f"allowance {f.moved(a['allowance'])}, the call needs {f.moved(a['needed'])}",
    ),
    "ValuationUnavailable": (
        PriceUnavailableError,
        lambda a, f: f"asset {a['assetId']}'s valuation is not usable (status {_status(a['status'])})",
    ),
    "ValuationZero": (PriceUnavailableError, lambda a, f: f"asset {a['assetId']}'s valuation is zero"),
    "ValuationOutOfBounds": (
        PriceUnavailableError,
        lambda a, f: f"asset {a['assetId']}'s price {a['price']} is outside [{a['minPrice']}, {a['maxPrice']}]",
    ),
    "ValuationStale": (
        PriceUnavailableError,
        lambda a, f: f"asset {a['assetId']}'s valuation of {a['updatedAt']} is older than {a['maxAge']} s: "
        "run `compute-rwa valuation update`",
    ),
    "ValuationSequencerDown": (PriceUnavailableError, lambda a, f: "the L2 sequencer is down"),
    "ValuationSequencerGracePeriod": (
        PriceUnavailableError,
        lambda a, f: f"the L2 sequencer is back since {a['upSince']}; prices resume at {a['usableFrom']}",
    ),
    "FeedUnknownRound": (PriceUnavailableError, lambda a, f: f"round {a['roundId']} is not the latest"),
    "MockPriceUnavailable": (PriceUnavailableError, lambda a, f: "the oracle has no price"),
    "ValuationBadParameter": (
        ValuationParameterError,
        lambda a, f: f"valuation parameter {_bytes32_text(a['field'])!r} = {a['value']} is not accepted",
    ),
    "ValuationNotConfigured": (
        ValuationNotConfiguredError,
        lambda a, f: f"asset {a['assetId']} has no valuation configured: run `compute-rwa valuation configure`",
    ),
    "ValuationUnknownAsset": (
        ValuationNotConfiguredError,
        lambda a, f: f"asset {a['assetId']} is not registered",
    ),
    "ValuationUnauthorized": (
        UnauthorizedError,
        lambda a, f: f"{a['caller']} is not the registry's admin",
    ),
}


def _status(value: Any) -> str:
    from compute_rwa.market.models import ValuationStatus

    try:
        return ValuationStatus(int(value)).label
    except ValueError:
        return str(value)


#: Contracts a lending call can revert through whose errors the suite's table may lack.
_EXTRA_SOURCES = ("LendingMarket", "ShareValuator", "SharePriceFeed", "MockPriceOracle")


@cache
def _extra_table() -> dict[bytes, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    table: dict[bytes, tuple[str, tuple[str, ...], tuple[str, ...]]] = {}
    for source in _EXTRA_SOURCES:
        try:
            abi = load_artifact(source).abi
        except ArtifactNotFoundError:
            continue
        for item in abi:
            if item.get("type") != "error":
                continue
            types = tuple(str(i["type"]) for i in item["inputs"])
            selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
            table[selector] = (item["name"], tuple(i["name"] for i in item["inputs"]), types)
    return table


def _decode_extra(exc: ContractRevertError) -> ContractRevertError:
    data = exc.args_by_name.get("data")
    if not isinstance(data, bytes) or len(data) < 4:
        return exc
    spec = _extra_table().get(data[:4])
    if spec is None:
        return exc
    name, names, types = spec
    try:
        values = abi_decode(list(types), data[4:])
    except Exception:  # malformed revert data: keep it raw
        return exc
    return ContractRevertError(exc.contract, exc.function, name, dict(zip(names, values, strict=True)))
