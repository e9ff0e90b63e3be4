from __future__ import annotations

from tests.conftest import fund
from tests.helpers import reverts


def test_claim_pays_what_was_earned_and_emits(suite, make_registration, roles, payment_token):
    asset_id, _ = suite.register_asset(make_registration(payment_token=payment_token.address), roles.operator)
    unit = 10 ** payment_token.functions.decimals().call()
    fund(suite, payment_token, roles.lessee, 10_000 * unit, roles.admin)
    suite.distribute(asset_id, 1_000 * unit, roles.lessee)
    holder = roles.holders[0]

    token = suite.share_token(asset_id)
    receipt = suite.sender.transact(token.functions.claim(), holder, "S")

    (event,) = token.events.RevenueClaimed().process_receipt(receipt)
    assert (event["args"]["holder"], event["args"]["amount"]) == (holder, 800 * unit)
    assert payment_token.functions.balanceOf(holder).call() == 800 * unit
    assert suite.claimable(asset_id, holder) == 0


def test_second_claim_pays_nothing_and_emits_nothing(suite, asset, roles, tokens):
    fund(suite, tokens.usdc6, roles.lessee, 10**9, roles.admin)
    suite.distribute(asset, 10**8, roles.lessee)
    holder = roles.holders[0]
    assert suite.claim(asset, holder) == 80_000_000
    token = suite.share_token(asset)
    receipt = suite.sender.transact(token.functions.claim(), holder, "S")
    assert token.events.RevenueClaimed().process_receipt(receipt) == ()


def test_claim_accumulates_over_many_distributions(suite, asset, roles, tokens):
    fund(suite, tokens.usdc6, roles.lessee, 10**9, roles.admin)
    for _ in range(5):
        suite.distribute(asset, 10**6, roles.lessee)
    assert suite.claim(asset, roles.holders[0]) == 5 * 800_000


def test_claim_for_is_reserved_to_the_registry(suite, asset, roles):
    with reverts("ShareOnlyRegistry", caller=roles.holders[0]):
        suite.sender.transact(suite.share_token(asset).functions.claimFor(roles.holders[0]), roles.holders[0], "S")


def test_claim_works_while_everything_is_paused(suite, asset, roles, tokens):
    fund(suite, tokens.usdc6, roles.lessee, 10**9, roles.admin)
    suite.distribute(asset, 10**6, roles.lessee)
    suite.sender.transact(suite.registry.functions.pause(), roles.pauser, "R")
    suite.sender.transact(suite.share_token(asset).functions.setTransfersPaused(True), roles.pauser, "S")
    assert suite.claim(asset, roles.holders[0]) == 800_000
