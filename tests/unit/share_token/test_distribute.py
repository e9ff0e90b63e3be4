from __future__ import annotations

from tests.conftest import fund
from tests.helpers import reverts


def _register(suite, make_registration, roles, token, **overrides):
    asset_id, _ = suite.register_asset(make_registration(payment_token=token.address, **overrides), roles.operator)
    return asset_id


def test_distribute_splits_through_the_waterfall(suite, make_registration, roles, payment_token):
    asset_id = _register(suite, make_registration, roles, payment_token)
    unit = 10 ** payment_token.functions.decimals().call()
    fund(suite, payment_token, roles.lessee, 10_000 * unit, roles.admin)

    receipt = suite.distribute(asset_id, 1_000 * unit, roles.lessee)

    token = suite.share_token(asset_id)
    (event,) = token.events.RevenueDistributed().process_receipt(receipt)
    args = event["args"]
    assert (args["amount"], args["operatorFee"], args["protocolFee"], args["toReserve"], args["toHolders"]) == (
        1_000 * unit,
        100 * unit,
        50 * unit,
        50 * unit,
        800 * unit,
    )
    pools = suite.pools(asset_id)
    assert (pools.operator_fees, pools.protocol_fees, pools.reserve) == (100 * unit, 50 * unit, 50 * unit)
    # 8 whole shares: the decimal precision divides exactly, nothing is carried.
    assert pools.dust_e18 == 0
    assert suite.claimable(asset_id, roles.holders[0]) == 800 * unit
    assert payment_token.functions.balanceOf(token.address).call() == 1_000 * unit


def test_distribute_splits_pro_rata_between_holders(suite, asset, roles, tokens):
    a, b = roles.holders[0], roles.holders[1]
    suite.transfer_shares(asset, a, b, 2 * 10**18)  # a: 6 GPUs, b: 2 GPUs
    fund(suite, tokens.usdc6, roles.lessee, 10**12, roles.admin)
    suite.distribute(asset, 1_000_000_000, roles.lessee)  # $1,000; holders get $800
    assert suite.claimable(asset, a) == 600_000_000
    assert suite.claimable(asset, b) == 200_000_000


def test_distribute_carries_the_remainder_instead_of_losing_it(suite, make_registration, roles, tokens):
    asset_id = _register(suite, make_registration, roles, tokens.usdc6, gpu_count=3, operator_fee_bps=0, reserve_bps=0)
    suite.sender.transact(suite.share_token(asset_id).functions.setProtocolFeeBps(0), roles.admin, "S")
    fund(suite, tokens.usdc6, roles.lessee, 10**9, roles.admin)
    suite.distribute(asset_id, 100, roles.lessee)  # 100 units over 3 GPUs does not divide
    first = suite.claimable(asset_id, roles.holders[0])
    assert first == 99
    assert suite.pools(asset_id).dust_e18 > 0
    suite.distribute(asset_id, 200, roles.lessee)  # 300 in total: divides, the carry is paid out
    assert suite.claimable(asset_id, roles.holders[0]) == 300
    assert suite.pools(asset_id).dust_e18 == 0


def test_distribute_sends_revenue_to_the_reserve_when_no_shares_exist(suite, asset, roles, tokens):
    from compute_rwa import AssetStatus

    suite.set_asset_status(asset, AssetStatus.RETIRED, roles.operator)
    token = suite.share_token(asset)
    suite.sender.transact(token.functions.burn(8 * 10**18), roles.holders[0], "S")
    fund(suite, tokens.usdc6, roles.lessee, 10**9, roles.admin)
    receipt = suite.distribute(asset, 1_000_000, roles.lessee)
    (event,) = token.events.RevenueDistributed().process_receipt(receipt)
    assert event["args"]["toHolders"] == 0
    assert event["args"]["toReserve"] == 50_000 + 800_000
    assert suite.pools(asset).reserve == 850_000


def test_distribute_reverts_for_zero_amount(suite, asset, roles):
    with reverts("ShareZeroAmount"):
        suite.sender.transact(suite.share_token(asset).functions.distribute(0), roles.lessee, "S")


def test_distribute_reverts_while_registry_is_paused(suite, asset, roles, tokens):
    fund(suite, tokens.usdc6, roles.lessee, 10**9, roles.admin)
    suite.sender.transact(suite.registry.functions.pause(), roles.pauser, "R")
    with reverts("ShareRevenuePaused"):
        suite.distribute(asset, 10**6, roles.lessee)


def test_distribute_refuses_fee_on_transfer_tokens(suite, make_registration, roles, tokens):
    fot = tokens.fee_on_transfer
    asset_id = _register(suite, make_registration, roles, fot)
    fund(suite, fot, roles.lessee, 10**9, roles.admin)
    token = suite.share_token(asset_id)
    with reverts("ShareFeeOnTransferToken", token=fot.address, expected=1_000_000, received=990_000):
        suite.distribute(asset_id, 1_000_000, roles.lessee)
    assert fot.functions.balanceOf(token.address).call() == 0


def test_distribute_reverts_without_allowance(suite, asset, roles, tokens):
    fund(suite, tokens.usdc6, roles.lessee, 10**9, roles.admin)
    with reverts("ERC20InsufficientAllowance"):
        suite.sender.transact(suite.share_token(asset).functions.distribute(10**6), roles.lessee, "S")
