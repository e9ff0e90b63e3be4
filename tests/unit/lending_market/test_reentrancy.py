"""A loan token with ERC-777-style hooks (MockHookToken): a receiver that re-enters the market
while the market pays it (ReentrantHolder, pointed at the market) finds the market's books
already final (checks-effects-interactions) and gains nothing; a re-entry the market refuses
undoes the whole payment."""

from __future__ import annotations

import pytest

from tests.unit.lending_market.conftest import BORROWER_SHARES
from tests.unit.lending_market.support import (
    balance,
    borrow,
    deposit,
    position,
    post,
    reverts,
    send,
    to_shares_up,
    totals,
)

UNIT = 10**6  # MockHookToken has 6 decimals
CLAIM_AGAIN, MOVE_SHARES = 1, 3  # ReentrantHolder modes


@pytest.fixture
def hooked(suite, roles, make_lending):
    """A market lending the hook token, 100,000 supplied; and an attacker contract hooked on
    the token, re-entering the market (its `shares`), holding 1,000 tokens' worth of vault
    shares."""
    token = suite.sender.deploy("MockHookToken", roles.admin)
    lending = make_lending(loan=token)
    deposit(suite, lending, roles.lender, 100_000 * UNIT)
    attacker = suite.sender.deploy("ReentrantHolder", roles.admin, lending.address, token.address)
    assert token.functions.hooked(attacker.address).call()
    send(suite, lending.market.functions.transfer(attacker.address, 1_000 * UNIT * 10**6), roles.lender)
    return lending, attacker


def arm(suite, attacker, mode, accomplice):
    suite.sender.transact(attacker.functions.arm(mode, accomplice), accomplice, "ReentrantHolder")


def test_a_borrow_paid_to_a_reentrant_receiver(suite, roles, hooked):
    lending, attacker = hooked
    market = lending.market
    arm(suite, attacker, MOVE_SHARES, roles.outsider)
    post(suite, lending, roles.borrower, BORROWER_SHARES)

    borrow(suite, lending, roles.borrower, 20_000 * UNIT, receiver=attacker.address)

    assert attacker.functions.mode().call() == 0  # the hook ran, re-entering the market
    assert market.functions.balanceOf(roles.outsider).call() == 1_000 * UNIT * 10**6
    assert market.functions.balanceOf(attacker.address).call() == 0
    assert balance(lending.loan, attacker.address) == 20_000 * UNIT  # what was borrowed, no more
    assert position(lending, roles.borrower) == (to_shares_up(20_000 * UNIT, 0, 0), BORROWER_SHARES)
    assert totals(lending) == (100_000 * UNIT, 20_000 * UNIT, to_shares_up(20_000 * UNIT, 0, 0))
    assert balance(lending.loan, lending.address) == market.functions.liquidity().call() == 80_000 * UNIT


def test_a_redemption_paid_to_a_reentrant_receiver(suite, roles, hooked):
    lending, attacker = hooked
    market = lending.market
    arm(suite, attacker, MOVE_SHARES, roles.outsider)
    redeemed = 10_000 * UNIT * 10**6
    preview = market.functions.previewRedeem(redeemed).call()
    price_before = market.functions.convertToAssets(10**18).call()

    send(suite, market.functions.redeem(redeemed, attacker.address, roles.lender), roles.lender)

    assert attacker.functions.mode().call() == 0
    assert balance(lending.loan, attacker.address) == preview == 10_000 * UNIT
    # The attacker's vault shares moved during the payment are worth what they were worth.
    assert market.functions.balanceOf(roles.outsider).call() == 1_000 * UNIT * 10**6
    assert market.functions.convertToAssets(10**18).call() == price_before
    assert market.functions.totalAssets().call() == 90_000 * UNIT
    assert market.functions.totalSupply().call() == 90_000 * UNIT * 10**6
    assert balance(lending.loan, lending.address) == 90_000 * UNIT


def test_a_refused_reentry_undoes_the_payment(suite, roles, hooked):
    # ReentrantHolder's "claim again" calls claim() on the market, which has no such function:
    # the hook reverts, and with it the whole borrow.
    lending, attacker = hooked
    arm(suite, attacker, CLAIM_AGAIN, roles.outsider)
    post(suite, lending, roles.borrower, BORROWER_SHARES)
    with reverts("Error"):
        borrow(suite, lending, roles.borrower, 20_000 * UNIT, receiver=attacker.address)
    assert position(lending, roles.borrower) == (0, BORROWER_SHARES)
    assert totals(lending) == (100_000 * UNIT, 0, 0)
    assert balance(lending.loan, attacker.address) == 0
