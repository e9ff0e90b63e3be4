"""Plain helpers of the LendingMarket tests: a Python model of LendingMath and of the vault's
ERC-4626 conversions (the documented formulas and rounding directions, in Python integers;
tests also hold results against exact fractions), the market's transactions, the clock, and
`reverts`, which also decodes the price mock's error.

Prices are Morpho's: share units x price / 1e36 = loan units; a share has 18 decimals, so a
share worth `p` loan units has price p x 1e18."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from eth_abi.abi import decode as abi_decode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from web3.contract import Contract
from web3.types import TxReceipt

from compute_rwa import ContractRevertError
from compute_rwa.artifacts import load_artifact
from compute_rwa.tx import guard
from tests.lending_support import LLTV, RATE_MODEL, WAD

SHARE = 10**18  # one whole GPU share, in share units
ORACLE_SCALE = 10**36
VIRTUAL_SHARES = 10**6  # debt shares (LendingMath)
VIRTUAL_ASSETS = 1
VAULT_OFFSET = 10**6  # ERC-4626 virtual shares (decimals offset 6)
MAX_UINT = 2**256 - 1
ZERO = "0x0000000000000000000000000000000000000000"
MAX_LLTV = 98 * WAD // 100
MAX_RATE_PER_SECOND = 10 * WAD // (365 * 86_400)
LIQUIDATION_CURSOR = 3 * WAD // 10
MAX_INCENTIVE = 115 * WAD // 100


# --------------------------------------------------------------- the model


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


def utilization(borrowed: int, supplied: int) -> int:
    return 0 if supplied == 0 else borrowed * WAD // supplied


def borrow_rate(model: tuple[int, int, int, int], util: int) -> int:
    """The kinked curve: base + slope1 x u / kink below the kink, then + slope2 x the excess."""
    base, slope1, slope2, kink = model
    if util <= kink:
        return base + slope1 * util // kink
    return base + slope1 + slope2 * (util - kink) // (WAD - kink)


def compounded(rate: int, elapsed: int) -> int:
    """e^(rate x t) - 1 by three Taylor terms, each floored."""
    first = rate * elapsed
    second = first * first // (2 * WAD)
    third = second * first // (3 * WAD)
    return first + second + third


def interest(model: tuple[int, int, int, int], supplied: int, borrowed: int, elapsed: int) -> tuple[int, int]:
    """(interest, rate) accrued on `borrowed` over `elapsed` seconds."""
    if elapsed == 0 or borrowed == 0:
        return 0, 0
    rate = borrow_rate(model, utilization(borrowed, supplied))
    return borrowed * compounded(rate, elapsed) // WAD, rate


def incentive(lltv: int) -> int:
    """min(1.15, 1 / (1 - 0.3 x (1 - lltv))) in WAD, as Morpho Blue."""
    return min(MAX_INCENTIVE, WAD * WAD // (WAD - LIQUIDATION_CURSOR * (WAD - lltv) // WAD))


def max_debt(collateral: int, price: int, lltv: int = LLTV) -> int:
    return (collateral * price // ORACLE_SCALE) * lltv // WAD


def price_for(loan_units_per_share: int) -> int:
    """The oracle price of a share worth `loan_units_per_share` loan-token units."""
    return loan_units_per_share * ORACLE_SCALE // SHARE


def min_collateral(debt: int, price: int, lltv: int = LLTV) -> int:
    """The least collateral whose max debt covers `debt` at `price`."""
    low, high = 0, 2**128
    while low < high:
        mid = (low + high) // 2
        if max_debt(mid, price, lltv) >= debt:
            high = mid
        else:
            low = mid + 1
    return low


def liquidation(
    state: tuple[int, int, int], price: int, incentive_wad: int, seized: int = 0, repaid_shares: int = 0
) -> tuple[int, int, int]:
    """(seized collateral, repaid debt shares, repaid assets) of a liquidation on `state`'s
    totals by exactly one of `seized` or `repaid_shares`: the repayment rounds up, the seizure
    down (the market's side)."""
    _, borrowed, shares = state
    if seized:
        quoted = mul_div_up(seized, price, ORACLE_SCALE)
        repaid_shares = to_shares_up(mul_div_up(quoted, WAD, incentive_wad), borrowed, shares)
    else:
        value = to_assets_down(repaid_shares, borrowed, shares) * incentive_wad // WAD
        seized = mul_div_down(value, ORACLE_SCALE, price)
    return seized, repaid_shares, to_assets_up(repaid_shares, borrowed, shares)


def vault_shares(assets: int, supply: int, total_assets: int, up: bool = False) -> int:
    """OpenZeppelin's ERC-4626 conversion with a decimals offset of 6."""
    return (mul_div_up if up else mul_div_down)(assets, supply + VAULT_OFFSET, total_assets + 1)


def vault_assets(shares: int, supply: int, total_assets: int, up: bool = False) -> int:
    return (mul_div_up if up else mul_div_down)(shares, total_assets + 1, supply + VAULT_OFFSET)


# ------------------------------------------------------------------ reads


@dataclass(frozen=True)
class Lending:
    """A market and the contracts around it."""

    market: Contract
    share: Contract  # collateral: the asset's ShareToken
    loan: Contract  # the lent token
    oracle: Contract  # MockPriceOracle (or the valuator's SharePriceFeed)
    asset_id: int

    @property
    def address(self) -> str:
        return str(self.market.address)


def totals(lending: Lending) -> tuple[int, int, int]:
    """(totalSupplyAssets, totalBorrowAssets, totalBorrowShares) accrued to now."""
    supplied, borrowed, shares, _ = lending.market.functions.totals().call()
    return supplied, borrowed, shares


def position(lending: Lending, borrower: str) -> tuple[int, int]:
    """(borrowShares, collateral)."""
    borrow_shares, collateral = lending.market.functions.positionOf(borrower).call()
    return borrow_shares, collateral


def earnings(lending: Lending, borrower: str) -> tuple[int, int, bool]:
    """(earned, revenuePerShareSnapshot, autoRepay)."""
    earned, snapshot, auto = lending.market.functions.earningsOf(borrower).call()
    return earned, snapshot, auto


def balance(token: Contract, account: str) -> int:
    return int(token.functions.balanceOf(account).call())


def call(lending: Lending, name: str, *args: Any, sender: str | None = None, pending: bool = False) -> Any:
    """A read, or a dry-run of a write from `sender`, at the latest block (or in the pending
    one, at the time `pin` set); a revert becomes ContractRevertError."""
    fn = lending.market.functions[name](*args)
    block = "pending" if pending else "latest"
    return guard("LendingMarket", name, lambda: fn.call({"from": sender} if sender else {}, block_identifier=block))


def market_events(lending: Lending, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
    return [dict(e["args"]) for e in lending.market.events[name]().process_receipt(receipt)]


def one(lending: Lending, receipt: TxReceipt, name: str) -> dict[str, Any]:
    (event,) = market_events(lending, receipt, name)
    return event


def block_time(w3: Any, receipt: TxReceipt) -> int:
    return int(w3.eth.get_block(receipt["blockNumber"])["timestamp"])


# ----------------------------------------------------------- transactions


def send(suite: Any, fn: Any, sender: str) -> TxReceipt:
    return suite.sender.transact(fn, sender, "LendingMarket")


def send_pinned(suite: Any, fn: Any, sender: str, gas: int = 3_000_000) -> TxReceipt:
    """Sends with a fixed gas limit, skipping the gas estimate (which ignores `pin`), so that a
    transaction valid only at the pinned time goes through; fails the test if it reverts."""
    receipt = suite.sender.wait(fn.transact({"from": sender, "gas": gas}))
    assert receipt["status"] == 1, f"{fn.fn_name} reverted at the pinned time"
    return receipt


def deposit(suite: Any, lending: Lending, lender: str, assets: int, receiver: str | None = None) -> TxReceipt:
    return send(suite, lending.market.functions.deposit(assets, receiver or lender), lender)


def post(suite: Any, lending: Lending, borrower: str, shares: int, on_behalf: str | None = None) -> TxReceipt:
    return send(suite, lending.market.functions.supplyCollateral(shares, on_behalf or borrower), borrower)


def borrow(suite: Any, lending: Lending, borrower: str, assets: int, receiver: str | None = None) -> TxReceipt:
    return send(suite, lending.market.functions.borrow(assets, receiver or borrower), borrower)


def repay(
    suite: Any, lending: Lending, payer: str, assets: int, shares: int, on_behalf: str | None = None
) -> TxReceipt:
    return send(suite, lending.market.functions.repay(assets, shares, on_behalf or payer), payer)


def liquidate(suite: Any, lending: Lending, liquidator: str, borrower: str, seized: int, shares: int) -> TxReceipt:
    return send(suite, lending.market.functions.liquidate(borrower, seized, shares), liquidator)


def set_price(suite: Any, lending: Lending, price: int, sender: str) -> None:
    suite.sender.transact(lending.oracle.functions.setPrice(price), sender, "MockPriceOracle")


def fund(suite: Any, token: Contract, account: str, amount: int, spender: str, minter: str) -> None:
    """Mints `amount` to `account`, which approves `spender` for everything."""
    suite.sender.transact(token.functions.mint(account, amount), minter, "Token")
    suite.sender.transact(token.functions.approve(spender, MAX_UINT), account, "Token")


def give_shares(suite: Any, lending: Lending, source: str, to: str, amount: int) -> None:
    """Moves `amount` share units from `source` to `to`, which approves the market for all."""
    suite.sender.transact(lending.share.functions.transfer(to, amount), source, "ShareToken")
    suite.sender.transact(lending.share.functions.approve(lending.address, MAX_UINT), to, "ShareToken")


def now(w3: Any) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def pin(w3: Any, delay: int = 1) -> int:
    """Fixes the next block's timestamp `delay` seconds after the latest block's; returns it.
    Reads at the latest block use that block's timestamp, so with `pin` a test knows exactly
    how much interest its next transaction accrues. Gas estimates ignore the pin: a refusal
    that depends on the time is checked with a dry run, `call(..., pending=True)`, and a
    transaction valid only at that time is sent with `send_pinned`."""
    at = now(w3) + delay
    w3.provider.make_request("evm_setNextBlockTimestamp", [at])
    return at


def accrue(suite: Any, lending: Lending, sender: str) -> tuple[int, int, int]:
    """Accrues interest now; returns the totals, which the market then stores as of now."""
    send(suite, lending.market.functions.accrueInterest(), sender)
    return totals(lending)


def project(state: tuple[int, int, int], elapsed: int, model: tuple[int, int, int, int] = RATE_MODEL):
    """Totals `elapsed` seconds after `state` was stored (one accrual, as the market does)."""
    supplied, borrowed, shares = state
    accrued, _ = interest(model, supplied, borrowed, elapsed)
    return supplied + accrued, borrowed + accrued, shares


# ----------------------------------------------------------------- errors


@cache
def _market_errors() -> dict[bytes, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """Selector -> (name, input names, input types) of the market's, the factory's and the price
    mock's errors, for those compute_rwa.artifacts does not decode (MockPriceUnavailable)."""
    table: dict[bytes, tuple[str, tuple[str, ...], tuple[str, ...]]] = {}
    for source in ("LendingMarket", "MarketFactory", "MockPriceOracle"):
        for item in load_artifact(source).abi:
            if item.get("type") == "error":
                types = tuple(str(i["type"]) for i in item["inputs"])
                selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
                table[selector] = (item["name"], tuple(i["name"] for i in item["inputs"]), types)
    return table


def decoded(error: ContractRevertError) -> tuple[str, dict[str, Any]]:
    """The error's name and arguments, decoding the lending contracts' errors too."""
    if error.error_name != "UnknownError":
        return error.error_name, error.args_by_name
    data: bytes = error.args_by_name["data"]
    spec = _market_errors().get(bytes(data[:4]))
    if spec is None:
        return error.error_name, error.args_by_name
    name, names, types = spec
    values = abi_decode(list(types), data[4:])
    values = [to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True)]
    return name, dict(zip(names, values, strict=True))


@contextmanager
def reverts(error_name: str, **expected_args: Any) -> Iterator[pytest.ExceptionInfo[ContractRevertError]]:
    """tests.helpers.reverts, decoding the price mock's and the lending contracts' errors too."""
    with pytest.raises(ContractRevertError) as info:
        yield info
    name, args = decoded(info.value)
    assert name == error_name, f"{name}({args}): {info.value}"
    for key, value in expected_args.items():
        assert args[key] == value, f"{key}: {name}({args})"
