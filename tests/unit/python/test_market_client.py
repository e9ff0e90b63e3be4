"""MarketClient, MarketFactoryClient, ValuationClient and the keeper against the real lending
contracts on the session chain: lenders' and borrowers' flows move exact amounts, reverts come
back as specific exceptions naming the field, planned liquidations succeed on-chain and leave
the position healthy, debt-free or written off (the planner's replica of the contract's
arithmetic matches the chain to the unit), and the planner's rules hold for random positions."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.contract import Contract

from compute_rwa.errors import DeploymentError, InvalidInputError
from compute_rwa.market import (
    AutoRepayError,
    BelowMinBorrowError,
    InsufficientCollateralError,
    InsufficientFundsError,
    InsufficientLiquidityError,
    Keeper,
    LendingState,
    LiquidationMode,
    LiquidationPlanError,
    MarketClient,
    MarketConfig,
    MarketFactoryClient,
    MarketParameterError,
    MarketPosition,
    NothingToClaimError,
    PositionHealthyError,
    PriceUnavailableError,
    RateModel,
    StillUnhealthyError,
    UnauthorizedError,
    ValuationClient,
    ValuationConfig,
    ValuationNotConfiguredError,
    ValuationParameterError,
    ValuationStatus,
    liquidation_incentive,
    plan_liquidation,
    simulate_liquidation,
)
from compute_rwa.market.models import MAX_UINT256, WAD, to_assets_up, to_shares_up
from tests.lending_support import (
    DUSD,
    LLTV,
    MIN_BORROW,
    RATE_MODEL,
    distribute,
    now_of,
    share_token_of,
    value_asset,
)

SHARE = 10**18
#: The mock oracle's starting price: 20,000 dUSD per whole share.
PRICE = 20_000 * DUSD
#: No interest: what the planner expects is what the chain does, to the unit.
ZERO_RATES = RateModel(0, 0, 0, 8 * WAD // 10)
FUNDS = 10**7 * DUSD


def oracle_price(per_share: int) -> int:
    """IOracle price (1e36 scale, per share unit) of `per_share` dUSD units per whole share."""
    return per_share * 10**18


@pytest.fixture
def price_oracle(suite, roles) -> Contract:
    return suite.sender.deploy("MockPriceOracle", roles.admin, oracle_price(PRICE))


@pytest.fixture
def factory(suite) -> MarketFactoryClient:
    return MarketFactoryClient(suite.w3, suite.deployment, suite.sender)


@pytest.fixture
def funded(suite, asset, roles) -> int:
    """`asset` with 4 of its 8 shares moved to the borrower, dUSD with lender, borrower and the
    liquidator (outsider)."""
    share = share_token_of(suite, asset)
    suite.sender.transact(share.functions.transfer(roles.borrower, 4 * SHARE), roles.holders[0], "ShareToken")
    for account in (roles.lender, roles.borrower, roles.outsider):
        suite.sender.transact(suite.payment_token.functions.mint(account, FUNDS), roles.admin, "Token")
    return asset


def make_market(suite, factory, asset, oracle: str, rates: RateModel, creator: str) -> MarketClient:
    share = share_token_of(suite, asset).address
    config = MarketConfig(share, suite.deployment.payment_token, oracle, LLTV, rates, MIN_BORROW)
    created = factory.create(config, creator)
    return MarketClient(suite.w3, created.market, suite.sender)


@pytest.fixture
def market(suite, factory, funded, price_oracle, roles) -> MarketClient:
    """A zero-rate market on the funded asset, priced by the mock oracle, with 100,000 dUSD lent."""
    client = make_market(suite, factory, funded, price_oracle.address, ZERO_RATES, roles.admin)
    client.supply(100_000 * DUSD, roles.lender)
    return client


@pytest.fixture
def lending_market(suite, factory, funded, price_oracle, roles) -> MarketClient:
    """As `market`, with the kinked curve of tests/lending_support.py (interest accrues)."""
    client = make_market(suite, factory, funded, price_oracle.address, RateModel.from_abi(RATE_MODEL), roles.admin)
    client.supply(100_000 * DUSD, roles.lender)
    return client


def balance(suite, account: str) -> int:
    return int(suite.payment_token.functions.balanceOf(account).call())


def open_position(market: MarketClient, borrower: str, shares: int, debt: int) -> None:
    market.supply_collateral(shares, borrower)
    market.borrow(debt, borrower)


# ----------------------------------------------------------------- factory, info


def test_factory_creates_and_lists_markets(suite, factory, funded, price_oracle, roles):
    share = share_token_of(suite, funded).address
    config = MarketConfig(share, suite.deployment.payment_token, price_oracle.address, LLTV, ZERO_RATES, MIN_BORROW)
    created = factory.create(config, roles.outsider)  # anyone may
    assert (created.share_token, created.oracle, created.lltv, created.creator) == (
        share,
        price_oracle.address,
        LLTV,
        roles.outsider,
    )
    assert factory.markets_of(share) == [created.market] and factory.is_market(created.market)
    assert created.market in factory.markets()

    info = MarketClient(suite.w3, created.market).info()
    assert info.config == config and info.asset_id == funded
    assert (info.loan_token.decimals, info.collateral_token.decimals) == (6, 18)
    assert info.liquidation_incentive == liquidation_incentive(LLTV) == 1_063_829_787_234_042_553
    assert (info.price, info.share_price, info.total_supply_assets, info.liquidity) == (
        oracle_price(PRICE),
        PRICE,
        0,
        0,
    )
    assert info.name.endswith("#0") and info.symbol.startswith("lend-")
    assert info.to_json()["config"]["rate_model"]["kink"] == 8 * WAD // 10


def test_a_refused_market_parameter_names_the_field(suite, factory, funded, price_oracle, roles):
    share = share_token_of(suite, funded).address
    config = MarketConfig(share, suite.deployment.payment_token, price_oracle.address, 99 * WAD // 100, ZERO_RATES, 1)
    with pytest.raises(MarketParameterError) as info:
        factory.create(config, roles.admin)
    assert info.value.field == "lltv" and info.value.error_name == "MarketInvalidParameter"
    assert "'lltv'" in str(info.value)


def test_clients_need_the_deployment_to_have_lending(suite):
    from dataclasses import replace

    with pytest.raises(DeploymentError):
        MarketFactoryClient(suite.w3, replace(suite.deployment, market_factory=None))
    with pytest.raises(InvalidInputError):
        MarketClient(suite.w3, "0x1234")


# ----------------------------------------------------------------- lenders


def test_lender_supplies_withdraws_and_redeems(suite, market, roles):
    before = balance(suite, roles.lender)
    supplied = market.supply(1_000 * DUSD, roles.lender)
    assert (supplied.assets, supplied.shares, supplied.owner) == (1_000 * DUSD, 1_000 * DUSD * 10**6, roles.lender)
    lender = market.lender(roles.lender)
    assert (lender.assets, lender.max_withdraw) == (101_000 * DUSD, 101_000 * DUSD)

    out = market.withdraw(400 * DUSD, roles.lender, receiver=roles.outsider)
    assert (out.assets, out.receiver, out.owner) == (400 * DUSD, roles.outsider, roles.lender)
    everything = market.withdraw_all(roles.lender)
    assert everything.assets == 100_600 * DUSD and market.lender(roles.lender).shares == 0
    assert balance(suite, roles.lender) == before - 1_000 * DUSD + 100_600 * DUSD
    with pytest.raises(InvalidInputError):
        market.withdraw_all(roles.lender)


def test_a_lender_cannot_take_out_what_is_lent(market, roles):
    open_position(market, roles.borrower, 4 * SHARE, 60_000 * DUSD)
    assert market.lender(roles.lender).max_withdraw == 40_000 * DUSD
    with pytest.raises(InsufficientLiquidityError) as info:
        market.withdraw(50_000 * DUSD, roles.lender)
    assert "at most 40,000 dUSD can be withdrawn now" in str(info.value)
    with pytest.raises(InsufficientLiquidityError):
        market.borrow(50_000 * DUSD, roles.borrower)


# ----------------------------------------------------------------- borrowers


def test_borrower_posts_borrows_repays_and_withdraws(suite, market, roles):
    before = balance(suite, roles.borrower)
    posted = market.supply_collateral(2 * SHARE, roles.borrower)  # approves the shares itself
    assert (posted.borrower, posted.assets) == (roles.borrower, 2 * SHARE)
    loan = market.borrow(30_000 * DUSD, roles.borrower)
    assert (loan.assets, loan.shares) == (30_000 * DUSD, to_shares_up(30_000 * DUSD, 0, 0))

    position = market.position(roles.borrower)
    assert (position.collateral, position.debt, position.max_debt) == (2 * SHARE, 30_000 * DUSD, 32_000 * DUSD)
    assert position.health_factor == market.health_factor(roles.borrower) == 32 * WAD // 30
    assert not position.liquidatable and market.borrowers() == [roles.borrower]
    assert market.positions() == [position]

    assert market.repay(10_000 * DUSD, roles.borrower).assets == 10_000 * DUSD
    assert market.position(roles.borrower).debt == 20_000 * DUSD
    repaid = market.repay("all", roles.borrower)
    assert (repaid.assets, market.position(roles.borrower).debt) == (20_000 * DUSD, 0)
    assert market.position(roles.borrower).health_factor == MAX_UINT256
    back = market.withdraw_collateral("all", roles.borrower)
    assert back.assets == 2 * SHARE and market.position(roles.borrower).empty
    assert balance(suite, roles.borrower) == before


def test_repay_all_pays_the_interest_too(suite, lending_market, roles, w3):
    open_position(lending_market, roles.borrower, 2 * SHARE, 30_000 * DUSD)
    w3.provider.make_request("evm_increaseTime", [30 * 24 * 3600])
    w3.provider.make_request("evm_mine", [])
    owed = lending_market.position(roles.borrower).debt
    assert owed > 30_000 * DUSD
    repaid = lending_market.repay("all", roles.borrower)
    assert owed <= repaid.assets <= owed + owed // 10**5
    assert lending_market.position(roles.borrower).borrow_shares == 0


def test_someone_else_may_post_collateral_and_repay(market, roles):
    market.supply_collateral(SHARE, roles.borrower, on_behalf=roles.outsider)
    assert market.position(roles.outsider).collateral == SHARE
    market.borrow(5_000 * DUSD, roles.outsider)
    market.repay("all", roles.borrower, on_behalf=roles.outsider)
    assert market.position(roles.outsider).debt == 0
    assert market.borrowers() == [roles.outsider]


def test_reverts_are_specific_errors_in_token_units(market, roles, price_oracle, suite):
    open_position(market, roles.borrower, 2 * SHARE, 30_000 * DUSD)
    with pytest.raises(InsufficientCollateralError) as info:
        market.borrow(5_000 * DUSD, roles.borrower)
    error = info.value
    assert (error.field, error.error_name, error.args_by_name["maxDebt"]) == (
        "collateral",
        "MarketInsufficientCollateral",
        32_000 * DUSD,
    )
    assert "the debt 35,000 dUSD would exceed the collateral's limit 32,000 dUSD" in str(error)
    with pytest.raises(InsufficientCollateralError, match="MarketInsufficientCollateral"):
        market.withdraw_collateral(SHARE, roles.borrower)
    with pytest.raises(InsufficientCollateralError, match="asked for 3 "):
        market.withdraw_collateral(3 * SHARE, roles.borrower)
    with pytest.raises(BelowMinBorrowError) as small:
        market.repay(29_950 * DUSD, roles.borrower)
    assert small.value.field == "minBorrow" and "below the market's minimum 100 dUSD" in str(small.value)
    with pytest.raises(BelowMinBorrowError):
        market.borrow(50 * DUSD, roles.outsider)
    with pytest.raises(PositionHealthyError):
        market.liquidate(roles.borrower, roles.outsider, plan=_forced_plan(market, roles.borrower))
    with pytest.raises(NothingToClaimError):
        market.claim_revenue(roles.borrower)
    with pytest.raises(AutoRepayError):
        market.harvest(roles.borrower, roles.outsider)
    with pytest.raises(InsufficientFundsError) as poor:
        market.supply(1 * DUSD, roles.treasury)
    assert poor.value.error_name == "ERC20InsufficientBalance" and "holds 0 dUSD" in str(poor.value)

    suite.sender.transact(price_oracle.functions.setPrice(0), roles.admin, "MockPriceOracle")
    with pytest.raises(PriceUnavailableError) as no_price:
        market.price()
    assert no_price.value.field == "price" and no_price.value.error_name == "MockPriceUnavailable"
    blind = market.position(roles.borrower)
    assert (blind.max_debt, blind.health_factor, blind.liquidatable) == (None, None, False)
    assert market.info().price_error == "the oracle has no price"
    with pytest.raises(PriceUnavailableError):
        market.borrow(100 * DUSD, roles.borrower)


def _forced_plan(market: MarketClient, borrower: str):
    """A plan for a healthy position (the planner refuses to make one)."""
    from compute_rwa.market.models import LiquidationPlan

    return LiquidationPlan(borrower, LiquidationMode.FULL_REPAY, 0, 10**6, 0, 0, 0, 0, 0, 0, 0, DUSD, 100)


def test_the_planner_refuses_healthy_and_debt_free_positions(market, roles):
    with pytest.raises(LiquidationPlanError, match="no debt"):
        market.plan_liquidation(roles.borrower)
    open_position(market, roles.borrower, 2 * SHARE, 30_000 * DUSD)
    with pytest.raises(LiquidationPlanError, match="healthy"):
        market.plan_liquidation(roles.borrower)


# ----------------------------------------------------------------- liquidation on-chain


@pytest.mark.parametrize(
    ("shares", "debt", "new_price", "mode"),
    [
        # 2 shares at 18,000: limit 28,800 < 30,000, and debt x incentive 31,915 < value 36,000.
        (2 * SHARE, 30_000 * DUSD, 18_000 * DUSD, LiquidationMode.RESTORE_HEALTH),
        # A small position: restoring health would leave less than the 100 dUSD minimum.
        (SHARE // 100, 150 * DUSD, 17_000 * DUSD, LiquidationMode.FULL_REPAY),
        # Underwater: 2 shares at 10,000 are worth 20,000 against 30,000 of debt.
        (2 * SHARE, 30_000 * DUSD, 10_000 * DUSD, LiquidationMode.SEIZE_ALL),
    ],
)
def test_a_planned_liquidation_succeeds_and_leaves_the_position_sound(
    suite, market, price_oracle, roles, shares, debt, new_price, mode
):
    open_position(market, roles.borrower, shares, debt)
    suite.sender.transact(price_oracle.functions.setPrice(oracle_price(new_price)), roles.admin, "MockPriceOracle")
    position = market.position(roles.borrower)
    assert position.liquidatable and position.health_factor < WAD
    supplied_before = market.info().total_supply_assets
    plan = market.plan_liquidation(roles.borrower)
    assert plan.mode is mode

    paid_before = balance(suite, roles.outsider)
    result = market.liquidate(roles.borrower, roles.outsider, plan=plan)
    # Zero interest: the chain did exactly what the planner's replica of the contract said.
    assert (result.repaid_shares, result.repaid_assets, result.seized_collateral, result.bad_debt_assets) == (
        plan.repaid_shares,
        plan.repaid_assets,
        plan.seized,
        plan.bad_debt_assets,
    )
    assert (result.collateral_after, result.debt_after) == (plan.collateral_after, plan.debt_after)
    assert balance(suite, roles.outsider) == paid_before - result.repaid_assets
    share = share_token_of(suite, market.asset_id)
    assert share.functions.balanceOf(roles.outsider).call() == result.seized_collateral

    after = market.position(roles.borrower)
    if mode is LiquidationMode.RESTORE_HEALTH:
        assert after.debt >= MIN_BORROW and market.health_factor(roles.borrower) >= WAD
        # The least repayment that restores health with the 1% margin: not much more.
        assert after.debt * 10_000 <= after.max_debt * 9_900
        assert after.debt * 10_000 >= after.max_debt * 9_890
    elif mode is LiquidationMode.FULL_REPAY:
        assert (after.debt, after.borrow_shares) == (0, 0) and after.collateral > 0
    else:
        assert (after.collateral, after.borrow_shares, after.debt) == (0, 0, 0)
        assert result.bad_debt_assets == debt - result.repaid_assets > 0
        assert market.info().total_supply_assets == supplied_before - result.bad_debt_assets
    assert not after.liquidatable


def test_a_liquidation_refused_by_the_rules_is_a_specific_error(suite, market, price_oracle, roles):
    open_position(market, roles.borrower, 2 * SHARE, 30_000 * DUSD)
    suite.sender.transact(price_oracle.functions.setPrice(oracle_price(18_000 * DUSD)), roles.admin, "MockPriceOracle")
    plan = market.plan_liquidation(roles.borrower)
    from dataclasses import replace

    too_little = replace(plan, repaid_shares_arg=plan.repaid_shares_arg // 10)
    with pytest.raises(StillUnhealthyError) as info:
        market.liquidate(roles.borrower, roles.outsider, plan=too_little)
    assert info.value.field == "healthFactor" and "would still exceed the limit" in str(info.value)


def test_the_replica_matches_the_chain_on_random_positions(suite, market, price_oracle, roles, w3):
    """Random positions and price drops on one market: each planned liquidation does on-chain
    exactly what simulate_liquidation predicted, whatever the mode."""
    rng = random.Random(20260512)
    borrowers = [roles.borrower, *roles.holders[1:4]]
    share = share_token_of(suite, market.asset_id)
    for b in borrowers[1:]:
        suite.sender.transact(share.functions.transfer(b, SHARE), roles.holders[0], "ShareToken")
    seen_modes = set()
    for i in range(12):
        b = borrowers[i % len(borrowers)]
        snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
        # Every third position is tiny (a limit of 100..200 dUSD): restoring its health would leave
        # less than the minimum debt.
        collateral = rng.randint(SHARE // 160, SHARE // 80) if i % 3 == 1 else rng.randint(SHARE // 50, SHARE)
        limit = collateral * PRICE // SHARE * 8 // 10
        debt = rng.randint(max(MIN_BORROW, limit // 2), limit)
        open_position(market, b, collateral, debt)
        at_limit = debt * SHARE * 10 // (collateral * 8)  # the price (per share) where debt = limit
        drop = rng.randint(at_limit * 40 // 100, at_limit * 999 // 1000)
        suite.sender.transact(price_oracle.functions.setPrice(oracle_price(drop)), roles.admin, "MockPriceOracle")
        if market.position(b).liquidatable:
            plan = market.plan_liquidation(b)
            result = market.liquidate(b, roles.outsider, plan=plan)
            assert (result.seized_collateral, result.repaid_assets, result.bad_debt_assets) == (
                plan.seized,
                plan.repaid_assets,
                plan.bad_debt_assets,
            )
            assert (result.collateral_after, result.debt_after) == (plan.collateral_after, plan.debt_after)
            assert not market.position(b).liquidatable
            seen_modes.add(plan.mode)
        w3.provider.make_request("evm_revert", [snapshot])
    assert seen_modes == {LiquidationMode.RESTORE_HEALTH, LiquidationMode.FULL_REPAY, LiquidationMode.SEIZE_ALL}


def test_interest_accrued_between_plan_and_execution_is_covered(suite, lending_market, price_oracle, roles, w3):
    open_position(lending_market, roles.borrower, 2 * SHARE, 30_000 * DUSD)
    suite.sender.transact(price_oracle.functions.setPrice(oracle_price(18_000 * DUSD)), roles.admin, "MockPriceOracle")
    plan = lending_market.plan_liquidation(roles.borrower)
    w3.provider.make_request("evm_increaseTime", [3600])  # an hour passes before it is mined
    w3.provider.make_request("evm_mine", [])
    result = lending_market.liquidate(roles.borrower, roles.outsider, plan=plan)
    assert result.repaid_assets <= plan.max_repaid_assets
    assert lending_market.health_factor(roles.borrower) >= WAD


def test_revenue_of_an_opted_in_borrower_heals_it_before_liquidation(suite, market, price_oracle, roles):
    open_position(market, roles.borrower, 2 * SHARE, 30_000 * DUSD)
    assert market.set_auto_repay(True, roles.borrower) is True
    # 10,000 dUSD of revenue: holders get 80%, 1,000 per share; the posted 2 shares earn 2,000.
    distribute(suite, market.asset_id, 10_000 * DUSD, roles.lessee, roles.admin)
    suite.sender.transact(price_oracle.functions.setPrice(oracle_price(18_000 * DUSD)), roles.admin, "MockPriceOracle")
    position = market.position(roles.borrower)
    assert position.liquidatable and position.auto_repay and position.earned_revenue == 2_000 * DUSD
    plan = market.plan_liquidation(roles.borrower)
    assert plan.mode is LiquidationMode.HARVEST
    result = market.liquidate(roles.borrower, roles.outsider, plan=plan)  # harvests
    assert (result.mode, result.repaid_assets, result.seized_collateral) == (LiquidationMode.HARVEST, 2_000 * DUSD, 0)
    assert result.debt_after == 28_000 * DUSD and result.health_factor_after >= WAD


def test_borrower_claims_the_revenue_of_posted_collateral(suite, market, roles):
    open_position(market, roles.borrower, 2 * SHARE, 10_000 * DUSD)
    distribute(suite, market.asset_id, 10_000 * DUSD, roles.lessee, roles.admin)
    before = balance(suite, roles.outsider)
    claimed = market.claim_revenue(roles.borrower, receiver=roles.outsider)
    assert (claimed.amount, claimed.borrower) == (2_000 * DUSD, roles.borrower)
    assert balance(suite, roles.outsider) == before + 2_000 * DUSD
    assert market.set_auto_repay(False, roles.borrower) is False


# ----------------------------------------------------------------- planner properties


@st.composite
def liquidatable_states(draw: st.DrawFn) -> tuple[LendingState, int]:
    lltv = draw(st.integers(1_000, 9_800)) * 10**14
    unit = 10 ** draw(st.sampled_from([6, 18]))
    price = draw(st.integers(1, 10**7)) * unit // 100 * 10**18
    collateral = draw(st.integers(10**12, 100 * SHARE))
    min_borrow = draw(st.integers(1, 1_000)) * unit
    others = draw(st.integers(0, 10**7)) * unit
    base_assets = others + others * draw(st.integers(0, 3_000)) // 10_000  # interest already accrued
    base_shares = others * 10**6
    limit = collateral * price // 10**36 * lltv // WAD
    debt = max(min_borrow, limit * draw(st.integers(10_001, 30_000)) // 10_000 + 1)
    shares = to_shares_up(debt, base_assets, base_shares)
    auto = draw(st.booleans())
    state = LendingState(
        collateral=collateral,
        borrow_shares=shares,
        total_borrow_assets=base_assets + debt,
        total_borrow_shares=base_shares + shares,
        price=price,
        lltv=lltv,
        incentive=liquidation_incentive(lltv),
        min_borrow=min_borrow,
        earned_revenue=draw(st.integers(0, debt)) if auto else 0,
        auto_repay=auto,
    )
    return state, draw(st.integers(0, 500))


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(liquidatable_states())
def test_plans_respect_the_contract_rules(case: tuple[LendingState, int]) -> None:
    """For any liquidatable position: a plan exists; it does not revert (now, nor with the
    margin's interest when it was checked so); it leaves the position healthy and at least
    minBorrow, debt-free, or without collateral (bad debt written off); the seizure of all
    collateral is planned exactly when the position is underwater."""
    state, margin = case
    if state.debt <= state.max_debt:
        return
    position = MarketPosition(
        "0x" + "11" * 20,
        "0x" + "22" * 20,
        state.collateral,
        state.borrow_shares,
        state.debt,
        state.max_debt,
        None,
        state.earned_revenue,
        state.auto_repay,
    )
    plan = plan_liquidation(
        position,
        state.price,
        state.incentive,
        lltv=state.lltv,
        min_borrow=state.min_borrow,
        total_borrow_assets=state.total_borrow_assets,
        total_borrow_shares=state.total_borrow_shares,
        margin_bps=margin,
    )
    healed = state.after_revenue()
    if plan.mode is LiquidationMode.HARVEST:
        assert healed.debt <= healed.max_debt
        return
    outcome = simulate_liquidation(state, *plan.call_args)
    assert outcome.error is None
    assert plan.max_repaid_assets >= outcome.repaid_assets
    underwater = healed.debt * healed.incentive > healed.collateral * healed.price // 10**36 * WAD
    if plan.mode is LiquidationMode.RESTORE_HEALTH:
        assert not underwater
        assert state.min_borrow <= outcome.debt_after <= outcome.max_debt_after
        assert outcome.debt_after * 10_000 <= outcome.max_debt_after * (10_000 - margin)
        later = simulate_liquidation(state.with_interest(max(1, margin // 2)), *plan.call_args)
        assert later.error is None
    elif plan.mode is LiquidationMode.FULL_REPAY:
        assert (outcome.borrow_shares_after, outcome.bad_debt_shares) == (0, 0)
    else:
        assert outcome.collateral_after == 0 and outcome.borrow_shares_after == 0
        assert outcome.bad_debt_assets == 0 or underwater


def test_rate_model_and_units():
    rates = RateModel.from_annual_bps(0, 400, 10_000, 8_000)
    assert rates.to_abi() == RATE_MODEL and rates.annual_bps() == (0, 400, 10_000, 8_000)
    assert rates.rate(8 * WAD // 10) == rates.slope1 and rates.rate(WAD) == rates.slope1 + rates.slope2
    with pytest.raises(InvalidInputError, match="kink_bps"):
        RateModel.from_annual_bps(0, 400, 10_000, 10_000)
    assert to_assets_up(to_shares_up(30_000 * DUSD, 0, 0), 30_000 * DUSD, to_shares_up(30_000 * DUSD, 0, 0)) == (
        30_000 * DUSD
    )


# ----------------------------------------------------------------- keeper


def test_keeper_liquidates_unhealthy_positions_once(suite, lending_market, price_oracle, roles):
    open_position(lending_market, roles.borrower, 2 * SHARE, 30_000 * DUSD)
    open_position(lending_market, roles.holders[0], 2 * SHARE, 10_000 * DUSD)  # stays healthy
    lines: list[str] = []
    keeper = Keeper([lending_market], roles.outsider, on_event=lines.append)
    quiet = keeper.run_once()
    assert (quiet.positions_checked, quiet.unhealthy, quiet.liquidations, quiet.ok) == (2, 0, (), True)

    suite.sender.transact(price_oracle.functions.setPrice(oracle_price(18_000 * DUSD)), roles.admin, "MockPriceOracle")
    report = keeper.run_once()
    assert (report.positions_checked, report.unhealthy, report.ok) == (2, 1, True)
    (done,) = report.liquidations
    assert done.borrower == roles.borrower and done.mode is LiquidationMode.RESTORE_HEALTH
    assert lending_market.health_factor(roles.borrower) >= WAD
    assert any("liquidated (restore health)" in line for line in lines)
    assert keeper.run_once().liquidations == ()  # nothing left to do
    assert report.to_json()["liquidations"][0]["mode"] == "restore health"


def test_keeper_reports_what_it_cannot_do(suite, lending_market, price_oracle, roles):
    open_position(lending_market, roles.borrower, 2 * SHARE, 30_000 * DUSD)
    suite.sender.transact(price_oracle.functions.setPrice(oracle_price(18_000 * DUSD)), roles.admin, "MockPriceOracle")
    broke = Keeper([lending_market], roles.treasury)  # holds no dUSD
    report = broke.run_once()
    (failure,) = report.failures
    assert (failure.stage, failure.subject, report.liquidations) == ("funds", roles.borrower, ())
    assert "the keeper holds 0 dUSD" in failure.error

    suite.sender.transact(price_oracle.functions.setPrice(0), roles.admin, "MockPriceOracle")
    blind = Keeper([lending_market], roles.outsider).run_once()
    assert [f.stage for f in blind.failures] == ["price"] and "no price" in blind.failures[0].error


# ----------------------------------------------------------------- valuation


def test_valuation_client_configures_updates_and_shows(suite, oracle, oracle_setup, roles, asset, make_registration):
    from tests.conftest import inventory_hash

    client = ValuationClient(suite.w3, suite.deployment, suite.sender)
    valued = value_asset(suite, oracle, oracle_setup.keys, roles, asset)
    view = client.show(asset)
    assert view.status is ValuationStatus.OK and view.usable and view.round == 2
    assert view.feed == valued.feed.address == client.feed(asset)
    assert view.price == min(view.legs.hardware_value, view.legs.income_value) == client.price(asset)
    assert view.preview_status is ValuationStatus.OK and view.legs.utilization_bps == 8_000
    assert view.to_json()["status"] == "ok"
    config = client.config(asset)
    assert (config.purchase_value, config.useful_life_years, config.salvage_pct, config.cap_rate_pct) == (
        Decimal(25_000),
        Decimal(4),
        Decimal(10),
        Decimal(20),
    )
    assert (config.revenue_window_days, config.max_price_age_hours, config.min_price) == (
        Decimal(7),
        Decimal(24),
        Decimal("0.000001"),
    )
    updated = client.update(asset, roles.outsider)
    assert (updated.round, updated.status, updated.legs.utilization_bps) == (3, ValuationStatus.OK, 8_000)

    other, _ = suite.register_asset(make_registration(inventory_hash=inventory_hash("node-2")), roles.operator)
    human = ValuationConfig(purchase_value=Decimal("30000.5"), purchased_at=now_of(suite.w3) - 86_400)
    stored = client.configure(other, human, roles.admin)
    assert stored == ValuationConfig(
        purchase_value=Decimal("30000.5"),
        purchased_at=human.purchased_at,
        min_price=Decimal("0.000001"),
    )
    raw = client.valuator.functions.configOf(other).call()
    assert list(raw) == list(human.to_abi(6))
    assert client.show(other).status is ValuationStatus.NONE and client.show(other).feed is not None
    first = client.update(other, roles.outsider)
    assert first.status is ValuationStatus.HISTORY_TOO_SHORT and not first.usable
    with pytest.raises(PriceUnavailableError, match="history too short"):
        client.price(other)

    with pytest.raises(UnauthorizedError) as denied:
        client.configure(other, human, roles.outsider)
    assert denied.value.field == "caller"
    with pytest.raises(ValuationParameterError) as bad:
        client.configure(
            other, ValuationConfig(Decimal(1), human.purchased_at, utilization_window_epochs=500), roles.admin
        )
    assert bad.value.field == "utilizationWindow"
    with pytest.raises(InvalidInputError) as local:
        ValuationConfig(Decimal(1), 0, salvage_pct=Decimal("10.005")).to_abi(6)
    assert local.value.field == "salvage_pct"
    with pytest.raises(ValuationNotConfiguredError):
        client.update(other + 1, roles.outsider)


def test_keeper_loop_runs_rounds_and_scans_new_borrowers_only(suite, lending_market, price_oracle, roles):
    keeper = Keeper([lending_market], roles.outsider)
    reports = []
    naps = []
    assert keeper.run(5.0, rounds=2, on_report=reports.append, sleep=naps.append) == 2
    assert [r.positions_checked for r in reports] == [0, 0] and naps == [5.0]
    open_position(lending_market, roles.borrower, 2 * SHARE, 30_000 * DUSD)  # seen by the next scan
    suite.sender.transact(price_oracle.functions.setPrice(oracle_price(18_000 * DUSD)), roles.admin, "MockPriceOracle")
    keeper.run(0, rounds=1, on_report=reports.append)
    assert (reports[-1].positions_checked, len(reports[-1].liquidations)) == (1, 1)
