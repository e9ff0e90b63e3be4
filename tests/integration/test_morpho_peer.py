"""Morpho Blue (npm `@morpho-org/morpho-blue` 1.0.0, compiled with solcjs 0.8.19 and Morpho's own
settings) lending the suite's dUSD against our GPU shares: our SharePriceFeed is its IOracle,
KinkedIrm (our rate curve) its IRM, LLTV 80%.

The asset is valued by the ShareValuator (tests.lending_support.value_asset): the price is the
hardware leg (about 22,200 dUSD per share); a crash of the trailing utilization lowers the
income leg below it, which is what makes a position liquidatable here. Every amount is
predicted with Morpho's own rounding (compute_rwa.peers.morpho_blue mirrors it) and checked
against the token balances."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_utils.abi import function_signature_to_4byte_selector
from web3.contract import Contract

from compute_rwa import ContractRevertError
from compute_rwa.artifacts import load_artifact
from compute_rwa.peers.morpho_blue import (
    Market,
    MarketParams,
    MorphoBlue,
    liquidation_incentive,
    max_borrow,
    repaid_shares_for_seized,
    to_assets_up,
    to_shares_up,
)
from tests.lending_support import (
    DAY,
    DUSD,
    LLTV,
    MAX_PRICE_AGE,
    RATE_MODEL,
    ValuedAsset,
    distribute,
    now_of,
    report_utilization,
    valuation_config,
    value_asset,
)
from tests.unit.metrics_oracle.conftest import warp_chain

SHARE = 10**18
SUPPLY = 100_000 * DUSD
COLLATERAL = 2 * SHARE


@dataclass(frozen=True)
class Peer:
    morpho: MorphoBlue
    params: MarketParams
    market_id: bytes
    valued: ValuedAsset
    loan: Contract
    irm: Contract


@pytest.fixture(scope="module")
def morpho(w3, suite, roles) -> MorphoBlue:
    """Morpho Blue, owned by the admin, deployed once for the module (before any snapshot)."""
    return MorphoBlue.deploy(w3, roles.admin, suite.sender)


@pytest.fixture(scope="module")
def kinked_irm(suite, roles, morpho) -> Contract:
    irm = suite.sender.deploy("KinkedIrm", roles.admin, RATE_MODEL)
    morpho.enable_irm(irm.address, roles.admin)
    morpho.enable_lltv(LLTV, roles.admin)
    return irm


@pytest.fixture
def liquidator(roles) -> str:
    return roles.holders[1]


@pytest.fixture
def peer(suite, oracle_setup, roles, asset, morpho, kinked_irm, liquidator) -> Peer:
    """A Morpho market on the valued asset; the lender supplied SUPPLY dUSD; the borrower holds
    COLLATERAL shares; lender, borrower and liquidator approved Morpho for everything."""
    valued = value_asset(suite, oracle_setup.client, oracle_setup.keys, roles, asset)
    loan = suite.payment_token
    params = MarketParams.of(loan.address, valued.share.address, valued.feed.address, kinked_irm.address, LLTV)
    market_id = morpho.create_market(params, roles.outsider)
    assert market_id == params.id
    assert morpho.market_params(market_id) == params
    send = suite.sender.transact
    for actor in (roles.lender, roles.borrower, liquidator):
        send(loan.functions.mint(actor, 1_000_000 * DUSD), roles.admin, "Token")
        send(loan.functions.approve(morpho.address, 2**256 - 1), actor, "Token")
    send(valued.share.functions.transfer(roles.borrower, COLLATERAL), roles.holders[0], "ShareToken")
    send(valued.share.functions.approve(morpho.address, 2**256 - 1), roles.borrower, "ShareToken")
    supplied = morpho.supply(params, SUPPLY, roles.lender, roles.lender)
    assert supplied.assets == SUPPLY and supplied.shares == SUPPLY * 10**6
    assert balance(loan, morpho.address) == SUPPLY
    return Peer(morpho, params, market_id, valued, loan, kinked_irm)


def balance(token: Contract, holder: str) -> int:
    return int(token.functions.balanceOf(holder).call())


def price(peer: Peer) -> int:
    return int(peer.valued.feed.functions.price().call())


def revert_reason(exc: pytest.ExceptionInfo[ContractRevertError]) -> object:
    return exc.value.args_by_name.get("reason")


def oracle_error(exc: pytest.ExceptionInfo[ContractRevertError]) -> str:
    """The ShareValuator error Morpho bubbled up from the oracle (decoded here if the client's
    error table does not know the valuator's errors)."""
    if exc.value.error_name != "UnknownError":
        return exc.value.error_name
    data = bytes(exc.value.args_by_name["data"])
    for item in load_artifact("ShareValuator").abi:
        if item["type"] == "error":
            types = ",".join(i["type"] for i in item["inputs"])
            if bytes(function_signature_to_4byte_selector(f"{item['name']}({types})")) == data[:4]:
                return str(item["name"])
    raise AssertionError(f"not a ShareValuator error: {exc.value}")


def accrued_at(peer: Peer, timestamp: int) -> Market:
    """The market as Morpho will accrue it in a block at `timestamp` (rate from KinkedIrm)."""
    market = peer.morpho.market(peer.market_id)
    as_tuple = (
        market.total_supply_assets,
        market.total_supply_shares,
        market.total_borrow_assets,
        market.total_borrow_shares,
        market.last_update,
        market.fee,
    )
    rate = int(peer.irm.functions.borrowRateView(peer.params.to_abi(), as_tuple).call())
    return market.accrued(rate, timestamp)


def next_block_at(w3, timestamp: int) -> None:
    w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def test_morpho_compiled_with_its_production_settings(morpho):
    runtime = morpho.w3.eth.get_code(morpho.address)
    assert len(runtime) == 15_623  # Morpho Blue 1.0.0, via-IR, 999,999 runs, Paris
    assert morpho.owner() == morpho.w3.eth.accounts[0]


def test_supply_collateral_borrow_repay_and_lltv_refusal(w3, roles, peer):
    morpho, params, share, loan = peer.morpho, peer.params, peer.valued.share, peer.loan
    borrower = roles.borrower

    morpho.supply_collateral(params, COLLATERAL, borrower, borrower)
    assert balance(share, borrower) == 0
    assert balance(share, morpho.address) == COLLATERAL
    assert morpho.position(peer.market_id, borrower).collateral == COLLATERAL

    share_price = price(peer)
    assert share_price == int(peer.valued.valuator.functions.priceOf(peer.valued.asset_id).call()) * 10**18
    limit = max_borrow(COLLATERAL, share_price, LLTV)
    assert 30_000 * DUSD < limit < 40_000 * DUSD

    # One unit above LLTV is refused by Morpho's own health check.
    with pytest.raises(ContractRevertError) as refused:
        morpho.borrow(params, limit + 1, borrower, borrower, borrower)
    assert revert_reason(refused) == "insufficient collateral"

    before = balance(loan, borrower)
    borrowed = morpho.borrow(params, limit, borrower, borrower, borrower)
    assert borrowed.assets == limit and borrowed.shares == to_shares_up(limit, 0, 0)
    assert balance(loan, borrower) == before + limit
    assert balance(loan, morpho.address) == SUPPLY - limit
    assert morpho.position(peer.market_id, borrower).borrow_shares == borrowed.shares
    assert morpho.debt_of(peer.market_id, borrower) == limit

    # Half a day later (the valuation is still fresh) interest has accrued: not one unit more.
    warp_chain(w3, DAY // 2)
    with pytest.raises(ContractRevertError) as refused:
        morpho.borrow(params, 1, borrower, borrower, borrower)
    assert revert_reason(refused) == "insufficient collateral"

    # Repaying half of the shares pays exactly their assets, rounded up, at the accrual block.
    at = now_of(w3) + 5
    expected = accrued_at(peer, at)
    half = borrowed.shares // 2
    owed = to_assets_up(half, expected.total_borrow_assets, expected.total_borrow_shares)
    assert owed > limit // 2  # interest accrued
    next_block_at(w3, at)
    before = balance(loan, borrower)
    repaid = morpho.repay(params, 0, borrower, borrower, shares=half)
    assert (repaid.assets, repaid.shares) == (owed, half)
    assert balance(loan, borrower) == before - owed
    assert balance(loan, morpho.address) == SUPPLY - limit + owed
    assert morpho.position(peer.market_id, borrower).borrow_shares == borrowed.shares - half


def test_utilization_crash_lets_a_third_party_liquidate_for_shares(w3, suite, oracle_setup, roles, peer, liquidator):
    morpho, params, share, loan, valued = peer.morpho, peer.params, peer.valued.share, peer.loan, peer.valued
    borrower = roles.borrower
    morpho.supply_collateral(params, COLLATERAL, borrower, borrower)
    before_price = price(peer)
    debt = max_borrow(COLLATERAL, before_price, LLTV) * 7 // 8  # 70% loan-to-value
    morpho.borrow(params, debt, borrower, borrower, borrower)

    with pytest.raises(ContractRevertError) as healthy:
        morpho.liquidate(params, borrower, SHARE // 10, 0, liquidator)
    assert revert_reason(healthy) == "position is healthy"

    # A day of 40% utilization (was 80%): the income leg falls below the hardware leg.
    warp_chain(w3, DAY)
    report_utilization(oracle_setup.client, oracle_setup.keys, roles.outsider, valued.asset_id, 4_000)
    suite.sender.transact(valued.valuator.functions.update(valued.asset_id), roles.outsider, "ShareValuator")
    status, after_price_per_share, legs = valued.valuator.functions.preview(valued.asset_id).call()
    assert status == 1 and legs[3] == 4_000 and legs[1] < legs[0]  # Ok, utilization, income < hardware
    crashed = price(peer)
    assert crashed < before_price * 9 // 10

    # Liquidate: seize one share, paying its value less the incentive (LLTV 80%: 1/0.94).
    at = now_of(w3) + 5
    expected = accrued_at(peer, at)
    borrowed = to_assets_up(
        morpho.position(peer.market_id, borrower).borrow_shares,
        expected.total_borrow_assets,
        expected.total_borrow_shares,
    )
    assert borrowed > max_borrow(COLLATERAL, crashed, LLTV)  # unhealthy at the new price
    seized = SHARE
    repaid_shares = repaid_shares_for_seized(seized, expected, crashed, LLTV)
    repaid_assets = to_assets_up(repaid_shares, expected.total_borrow_assets, expected.total_borrow_shares)
    assert liquidation_incentive(LLTV) == 10**36 // (10**18 - 3 * 10**17 * 2 // 10)
    # The liquidator pays less than the share is worth: its value over the incentive.
    assert repaid_assets < crashed // 10**18
    assert repaid_assets == pytest.approx(crashed // 10**18 * 10**18 // liquidation_incentive(LLTV), abs=2)

    shares_before = {a: balance(share, a) for a in (liquidator, morpho.address, borrower)}
    loan_before = {a: balance(loan, a) for a in (liquidator, morpho.address, borrower)}
    position_before = morpho.position(peer.market_id, borrower)
    next_block_at(w3, at)
    result = morpho.liquidate(params, borrower, seized, 0, liquidator)

    assert (result.seized_assets, result.repaid_shares, result.repaid_assets) == (seized, repaid_shares, repaid_assets)
    assert (result.bad_debt_assets, result.bad_debt_shares) == (0, 0)
    assert balance(share, liquidator) == shares_before[liquidator] + seized
    assert balance(share, morpho.address) == shares_before[morpho.address] - seized
    assert balance(share, borrower) == shares_before[borrower]
    assert balance(loan, liquidator) == loan_before[liquidator] - repaid_assets
    assert balance(loan, morpho.address) == loan_before[morpho.address] + repaid_assets
    assert balance(loan, borrower) == loan_before[borrower]
    position = morpho.position(peer.market_id, borrower)
    assert position.collateral == position_before.collateral - seized
    assert position.borrow_shares == position_before.borrow_shares - repaid_shares
    market = morpho.market(peer.market_id)
    assert market.total_borrow_assets == expected.total_borrow_assets - repaid_assets
    assert market.total_supply_assets == expected.total_supply_assets


def test_stale_or_unavailable_valuation_blocks_borrowing_and_liquidation(
    w3, suite, oracle_setup, roles, peer, liquidator
):
    morpho, params, valued = peer.morpho, peer.params, peer.valued
    borrower = roles.borrower
    morpho.supply_collateral(params, COLLATERAL, borrower, borrower)
    morpho.borrow(params, 1_000 * DUSD, borrower, borrower, borrower)

    # Stale: past maxPriceAge with no update. price() reverts, and so does Morpho's borrow.
    warp_chain(w3, MAX_PRICE_AGE + 1)
    with pytest.raises(ContractRevertError) as refused:
        morpho.borrow(params, 1_000 * DUSD, borrower, borrower, borrower)
    assert oracle_error(refused) == "ValuationStale"
    # A reverting oracle stops liquidations as well (Morpho has no fallback price).
    with pytest.raises(ContractRevertError) as refused:
        morpho.liquidate(params, borrower, SHARE // 10, 0, liquidator)
    assert oracle_error(refused) == "ValuationStale"

    # Unavailable: the admin reconfigures the valuation (status None until the next update).
    suite.sender.transact(
        valued.valuator.functions.configure(valued.asset_id, valuation_config(now_of(w3))), roles.admin, "ShareValuator"
    )
    with pytest.raises(ContractRevertError) as refused:
        morpho.borrow(params, 1_000 * DUSD, borrower, borrower, borrower)
    assert oracle_error(refused) == "ValuationUnavailable"

    # Fresh metrics and an update restore an Ok price, and borrowing resumes.
    report_utilization(oracle_setup.client, oracle_setup.keys, roles.outsider, valued.asset_id)
    suite.sender.transact(valued.valuator.functions.update(valued.asset_id), roles.outsider, "ShareValuator")
    before = balance(peer.loan, borrower)
    morpho.borrow(params, 1_000 * DUSD, borrower, borrower, borrower)
    assert balance(peer.loan, borrower) == before + 1_000 * DUSD


def test_revenue_on_shares_posted_to_morpho_goes_to_morpho_not_the_borrower(suite, roles, peer):
    """A known limit of listing shares on Morpho: the share token pays revenue to its holder,
    and while posted the holder is the Morpho singleton, which has no way to pass it on (our
    LendingMarket banks it per borrower instead)."""
    morpho, share = peer.morpho, peer.valued.share
    borrower = roles.borrower
    morpho.supply_collateral(peer.params, COLLATERAL, borrower, borrower)
    owed_before = int(share.functions.claimableOf(morpho.address).call())
    rps_before = int(share.functions.revenuePerShareE18().call())
    distribute(suite, peer.valued.asset_id, 800 * DUSD, roles.lessee, roles.admin)
    rps = int(share.functions.revenuePerShareE18().call())
    earned = COLLATERAL * (rps - rps_before) // SHARE
    assert earned > 0
    assert int(share.functions.claimableOf(morpho.address).call()) == owed_before + earned
    assert int(share.functions.claimableOf(borrower).call()) == 0
    # Only the holder (or the registry, for the caller's own claimMany) can claim it: Morpho
    # never does, so it stays in the share token, owed to the Morpho singleton.
    with pytest.raises(ContractRevertError) as refused:
        suite.sender.transact(share.functions.claimFor(morpho.address), roles.outsider, "ShareToken")
    assert refused.value.error_name == "ShareOnlyRegistry"
