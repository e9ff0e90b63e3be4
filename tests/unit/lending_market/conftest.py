"""Fixtures of the LendingMarket and MarketFactory tests: markets on the `asset` fixture's
shares (8 GPUs, paying in the 6-decimal dUSD), priced by a MockPriceOracle the test sets, and
funded actors.

- roles.lender holds loan tokens and has approved the market;
- roles.borrower holds BORROWER_SHARES of the asset's shares and loan tokens (to repay), and
  has approved the market for both;
- `liquidator` (holders[1]) holds loan tokens and has approved the market;
- holders[0] keeps the other shares.

Interest runs between transactions (the default RATE_MODEL); tests that need exact amounts
accrue, `pin` the next block's time and project the totals with the Python model.

`opened` goes one step further: the lender supplied SUPPLY, the borrower posted its shares
and borrowed DEBT (at SHARE_VALUE per share, max debt 32,000 dUSD)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from web3.contract import Contract

from tests.lending_support import DUSD, create_market, share_token_of
from tests.unit.lease_manager import conftest as lease_manager_fixtures
from tests.unit.lending_market.support import (
    SHARE,
    Lending,
    borrow,
    deposit,
    fund,
    give_shares,
    post,
    price_for,
)

#: What one share is worth in whole loan tokens at the start of a test.
SHARE_VALUE = 10_000
BORROWER_SHARES = 4 * SHARE
#: Loan tokens (whole) minted to each funded actor.
FUNDS = 10_000_000
#: The `opened` fixture: supplied by the lender, borrowed by the borrower (whole loan tokens).
SUPPLY = 100_000
DEBT = 20_000


# The lease_manager helpers' `leasing` (the `asset` fixture, leasable), for the lease test.
leasing = lease_manager_fixtures.leasing


def unit(token: Contract) -> int:
    """One whole loan token, in its smallest units."""
    return int(10 ** token.functions.decimals().call())


@pytest.fixture
def liquidator(roles) -> str:
    return roles.holders[1]


@pytest.fixture
def make_lending(suite, roles, asset, liquidator) -> Callable[..., Lending]:
    """make_lending(loan=dUSD, price=SHARE_VALUE per share, share=None, oracle=None, **market
    params): a market on the `asset` fixture's shares (or `share`), priced by a new
    MockPriceOracle (or `oracle`), with the actors funded."""

    def make(
        loan: Contract | None = None,
        price: int | None = None,
        share: Contract | None = None,
        oracle: Contract | None = None,
        **params: Any,
    ) -> Lending:
        loan = loan or suite.payment_token
        share = share or share_token_of(suite, asset)
        one = unit(loan)
        oracle = oracle or suite.sender.deploy("MockPriceOracle", roles.admin, price or price_for(SHARE_VALUE * one))
        market = create_market(suite, share.address, oracle.address, roles.outsider, loan.address, **params)
        lending = Lending(market, share, loan, oracle, int(share.functions.assetId().call()))
        for actor in (roles.lender, roles.borrower, liquidator):
            fund(suite, loan, actor, FUNDS * one, market.address, roles.admin)
        owner = roles.holders[0]
        if share.functions.balanceOf(owner).call() >= BORROWER_SHARES:
            give_shares(suite, lending, owner, roles.borrower, BORROWER_SHARES)
        return lending

    return make


@pytest.fixture
def lending(make_lending) -> Lending:
    """A dUSD market (the loan token is the asset's payment token: auto-repay works)."""
    return make_lending()


@pytest.fixture
def opened(suite, roles, lending) -> Lending:
    """`lending` with SUPPLY supplied and DEBT borrowed against the borrower's shares."""
    deposit(suite, lending, roles.lender, SUPPLY * DUSD)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    borrow(suite, lending, roles.borrower, DEBT * DUSD)
    return lending
