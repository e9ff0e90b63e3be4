"""Re-entrant payment tokens (ERC-777-style hooks) against every token-moving path of the share
token: a claim pays once, a payment cannot nest, earned revenue never follows moved shares."""

from __future__ import annotations

import pytest

from tests.helpers import reverts


@pytest.fixture
def hooked(suite, make_registration, roles):
    hook_token = suite.sender.deploy("MockHookToken", roles.admin)
    suite.sender.transact(suite.registry.functions.setPaymentTokenAllowed(hook_token.address, True), roles.admin, "R")
    asset_id, share_address = suite.register_asset(make_registration(payment_token=hook_token.address), roles.operator)
    attacker = suite.sender.deploy("ReentrantHolder", roles.admin, share_address, hook_token.address)
    suite.transfer_shares(asset_id, roles.holders[0], attacker.address, 4 * 10**18)
    suite.sender.transact(hook_token.functions.mint(roles.lessee, 10**12), roles.admin, "T")
    suite.sender.transact(hook_token.functions.mint(attacker.address, 10**12), roles.admin, "T")
    return asset_id, hook_token, attacker


def test_reentrant_claim_is_paid_once(suite, roles, hooked):
    asset_id, hook_token, attacker = hooked
    suite.distribute(asset_id, 10**9, roles.lessee)  # attacker owns half: 400 USD
    suite.sender.transact(attacker.functions.arm(1, roles.outsider), roles.admin, "A")
    before = hook_token.functions.balanceOf(attacker.address).call()
    suite.sender.transact(attacker.functions.claim(), roles.admin, "A")
    assert attacker.functions.reentrantClaims().call() == 1
    assert attacker.functions.reentrantPaid().call() == 0
    assert hook_token.functions.balanceOf(attacker.address).call() - before == 400_000_000
    assert suite.claimable(asset_id, roles.holders[0]) == 400_000_000


def test_nested_distribution_is_refused(suite, roles, hooked):
    asset_id, _, attacker = hooked
    suite.sender.transact(attacker.functions.arm(2, roles.outsider), roles.admin, "A")
    with reverts("ReentrancyGuardReentrantCall"):
        suite.sender.transact(attacker.functions.pay(10**6), roles.admin, "A")


def test_moving_shares_inside_a_claim_keeps_revenue_in_place(suite, roles, hooked):
    asset_id, hook_token, attacker = hooked
    suite.distribute(asset_id, 10**9, roles.lessee)
    suite.sender.transact(attacker.functions.arm(3, roles.outsider), roles.admin, "A")
    suite.sender.transact(attacker.functions.claim(), roles.admin, "A")
    assert suite.share_balance(asset_id, roles.outsider) == 4 * 10**18
    assert suite.claimable(asset_id, roles.outsider) == 0
    assert suite.claimable(asset_id, attacker.address) == 0
    suite.distribute(asset_id, 10**9, roles.lessee)
    assert suite.claimable(asset_id, roles.outsider) == 400_000_000
