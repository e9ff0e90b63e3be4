"""The foundation's whole story across contracts: deploy, register a fleet, pay revenue, trade
shares, claim from many assets at once, pay out fees, retire an asset."""

from __future__ import annotations

from compute_rwa import AssetStatus
from compute_rwa.fleet import load_fleet
from tests.conftest import fund


def test_fleet_revenue_flow_end_to_end(suite, roles, tokens):
    fleet = load_fleet(limit=4)
    owner = roles.holders[0]
    asset_ids = []
    for node in fleet:
        registration = node.registration(
            operator=roles.operator,
            owner=owner,
            payment_token=tokens.usdc6.address,
            operator_fee_bps=1000,
            reserve_bps=500,
        )
        asset_id, _ = suite.register_asset(registration, roles.operator)
        asset_ids.append(asset_id)
        assert suite.asset(asset_id).inventory_hash == node.inventory_hash

    # A buyer takes half of the first node; revenue arrives on every node.
    first = asset_ids[0]
    half = suite.asset(first).gpu_count * 10**18 // 2
    suite.transfer_shares(first, owner, roles.holders[1], half)
    fund(suite, tokens.usdc6, roles.lessee, 10**13, roles.admin)
    for asset_id in asset_ids:
        suite.distribute(asset_id, 5_000 * 10**6, roles.lessee)

    paid_owner = suite.claim_many(asset_ids, owner)
    paid_buyer = suite.claim_many(asset_ids, roles.holders[1])
    assert paid_owner[first] == paid_buyer[first] == 2_000 * 10**6
    for asset_id in asset_ids[1:]:
        assert paid_owner[asset_id] == 4_000 * 10**6
        assert paid_buyer[asset_id] == 0

    # Fees reach the operator and the treasury; the reserve stays with each asset.
    for asset_id in asset_ids:
        token = suite.share_token(asset_id)
        suite.sender.transact(token.functions.withdrawOperatorFees(), roles.outsider, "S")
        suite.sender.transact(token.functions.withdrawProtocolFees(), roles.outsider, "S")
        assert suite.pools(asset_id).reserve == 250 * 10**6
        assert tokens.usdc6.functions.balanceOf(token.address).call() == 250 * 10**6
    assert tokens.usdc6.functions.balanceOf(roles.operator).call() == len(asset_ids) * 500 * 10**6
    assert tokens.usdc6.functions.balanceOf(roles.treasury).call() == len(asset_ids) * 250 * 10**6

    # Retiring a node: holders burn their shares, the reserve can still be released first.
    last = asset_ids[-1]
    suite.sender.transact(suite.share_token(last).functions.releaseReserve(250 * 10**6), roles.operator, "S")
    suite.set_asset_status(last, AssetStatus.RETIRED, roles.operator)
    supply = suite.share_token(last).functions.totalSupply().call()
    suite.sender.transact(suite.share_token(last).functions.burn(supply), owner, "S")
    assert suite.claim(last, owner) == 250 * 10**6
    assert tokens.usdc6.functions.balanceOf(suite.share_token(last).address).call() == 0
