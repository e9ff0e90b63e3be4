from __future__ import annotations

from tests.conftest import fund
from tests.helpers import reverts


def test_claim_many_pays_each_asset_in_its_own_token(suite, make_registration, roles, tokens):
    holder = roles.holders[0]
    usdc_asset, _ = suite.register_asset(make_registration(), roles.operator)
    dai_asset, _ = suite.register_asset(make_registration(payment_token=tokens.dai18.address), roles.operator)
    fund(suite, tokens.usdc6, roles.lessee, 10**12, roles.admin)
    fund(suite, tokens.dai18, roles.lessee, 10**24, roles.admin)
    suite.distribute(usdc_asset, 1_000 * 10**6, roles.lessee)
    suite.distribute(dai_asset, 1_000 * 10**18, roles.lessee)

    paid = suite.claim_many([usdc_asset, dai_asset], holder)

    # 10% operator, 5% protocol, 5% reserve: holders get 80%.
    assert paid == {usdc_asset: 800 * 10**6, dai_asset: 800 * 10**18}
    assert tokens.usdc6.functions.balanceOf(holder).call() == 800 * 10**6
    assert tokens.dai18.functions.balanceOf(holder).call() == 800 * 10**18
    assert suite.claimable(usdc_asset, holder) == 0


def test_claim_many_pays_nothing_for_assets_with_nothing_to_claim(suite, asset, roles):
    assert suite.claim_many([asset, asset], roles.outsider) == {asset: 0}


def test_claim_many_returns_amounts_in_order(suite, asset, roles, tokens):
    fund(suite, tokens.usdc6, roles.lessee, 10**9, roles.admin)
    suite.distribute(asset, 10**8, roles.lessee)
    amounts = suite.registry.functions.claimMany([asset, asset]).call({"from": roles.holders[0]})
    assert amounts == [80_000_000, 0]


def test_claim_many_works_while_paused(suite, asset, roles, tokens):
    fund(suite, tokens.usdc6, roles.lessee, 10**9, roles.admin)
    suite.distribute(asset, 10**8, roles.lessee)
    suite.sender.transact(suite.registry.functions.pause(), roles.pauser, "R")
    assert suite.claim_many([asset], roles.holders[0]) == {asset: 80_000_000}


def test_claim_many_reverts_for_batch_over_maximum(suite, asset, roles):
    with reverts("RegistryBatchTooLarge", size=65, maxSize=64):
        suite.claim_many([asset] * 65, roles.holders[0])


def test_claim_many_reverts_for_unknown_asset(suite, asset, roles):
    with reverts("RegistryUnknownAsset", assetId=99):
        suite.claim_many([asset, 99], roles.holders[0])
