"""MarketFactory.createMarket: names and symbols, the MarketCreated event, marketsOf and
isMarket; the market's constructor checks, each with its exact error; the liquidation
incentive min(1.15, 1 / (1 - 0.3 x (1 - lltv)))."""

from __future__ import annotations

from fractions import Fraction

import pytest

from tests.helpers import b32
from tests.lending_support import MIN_BORROW, RATE_MODEL, create_market, factory_of, share_token_of
from tests.unit.lending_market.support import (
    LLTV,
    MAX_LLTV,
    MAX_RATE_PER_SECOND,
    WAD,
    ZERO,
    incentive,
    reverts,
)


@pytest.fixture
def price_oracle(suite, roles):
    return suite.sender.deploy("MockPriceOracle", roles.admin, 10**28)


@pytest.fixture
def share(suite, asset):
    return share_token_of(suite, asset)


def make(suite, share, oracle, creator, **params):
    return create_market(suite, share.address, oracle.address, creator, **params)


def test_create_market_names_lists_and_announces_each_market(suite, roles, share, price_oracle, tokens):
    factory = factory_of(suite)
    assert factory.functions.marketsOf(share.address).call() == []
    config = (share.address, tokens.dai18.address, price_oracle.address, LLTV, RATE_MODEL, MIN_BORROW)
    receipt = suite.sender.transact(factory.functions.createMarket(config), roles.outsider, "MarketFactory")
    (event,) = factory.events.MarketCreated().process_receipt(receipt)
    first = event["args"]["market"]
    assert dict(event["args"]) == {
        "market": first,
        "shareToken": share.address,
        "loanToken": tokens.dai18.address,
        "oracle": price_oracle.address,
        "lltv": LLTV,
        "minBorrow": MIN_BORROW,
        "creator": roles.outsider,
    }
    second = make(suite, share, price_oracle, roles.lender)

    assert factory.functions.marketsOf(share.address).call() == [first, second.address]
    assert factory.functions.isMarket(first).call() and factory.functions.isMarket(second.address).call()
    assert not factory.functions.isMarket(share.address).call()
    assert not factory.functions.isMarket(roles.outsider).call()
    assert factory.functions.marketsOf(tokens.dai18.address).call() == []
    # "compute-rwa lending <share symbol> #<n>" and "lend-<share symbol>-<n>", n per share token.
    symbol = share.functions.symbol().call()
    assert symbol == "GPU1"
    assert second.functions.name().call() == "compute-rwa lending GPU1 #1"
    assert second.functions.symbol().call() == "lend-GPU1-1"
    assert second.functions.decimals().call() == 6 + 6
    assert second.functions.asset().call() == suite.deployment.payment_token
    assert second.functions.totalAssets().call() == 0


def test_market_keeps_its_config(suite, roles, share, price_oracle, tokens):
    model = (1, 2, 3, 5 * WAD // 10)
    market = make(
        suite, share, price_oracle, roles.outsider, loan_token=tokens.usdt_noreturn.address, lltv=MAX_LLTV,
        rate_model=model, min_borrow=7,
    )  # fmt: skip
    assert market.functions.config().call() == (
        share.address, tokens.usdt_noreturn.address, price_oracle.address, MAX_LLTV, model, 7
    )  # fmt: skip
    assert market.functions.name().call() == "compute-rwa lending GPU1 #0"
    assert market.functions.liquidationIncentive().call() == incentive(MAX_LLTV)
    assert market.functions.liquidity().call() == 0
    assert market.functions.borrowRate().call() == [1, 0]  # nothing supplied: utilization 0


@pytest.mark.parametrize("field", ["loanToken", "oracle"])
def test_zero_address_is_refused(suite, roles, share, price_oracle, field):
    params = {"loanToken": suite.deployment.payment_token, "oracle": price_oracle.address}
    params[field] = ZERO
    config = (share.address, params["loanToken"], params["oracle"], LLTV, RATE_MODEL, MIN_BORROW)
    with reverts("MarketZeroAddress"):
        suite.sender.transact(factory_of(suite).functions.createMarket(config), roles.outsider, "MarketFactory")


def test_zero_share_token_is_refused_before_the_market(suite, roles, price_oracle):
    # The factory asks the share token for its symbol first: the zero address cannot answer.
    config = (ZERO, suite.deployment.payment_token, price_oracle.address, LLTV, RATE_MODEL, MIN_BORROW)
    with reverts("Error", reason="execution reverted"):  # no error data
        suite.sender.transact(factory_of(suite).functions.createMarket(config), roles.outsider, "MarketFactory")
    assert factory_of(suite).functions.marketsOf(ZERO).call() == []


@pytest.mark.parametrize(
    ("params", "field", "value"),
    [
        ({"lltv": 0}, "lltv", 0),
        ({"lltv": MAX_LLTV + 1}, "lltv", MAX_LLTV + 1),
        ({"lltv": WAD}, "lltv", WAD),
        ({"rate_model": (0, 1, 1, 0)}, "kink", 0),
        ({"rate_model": (0, 1, 1, WAD)}, "kink", WAD),
        ({"rate_model": (0, 0, MAX_RATE_PER_SECOND + 1, WAD // 2)}, "maxRate", MAX_RATE_PER_SECOND + 1),
        ({"rate_model": (MAX_RATE_PER_SECOND, 1, 0, WAD // 2)}, "maxRate", MAX_RATE_PER_SECOND + 1),
        ({"min_borrow": 0}, "minBorrow", 0),
    ],
)
def test_invalid_parameters_are_refused(suite, roles, share, price_oracle, params, field, value):
    with reverts("MarketInvalidParameter", field=b32(field), value=value):
        make(suite, share, price_oracle, roles.outsider, **params)
    assert factory_of(suite).functions.marketsOf(share.address).call() == []


def test_bounds_themselves_are_accepted(suite, roles, share, price_oracle):
    assert MAX_RATE_PER_SECOND == 10 * WAD // (365 * 24 * 3600)
    market = make(
        suite, share, price_oracle, roles.outsider, lltv=MAX_LLTV,
        rate_model=(0, 0, MAX_RATE_PER_SECOND, WAD - 1), min_borrow=1,
    )  # fmt: skip
    assert market.functions.MAX_RATE_PER_SECOND().call() == MAX_RATE_PER_SECOND
    assert market.functions.MAX_LLTV().call() == MAX_LLTV
    make(suite, share, price_oracle, roles.outsider, lltv=1, rate_model=(MAX_RATE_PER_SECOND, 0, 0, 1))


@pytest.mark.parametrize(
    "lltv",
    [1, WAD // 2, 565 * WAD // 1000, 566 * WAD // 1000, 6 * WAD // 10, LLTV, 945 * WAD // 1000, MAX_LLTV],
)
def test_liquidation_incentive(suite, roles, share, price_oracle, lltv):
    market = make(suite, share, price_oracle, roles.outsider, lltv=lltv)
    got = market.functions.liquidationIncentive().call()
    assert got == incentive(lltv)
    # Against the real number: floored once, within a wei of min(1.15, 1 / (1 - 0.3 (1 - lltv))).
    exact = min(Fraction(115, 100), 1 / (1 - Fraction(3, 10) * (1 - Fraction(lltv, WAD)))) * WAD
    assert exact - 2 < got <= exact


def test_incentive_of_usual_lltvs():
    assert incentive(LLTV) == 1_063_829_787_234_042_553  # 1 / 0.94
    assert incentive(MAX_LLTV) == 1_006_036_217_303_822_937  # 1 / 0.994
    assert incentive(WAD // 2) == 115 * WAD // 100  # capped
